"""Sample workflow: tries a TCP connection to 127.0.0.1:TARGET_PORT
(rewritten by the tests; 27017 = MongoDB) and a UDP sendto to the same
port.  Success of either -> String output "leak" = "ESCAPED"; both
blocked -> the error propagates.  Expected outcome: exit 1 -> Failed,
output empty (or the process is killed by seccomp -> Failed).
"""
import socket

TARGET_PORT = 27017

import mupif

MD = {
    "ClassName": "WfSocket",
    "ModuleName": "wf_socket",
    "Name": "Runner test: forbidden network",
    "ID": "wf_socket",
    "Description": "solve() connects to 127.0.0.1:TARGET_PORT (TCP and UDP)",
    "Version_date": "1.0.0, Nov 2026",
    "Dependencies": [],
    "Execution_settings": {"Type": "Local"},
    "Inputs": [
        {"Name": "x", "Description": "the input value",
         "Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
         "ValueType": "Scalar", "Units": "s", "Obj_ID": "x",
         "Required": True, "Set_at": "timestep"},
    ],
    "Outputs": [
        {"Name": "leak", "Description": "ESCAPED if the network was reachable",
         "Type": "mupif.String", "Type_ID": "mupif.DataID.PID_Name",
         "ValueType": "Scalar", "Units": "", "Obj_ID": ""},
    ],
    "Models": [],
}


class WfSocket(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.result = None

    def set(self, obj, objectID=""):
        self.x = obj

    def solve(self, runInBackground=False):
        errors = []
        try:
            s = socket.create_connection(("127.0.0.1", TARGET_PORT),
                                         timeout=5)
            s.close()
            self.result = "ESCAPED"
        except OSError as e:
            errors.append(f"tcp: {e!r}")
        try:
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.sendto(b"wf_socket", ("127.0.0.1", TARGET_PORT))
            u.close()
            self.result = "ESCAPED"
        except OSError as e:
            errors.append(f"udp: {e!r}")
        if self.result != "ESCAPED":
            raise RuntimeError("wf_socket: blocked: " + "; ".join(errors))

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.String(value=self.result, dataID=mupif.DataID.PID_Name)

"""Sample workflow: tries to create files outside its work directory:
/tmp/escape-<pid>, ../escape and $HOME/../escape-home.  Any success ->
String output "leak" lists the paths written; all refused -> the error
propagates.  Expected outcome: exit 1 -> Failed, nothing written outside
(a private /tmp inside the sandbox does not count as outside).
"""
import os

import mupif

MD = {
    "ClassName": "WfWriteOut",
    "ModuleName": "wf_writeout",
    "Name": "Runner test: write outside",
    "ID": "wf_writeout",
    "Description": "solve() writes files outside the work directory",
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
        {"Name": "leak", "Description": "paths written outside",
         "Type": "mupif.String", "Type_ID": "mupif.DataID.PID_Name",
         "ValueType": "Scalar", "Units": "", "Obj_ID": ""},
    ],
    "Models": [],
}


class WfWriteOut(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.result = None

    def set(self, obj, objectID=""):
        self.x = obj

    def solve(self, runInBackground=False):
        home = os.environ.get("HOME", ".")
        targets = [f"/tmp/escape-{os.getpid()}", "../escape",
                   os.path.join(home, "..", "escape-home")]
        written, errors = [], []
        for p in targets:
            try:
                fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, b"escaped\n")
                os.close(fd)
                written.append(os.path.abspath(p))
            except OSError as e:
                errors.append(f"{p}: {e!r}")
        if written:
            self.result = "ESCAPED " + " ".join(written)
        else:
            raise PermissionError("wf_writeout: all refused: " +
                                  "; ".join(errors))

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.String(value=self.result, dataID=mupif.DataID.PID_Name)

"""Sample workflow: uses its own execution token (API_TOKEN_FILE) to read
ANOTHER execution (OTHER_ID, rewritten by the tests before upload) and to
list every execution through the REST API.  The token reaches only its
own execution, so both answer 403 and solve() raises.  If either
succeeds, the answer goes to the String output "leak" (a test can detect
the escape).  Expected outcome: exit 1 -> Failed, reason "...403...".
"""
OTHER_ID = "000000000000000000000000"
import os
import urllib.error
import urllib.request

import mupif

MD = {
    "ClassName": "WfSnoop",
    "ModuleName": "wf_snoop",
    "Name": "Runner test: read another execution",
    "ID": "wf_snoop",
    "Description": "solve() reads OTHER_ID with its own token",
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
        {"Name": "leak", "Description": "what the API gave away",
         "Type": "mupif.String", "Type_ID": "mupif.DataID.PID_Name",
         "ValueType": "Scalar", "Units": "", "Obj_ID": ""},
    ],
    "Models": [],
}


class WfSnoop(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.result = None

    def set(self, obj, objectID=""):
        pass

    def solve(self, runInBackground=False):
        token = open(os.environ["API_TOKEN_FILE"]).read().strip()
        base = os.environ["MUPIFDB_REST_SERVER"].rstrip("/") + "/api/"
        codes = []
        for path in (f"executions/{OTHER_ID}", "executions/"):
            req = urllib.request.Request(
                base + path, headers={"Authorization": f"Bearer {token}"})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    self.result = r.read(65536).decode("utf-8", "replace")
                    return
            except urllib.error.HTTPError as e:
                codes.append(e.code)
        raise PermissionError(f"the API refused: {codes}")

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.String(value=self.result, dataID=mupif.DataID.PID_Name)

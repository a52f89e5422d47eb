"""Sample workflow: tries to read SECRET_PATH (rewritten by the tests
before upload).  If the read succeeds, the content goes to the String
output "leak" (a test can detect the escape); otherwise the error
propagates.  Expected outcome: exit 1 -> Failed, output empty.
"""
SECRET_PATH = "/nonexistent"

import mupif

MD = {
    "ClassName": "WfReadSecret",
    "ModuleName": "wf_readsecret",
    "Name": "Runner test: read a secret",
    "ID": "wf_readsecret",
    "Description": "solve() reads SECRET_PATH into output leak",
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
        {"Name": "leak", "Description": "content of SECRET_PATH",
         "Type": "mupif.String", "Type_ID": "mupif.DataID.PID_Name",
         "ValueType": "Scalar", "Units": "", "Obj_ID": ""},
    ],
    "Models": [],
}


class WfReadSecret(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.result = None

    def set(self, obj, objectID=""):
        self.x = obj

    def solve(self, runInBackground=False):
        with open(SECRET_PATH, "rb") as f:
            self.result = f.read(65536).decode("utf-8", "replace")

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.String(value=self.result, dataID=mupif.DataID.PID_Name)

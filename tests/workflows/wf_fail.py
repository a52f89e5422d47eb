"""Sample workflow: solve() raises RuntimeError.
Expected outcome: exit 1 -> Failed.
"""
import mupif

MD = {
    "ClassName": "WfFail",
    "ModuleName": "wf_fail",
    "Name": "Runner test: failure",
    "ID": "wf_fail",
    "Description": "solve() raises RuntimeError",
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
        {"Name": "y", "Description": "2 * x",
         "Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
         "ValueType": "Scalar", "Units": "s", "Obj_ID": ""},
    ],
    "Models": [],
}


class WfFail(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.result = None

    def set(self, obj, objectID=""):
        self.x = obj

    def solve(self, runInBackground=False):
        raise RuntimeError("wf_fail: deliberate failure in solve()")

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.ConstantProperty(
            value=self.result, propID=mupif.DataID.PID_Time,
            valueType=mupif.ValueType.Scalar, unit=mupif.U["s"], time=None)

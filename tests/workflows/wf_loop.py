"""Sample workflow: solve() never returns (busy loop).
Expected outcome: killed at the wall-clock/CPU limit -> Failed (timeout).
"""
import mupif

MD = {
    "ClassName": "WfLoop",
    "ModuleName": "wf_loop",
    "Name": "Runner test: endless loop",
    "ID": "wf_loop",
    "Description": "solve() never returns",
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


class WfLoop(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.result = None

    def set(self, obj, objectID=""):
        self.x = obj

    def solve(self, runInBackground=False):
        n = 0
        while True:
            n += 1

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.ConstantProperty(
            value=self.result, propID=mupif.DataID.PID_Time,
            valueType=mupif.ValueType.Scalar, unit=mupif.U["s"], time=None)

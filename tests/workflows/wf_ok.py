"""Sample workflow for the runner and scheduler tests: y = 2 * x.
Input x (Property, PID_Time, ObjID "x"), output y (Property, PID_Time,
ObjID "").  Expected outcome: exit 0 -> Finished, output y = 2 * x."""
import mupif

MD = {
    "ClassName": "WfOk",
    "ModuleName": "wf_ok",
    "Name": "Runner test: doubling",
    "ID": "wf_ok",
    "Description": "Computes y = 2 * x",
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


class WfOk(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.y = None

    def set(self, obj, objectID=""):
        if objectID == "x":
            self.x = obj

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.ConstantProperty(
            value=self.y, propID=mupif.DataID.PID_Time,
            valueType=mupif.ValueType.Scalar, unit=mupif.U["s"], time=None)

    def solveStep(self, tstep=None, stageID=0, runInBackground=False):
        v = self.x.getValue()
        v = getattr(v, "value", v)          # real mupif: a Quantity
        self.y = 2 * float(v)

    def solve(self, runInBackground=False):
        self.solveStep(None)

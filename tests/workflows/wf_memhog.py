"""Sample workflow: solve() allocates memory without bound.
Expected outcome: killed by the memory limit (OOM) or MemoryError -> Failed.
"""
import mupif

MD = {
    "ClassName": "WfMemhog",
    "ModuleName": "wf_memhog",
    "Name": "Runner test: unbounded memory",
    "ID": "wf_memhog",
    "Description": "solve() allocates memory without bound",
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


class WfMemhog(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.result = None

    def set(self, obj, objectID=""):
        self.x = obj

    def solve(self, runInBackground=False):
        hog = []
        while True:
            b = bytearray(16 * 1024 * 1024)
            for i in range(0, len(b), 4096):     # touch every page
                b[i] = 1
            hog.append(b)

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.ConstantProperty(
            value=self.result, propID=mupif.DataID.PID_Time,
            valueType=mupif.ValueType.Scalar, unit=mupif.U["s"], time=None)

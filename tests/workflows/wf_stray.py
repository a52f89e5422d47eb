"""Sample workflow: starts a background child (os.fork) that sleeps
forever (in its own session, keeping the log pipe open), writes its pid to stray.pid in the work directory, then
returns normally.  Expected outcome: exit 0 -> Finished (y = 2 * x), and
the scheduler kills the stray child at the end of the run.
"""
import os
import time

import mupif

MD = {
    "ClassName": "WfStray",
    "ModuleName": "wf_stray",
    "Name": "Runner test: stray process",
    "ID": "wf_stray",
    "Description": "solve() leaves a background process behind, y = 2 * x",
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


class WfStray(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.result = None

    def set(self, obj, objectID=""):
        self.x = obj

    def solve(self, runInBackground=False):
        pid = os.fork()
        if pid == 0:
            # The child keeps the inherited stdout/stderr (the scheduler's
            # log pipe) open on purpose, like a careless daemon would.
            try:
                os.setsid()
            finally:
                while True:
                    time.sleep(3600)
        with open("stray.pid", "w") as f:
            f.write(str(pid))
        v = self.x.getValue()
        self.result = 2 * float(getattr(v, "value", v))

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.ConstantProperty(
            value=self.result, propID=mupif.DataID.PID_Time,
            valueType=mupif.ValueType.Scalar, unit=mupif.U["s"], time=None)

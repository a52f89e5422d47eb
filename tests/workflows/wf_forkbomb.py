"""Sample workflow: os.fork() in a loop (every child keeps forking).
Expected outcome: stopped by the pids limit; the scheduler kills the
whole cgroup -> Failed.
"""
import os
import time

import mupif

MD = {
    "ClassName": "WfForkbomb",
    "ModuleName": "wf_forkbomb",
    "Name": "Runner test: fork bomb",
    "ID": "wf_forkbomb",
    "Description": "solve() forks in a loop",
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


class WfForkbomb(mupif.Workflow):
    def __init__(self, metadata=None):
        super().__init__(metadata=MD)
        self.updateMetadata(metadata or {})
        self.x = None
        self.result = None

    def set(self, obj, objectID=""):
        self.x = obj

    def solve(self, runInBackground=False):
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.01)

    def get(self, objectTypeID, time=None, objectID=""):
        return mupif.ConstantProperty(
            value=self.result, propID=mupif.DataID.PID_Time,
            valueType=mupif.ValueType.Scalar, unit=mupif.U["s"], time=None)

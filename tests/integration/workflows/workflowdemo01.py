"""Workflow01 of the spec (rest-api.md 8.2), without the mupif library:
multiplies two values using a simple model."""


class WorkflowDemo01:
    def __init__(self):
        self.metadata = {
            "ID": "Workflow01",
            "Name": "Demo workflow 01",
            "Description": "Calculates multiplication of two given values using a simple model",
            "Inputs": [
                {"Name": "Value_1", "Description": "Input value 1",
                 "Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
                 "ValueType": "Scalar", "Units": "s", "Obj_ID": "1",
                 "Required": True, "Set_at": "timestep"},
                {"Name": "Delay", "Description": "Optional delay in seconds for demonstration purposes",
                 "Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
                 "ValueType": "Scalar", "Units": "s", "Obj_ID": "delay",
                 "Required": False, "Set_at": "timestep"},
            ],
            "Outputs": [
                {"Name": "Multiplication_result", "Description": "Result of multiplication",
                 "Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
                 "ValueType": "Scalar", "Units": "s^2", "Obj_ID": ""},
            ],
            "Models": [{"Name": "m1", "Jobmanager": "CVUT.demo01"}],
        }

    def getAllMetadata(self):
        return dict(self.metadata)

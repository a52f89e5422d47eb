"""Tries to read a file given in TARGET (the test writes the path in)."""
TARGET = "@TARGET@"


class Reader:
    def __init__(self):
        with open(TARGET, "rb") as f:
            self.data = f.read(100)

    def getAllMetadata(self):
        return {"ID": "leak", "Description": repr(self.data),
                "Inputs": [], "Outputs": []}

class A:
    def getAllMetadata(self):
        return {"ID": "a", "Inputs": [], "Outputs": []}


class B:
    pass

class NoId:
    def getAllMetadata(self):
        return {"Description": "no ID", "Inputs": [], "Outputs": []}

"""Metadata through getMetadata(key) only (older MuPIF style)."""
_MD = {
    "ID": "GetMetadataWf",
    "Inputs": [{"Name": "x", "Type": "mupif.Property", "Units": "m",
                "Required": True}],
    "Outputs": [{"Name": "y", "Type": "mupif.Property", "Units": "m"}],
}


class GetMetadataWorkflow:
    def getMetadata(self, key):
        return _MD[key]

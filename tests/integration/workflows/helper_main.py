"""Imports its helper at module level: works only if the extra files are in
place before the import (the original's order bug, rest-api.md 9.3)."""
from helper_lib import WID, io  # noqa: F401 (a function, not a class)


class HelperWorkflow:
    def getAllMetadata(self):
        ins, outs = io()
        return {"ID": WID, "Inputs": ins, "Outputs": outs}

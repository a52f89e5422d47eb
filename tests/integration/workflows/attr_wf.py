"""Metadata as a plain `metadata` dict attribute."""


class AttrWorkflow:
    metadata = {"ID": "AttrWf", "Description": "attribute metadata",
                "Inputs": [], "Outputs": [], "EDMMapping": []}

"""A helper module uploaded as an extra file."""
WID = "HelperWf"


def io():
    return [{"Name": "a", "Type": "mupif.Property", "Units": "-",
             "Required": True}], [{"Name": "b", "Type": "mupif.Property",
                                   "Units": "-"}]

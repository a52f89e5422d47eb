"""mupif_standin.py - a minimal stand-in for the MuPIF workflow API.

What it is for: the central node runs uploaded workflows with our own
runner (runner/mupif_runner.py).  Workflows are classes deriving from
mupif.Workflow and exchange mupif.Property / mupif.String objects with the
runner.  When the real `mupif` package (Pyro5, numpy, astropy, h5py ...) is
not installed for the interpreter that runs the runner, the runner loads
this file as the module `mupif` (sys.modules['mupif']), so simple workflows
(scalar/vector Properties, Strings, no remote models) still run.

The real mupif package replaces it completely: if `import mupif` works,
this file is never loaded.  Keep it small, stdlib only, and compatible
with the subset of the real API that workflows and the runner use:

  Workflow (metadata, getAllMetadata, getMetadata, setMetadata, initialize,
            set, get, solve, solveStep, terminate, getExecutionTargetTime)
  Property, ConstantProperty (value, unit string, propID, valueType, time,
            objectID, getValue, getUnit, to_db_dict / from_db_dict)
  String (value, dataID, valueType, to_db_dict / from_db_dict)
  DataID (DataID.PID_X -> "PID_X", DataID['PID_X'] -> "PID_X")
  ValueType (Scalar, Vector, Tensor, ...; .name like the real enum)
  U / units (U['m'] -> "m", U.m -> "m": units are plain strings here)
  JobManNoResourcesException, APIError
"""
import enum
import logging

__version__ = "0.0-standin"
STANDIN = True

log = logging.getLogger("mupif")


class APIError(Exception):
    """mupif.APIError: generic error of the MuPIF API."""


class JobManNoResourcesException(Exception):
    """mupif.JobManNoResourcesException: a job manager has no free slot.
    The runner exits with code 2 for it (the scheduler requeues the
    execution as Pending)."""


# ---------------------------------------------------------------------------
# DataID, ValueType, units

class _DataIDMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _DataIDValue(name)

    def __getitem__(cls, name):
        return _DataIDValue(name)


class _DataIDValue(str):
    """A DataID member: a str equal to its name, with .name like an enum."""

    @property
    def name(self):
        return str(self)


class DataID(metaclass=_DataIDMeta):
    """mupif.DataID: any attribute is a valid id; DataID.PID_Time ==
    'PID_Time' and DataID.PID_Time.name == 'PID_Time'."""


class ValueType(enum.IntEnum):
    """mupif.ValueType (same members and order as the real enum)."""
    Scalar = 1
    Vector = 2
    Tensor = 3
    ScalarArray = 4
    VectorArray = 5
    TensorArray = 6

    @staticmethod
    def fromNumberOfComponents(i):
        return {1: ValueType.Scalar, 3: ValueType.Vector,
                9: ValueType.Tensor}.get(i, ValueType.Scalar)


def _value_type(v):
    if isinstance(v, ValueType):
        return v
    if isinstance(v, str):
        return ValueType[v] if v else ValueType.Scalar
    if isinstance(v, int):
        return ValueType(v)
    return ValueType.Scalar


class _Units:
    """mupif.U stand-in: U['m'], U.m and U('m') all give the unit string."""

    def __getitem__(self, name):
        return str(name)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return name

    def __call__(self, name):
        return str(name)


U = _Units()
units = U


def _unit_str(u):
    if u is None:
        return ""
    if isinstance(u, str):
        return u
    return str(u)


def _time_seconds(t):
    """A time as seconds (float) or None; accepts numbers, (value, unit)
    tuples and objects with inUnitsOf()/getValue() (real quantities)."""
    if t is None:
        return None
    if isinstance(t, (int, float)):
        return float(t)
    if isinstance(t, (tuple, list)) and len(t) == 2:
        return float(t[0])
    if hasattr(t, "inUnitsOf"):
        t = t.inUnitsOf("s")
    if hasattr(t, "getValue"):
        return float(t.getValue())
    if hasattr(t, "value"):
        return float(t.value)
    return float(t)


# ---------------------------------------------------------------------------
# data objects

class Property:
    """mupif.Property / ConstantProperty: a value (number or list of
    numbers) with a unit string, a DataID, a ValueType, an optional time
    (seconds) and an objectID."""

    def __init__(self, value=None, propID=None, valueType=ValueType.Scalar,
                 unit=None, time=None, objectID="", quantity=None,
                 metadata=None, **kw):
        if quantity is not None and value is None:
            value = getattr(quantity, "value", quantity)
            unit = unit if unit is not None else getattr(quantity, "unit",
                                                         None)
        if isinstance(value, tuple):
            value = list(value)
        self.value = value
        self.unit = _unit_str(unit)
        self.propID = DataID[str(propID)] if propID is not None else None
        self.valueType = _value_type(valueType)
        self.time = time
        self.objectID = objectID
        self.metadata = dict(metadata or {})

    def getValue(self, time=None, **kw):
        return self.value

    def getUnit(self):
        return self.unit

    def getPropertyID(self):
        return self.propID

    def getDataID(self):
        return self.propID

    def getValueType(self):
        return self.valueType

    def getTime(self):
        return self.time

    def getObjectID(self):
        return self.objectID

    def getQuantity(self):
        return (self.value, self.unit)

    def to_db_dict(self):
        """The dict mupifDB stores in an IOData item's Object."""
        return {
            "ClassName": "ConstantProperty",
            "ValueType": self.valueType.name,
            "DataID": self.propID.name if self.propID is not None else "",
            "Unit": self.unit,
            "Value": self.value,
            "Time": _time_seconds(self.time),
        }

    @staticmethod
    def from_db_dict(d):
        return ConstantProperty(value=d.get("Value"),
                                propID=d.get("DataID") or None,
                                valueType=d.get("ValueType") or "Scalar",
                                unit=d.get("Unit", ""),
                                time=d.get("Time"))

    def __repr__(self):
        return (f"{type(self).__name__}(value={self.value!r}, "
                f"unit={self.unit!r}, propID={self.propID!r}, "
                f"valueType={self.valueType.name})")


class ConstantProperty(Property):
    """mupif.ConstantProperty: same as Property here."""


class String:
    """mupif.String: a string value with a DataID."""

    def __init__(self, value="", dataID=None, valueType=ValueType.Scalar,
                 objectID="", metadata=None, **kw):
        self.value = "" if value is None else str(value)
        self.dataID = DataID[str(dataID)] if dataID is not None else None
        self.valueType = _value_type(valueType)
        self.objectID = objectID
        self.metadata = dict(metadata or {})

    def getValue(self, *a, **kw):
        return self.value

    def getDataID(self):
        return self.dataID

    def to_db_dict(self):
        return {
            "ClassName": "String",
            "DataID": self.dataID.name if self.dataID is not None else "",
            "ValueType": self.valueType.name,
            "Value": self.value,
        }

    @staticmethod
    def from_db_dict(d):
        return String(value=d.get("Value", ""),
                      dataID=d.get("DataID") or None,
                      valueType=d.get("ValueType") or "Scalar")

    def __repr__(self):
        return f"String({self.value!r}, dataID={self.dataID!r})"


# ---------------------------------------------------------------------------
# Workflow

class Workflow:
    """mupif.Workflow base class.  Subclasses pass their metadata to
    __init__ (dict with ID, Name, Description, Inputs, Outputs, ...) and
    override set/get/solveStep (or solve)."""

    def __init__(self, metadata=None, **kw):
        self.metadata = {}
        self.setMetadata(dict(metadata or {}))
        self.file = ""
        self.workDir = ""
        self._initialized = False

    # -- metadata
    def getAllMetadata(self):
        return self.metadata

    def getMetadata(self, key, default=None):
        if key in self.metadata:
            return self.metadata[key]
        if default is not None:
            return default
        raise KeyError(key)

    def setMetadata(self, key, val=None):
        if isinstance(key, dict) and val is None:
            self._update(self.metadata, key)
        else:
            self.metadata[key] = val

    def updateMetadata(self, md):
        self._update(self.metadata, md)

    @staticmethod
    def _update(dst, src):
        for k, v in src.items():
            if isinstance(v, dict) and isinstance(dst.get(k), dict):
                Workflow._update(dst[k], v)
            else:
                dst[k] = v

    def printMetadata(self, nonEmpty=False):
        for k, v in self.metadata.items():
            if v or not nonEmpty:
                print(f"{k}: {v}")

    # -- life cycle
    def initialize(self, workdir="", metadata=None, validateMetaData=True,
                   **kw):
        if metadata:
            self.updateMetadata(metadata)
        self.workDir = workdir
        self._initialized = True

    def set(self, obj, objectID=""):
        raise APIError(f"{type(self).__name__}.set() not implemented")

    def get(self, objectTypeID, time=None, objectID=""):
        raise APIError(f"{type(self).__name__}.get() not implemented")

    def solveStep(self, tstep=None, stageID=0, runInBackground=False):
        pass

    def solve(self, runInBackground=False):
        self.solveStep(None, runInBackground=runInBackground)

    def finishStep(self, tstep=None):
        pass

    def terminate(self):
        pass

    def getExecutionTargetTime(self):
        return 0.0

    def getCriticalTimeStep(self):
        return 1.0

    def getApplicationSignature(self):
        return f"{type(self).__name__} (mupif stand-in)"

    def getAPIVersion(self):
        return 1

    def isSolved(self):
        return True

    def wait(self):
        pass

    def registerModel(self, model, label=None):
        pass

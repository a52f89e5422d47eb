"""Pydantic v2 models of the REST API's answers, written from
../shared/spec/rest-api.md sections 2, 3, 4 and 8 (mupifDB commit 37c5c54).

They are stricter than mupifDB's own models on purpose:

- every key the spec lists must be present (no defaults), and no other key
  may appear (extra="forbid"), except where the spec says "as stored"
  (Settings);
- strict types: no "1" for 1, no 1 for true, no number for a string;
- ids are 24 lower-case hex digits, datetimes are ISO 8601 without a zone
  ("2025-06-03T14:22:05" or "...05.123456"), the login's expires_at has a
  numeric offset (the client parses it with datetime.fromisoformat);
- Mongo's _id is "_id" on the wire (never "id" or "dbID").

check(Model, data) validates and also checks that the keys come in the
spec's order (section 1.3: "keys appear in model-field order").
"""
from typing import Annotated, Any, Generic, Literal, Optional, TypeVar, Union

from pydantic import (BaseModel, ConfigDict, Field,
                      StrictBool, StrictFloat, StrictInt, StrictStr,
                      StringConstraints, model_validator)

HEX24_RE = r"^[0-9a-f]{24}$"
Hex24 = Annotated[StrictStr, StringConstraints(pattern=HEX24_RE)]
# Naive ISO datetime as pydantic dumps a datetime without tzinfo.
IsoNaive = Annotated[StrictStr, StringConstraints(
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")]
# The login's expires_at: aware, numeric offset (+00:00), never "Z".
IsoAware = Annotated[StrictStr, StringConstraints(
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}:\d{2}$")]
Number = Union[StrictInt, StrictFloat]

ExecutionStatus = Literal["Created", "Pending", "Scheduled", "Running",
                          "Finished", "Failed"]
ValueTypeLit = Literal["Vector", "Scalar", "Tensor", "ScalarArray",
                       "VectorArray", "TensorArray", ""]


class Strict(BaseModel):
    """Exact field list, strict types."""
    model_config = ConfigDict(extra="forbid", strict=True,
                              populate_by_name=False)


# --------------------------------------------------------------------------
# section 2.2: DbRef

class DbRef(Strict):
    where: StrictStr
    id: StrictStr


# --------------------------------------------------------------------------
# section 2.3: UseCases

class UseCase(Strict):
    id: Optional[Hex24] = Field(alias="_id")
    parent: Optional[DbRef]
    ucid: StrictStr
    Description: StrictStr


# --------------------------------------------------------------------------
# section 2.4: Workflows, IOCard, Model, EDMMapping

class _IOBase(Strict):
    Name: StrictStr
    Description: Optional[StrictStr]
    Type: StrictStr
    Type_ID: StrictStr
    ValueType: ValueTypeLit
    Units: StrictStr
    ObjID: Union[StrictStr, list[StrictStr], None]
    EDMPath: Optional[StrictStr]


class Input(_IOBase):
    Compulsory: StrictBool
    Set_at: Literal["timestep", "initialization"]


class Output(_IOBase):
    EDMList: StrictBool


class IOCard(Strict):
    Inputs: list[Input]
    Outputs: list[Output]


class Model(Strict):
    Name: StrictStr
    Jobmanager: StrictStr
    Instantiate: Optional[StrictBool]


class CreateNew(Strict):
    id: Optional[StrictStr]
    ids: list[StrictStr]


class EDMMapping(Strict):
    id: Optional[StrictStr]
    ids: Optional[list[StrictStr]]
    Name: StrictStr
    EDMEntity: StrictStr
    EDMList: StrictBool
    DBName: StrictStr
    OptionsFilter: dict[StrictStr, StrictStr]
    createNew: Optional[CreateNew]
    createFrom: Optional[StrictStr]


class Workflow(Strict):
    id: Optional[Hex24] = Field(alias="_id")
    parent: Optional[DbRef]
    wid: StrictStr
    Description: StrictStr
    GridFSID: Optional[Hex24]
    UseCase: StrictStr
    IOCard: IOCard
    modulename: StrictStr
    classname: StrictStr
    Models: list[Model]
    EDMMapping: list[EDMMapping]
    Version: StrictInt


# --------------------------------------------------------------------------
# section 2.6: IOData

class Link(Strict):
    ExecID: StrictStr
    Name: StrictStr
    ObjID: StrictStr


class IODataItem(_IOBase):
    Value: Union[dict[str, Any], StrictStr, None]
    Link: Link
    FileID: Optional[StrictStr]
    Compulsory: Optional[StrictBool]
    Object: dict[str, Any]


class IOData(Strict):
    id: Optional[Hex24] = Field(alias="_id")
    parent: Optional[DbRef]
    DataSet: list[IODataItem]
    Name: StrictStr
    Type: Literal["Inputs", "Outputs"]


# --------------------------------------------------------------------------
# section 2.5: WorkflowExecutions

class WorkflowExecution(Strict):
    id: Hex24 = Field(alias="_id")
    parent: Optional[DbRef]
    workflow: Optional[Hex24]
    WorkflowID: StrictStr
    WorkflowVersion: StrictInt
    Status: ExecutionStatus
    CreatedDate: IsoNaive
    SubmittedDate: Optional[IsoNaive]
    StartDate: Optional[IsoNaive]
    EndDate: Optional[IsoNaive]
    ExecutionLog: Optional[StrictStr]
    RequestedBy: StrictStr
    UserIP: StrictStr
    Task_ID: Optional[StrictStr]
    label: StrictStr
    Attempts: StrictInt
    EDMMapping: list[EDMMapping]
    workflowURI: Optional[StrictStr]
    loggerURI: Optional[StrictStr]
    Inputs: Hex24
    Outputs: Hex24
    InputsData: Optional[list[IODataItem]]
    OutputsData: Optional[list[IODataItem]]
    canBeSubmitted: Optional[StrictBool]


# --------------------------------------------------------------------------
# section 3: envelopes

T = TypeVar("T")


class Entity(Strict, Generic[T]):
    entity: T


class Pagination(Strict):
    page: StrictInt
    pageSize: StrictInt
    totalCount: StrictInt


class Collection(Strict, Generic[T]):
    collection: list[T]
    pagination: Pagination


class ExecutionCreated(Strict):
    entity: WorkflowExecution
    inserted_id: Hex24


class UploadAnswer(Strict):
    """POST /api/usecases/{ucid}/workflows (4.4, 8.2)."""
    id: Hex24
    wid: StrictStr


# --------------------------------------------------------------------------
# section 4.2, 6, 8.8: authentication

class LoginAnswer(Strict):
    access_token: StrictStr
    token_type: Literal["bearer"]
    message: Literal["Login successful"]
    expires_at: IsoAware


class RefreshAnswer(Strict):
    """No expires_at (4.2): the client logs in again next time."""
    access_token: StrictStr
    token_type: Literal["bearer"]
    message: Literal["Token refreshed successfully"]


class LogoutAnswer(Strict):
    message: Literal["Logged out and session revoked"]


class CurrentUser(Strict):
    mail: StrictStr
    name: StrictStr
    surname: StrictStr
    rights_admin: StrictBool
    id: Hex24


class User(Strict):
    """4.3 User record, password masked."""
    id: Hex24 = Field(alias="_id")
    mail: StrictStr
    name: StrictStr
    surname: StrictStr
    password: Literal["********"]
    rights_admin: StrictBool


# --------------------------------------------------------------------------
# section 4.11, 8.6, 8.7: status, statistics, settings

class ExecutionStatistics(Strict):
    totalExecutions: StrictInt
    finishedExecutions: StrictInt
    failedExecutions: StrictInt
    createdExecutions: StrictInt
    pendingExecutions: StrictInt
    scheduledExecutions: StrictInt
    runningExecutions: StrictInt

    @model_validator(mode="after")
    def _sums(self):
        parts = (self.finishedExecutions + self.failedExecutions +
                 self.createdExecutions + self.pendingExecutions +
                 self.scheduledExecutions + self.runningExecutions)
        assert min(self.model_dump().values()) >= 0, "negative count"
        assert parts <= self.totalExecutions, "parts exceed the total"
        return self


class SchedulerStat(Strict):
    load: Number
    processedTasks: StrictInt
    runningTasks: StrictInt
    scheduledTasks: StrictInt


class Status(Strict):
    mupifDBStatus: Literal["OK"]
    schedulerStatus: Literal["OK", "Failed"]
    schedulerStat: SchedulerStat
    totalStat: ExecutionStatistics


class Settings(BaseModel):
    """The first Settings document as stored, without _id (4.11, 8.5)."""
    model_config = ConfigDict(extra="allow", strict=True)
    projectName: StrictStr
    projectLogoUrl: StrictStr
    webUrl: StrictStr = None  # only if an operator added it

    @model_validator(mode="before")
    @classmethod
    def _no_id(cls, data):
        assert isinstance(data, dict), "settings is not an object"
        assert "_id" not in data, "_id must be stripped from settings"
        return data


# --------------------------------------------------------------------------
# section 1.3, 8.9: errors

class ErrorDetail(Strict):
    detail: StrictStr


class Error422(Strict):
    status_code: Literal[422]
    message: StrictStr
    data: None


# --------------------------------------------------------------------------

def _same_order(raw, dumped, where="$"):
    """The keys of raw (the wire) come in the order of dumped (the model)."""
    if isinstance(raw, dict) and isinstance(dumped, dict):
        assert list(raw) == list(dumped), \
            f"key order at {where}: {list(raw)} != model {list(dumped)}"
        for k in raw:
            _same_order(raw[k], dumped[k], f"{where}.{k}")
    elif isinstance(raw, list) and isinstance(dumped, list):
        for i, (a, b) in enumerate(zip(raw, dumped)):
            _same_order(a, b, f"{where}[{i}]")


def check(model, data, order=True):
    """Validate data (the parsed JSON) against model; with order, also the
    key order of every nested model.  Returns the model instance."""
    m = model.model_validate(data)
    if order:
        dumped = m.model_dump(by_alias=True, mode="json", round_trip=True)
        # Free-form dicts (Object, OptionsFilter, Value) have no model
        # order; _same_order compares them with themselves.
        _same_order(data, _overlay(data, dumped))
    return m


def _overlay(raw, dumped):
    """dumped, but free-form sub-dicts replaced by the raw ones, so only
    model-defined objects are order-checked."""
    if isinstance(raw, dict) and isinstance(dumped, dict):
        if set(raw) != set(dumped):
            return raw
        return {k: _overlay(raw[k], dumped[k]) for k in dumped}
    if isinstance(raw, list) and isinstance(dumped, list) and \
            len(raw) == len(dumped):
        return [_overlay(a, b) for a, b in zip(raw, dumped)]
    return dumped

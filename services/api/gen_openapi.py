#!/usr/bin/env python3
"""gen_openapi.py - writes openapi.json, the OpenAPI 3.1 document of what
the api serves (embedded in mupif-api and served at GET /api/openapi.json),
from the spec (rest-api.md sections 3, 4, 6 and 8) with the deliberate
changes of docs/authorization.md.  Edit this file, not the JSON:

    python3 services/api/gen_openapi.py services/api/openapi.json

tests/integration/test_17_openapi.py checks that the JSON is this script's
output, that it validates, that its routes are exactly the route table of
api_routes.c and that each answers on a running node; test_18 runs
schemathesis against it.
"""
import json
import sys

NULL = {"type": "null"}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(s):
    if "$ref" in s:
        return {"anyOf": [s, NULL]}
    s = dict(s)
    t = s["type"]
    s["type"] = (t if isinstance(t, list) else [t]) + ["null"]
    return s


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NUM = {"type": "number"}
OBJ = {"type": "object"}
HEX24 = {"type": "string", "pattern": "^[0-9a-f]{24}$"}


def arr(items):
    return {"type": "array", "items": items}


def obj(props, required=None, **kw):
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = list(required)
    o.update(kw)
    return o


STATUSES = ["Created", "Pending", "Scheduled", "Running", "Finished", "Failed"]
SET_PARAM_KEYS = ["Status", "Attempts", "ExecutionLog", "workflowURI",
                  "loggerURI", "Task_ID", "label", "RequestedBy",
                  "SubmittedDate"]

IOBASE = {
    "Name": STR,
    "Description": nullable(STR),
    "Type": STR,
    "Type_ID": STR,
    "ValueType": {"type": "string", "enum": ["Vector", "Scalar", "Tensor",
                  "ScalarArray", "VectorArray", "TensorArray", ""]},
    "Units": STR,
    "ObjID": {"anyOf": [STR, arr(STR), NULL]},
    "EDMPath": nullable(STR),
}
IOBASE_REQ = ["Name", "Type", "Units"]
# As emitted (api_model.c): stored values of the right JSON type pass
# through, so ValueType may be any string and ObjID any list.
IOOUT = dict(IOBASE, ValueType=STR,
             ObjID={"anyOf": [STR, {"type": "array"}, NULL]})
IOBASE_OUT = ["Name", "Description", "Type", "Type_ID", "ValueType", "Units",
              "ObjID", "EDMPath"]

schemas = {
    "Detail": obj({"detail": STR}, ["detail"],
                  description="Error body of 400/401/403/404/405/413/429/503 "
                  "(and of a 500 that the api raises on purpose)."),
    "ValidationError": obj({
        "status_code": {"type": "integer", "enum": [422]},
        "message": STR,
        "data": NULL}, ["status_code", "message", "data"],
        description="Error body of 422 (spec 1.3)."),
    "Pagination": obj({"page": INT, "pageSize": INT, "totalCount": INT},
                      ["page", "pageSize", "totalCount"]),
    "DbRef": obj({"where": STR, "id": STR}),
    "UseCase": obj({
        "_id": nullable(STR), "parent": nullable(ref("DbRef")),
        "ucid": STR, "Description": STR},
        ["_id", "parent", "ucid", "Description"]),
    "UseCaseIn": obj({
        "ucid": STR, "Description": nullable(STR), "parent": nullable(ref("DbRef")),
        "_id": nullable(STR)}, ["ucid"],
        description="A new use case. `_id` is accepted and ignored "
        "(ids are made by the db service)."),
    "Input": obj(dict(IOOUT, Compulsory=BOOL, Set_at=STR),
                 IOBASE_OUT + ["Compulsory", "Set_at"]),
    "Output": obj(dict(IOOUT, EDMList=BOOL), IOBASE_OUT + ["EDMList"]),
    "InputIn": obj(dict(IOBASE, Compulsory=BOOL, Required=BOOL,
                        TypeID=STR, Obj_ID=IOBASE["ObjID"],
                        Set_at={"type": "string",
                                "enum": ["timestep", "initialization"]}),
                   IOBASE_REQ),
    "OutputIn": obj(dict(IOBASE, EDMList=nullable(BOOL), TypeID=STR,
                         Obj_ID=IOBASE["ObjID"]), IOBASE_REQ),
    "Model": obj({"Name": STR, "Jobmanager": STR,
                  "Instantiate": nullable(BOOL)},
                 ["Name", "Jobmanager", "Instantiate"]),
    "EDMMapping": obj({
        "id": nullable(STR), "ids": nullable({"type": "array"}),
        "Name": STR, "EDMEntity": STR, "EDMList": BOOL, "DBName": STR,
        "OptionsFilter": OBJ,
        "createNew": nullable(obj({"id": nullable(STR),
                                   "ids": {"type": "array"}},
                                  ["id", "ids"])),
        "createFrom": nullable(STR)},
        ["id", "ids", "Name", "EDMEntity", "EDMList", "DBName",
         "OptionsFilter", "createNew", "createFrom"]),
    "EDMMappingIn": obj({
        "id": nullable(STR), "ids": nullable(arr(STR)), "Name": STR,
        "EDMEntity": STR, "EDMList": BOOL, "DBName": STR,
        "OptionsFilter": {"type": "object", "additionalProperties": STR},
        "createNew": nullable(obj({"id": nullable(STR),
                                   "ids": arr(STR)})),
        "createFrom": nullable(STR)}),
    "Workflow": obj({
        "_id": nullable(STR), "parent": nullable(ref("DbRef")),
        "wid": STR, "Description": STR, "GridFSID": nullable(STR),
        "UseCase": STR,
        "IOCard": obj({"Inputs": arr(ref("Input")),
                       "Outputs": arr(ref("Output"))},
                      ["Inputs", "Outputs"]),
        "modulename": STR, "classname": STR,
        "Models": arr(ref("Model")), "EDMMapping": arr(ref("EDMMapping")),
        "Version": INT},
        ["_id", "parent", "wid", "Description", "GridFSID", "UseCase",
         "IOCard", "modulename", "classname", "Models", "EDMMapping",
         "Version"]),
    "WorkflowIn": obj({
        "wid": STR, "Description": STR, "GridFSID": nullable(STR),
        "UseCase": STR,
        "IOCard": obj({"Inputs": arr(ref("InputIn")),
                       "Outputs": arr(ref("OutputIn"))},
                      ["Inputs", "Outputs"]),
        "modulename": STR, "classname": STR,
        "Models": arr(ref("Model")), "EDMMapping": arr(ref("EDMMappingIn")),
        "Version": INT, "parent": nullable(ref("DbRef")),
        "_id": nullable(STR)},
        ["wid", "Description", "UseCase", "IOCard", "modulename",
         "classname"]),
    "Link": obj({"ExecID": STR, "Name": STR, "ObjID": STR},
                ["ExecID", "Name", "ObjID"]),
    "IODataItem": obj(dict(IOOUT,
                           Value={"anyOf": [OBJ, STR, NULL]},
                           Link=ref("Link"), FileID=nullable(STR),
                           Compulsory=nullable(BOOL), Object=OBJ),
                      IOBASE_OUT + ["Value", "Link", "FileID", "Compulsory",
                                    "Object"]),
    "IOData": obj({
        "_id": nullable(STR), "parent": nullable(ref("DbRef")),
        "DataSet": arr(ref("IODataItem")), "Name": STR, "Type": STR},
        ["_id", "parent", "DataSet", "Name", "Type"]),
    "Execution": obj({
        "_id": nullable(STR), "parent": nullable(ref("DbRef")),
        "workflow": nullable(STR), "WorkflowID": STR,
        "WorkflowVersion": INT,
        "Status": {"type": "string", "enum": STATUSES},
        "CreatedDate": nullable(STR), "SubmittedDate": nullable(STR),
        "StartDate": nullable(STR), "EndDate": nullable(STR),
        "ExecutionLog": nullable(STR), "RequestedBy": STR, "UserIP": STR,
        "Task_ID": nullable(STR), "label": STR, "Attempts": INT,
        "EDMMapping": arr(ref("EDMMapping")),
        "workflowURI": nullable(STR), "loggerURI": nullable(STR),
        "Inputs": STR, "Outputs": STR,
        "InputsData": nullable(arr(ref("IODataItem"))),
        "OutputsData": nullable(arr(ref("IODataItem"))),
        "canBeSubmitted": nullable(BOOL)},
        ["_id", "parent", "workflow", "WorkflowID", "WorkflowVersion",
         "Status", "CreatedDate", "SubmittedDate", "StartDate", "EndDate",
         "ExecutionLog", "RequestedBy", "UserIP", "Task_ID", "label",
         "Attempts", "EDMMapping", "workflowURI", "loggerURI", "Inputs",
         "Outputs", "InputsData", "OutputsData", "canBeSubmitted"]),
    "User": obj({"_id": nullable(STR), "mail": STR, "name": STR, "surname": STR,
                 "password": {"type": "string", "enum": ["********"]},
                 "rights_admin": BOOL},
                ["_id", "mail", "name", "surname", "password",
                 "rights_admin"],
                description="A user record; the password is always masked."),
    "CurrentUser": obj({"mail": STR, "name": STR, "surname": STR,
                        "rights_admin": BOOL, "id": STR},
                       ["mail", "name", "surname", "rights_admin", "id"]),
    "LoginAnswer": obj({"access_token": STR,
                        "token_type": {"type": "string", "enum": ["bearer"]},
                        "message": STR, "expires_at": STR},
                       ["access_token", "token_type", "message",
                        "expires_at"]),
    "RefreshAnswer": obj({"access_token": STR,
                          "token_type": {"type": "string",
                                         "enum": ["bearer"]},
                          "message": STR},
                         ["access_token", "token_type", "message"]),
    "Message": obj({"message": STR}, ["message"]),
    "LoginForm": obj({
        "username": STR, "password": STR,
        "grant_type": {"type": "string", "enum": ["password"]},
        "scope": STR, "client_id": STR, "client_secret": STR},
        ["username", "password"]),
    "ExecutionStatistics": obj(
        {k: INT for k in ("totalExecutions", "finishedExecutions",
                          "failedExecutions", "createdExecutions",
                          "pendingExecutions", "scheduledExecutions",
                          "runningExecutions")},
        ["totalExecutions", "finishedExecutions", "failedExecutions",
         "createdExecutions", "pendingExecutions", "scheduledExecutions",
         "runningExecutions"]),
    "SchedulerStat": obj({"load": NUM, "processedTasks": INT,
                          "runningTasks": INT, "scheduledTasks": INT}),
    "Status": obj({
        "mupifDBStatus": STR,
        "schedulerStatus": {"type": "string", "enum": ["OK", "Failed"]},
        "schedulerStat": ref("SchedulerStat"),
        "totalStat": ref("ExecutionStatistics")},
        ["mupifDBStatus", "schedulerStatus", "schedulerStat", "totalStat"]),
    "Settings": {"type": "object",
                 "properties": {"projectName": STR, "projectLogoUrl": STR,
                                "webUrl": STR, "projectAbout": STR}},
    "KeyValue": obj({"key": STR, "value": STR}, ["key", "value"]),
    "SetParam": obj({"key": {"type": "string", "enum": SET_PARAM_KEYS},
                     "value": STR}, ["key", "value"],
                    description="Only these keys; a Status value must be "
                    "one of the six statuses, else 422 and nothing is "
                    "written (docs/authorization.md row 8)."),
    "IOItemPatch": obj({"link": nullable(obj({"ExecID": STR, "Name": STR,
                                              "ObjID": STR})),
                        "object": nullable(OBJ)}),
    "NameValue": obj({"name": STR, "value": STR}, ["name", "value"]),
    "NameValues": obj({"name": STR, "value": arr(STR)}, ["name", "value"]),
    "ExecutionCreate": obj({"wid": STR,
                            "version": {"type": "integer", "default": -1},
                            "ip": nullable(STR),
                            "no_edm": nullable(BOOL)}, ["wid"]),
    "SchedulerStatPatch": obj({"key": STR, "value": INT}, ["key", "value"]),
    "PasswordPatch": obj({"password": {"type": "string", "minLength": 6}},
                         ["password"],
                         description="A shorter password gets 400."),
    "UploadAnswer": obj({"id": STR, "wid": STR}, ["id", "wid"]),
}


def entity(s):
    return obj({"entity": s}, ["entity"])


def collection(s):
    return obj({"collection": arr(s), "pagination": ref("Pagination")},
               ["collection", "pagination"])


schemas["UseCaseEntity"] = entity(ref("UseCase"))
schemas["UseCaseCollection"] = collection(ref("UseCase"))
schemas["WorkflowEntity"] = entity(ref("Workflow"))
schemas["WorkflowCollection"] = collection(ref("Workflow"))
schemas["ExecutionEntity"] = entity(ref("Execution"))
schemas["ExecutionCollection"] = collection(ref("Execution"))
schemas["ExecutionCreated"] = obj({"entity": ref("Execution"),
                                   "inserted_id": STR},
                                  ["entity", "inserted_id"])
schemas["UserEntity"] = entity(ref("User"))
schemas["UserCollection"] = collection(ref("User"))
schemas["IOCollection"] = obj({"collection": arr(ref("IODataItem"))},
                              ["collection"])

ERR_TEXT = {
    400: "Bad request",
    401: "Not authenticated (with `WWW-Authenticate: Bearer`)",
    403: "Forbidden: admin only, or an execution token (a workflow "
         "run's) outside its own execution",
    404: "Not found: no such record, a malformed id, or a path parameter "
         "that is not valid UTF-8 text",
    405: "Method not allowed (with `Allow`)",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many attempts (with `Retry-After`)",
    501: "Not implemented by this server yet",
    503: "A service behind the api (db, auth, scheduler) did not answer "
         "in time; try again",
}


def json_resp(desc, schema):
    return {"description": desc,
            "content": {"application/json": {"schema": schema}}}


responses = {str(c): json_resp(t, ref("Detail")) for c, t in ERR_TEXT.items()}
for c, h, sch in ((401, "WWW-Authenticate", {"type": "string",
                                             "enum": ["Bearer"]}),
                  (405, "Allow", STR),
                  (429, "Retry-After", {"type": "string",
                                        "pattern": "^[0-9]+$"})):
    responses[str(c)]["headers"] = {h: {"schema": sch}}
responses["422"] = json_resp("Validation error (path, query or body)",
                             ref("ValidationError"))
# Request headers beyond libmicrohttpd's per-connection memory (e.g. a
# huge Cookie): its own short HTML answer, then the connection closes.
responses["431"] = {"description": "Request header fields too large "
                    "(libmicrohttpd's own HTML answer)",
                    "content": {"text/html": {"schema": STR}}}


def rref(code):
    return {"$ref": f"#/components/responses/{code}"}


def q(name, schema, desc=None):
    p = {"name": name, "in": "query", "required": False, "schema": schema}
    if desc:
        p["description"] = desc
    return p


def pp(name, desc=None, schema=None):
    p = {"name": name, "in": "path", "required": True,
         "schema": schema or {"type": "string", "minLength": 1}}
    if desc:
        p["description"] = desc
    return p


PAGE = [q("page", INT, "page number, default 1; values < 1 mean 1"),
        q("pageSize", INT, "page size, default 20; values < 1 mean 20, "
          "at most 1000")]

paths = {}


def op(method, path, summary, tag, ok, *, params=(), body=None,
       errors=(), security=None, ok_desc="OK", desc=None, no422=False):
    """One operation.  Error statuses added to `errors`: 431 and 503 always;
    401 unless public; 404 with path parameters (the router's answer to a
    parameter that is not text); 422 with query parameters or a JSON/form
    body (unless no422); 413 with any body."""
    o = {"summary": summary, "tags": [tag],
         "operationId": (method + "_" + path.replace("/api", "", 1)
                         .strip("/").replace("/", "_").replace("{", "")
                         .replace("}", "").replace("-", "_")
                         .replace(".", "_")).rstrip("_"),
         }
    if desc:
        o["description"] = desc
    if params:
        o["parameters"] = list(params)
    codes = set(errors) | {431, 503}
    if body is not None:
        if isinstance(body, tuple):        # (media type, schema)
            mt, sch = body
        else:
            mt, sch = "application/json", body
        o["requestBody"] = {"required": True, "content": {mt: {"schema": sch}}}
        codes.add(413)
        if not no422:
            codes.add(422)
    if security != []:
        # 403 too: an execution token reaches only a few routes of its
        # own execution (docs/authorization.md).
        codes |= {401, 403}
    if any(p["in"] == "path" for p in params):
        codes.add(404)
    if any(p["in"] == "query" for p in params):
        codes.add(422)
    r = {}
    if ok is not None:
        r["200"] = ok if isinstance(ok, dict) and "description" in ok \
            else json_resp(ok_desc, ok)
    for c in sorted(codes):
        r[str(c)] = rref(c)
    o["responses"] = r
    if security is not None:
        o["security"] = security
    paths.setdefault(path, {})[method] = o


PUBLIC = []

# ---- root and this document
paths["/api"] = {"get": {
    "summary": "Redirect to this document", "tags": ["Documentation"],
    "operationId": "get_root", "security": PUBLIC,
    "responses": {
        "307": {"description": "Temporary redirect",
                "headers": {"Location": {
                    "schema": {"type": "string",
                               "enum": ["/api/openapi.json"]}}}}}}}
op("get", "/api/openapi.json", "This document", "Documentation", OBJ,
   security=PUBLIC)

# ---- 4.2 Authentication
op("post", "/api/login", "Log in: an access token, also set as the "
   "access_token cookie", "Authentication", ref("LoginAnswer"),
   body=("application/x-www-form-urlencoded", ref("LoginForm")),
   errors=(400, 429), security=PUBLIC,
   desc="Failed logins are rate limited per user name and per client "
   "address (429).")
op("post", "/api/refresh_token", "A new access token for the same session "
   "(Bearer header only, no cookie)", "Authentication",
   ref("RefreshAnswer"), security=[{"bearerAuth": []}])
op("post", "/api/logout", "Revoke the session of the token (cookie first, "
   "then Bearer) and clear the cookie; never fails", "Authentication",
   ref("Message"), security=PUBLIC)
op("post", "/api/register", "Create a user (403 unless the node sets "
   "`registration = on`)", "Authentication", ref("User"),
   body=("application/x-www-form-urlencoded", ref("LoginForm")),
   errors=(400, 403, 429), security=PUBLIC)
op("get", "/api/current_user", "The logged-in user", "Authentication",
   ref("CurrentUser"))

# ---- 4.3 Users
op("get", "/api/users", "List users (admin)", "Users", ref("UserCollection"),
   params=PAGE, errors=(403,))
op("get", "/api/users/{user_id}", "One user (admin or self)", "Users",
   ref("UserEntity"), params=[pp("user_id")], errors=(403,))
op("patch", "/api/users/{user_id}", "Change a password (admin or self)",
   "Users", ref("User"), params=[pp("user_id")], body=ref("PasswordPatch"),
   errors=(400, 403))

# ---- 4.4 Use cases
op("get", "/api/usecases", "List use cases", "Usecases",
   ref("UseCaseCollection"), params=PAGE)
op("post", "/api/usecases", "Create a use case; the new id", "Usecases",
   STR, body=ref("UseCaseIn"))
op("get", "/api/usecases/{uid}", "One use case by ucid", "Usecases",
   ref("UseCaseEntity"), params=[pp("uid")])
op("get", "/api/usecases/{uid}/workflows", "Workflows of a use case",
   "Usecases", ref("WorkflowCollection"), params=[pp("uid")] + PAGE)
op("post", "/api/usecases/{uid}/workflows",
   "Upload a workflow (admin); its metadata is read by the scheduler "
   "service in a sandbox", "Usecases", ref("UploadAnswer"),
   params=[pp("uid", "the ucid of the use case (not checked)")],
   body=("multipart/form-data", obj({
       "workflow_file": {"type": "string", "format": "binary"},
       "additional_files": arr({"type": "string", "format": "binary"})},
       ["workflow_file"])),
   errors=(400, 403, 409, 415))

# ---- 4.5 Workflows
op("get", "/api/workflows", "List current workflows", "Workflows",
   ref("WorkflowCollection"), params=PAGE)
op("post", "/api/workflows", "Insert a workflow record (admin)",
   "Workflows", STR, body=ref("WorkflowIn"), errors=(403,))
op("patch", "/api/workflows", "Overwrite the workflow with this wid "
   "(admin)", "Workflows", ref("Workflow"), body=ref("WorkflowIn"),
   errors=(403, 404))
op("get", "/api/workflows/{uid}", "One workflow by id", "Workflows",
   ref("WorkflowEntity"), params=[pp("uid")])
op("post", "/api/workflows_history", "Insert a history record (admin)",
   "Workflows", STR, body=ref("WorkflowIn"), errors=(403,))
op("get", "/api/workflows_by_wid/{workflow_id}", "Current version of a "
   "workflow", "Workflows", ref("WorkflowEntity"),
   params=[pp("workflow_id")])
op("get", "/api/workflows_by_wid/{workflow_id}/version/{workflow_version}",
   "One version of a workflow (-1 = current)", "Workflows",
   ref("WorkflowEntity"),
   params=[pp("workflow_id"), pp("workflow_version", schema=INT)],
   errors=(422,))

# ---- 4.6 Executions
EID = pp("uid", "execution id (24 hex digits; anything else is 404)")
op("get", "/api/executions", "List executions, newest first", "Executions",
   ref("ExecutionCollection"), params=[
       q("status", STR, "exact status"),
       q("workflow_id", STR), q("workflow_version", INT, "0 = any"),
       q("label", STR)] + PAGE + [
       q("num_limit", INT, "deprecated; overrides pageSize; 0 or less = "
         "all, capped at 5000")])
op("post", "/api/executions/create", "Create an execution of a workflow "
   "version", "Executions", ref("ExecutionCreated"),
   body=ref("ExecutionCreate"), errors=(404,))
op("get", "/api/executions/{uid}", "One execution, with its inputs and "
   "outputs", "Executions", ref("ExecutionEntity"), params=[EID])
op("get", "/api/edm_execution/{uid}", "Same as GET /api/executions/{uid}",
   "Executions", ref("ExecutionEntity"), params=[EID])
for io in ("inputs", "outputs"):
    op("get", f"/api/executions/{{uid}}/{io}", f"The {io} (bare list)",
       "Executions", arr(ref("IODataItem")), params=[EID])
for io, st in (("input", "Created"), ("output", "Running")):
    for suffix, extra in (("/{name}", []), ("/{name}/{obj_id}",
                                            [pp("obj_id")])):
        path = f"/api/executions/{{uid}}/{io}_item{suffix}"
        ps = [EID, pp("name")] + extra
        op("get", path, f"One {io} item" + ("" if extra else
                                             " whose ObjID is empty"),
           "Executions", ref("IODataItem"), params=ps)
        op("patch", path, f"Set an {io} item's Link or Object (only while "
           f"the execution is {st}); true if written",
           "Executions", BOOL, params=ps, body=ref("IOItemPatch"))
op("get", "/api/executions/{uid}/check_inputs", "Whether the compulsory "
   "inputs are set", "Executions", BOOL, params=[EID])
for sfx, b in (("id", "NameValue"), ("ids", "NameValues")):
    op("patch", f"/api/executions/{{uid}}/set_onto_base_object_{sfx}",
       "Bind the execution's EDM mapping named `name` to EDM object "
       + ("id `value`" if sfx == "id" else "ids `value`"),
       "Executions", ref("ExecutionEntity"), params=[EID], body=ref(b))
op("patch", "/api/executions/{uid}/set_param", "Set one field of an "
   "execution", "Executions", ref("ExecutionEntity"), params=[EID],
   body=ref("SetParam"))
op("patch", "/api/executions/{uid}/schedule", "Set the status to Pending "
   "(only from Created, Finished or Failed; else 409) and wake the "
   "scheduler", "Executions", ref("ExecutionEntity"), params=[EID],
   errors=(409,))
op("patch", "/api/executions/{uid}/cancel", "Cancel an execution: a "
   "Pending one goes back to Created, the run of a Scheduled or Running one "
   "is stopped (it ends Failed); 409 when there is nothing to cancel",
   "Executions", ref("ExecutionEntity"),
   params=[EID], errors=(409,))
op("get", "/api/executions/{uid}/livelog/{num}", "The last `num` lines "
   "(all kept when `num` <= 0) of a running execution's output, from the "
   "scheduler; [] when it is not running.  Nothing is unpickled.",
   "Executions", arr(STR),
   params=[EID, pp("num", "number of lines (an integer; <= 0: all)",
                   {"type": "string", "pattern": "^-?[0-9]{1,10}$"})],
   errors=(422,))

# ---- 4.7 IOData
op("get", "/api/iodata/{uid}", "One IOData record", "IOData", ref("IOData"),
   params=[pp("uid")])

# ---- 4.8 Files
op("get", "/api/file/{uid}", "Download a file", "Files",
   {"description": "The file's bytes, with `Content-Disposition: "
    "attachment; filename=<name>`",
    "headers": {"Content-Disposition": {"schema": {
        "type": "string", "pattern": "^attachment; filename=.+$"}}},
    "content": {"application/octet-stream": {
        "schema": {"type": "string", "format": "binary"}}}},
   params=[pp("uid")])
op("post", "/api/file", "Upload a file; its id", "Files", STR,
   body=("multipart/form-data", obj({
       "file": {"type": "string", "format": "binary"}}, ["file"])),
   errors=(409, 415))

# ---- 4.11 Status, statistics, settings
op("get", "/api/status", "Database and scheduler status", "Stats",
   ref("Status"))
op("get", "/api/execution_statistics", "Execution counts by status",
   "Stats", ref("ExecutionStatistics"))
op("get", "/api/settings", "The settings record, as stored", "Settings",
   ref("Settings"))
op("get", "/api/database/maybe_init", "Always false: the db seeds itself "
   "at its first start", "Settings", BOOL)
op("get", "/api/scheduler_statistics", "The scheduler's counters", "Stats",
   ref("SchedulerStat"))
op("patch", "/api/scheduler_statistics", "Set one scheduler counter; "
   "false for an unknown key", "Stats", BOOL,
   body=ref("SchedulerStatPatch"))


# ---- links (for stateful tests: the ids an answer gives to later calls)
def link(op_id, **params):
    return {"operationId": op_id, "parameters": params}


def add_links(path, method, links):
    paths[path][method]["responses"]["200"]["links"] = links


EX = "$response.body#/inserted_id"
add_links("/api/executions/create", "post", {
    "GetExecution": link("get_executions_uid", uid=EX),
    "GetInputs": link("get_executions_uid_inputs", uid=EX),
    "GetOutputs": link("get_executions_uid_outputs", uid=EX),
    "CheckInputs": link("get_executions_uid_check_inputs", uid=EX),
    "Schedule": link("patch_executions_uid_schedule", uid=EX),
    "SetParam": link("patch_executions_uid_set_param", uid=EX),
    "SetInput": link("patch_executions_uid_input_item_name_obj_id",
                     uid=EX),
    "GetInputsIOData": link("get_iodata_uid",
                            uid="$response.body#/entity/Inputs"),
})
add_links("/api/usecases/{uid}/workflows", "post", {
    "GetWorkflow": link("get_workflows_uid", uid="$response.body#/id"),
    "GetWorkflowByWid": link("get_workflows_by_wid_workflow_id",
                             workflow_id="$response.body#/wid"),
    "CreateExecution": {"operationId": "post_executions_create",
                        "requestBody": {"wid": "$response.body#/wid",
                                        "version": -1}},
})
# (No link from POST /api/usecases: a ucid may be "", and
# /api/usecases/ is the list.)
add_links("/api/current_user", "get", {
    "GetUser": link("get_users_user_id", user_id="$response.body#/id"),
})

# The use case the db seeds at its first start (docs/authorization.md 16).
for path in ("/api/usecases/{uid}", "/api/usecases/{uid}/workflows"):
    for m, o in paths[path].items():
        for prm in o["parameters"]:
            if prm["name"] == "uid":
                prm["example"] = "Demo"

doc = {
    "openapi": "3.1.0",
    "info": {
        "title": "MuPIF Central REST API",
        "version": "1.0.0",
        "description": (
            "The mupifDB REST API as served by MuPIF Central's api service "
            "(spec: rest-api.md sections 3, 4, 6, 8; deliberate changes: "
            "docs/authorization.md). Every path is also served with a "
            "trailing slash; only the form without it is listed. "
            "`/api/executions/{uid}/input_item/{name}` and "
            "`.../output_item/{name}` are also served as `.../{name}//` "
            "(what the client sends for an empty obj_id). An unknown path "
            "gives 404 and a known path with another method 405, both "
            "with a `{\"detail\"}` body.")},
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    "paths": paths,
    "components": {
        "schemas": schemas,
        "responses": responses,
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "the access_token of POST "
                           "/api/login (opaque)"},
            "cookieAuth": {"type": "apiKey", "in": "cookie",
                           "name": "access_token"}}},
}

out = sys.argv[1] if len(sys.argv) > 1 else "-"
text = json.dumps(doc, indent=1) + "\n"
if out == "-":
    sys.stdout.write(text)
else:
    with open(out, "w") as f:
        f.write(text)

"""Helpers for the REST API tests (test_13, test_15, test_16): start a node
whose api and auth answer, create users with the operator's CLI
(`mupif-central user add EMAIL [--admin]`, password on standard input),
and a Client that performs exactly the HTTP exchanges of mupifDB's
official client (mupifDB.api.client_mupif + client_util, as described in
../shared/spec/rest-api.md section 6.5 and 7.1).

Everything is real: real processes, real HTTP over TCP, no mocks.
"""
import datetime
import io
import json
import os
import re
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import requests

from conftest import CENTRAL, ROOT, Node

HERE = Path(__file__).resolve().parent
WORKFLOWS = HERE / "workflows"

ADMIN = "admin@example.org"
ADMIN_PW = "admin-pass-1"
USER = "user@example.org"
USER_PW = "user-pass-1"

# The official client's time-outs (spec 6.5): 4 s, 15 s for the list.
TIMEOUT = 4
LIST_TIMEOUT = 15


# --------------------------------------------------------------------------
# the node

def api_port(node):
    m = re.search(r"^api_port = (\d+)$", node.conf.read_text(), re.M)
    return int(m.group(1))


def api_url(node):
    """The base URL the way MUPIFDB_REST_SERVER holds it."""
    return f"http://127.0.0.1:{api_port(node)}/"


def add_user(node, email, password, admin=False, check=True):
    """`mupif-central user add EMAIL [--admin]`, the password on stdin."""
    args = [str(CENTRAL), "--config", str(node.conf), "--persistent",
            str(node.persist), "user", "add", email]
    if admin:
        args.append("--admin")
    r = subprocess.run(node.prefix + args, input=password + "\n",
                       env=node.env, capture_output=True, text=True,
                       timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"user add {email}: rc={r.returncode}\n"
                             f"{r.stdout}\n{r.stderr}")
    return r


def wait_api(node, timeout=30):
    """Wait until the launcher runs, the db answers (/status2/) and the api
    answers a login attempt for an unknown user with 400 (api -> auth ->
    db all up).  Does not rely on conftest.SERVICES."""
    url = api_url(node) + "api/login"
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if node.proc.poll() is not None:
            raise AssertionError("launcher exited: " + node.out.read_text())
        if node.dms_ok():
            try:
                r = requests.post(url, data={"username": "nobody@nowhere",
                                             "password": "x" * 8},
                                  timeout=2)
                last = r.status_code
                if r.status_code == 400:
                    return
            except requests.RequestException as e:
                last = repr(e)
        time.sleep(0.1)
    raise AssertionError(f"api not ready (last: {last}):\n" +
                         node.out.read_text() + node.log("api") +
                         node.log("auth"))


def start_api_node(node, users=True):
    """Start node (a conftest.Node not yet started), wait for the api and
    create the admin and an ordinary user."""
    node.start(wait=False)
    wait_api(node)
    if users:
        add_user(node, ADMIN, ADMIN_PW, admin=True)
        add_user(node, USER, USER_PW, admin=False)
    return node


def new_node(tmp, extra_conf="", env=None):
    return Node(tmp, extra_conf, env)


# A node whose scheduler runs nothing (run_slots = 0): the api tests drive
# an execution's statuses themselves; a real scheduler, woken at once by
# PATCH .../schedule (sched.wake), would otherwise take their Pending
# executions and run them.
NO_RUNS = "run_slots = 0\n"


def mongo_conf(uri, tag=""):
    return (f"db_backend = mongo\nmongo_uri = {uri}/\n"
            f"mongo_db = t{os.getpid()}_{int(time.time() * 1000) % 10**9}{tag}\n")


def db_export(node):
    """`mupif-central db export`: every document and file as JSON lines."""
    r = node.cli("db", "export")
    assert r.returncode == 0, r.stderr
    return r.stdout


def db_fingerprint(node, skip=("session",)):
    """What the database holds, minus the collections in skip (logins write
    sessions): a sorted list of document and file lines of db export."""
    out = []
    for line in db_export(node).splitlines():
        d = json.loads(line)
        if "collection" in d and d["collection"] in skip:
            continue
        if "format" in d or "end" in d:
            continue
        out.append(line)
    return sorted(out)


# --------------------------------------------------------------------------
# sample workflows (plain Python classes: mupif is not installable here;
# the inspector reads getAllMetadata() of the module's single class)

def workflow_metadata(wid, classname, description="Calculates a product",
                      edm=True):
    """Metadata in the spelling a mupif workflow uses (Obj_ID, Required),
    which the api must store as ObjID and Compulsory (spec 1.3)."""
    md = {
        "ClassName": classname,
        "ModuleName": classname.lower(),
        "Name": "API test workflow",
        "ID": wid,
        "Timeout": 30,
        "Description": description,
        "Inputs": [
            {"Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
             "Name": "Value_1", "Obj_ID": "1", "Description": "Input value 1",
             "Units": "s", "Required": True, "Set_at": "timestep",
             "ValueType": "Scalar"},
            {"Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
             "Name": "Value_2", "Obj_ID": "2", "Description": "Input value 2",
             "Units": "s", "Required": True, "Set_at": "timestep",
             "ValueType": "Scalar"},
            {"Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
             "Name": "Delay", "Obj_ID": "delay",
             "Description": "Optional delay", "Units": "s",
             "Required": False, "Set_at": "timestep", "ValueType": "Scalar"},
        ],
        "Outputs": [
            {"Type": "mupif.Property", "Type_ID": "mupif.DataID.PID_Time",
             "Name": "Multiplication_result",
             "Description": "Result of multiplication", "Units": "s^2",
             "ValueType": "Scalar", "Obj_ID": ""},
        ],
        "Models": [{"Name": "m1", "Jobmanager": "CVUT.demo01"}],
    }
    if edm:
        md["EDMMapping"] = [{"Name": "beam", "EDMEntity": "Beam",
                             "DBName": "dms0"}]
    return md


def workflow_source(wid, classname="ApiTestWorkflow", **kw):
    """A workflow module: one class, metadata through getAllMetadata() and
    getMetadata(), no mupif import."""
    md = workflow_metadata(wid, classname, **kw)
    return (
        '"""Sample workflow for the REST API tests (no mupif needed)."""\n'
        f"MD = {md!r}\n\n\n"
        f"class {classname}:\n"
        "    def __init__(self, metadata=None):\n"
        "        self.metadata = dict(MD)\n"
        "        self.metadata.update(metadata or {})\n\n"
        "    def getAllMetadata(self):\n"
        "        return self.metadata\n\n"
        "    def getMetadata(self, key, default=None):\n"
        "        return self.metadata.get(key, default)\n\n"
        "    def solve(self, runInBackground=False):\n"
        "        pass\n"
    ).encode()


def write_workflow(dirpath, wid, modulename, classname="ApiTestWorkflow",
                   **kw):
    p = Path(dirpath) / f"{modulename}.py"
    p.write_bytes(workflow_source(wid, classname, **kw))
    return p


def zip_names(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return z.namelist()


# ConstantProperty objects as the UI and the runner store them (2.6, 8.4).
def const_property(value, unit="s"):
    return {"ClassName": "ConstantProperty", "ValueType": "Scalar",
            "DataID": "PID_Time", "Unit": unit, "Value": value, "Time": None}


# --------------------------------------------------------------------------
# the client

class NotFoundResponse(Exception):
    """client_util.NotFoundResponse: the API answered 404."""


class Client:
    """mupifDB.api.client_mupif, one method per client function, each doing
    exactly the same HTTP exchange (method, path with the client's trailing
    slashes, headers, body encoding, time-out).  Methods return the parsed
    JSON body of a 2xx answer as a whole (the tests validate envelopes,
    where the client would index into them); self.last is the last
    requests.Response.  404 raises NotFoundResponse, other non-2xx raise
    RuntimeError, like client_util._check().

    raw() sends anything, with the client's headers, and returns the
    Response unchecked (for negative tests)."""

    def __init__(self, base_url, username=None, password=None):
        # client_util: "RESTserver *must* have trailing /"
        self.RESTserver = base_url if base_url.endswith("/") else base_url + "/"
        self.api_credentials = {"username": username or "",
                                "password": password or ""}
        self.API_CREDENTIALS_FILE = None if username is None else "set"
        self.bearer_token = {}
        self.bearer_token_expires_at = 0.0
        self.last = None
        self.exchanges = []        # (method, path, status) of every request

    # ---- client_util ---------------------------------------------------

    def _record(self, r):
        self.last = r
        self.exchanges.append((r.request.method,
                               r.request.path_url, r.status_code))

    def _check(self, r):
        self._record(r)
        if 200 <= r.status_code <= 299:
            return r
        msg = (f"{r.request.method} {r.request.url}, status "
               f"{r.status_code} ({r.reason}): {r.text}")
        if r.status_code == 404:
            raise NotFoundResponse(msg)
        raise RuntimeError("Error: " + msg)

    def rGetRaw(self, path, *, headers=None, timeout=TIMEOUT, params=None,
                allow_redirects=True):
        return self._check(requests.get(
            url=self.RESTserver + path, timeout=timeout, headers=headers,
            params=params or {}, allow_redirects=allow_redirects))

    def rPostRaw(self, path, *, headers=None, data=None, json=None,
                 timeout=TIMEOUT, files=None, allow_redirects=True):
        return self._check(requests.post(
            url=self.RESTserver + path, timeout=timeout, headers=headers,
            data=data, json=json, files=files or {},
            allow_redirects=allow_redirects))

    def rPatchRaw(self, path, *, headers=None, data=None, json=None,
                  timeout=TIMEOUT):
        return self._check(requests.patch(
            url=self.RESTserver + path, timeout=timeout, headers=headers,
            data=data, json=json))

    def rGet(self, *a, **kw):
        return self.rGetRaw(*a, **kw).json()

    def rPost(self, *a, **kw):
        return self.rPostRaw(*a, **kw).json()

    def rPatch(self, *a, **kw):
        return self.rPatchRaw(*a, **kw).json()

    # ---- authentication (6.5) -------------------------------------------

    def getAuthToken(self):
        if self.API_CREDENTIALS_FILE is None or (
                self.api_credentials["username"] == "" and
                self.api_credentials["password"] == ""):
            return None
        time_secs = datetime.datetime.now().timestamp()
        if time_secs > self.bearer_token_expires_at - 10:
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "Accept-Charset": "UTF-8",
                       "Accept": "application/json"}
            # The original prints and returns None on any error; here a
            # failure to log in is a test failure, so it propagates.
            response = self.rPost("api/login", data={
                "grant_type": "password",
                "username": self.api_credentials["username"],
                "password": self.api_credentials["password"],
            }, headers=headers)
            self.bearer_token = response
            self.bearer_token_expires_at = 0
            if "expires_at" in self.bearer_token:
                dt = datetime.datetime.fromisoformat(
                    self.bearer_token["expires_at"])
                self.bearer_token_expires_at = dt.timestamp()
        elif time_secs > self.bearer_token_expires_at - 15 * 60:
            headers = {"Content-Type": "application/json",
                       "Accept-Charset": "UTF-8",
                       "Accept": "application/json",
                       "Authorization":
                           f"Bearer {self.bearer_token['access_token']}"}
            response = self.rPost("api/refresh_token", headers=headers)
            self.bearer_token = response
            self.bearer_token_expires_at = 0
            if "expires_at" in self.bearer_token:
                dt = datetime.datetime.fromisoformat(
                    self.bearer_token["expires_at"])
                self.bearer_token_expires_at = dt.timestamp()
        return self.bearer_token

    def getRequestHeaders(self, content_type=None):
        headers = {"Accept-Charset": "UTF-8"}
        if content_type is not None:
            headers["Content-type"] = content_type
        token = self.getAuthToken()
        if token is not None:
            headers["Authorization"] = f"Bearer {token['access_token']}"
        return headers

    @property
    def token(self):
        self.getAuthToken()
        return self.bearer_token["access_token"]

    def raw(self, method, path, auth=True, headers=None, **kw):
        """Any request, with the client's headers (unless auth=False),
        unchecked."""
        h = self.getRequestHeaders() if auth else {"Accept-Charset": "UTF-8"}
        h.update(headers or {})
        kw.setdefault("timeout", TIMEOUT)
        r = requests.request(method, self.RESTserver + path, headers=h, **kw)
        self._record(r)
        return r

    # ---- use cases -------------------------------------------------------

    def getUsecaseRecords(self):
        return self.rGet("api/usecases", headers=self.getRequestHeaders())

    def getUsecaseRecord(self, ucid):
        return self.rGet(f"api/usecases/{ucid}",
                         headers=self.getRequestHeaders())

    def insertUsecaseRecord(self, ucid, description):
        return self.rPost("api/usecases/", data=json.dumps(
            {"ucid": ucid, "Description": description}),
            headers=self.getRequestHeaders())

    # ---- workflows -------------------------------------------------------

    def getWorkflowRecords(self):
        return self.rGet("api/workflows", headers=self.getRequestHeaders())

    def getWorkflowRecordsWithUsecase(self, usecase):
        return self.rGet(f"api/usecases/{usecase}/workflows",
                         headers=self.getRequestHeaders())

    def getWorkflowRecord(self, wid, version):
        return self.rGet(f"api/workflows_by_wid/{wid}/version/{version}",
                         headers=self.getRequestHeaders())

    def postWorkflowFiles(self, usecaseid, path_workflow, paths_additional=()):
        """The client's multipart upload.  The original puts a list of
        tuples under 'additional_files', which requests cannot encode
        (spec 9.3); here additional files go as repeated parts, which is
        what the server expects."""
        files = [("workflow_file", (os.path.basename(path_workflow),
                                    open(path_workflow, "rb"),
                                    "application/octet-stream"))]
        for p in paths_additional:
            files.append(("additional_files",
                          (os.path.basename(p), open(p, "rb"),
                           "application/octet-stream")))
        try:
            return self.rPost(f"api/usecases/{usecaseid}/workflows",
                              files=files, headers=self.getRequestHeaders())
        finally:
            for _, (_, f, _) in files:
                f.close()

    def uploadWorkflowParts(self, usecaseid, parts):
        """Multipart upload of arbitrary parts [(field, (name, bytes, ct))],
        unchecked."""
        r = requests.post(self.RESTserver +
                          f"api/usecases/{usecaseid}/workflows",
                          files=parts, headers=self.getRequestHeaders(),
                          timeout=TIMEOUT)
        self._record(r)
        return r

    # ---- executions ------------------------------------------------------

    def getExecutionRecords(self, workflow_id=None, workflow_version=None,
                            label=None, num_limit=None, status=None):
        query = "api/executions/?noparam"
        if workflow_version is not None and workflow_version < 0:
            workflow_version = None
        for n, a in [("num_limit", num_limit), ("label", label),
                     ("workflow_id", workflow_id),
                     ("workflow_version", workflow_version),
                     ("status", status)]:
            if a is not None:
                query += f"&{n}={str(a)}"
        return self.rGet(query, headers=self.getRequestHeaders(),
                         timeout=LIST_TIMEOUT)

    def getExecutionRecord(self, weid):
        return self.rGet(f"api/executions/{weid}",
                         headers=self.getRequestHeaders())

    def getPendingExecutions(self, num_limit=None):
        return self.getExecutionRecords(status="Pending", num_limit=num_limit)

    def getScheduledExecutions(self, num_limit=None):
        return self.getExecutionRecords(status="Scheduled",
                                        num_limit=num_limit)

    def scheduleExecution(self, execution_id):
        return self.rPatch(f"api/executions/{execution_id}/schedule",
                           headers=self.getRequestHeaders())

    def setExecutionParameter(self, execution_id, param, value,
                              val_type="str"):
        return self.rPatch(f"api/executions/{execution_id}/set_param",
                           data=json.dumps({"key": str(param),
                                            "value": value}),
                           headers=self.getRequestHeaders())

    def setExecutionAttemptsCount(self, execution_id, val):
        return self.setExecutionParameter(execution_id, "Attempts", str(val),
                                          "int")

    def setExecutionStatus(self, execution_id, status, revertPending=False):
        if status == "Created":
            self.setExecutionParameter(execution_id, "SubmittedDate",
                                       str(datetime.datetime.now()))
        elif status == "Pending" and not revertPending:
            self.setExecutionAttemptsCount(execution_id, 0)
        return self.setExecutionParameter(execution_id, "Status", status)

    def setExecutionOntoBaseObjectID(self, execution_id, name, value):
        return self.rPatch(
            f"api/executions/{execution_id}/set_onto_base_object_id/",
            data=json.dumps({"name": str(name), "value": value}),
            headers=self.getRequestHeaders())

    def setExecutionOntoBaseObjectIDs(self, execution_id, name, value):
        return self.rPatch(
            f"api/executions/{execution_id}/set_onto_base_object_ids/",
            data=json.dumps({"name": str(name), "value": value}),
            headers=self.getRequestHeaders())

    def createExecution(self, wid, version, ip, no_edm=False):
        # WorkflowExecutionCreate_Model(...).model_dump_json()
        body = json.dumps({"wid": wid, "version": version, "ip": ip,
                           "no_edm": no_edm}, separators=(",", ":"))
        return self.rPost("api/executions/create/", data=body,
                          headers=self.getRequestHeaders())

    def getExecutionInputRecord(self, weid):
        return self.rGet(f"api/executions/{weid}/inputs/",
                         headers=self.getRequestHeaders())

    def getExecutionOutputRecord(self, weid):
        return self.rGet(f"api/executions/{weid}/outputs/",
                         headers=self.getRequestHeaders())

    def setExecutionInputLink(self, weid, name, obj_id, link_eid, link_name,
                              link_obj_id):
        return self.rPatch(
            f"api/executions/{weid}/input_item/{name}/{obj_id}/",
            data=json.dumps({"link": {"ExecID": link_eid, "Name": link_name,
                                      "ObjID": link_obj_id}}),
            headers=self.getRequestHeaders())

    def setExecutionInputObject(self, weid, name, obj_id, object_dict):
        return self.rPatch(
            f"api/executions/{weid}/input_item/{name}/{obj_id}/",
            data=json.dumps({"object": object_dict}),
            headers=self.getRequestHeaders())

    def setExecutionOutputObject(self, weid, name, obj_id, object_dict):
        return self.rPatch(
            f"api/executions/{weid}/output_item/{name}/{obj_id}/",
            data=json.dumps({"object": object_dict}),
            headers=self.getRequestHeaders())

    # ---- IO data ---------------------------------------------------------

    def getIODataRecord(self, iod_id):
        return self.rGet(f"api/iodata/{iod_id}",
                         headers=self.getRequestHeaders())

    # ---- files -----------------------------------------------------------

    def getBinaryFileByID(self, fid):
        response = self.rGetRaw(f"api/file/{fid}",
                                headers=self.getRequestHeaders())
        d = response.headers["Content-Disposition"]
        filename = re.findall("filename=(.+)", d)[0]
        return response.content, filename

    def uploadBinaryFile(self, binary_data):
        return self.rPost("api/file/", files={"file": binary_data},
                          headers=self.getRequestHeaders())

    # ---- statistics, status, settings -------------------------------------

    def getStatus(self):
        return self.rGet("api/status/", headers=self.getRequestHeaders())

    def getExecutionStatistics(self):
        return self.rGet("api/execution_statistics/",
                         headers=self.getRequestHeaders())

    def updateStatScheduler(self, runningTasks=None, scheduledTasks=None,
                            load=None, processedTasks=None):
        out = []
        for k, v in (("runningTasks", runningTasks),
                     ("scheduledTasks", scheduledTasks), ("load", load),
                     ("processedTasks", processedTasks)):
            if v is not None:
                out.append(self.rPatch(
                    "api/scheduler_statistics/",
                    data=json.dumps({"key": f"scheduler.{k}", "value": v}),
                    headers=self.getRequestHeaders()))
        return out

    def getSettings(self, maybe_init_db=False):
        if maybe_init_db:
            self.rGet("api/database/maybe_init",
                      headers=self.getRequestHeaders())
        return self.rGet("api/settings", headers=self.getRequestHeaders())

    def maybeInit(self):
        return self.rGet("api/database/maybe_init",
                         headers=self.getRequestHeaders())


def login(base_url, username, password):
    """One login exchange as the client does it; returns the Response."""
    return requests.post(base_url + "api/login", data={
        "grant_type": "password", "username": username,
        "password": password},
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Accept-Charset": "UTF-8", "Accept": "application/json"},
        timeout=TIMEOUT)


# --------------------------------------------------------------------------
# raw HTTP, for bodies requests would not send the way we want

def raw_http(port, head, body=b"", read_timeout=10, chunks=None):
    """Send head (bytes, request line and headers, without the final empty
    line) and body over one TCP connection; with chunks, send those one by
    one and stop as soon as the server starts answering.  Returns
    (status, headers dict lower-case, body bytes)."""
    import select
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        s.sendall(head + b"\r\n\r\n")
        try:
            if body:
                s.sendall(body)
            for c in chunks or ():
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    break
                s.sendall(c)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while b"\r\n\r\n" not in data:
            b = s.recv(65536)
            if not b:
                break
            data += b
        hdr, _, rest = data.partition(b"\r\n\r\n")
        lines = hdr.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "-1"))
        s.settimeout(read_timeout)
        try:
            while n < 0 or len(rest) < n:
                b = s.recv(65536)
                if not b:
                    break
                rest += b
        except (socket.timeout, ConnectionResetError):
            pass
        return status, headers, rest
    finally:
        s.close()

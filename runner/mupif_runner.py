"""mupif_runner.py - the workflow runner of MuPIF Central.

Started by the C scheduler (services/scheduler) for one execution, inside
the execution's sandbox, as

    /usr/bin/python3 -I -S -B /path/runner/mupif_runner.py -eid <execution id>

with cwd = the work directory holding the extracted workflow files
(<modulename>.py and the additional files).  It follows the contract of
mupifDB's workflow_execution_script.py + workflowmanager.py
(spec/scheduler.md sections 10 and 13):

  fetch the execution and its workflow record -> import <modulename> from
  the cwd -> instantiate <classname> -> initialize(metadata={"Execution":
  {...}}) -> mapInputs (workflow.set) -> solve() -> mapOutputs
  (workflow.get, PATCH output_item) -> terminate().

Environment (nothing else is read):
  MUPIFDB_REST_SERVER   base URL, e.g. http://127.0.0.1:8005/ (API under api/)
  API_TOKEN_FILE        file whose content is a bearer token (per execution)
  API_CREDENTIALS_FILE  used only without API_TOKEN_FILE: JSON
                        {"username", "password"} -> POST api/login
  MUPIF_NS              host:port of the nameserver (may be empty)
  MUPIF_RUNNER_STANDIN  path of mupif_standin.py, loaded as `mupif` when
                        the real mupif package cannot be imported

Exit codes: 0 success, 1 any error (traceback on stderr), 2
mupif.JobManNoResourcesException (the scheduler requeues).  The runner
never sets the execution Status: the scheduler maps the exit code.  It
never prints the token.
"""
import os
import sys


def _setup_path():
    # -S skipped site: add the interpreter's own site directories (where an
    # operator installs mupif), then the work directory first.
    try:
        import site
        for d in site.getsitepackages():
            if os.path.isdir(d) and d not in sys.path:
                site.addsitedir(d)
    except Exception:
        pass
    cwd = os.getcwd()
    while cwd in sys.path:
        sys.path.remove(cwd)
    sys.path.insert(0, cwd)


_setup_path()

import importlib                                    # noqa: E402
import importlib.util                               # noqa: E402
import json                                         # noqa: E402
import re                                           # noqa: E402
import traceback                                    # noqa: E402
import urllib.error                                 # noqa: E402
import urllib.parse                                 # noqa: E402
import urllib.request                               # noqa: E402

TIMEOUT = 30


def say(msg):
    print("runner: " + msg, flush=True)


class NotFound(Exception):
    pass


# ---------------------------------------------------------------------------
# mupif

def load_mupif():
    """The real mupif if importable, else the stand-in as `mupif`."""
    try:
        import mupif
        if not getattr(mupif, "STANDIN", False):
            say(f"using mupif {getattr(mupif, '__version__', '?')}")
        return mupif, False
    except ImportError as e:
        first = e
    path = os.environ.get("MUPIF_RUNNER_STANDIN", "")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        cand = os.path.join(here, "mupif_standin.py")
        path = cand if os.path.isfile(cand) else ""
    if not path:
        raise ImportError(f"mupif not importable ({first}) and no "
                          "MUPIF_RUNNER_STANDIN")
    spec = importlib.util.spec_from_file_location("mupif", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["mupif"] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        del sys.modules["mupif"]
        raise
    say("using the mupif stand-in")
    return mod, True


# ---------------------------------------------------------------------------
# REST client (stdlib only)

class Api:
    def __init__(self):
        base = os.environ.get("MUPIFDB_REST_SERVER") or \
            "http://127.0.0.1:8005/"
        if not base.endswith("/"):
            base += "/"
        self.base = base
        self.token = None
        tf = os.environ.get("API_TOKEN_FILE", "")
        cf = os.environ.get("API_CREDENTIALS_FILE", "")
        if tf:
            with open(tf) as f:
                self.token = f.read().strip()
            if not self.token:
                raise RuntimeError("API_TOKEN_FILE is empty")
        elif cf and cf != "None" and os.path.isfile(cf):
            with open(cf) as f:
                cred = json.load(f)
            if cred.get("username") or cred.get("password"):
                self.login(cred.get("username", ""), cred.get("password", ""))

    def login(self, username, password):
        body = urllib.parse.urlencode({
            "grant_type": "password", "username": username,
            "password": password}).encode()
        ans = self._do("POST", "api/login", body,
                       "application/x-www-form-urlencoded", auth=False)
        self.token = ans["access_token"]

    def _do(self, method, path, body=None, ctype=None, auth=True):
        headers = {"Accept-Charset": "UTF-8", "Accept": "application/json"}
        if ctype:
            headers["Content-Type"] = ctype
        if auth and self.token:
            headers["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(self.base + path, data=body,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
                data = r.read()
        except urllib.error.HTTPError as e:
            text = e.read()[:500].decode("utf-8", "replace")
            msg = f"{method} {path}: HTTP {e.code}: {text}"
            if e.code == 404:
                raise NotFound(msg) from None
            raise RuntimeError(msg) from None
        return json.loads(data) if data else None

    def get(self, path):
        return self._do("GET", path)

    def patch(self, path, obj):
        return self._do("PATCH", path, json.dumps(obj).encode(),
                        "application/json")

    # ---- the calls of mupifDB's client that the runner needs
    def execution(self, eid):
        ans = self.get(f"api/executions/{q(eid)}")
        return ans["entity"] if isinstance(ans, dict) and "entity" in ans \
            else ans

    def workflow(self, wid, version):
        ans = self.get(f"api/workflows_by_wid/{q(wid)}/version/"
                       f"{int(version)}")
        return ans["entity"] if isinstance(ans, dict) and "entity" in ans \
            else ans

    def io_item(self, eid, io, name, objid):
        """The input (io='input') or output (io='output') item name/objid.
        Falls back to the whole DataSet when the item route does not match
        (e.g. list-valued ObjID)."""
        path = f"api/executions/{q(eid)}/{io}_item/{q(name)}"
        if objid != "":
            path += "/" + q(objid)
        try:
            return self.get(path)
        except NotFound:
            pass
        items = self.get(f"api/executions/{q(eid)}/{io}s") or []
        for it in items:
            oid = it.get("ObjID")
            if it.get("Name") == name and (
                    oid == objid or (oid in (None, "") and objid == "") or
                    (isinstance(oid, list) and objid in oid)):
                return it
        raise NotFound(f"execution {eid}: no {io} item {name!r} with "
                       f"ObjID {objid!r}")

    def set_output(self, eid, name, objid, obj):
        path = f"api/executions/{q(eid)}/output_item/{q(name)}"
        if objid != "":
            path += "/" + q(objid)
        ok = self.patch(path, {"object": obj})
        if ok is not True:
            raise RuntimeError(f"output {name!r}/{objid!r} was not stored "
                               f"(answer {ok!r}; is the execution Running?)")

    def set_param(self, eid, key, value):
        self.patch(f"api/executions/{q(eid)}/set_param",
                   {"key": key, "value": str(value)})


def q(s):
    return urllib.parse.quote(str(s), safe="")


# ---------------------------------------------------------------------------
# IOCard helpers

def obj_ids(v):
    """ObjID of a template as a list: a string is one element, []/None
    none (like execution creation).  A missing/empty string ObjID still
    means the item with ObjID ''."""
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v]
    return [str(v)]


def data_id(mupif, type_id):
    m = re.search(r"\w+\Z", type_id or "")
    name = m.group() if m else (type_id or "")
    return mupif.DataID[name]


def build_object(mupif, api, typ, item, name):
    obj = item.get("Object") or {}
    if typ == "mupif.Property":
        if obj.get("FileID"):
            raise NotImplementedError(
                f"input {name!r}: file-backed Property (FileID) is not "
                "supported by this runner")
        if "Value" not in obj:
            raise ValueError(f"input {name!r} has no value")
        return mupif.ConstantProperty.from_db_dict(obj)
    if typ == "mupif.String":
        if "Value" not in obj:
            raise ValueError(f"input {name!r} has no value")
        return mupif.String.from_db_dict(obj)
    raise NotImplementedError(f"input {name!r}: type {typ!r} is not "
                              "supported by this runner")


def resolve_input(api, eid, name, objid, linked=False, depth=0):
    if depth > 20:
        raise RuntimeError(f"input {name!r}: link chain too long")
    it = api.io_item(eid, "output" if linked else "input", name, objid)
    link = it.get("Link") or {}
    if link.get("ExecID") and link.get("Name"):
        say(f"input {name!r}/{objid!r} linked to output "
            f"{link['Name']!r} of execution {link['ExecID']}")
        return resolve_input(api, link["ExecID"], link["Name"],
                             link.get("ObjID") or "", True, depth + 1)
    return it


def map_inputs(mupif, api, workflow, eid, wrec):
    for tmpl in (wrec.get("IOCard") or {}).get("Inputs") or []:
        name = tmpl["Name"]
        typ = tmpl.get("Type", "")
        compulsory = bool(tmpl.get("Compulsory", tmpl.get("Required")))
        for objid in obj_ids(tmpl.get("ObjID", "")):
            if tmpl.get("EDMPath"):
                raise NotImplementedError(
                    f"input {name!r}: EDM paths are not supported by "
                    "this runner")
            try:
                it = resolve_input(api, eid, name, objid)
            except NotFound:
                if compulsory:
                    raise
                say(f"input {name!r}/{objid!r}: no item, skipped")
                continue
            o = it.get("Object") or {}
            if not o and not compulsory:
                say(f"input {name!r}/{objid!r}: not set (optional), "
                    "skipped")
                continue
            obj = build_object(mupif, api, typ, it, name)
            workflow.set(obj, objid)
            say(f"input {name!r}/{objid!r} set")


def to_db(mupif, obj, typ, name):
    if hasattr(obj, "to_db_dict"):
        vt = getattr(obj, "valueType", None)
        vname = getattr(vt, "name", str(vt) if vt is not None else "")
        if typ == "mupif.Property" and vname in (
                "ScalarArray", "VectorArray", "TensorArray"):
            raise NotImplementedError(
                f"output {name!r}: array Properties (files) are not "
                "supported by this runner")
        d = obj.to_db_dict()
    else:
        raise NotImplementedError(f"output {name!r}: {type(obj).__name__} "
                                  "cannot be stored")
    # Plain JSON only (numpy scalars/arrays -> lists and floats).
    return json.loads(json.dumps(d, default=_plain, allow_nan=False))


def _plain(o):
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"{type(o).__name__} is not JSON data")


def map_outputs(mupif, api, workflow, eid, wrec):
    try:
        t = workflow.getExecutionTargetTime()
    except Exception:
        t = None
    for tmpl in (wrec.get("IOCard") or {}).get("Outputs") or []:
        name = tmpl["Name"]
        typ = tmpl.get("Type", "")
        if typ not in ("mupif.Property", "mupif.String"):
            raise NotImplementedError(f"output {name!r}: type {typ!r} is "
                                      "not supported by this runner")
        if tmpl.get("EDMPath"):
            raise NotImplementedError(f"output {name!r}: EDM paths are "
                                      "not supported by this runner")
        did = data_id(mupif, tmpl.get("Type_ID") or tmpl.get("TypeID"))
        for objid in obj_ids(tmpl.get("ObjID", "")):
            obj = workflow.get(did, t, objid)
            api.set_output(eid, name, objid, to_db(mupif, obj, typ, name))
            say(f"output {name!r}/{objid!r} stored")


# ---------------------------------------------------------------------------

def parse_args(argv):
    if len(argv) == 2 and argv[0] in ("-eid", "--eid"):
        return argv[1]
    if len(argv) == 1 and argv[0].startswith("-eid="):
        return argv[0][5:]
    print("usage: mupif_runner.py -eid <execution id>", file=sys.stderr)
    sys.exit(2)    # like argparse


def register_pyro(mupif, api, workflow, eid):
    """Real mupif only: serve the workflow object on a Pyro daemon and
    store its URI (and the logger URI, if any) in the execution."""
    try:
        import Pyro5.api
        ns = os.environ.get("MUPIF_NS", "")
        host = "127.0.0.1"
        if ns and hasattr(mupif, "pyroutil"):
            try:
                host = mupif.pyroutil.getMyIP(ns) if hasattr(
                    mupif.pyroutil, "getMyIP") else host
            except Exception:
                pass
        daemon = Pyro5.api.Daemon(host=host)
        uri = daemon.register(workflow)
        import threading
        threading.Thread(target=daemon.requestLoop, daemon=True).start()
        api.set_param(eid, "workflowURI", str(uri))
        say("workflow served by Pyro, workflowURI stored")
        return daemon
    except Exception as e:
        say(f"workflow not served by Pyro: {type(e).__name__}: {e}")
        return None


def run(eid):
    mupif, standin = load_mupif()
    api = Api()
    ex = api.execution(eid)
    say(f"fetched execution {eid} (workflow {ex.get('WorkflowID')} "
        f"version {ex.get('WorkflowVersion')}, status {ex.get('Status')})")
    wrec = api.workflow(ex["WorkflowID"], ex["WorkflowVersion"])
    modname, clsname = wrec["modulename"], wrec["classname"]
    say(f"fetched workflow record: {modname}.{clsname}")
    nores = getattr(mupif, "JobManNoResourcesException", None)
    workflow = None
    try:
        mod = importlib.import_module(modname)
        cls = getattr(mod, clsname)
        workflow = cls()
        say(f"instantiated {clsname}")
        md = {"Execution": {"ID": eid,
                            "Use_case_ID": wrec.get("UseCase", ""),
                            "Task_ID": ex.get("Task_ID") or ""}}
        try:
            workflow.initialize(metadata=md)
        except TypeError:
            workflow.initialize()
        say("initialize() done")
        if not standin:
            register_pyro(mupif, api, workflow, eid)
        map_inputs(mupif, api, workflow, eid, wrec)
        say("inputs mapped")
        workflow.solve()
        say("solve() done")
        map_outputs(mupif, api, workflow, eid, wrec)
        say("outputs mapped")
        workflow.terminate()
        workflow = None
        say("terminate() done")
    except BaseException as e:
        if workflow is not None:
            try:
                workflow.terminate()
            except BaseException:
                pass
        if nores is not None and isinstance(e, nores):
            raise _NoResources() from e
        raise
    return 0


class _NoResources(Exception):
    pass


def main(argv):
    eid = parse_args(argv)
    try:
        rc = run(eid)
    except _NoResources as e:
        traceback.print_exception(type(e.__cause__), e.__cause__,
                                  e.__cause__.__traceback__)
        say("no resources (JobManNoResourcesException): exit 2")
        return 2
    except SystemExit as e:
        traceback.print_exc()
        say(f"workflow called exit({e.code!r}): exit 1")
        return 1
    except BaseException as e:
        traceback.print_exc()
        # The last line is what the scheduler records as the reason.
        what = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        say(f"failed: exit 1: {what}")
        return 1
    say("finished: exit 0")
    return rc


if __name__ == "__main__":
    sys.stdout.flush()
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)

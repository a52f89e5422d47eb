"""The workflow runner (runner/mupif_runner.py) run by hand, without the
scheduler, against a real node (spec/scheduler.md sections 10 and 13):
the runner is started the way the scheduler starts it,

    /usr/bin/python3 -I -S -B runner/mupif_runner.py -eid <id>

with cwd = a work directory holding the workflow module and the
scheduler's environment (MUPIFDB_REST_SERVER, API_TOKEN_FILE, MUPIF_NS,
HOME, PATH, LANG, PYTHONUNBUFFERED, PYTHONDONTWRITEBYTECODE,
MUPIF_RUNNER_STANDIN).  mupif is not installed here, so the runner loads
runner/mupif_standin.py as `mupif`.

Checked: exit codes 0/1/2 (wf_ok, wf_fail, wf_retry), the output item
written in the mupifDB shape, inputs linked to another execution's
output, login through API_CREDENTIALS_FILE, the status left alone, the
token never printed."""
import ast
import io
import json
import os
import shutil
import signal
import subprocess
import zipfile
from pathlib import Path

import pytest

from api_fixtures import admin, api, base, user  # noqa: F401
from api_helpers import ADMIN, ADMIN_PW, NotFoundResponse

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "runner" / "mupif_runner.py"
STANDIN = ROOT / "runner" / "mupif_standin.py"
SAMPLES = ROOT / "tests" / "workflows"
PYTHON = "/usr/bin/python3"
UCID = "RunnerTests"

# How each workflow got its record: "upload" (POST
# /api/usecases/{ucid}/workflows, inspected by the scheduler) or "post"
# (POST /api/workflows, because the inspector cannot import mupif).
REGISTERED = {}


def sample_md(module):
    """The MD dict literal of a sample workflow, without importing it."""
    tree = ast.parse((SAMPLES / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and \
                [t.id for t in node.targets if isinstance(t, ast.Name)] == \
                ["MD"]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{module}: no MD")


def workflow_record(module, gridfs_id):
    """The Workflow record the upload would build (rest-api.md 2.4)."""
    md = sample_md(module)

    def io(d, inp):
        r = {"Name": d["Name"], "Description": d.get("Description"),
             "Type": d["Type"], "Type_ID": d.get("Type_ID", ""),
             "ValueType": d.get("ValueType", "Scalar"), "Units": d["Units"],
             "ObjID": d.get("Obj_ID", ""), "EDMPath": None}
        if inp:
            r["Compulsory"] = bool(d["Required"])
            r["Set_at"] = d.get("Set_at", "timestep")
        else:
            r["EDMList"] = False
        return r

    return {"wid": md["ID"], "Description": md["Description"],
            "GridFSID": gridfs_id, "UseCase": UCID,
            "IOCard": {"Inputs": [io(d, True) for d in md["Inputs"]],
                       "Outputs": [io(d, False) for d in md["Outputs"]]},
            "modulename": module, "classname": md["ClassName"],
            "Models": [], "EDMMapping": [], "Version": 1}


def register(admin, module):  # noqa: F811
    """Create the workflow record of a sample; returns its wid."""
    if module in REGISTERED:
        return sample_md(module)["ID"]
    try:
        admin.getUsecaseRecord(UCID)
    except NotFoundResponse:
        admin.insertUsecaseRecord(UCID, "runner tests")
    wid = sample_md(module)["ID"]
    r = admin.uploadWorkflowParts(UCID, [(
        "workflow_file", (f"{module}.py",
                          (SAMPLES / f"{module}.py").read_bytes(),
                          "application/octet-stream"))])
    if r.status_code == 200:
        assert r.json()["wid"] == wid, r.text
        REGISTERED[module] = "upload"
        return wid
    # The only accepted reason for the fallback: the inspector runs without
    # the stand-in, so `import mupif` fails.  Anything else is a failure.
    # (spec 4.4 says 400; the api answers 422 with the same message)
    assert r.status_code in (400, 422) and \
        "No module named 'mupif'" in r.text, \
        f"upload of {module}: {r.status_code} {r.text}"
    print(f"NOTE: upload of {module} refused by inspection ({r.text}); "
          "creating the record with POST /api/workflows")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(SAMPLES / f"{module}.py", f"{module}.py")
    fid = admin.uploadBinaryFile(("files.zip", io.BytesIO(buf.getvalue())))
    new_id = admin.rPost("api/workflows",
                         data=json.dumps(workflow_record(module, fid)),
                         headers=admin.getRequestHeaders("application/json"))
    assert isinstance(new_id, str) and len(new_id) == 24, new_id
    w = admin.getWorkflowRecord(wid, 1)["entity"]
    assert (w["modulename"], w["classname"]) == \
        (module, sample_md(module)["ClassName"])
    REGISTERED[module] = "post"
    return wid


def new_execution(client, wid, x=None, link=None):
    """Create an execution, set input x (a value or a link) and move it
    to Running as the scheduler would (outputs are writable only while
    Running)."""
    weid = client.createExecution(wid, -1, "", False)["inserted_id"]
    if x is not None:
        assert client.setExecutionInputObject(weid, "x", "x", {
            "ClassName": "ConstantProperty", "ValueType": "Scalar",
            "DataID": "PID_Time", "Unit": "s", "Value": x,
            "Time": None}) is True
    if link is not None:
        assert client.setExecutionInputLink(weid, "x", "x", *link) is True
    client.setExecutionParameter(weid, "Status", "Scheduled")
    client.setExecutionAttemptsCount(weid, 1)
    e = client.setExecutionParameter(weid, "Status", "Running")["entity"]
    assert e["Status"] == "Running"
    return weid


def run_runner(base, tmp_path, module, weid, token=None,  # noqa: F811
               credentials=None, to_files=False):
    """Run the runner like the scheduler does; returns CompletedProcess."""
    work = tmp_path / f"work-{weid}"
    work.mkdir()
    shutil.copy(SAMPLES / f"{module}.py", work / f"{module}.py")
    env = {"MUPIFDB_REST_SERVER": base, "MUPIF_NS": "",
           "HOME": str(work), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "MUPIF_RUNNER_STANDIN": str(STANDIN)}
    if token is not None:
        tf = tmp_path / f"token-{weid}"
        fd = os.open(tf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, token.encode())
        os.close(fd)
        env["API_TOKEN_FILE"] = str(tf)
    if credentials is not None:
        cf = tmp_path / f"cred-{weid}.json"
        cf.write_text(json.dumps(credentials))
        cf.chmod(0o600)
        env["API_CREDENTIALS_FILE"] = str(cf)
    argv = [PYTHON, "-I", "-S", "-B", str(RUNNER), "-eid", weid]
    if to_files:
        # A stray child keeps the runner's stdout/stderr open: capture into
        # files, not pipes, and wait for the runner itself only.
        with open(tmp_path / f"out-{weid}", "w+") as o, \
                open(tmp_path / f"err-{weid}", "w+") as e:
            p = subprocess.run(argv, cwd=work, env=env, stdout=o, stderr=e,
                               timeout=120)
            o.seek(0)
            e.seek(0)
            r = subprocess.CompletedProcess(argv, p.returncode, o.read(),
                                            e.read())
    else:
        r = subprocess.run(argv, cwd=work, env=env, capture_output=True,
                           text=True, timeout=120)
    print(f"--- runner {module} rc={r.returncode}\n{r.stdout}\n{r.stderr}")
    if token is not None:
        assert token not in r.stdout and token not in r.stderr
    assert "Traceback" not in r.stdout
    return r


def output_object(client, weid, name="y"):
    return client.rGet(f"api/executions/{weid}/output_item/{name}",
                       headers=client.getRequestHeaders())["Object"]


def test_24_01_ok(admin, base, tmp_path):  # noqa: F811
    wid = register(admin, "wf_ok")
    weid = new_execution(admin, wid, x=21.0)
    r = run_runner(base, tmp_path, "wf_ok", weid, token=admin.token)
    assert r.returncode == 0, r.stderr
    for line in (f"runner: fetched execution {weid}",
                 "runner: using the mupif stand-in",
                 "runner: input 'x'/'x' set", "runner: solve() done",
                 "runner: output 'y'/'' stored", "runner: finished: exit 0"):
        assert line in r.stdout
    assert output_object(admin, weid) == {
        "ClassName": "ConstantProperty", "ValueType": "Scalar",
        "DataID": "PID_Time", "Unit": "s", "Value": 42.0, "Time": None}
    e = admin.getExecutionRecord(weid)["entity"]
    # the runner never sets the status (the scheduler maps the exit code)
    # and, with the stand-in, no Pyro URIs
    assert e["Status"] == "Running"
    assert e["workflowURI"] is None and e["loggerURI"] is None
    assert e["OutputsData"][0]["Object"]["Value"] == 42.0
    # nothing left in the work directory but the module
    assert sorted(p.name for p in (tmp_path / f"work-{weid}").iterdir()) \
        == ["wf_ok.py"]


def test_24_02_link_and_credentials(admin, user, base, tmp_path):  # noqa: F811
    """x linked to the output y of a finished wf_ok run; the runner logs in
    with API_CREDENTIALS_FILE (no token file)."""
    wid = register(admin, "wf_ok")
    first = new_execution(admin, wid, x=5.0)
    assert run_runner(base, tmp_path, "wf_ok", first,
                      token=admin.token).returncode == 0
    assert output_object(admin, first)["Value"] == 10.0
    admin.setExecutionParameter(first, "Status", "Finished")
    second = new_execution(admin, wid, link=(first, "y", ""))
    r = run_runner(base, tmp_path, "wf_ok", second,
                   credentials={"username": ADMIN, "password": ADMIN_PW})
    assert r.returncode == 0, r.stderr
    assert f"linked to output 'y' of execution {first}" in r.stdout
    assert ADMIN_PW not in r.stdout and ADMIN_PW not in r.stderr
    assert output_object(admin, second)["Value"] == 20.0
    # visible to another user too
    assert output_object(user, second)["Value"] == 20.0


def test_24_03_fail(admin, base, tmp_path):  # noqa: F811
    wid = register(admin, "wf_fail")
    weid = new_execution(admin, wid, x=1.0)
    r = run_runner(base, tmp_path, "wf_fail", weid, token=admin.token)
    assert r.returncode == 1
    assert "RuntimeError: wf_fail: deliberate failure in solve()" in r.stderr
    assert "runner: failed: exit 1" in r.stdout
    assert "runner: solve() done" not in r.stdout
    assert output_object(admin, weid) == {}
    assert admin.getExecutionRecord(weid)["entity"]["Status"] == "Running"


def test_24_04_retry(admin, base, tmp_path):  # noqa: F811
    wid = register(admin, "wf_retry")
    weid = new_execution(admin, wid, x=1.0)
    r = run_runner(base, tmp_path, "wf_retry", weid, token=admin.token)
    assert r.returncode == 2
    assert "JobManNoResourcesException: wf_retry: no free job" in r.stderr
    assert "runner: no resources (JobManNoResourcesException): exit 2" \
        in r.stdout
    assert output_object(admin, weid) == {}


def test_24_05_missing_input_and_bad_token(admin, base, tmp_path):  # noqa: F811
    """A compulsory input without a value, and a token the api refuses:
    both are errors (exit 1), never a silent success."""
    wid = register(admin, "wf_ok")
    weid = new_execution(admin, wid)
    r = run_runner(base, tmp_path, "wf_ok", weid, token=admin.token)
    assert r.returncode == 1
    assert "input 'x' has no value" in r.stderr
    weid = new_execution(admin, wid, x=1.0)
    r = run_runner(base, tmp_path, "wf_ok", weid, token="not-a-token")
    assert r.returncode == 1
    assert "HTTP 401" in r.stderr
    assert output_object(admin, weid) == {}


def test_24_06_stray(admin, base, tmp_path):  # noqa: F811
    """wf_stray leaves a child behind and returns normally: the runner exits
    0 with the output stored; the child is still alive (killing it is the
    scheduler's job, through the cgroup), so the test kills it here."""
    wid = register(admin, "wf_stray")
    weid = new_execution(admin, wid, x=4.0)
    r = run_runner(base, tmp_path, "wf_stray", weid, token=admin.token,
                   to_files=True)
    pidfile = tmp_path / f"work-{weid}" / "stray.pid"
    pid = int(pidfile.read_text())
    try:
        assert r.returncode == 0, r.stderr
        assert output_object(admin, weid)["Value"] == 8.0
        # alive, in its own session, not the runner's
        os.kill(pid, 0)
        assert os.getsid(pid) == pid
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_24_07_registration_path():
    """Report how the records were made (runs last in this module)."""
    assert REGISTERED, "no workflow registered"
    print("registration:", REGISTERED)
    assert set(REGISTERED.values()) <= {"upload", "post"}

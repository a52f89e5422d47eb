"""The scheduling loop end to end (issue 6, spec/scheduler.md 12-14): a
real node whose scheduler claims what users schedule through the REST
API, runs each workflow of tests/workflows/ in its own sandbox with the
real runner (runner/mupif_runner.py, mupif stand-in), and records status,
reason, log, attempts and statistics.

Everything goes through the api the way a user does it: login, upload
(inspected by the scheduler), create, set inputs, schedule, then read the
execution, its outputs and its log.  The hostile samples try to read the
auth key, connect to a port outside the allowed ones, fork-bomb and write
outside their directory; each must end Failed with the reason, and none
may leave a process behind.

The node's fallback poll is an hour (run_poll_s): every run below starts
only because the api wakes the scheduler through the broker."""
import os
import pwd
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from api_helpers import (ADMIN, ADMIN_PW, Client, api_url, new_node,
                         start_api_node)
from conftest import require_root

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "workflows"
UCID = "SchedTests"
CONF = """run_slots = 2
run_timeout_s = 8
run_mem_mb = 400
run_nproc = 32
run_max_attempts = 3
run_poll_s = 3600
"""


def wait_for(pred, what, timeout=90, step=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}; last: {last}")


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    require_root()
    n = new_node(tmp_path_factory.mktemp("sched"), CONF)
    try:
        start_api_node(n)
        yield n
    finally:
        n.stop()


@pytest.fixture(scope="module")
def admin(node):
    return Client(api_url(node), ADMIN, ADMIN_PW)


UPLOADED = set()


def upload(admin, module, source=None, wid=None):
    """Upload a sample (optionally with its text changed) under wid."""
    text = source if source is not None else \
        (SAMPLES / f"{module}.py").read_text()
    if wid is not None:
        text = re.sub(r'"ID": "[^"]*"', f'"ID": "{wid}"', text, count=1)
    wid = wid or module
    if (admin.RESTserver, wid) in UPLOADED:
        return wid
    if (admin.RESTserver, UCID) not in UPLOADED:
        admin.insertUsecaseRecord(UCID, "scheduler tests")
        UPLOADED.add((admin.RESTserver, UCID))
    r = admin.uploadWorkflowParts(UCID, [(
        "workflow_file", (f"{module}.py", text.encode(),
                          "application/octet-stream"))])
    assert r.status_code == 200, f"upload {module}: {r.status_code} {r.text}"
    assert r.json()["wid"] == wid
    UPLOADED.add((admin.RESTserver, wid))
    return wid


def execution(admin, wid, x=21.0):
    weid = admin.createExecution(wid, -1, "", False)["inserted_id"]
    assert admin.setExecutionInputObject(weid, "x", "x", {
        "ClassName": "ConstantProperty", "ValueType": "Scalar",
        "DataID": "PID_Time", "Unit": "s", "Value": x, "Time": None}) is True
    return weid


def schedule(admin, weid):
    r = requests.patch(f"{admin.RESTserver}api/executions/{weid}/schedule",
                       headers=admin.getRequestHeaders(), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def get(admin, weid):
    r = requests.get(f"{admin.RESTserver}api/executions/{weid}",
                     headers=admin.getRequestHeaders(), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["entity"] if "entity" in r.json() else r.json()


def ended(admin, weid):
    e = get(admin, weid)
    return e if e["Status"] in ("Finished", "Failed") else None


def raw_record(node, weid):
    """The stored execution (Reason, ClaimedBy, ...), from db export."""
    import json
    r = node.cli("db", "export")
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        d = json.loads(line)
        doc = d.get("doc") or d.get("document") or {}
        if d.get("collection") == "WorkflowExecutions" and \
                str(doc.get("_id")) .find(weid) >= 0:
            return doc
    raise AssertionError(f"{weid} not in db export")


def log_text(admin, e):
    assert e["ExecutionLog"], e
    r = requests.get(f"{admin.RESTserver}api/file/{e['ExecutionLog']}",
                     headers=admin.getRequestHeaders(), timeout=10)
    assert r.status_code == 200, r.text
    return r.text


def run_to_end(admin, wid, x=21.0, timeout=90):
    weid = execution(admin, wid, x)
    schedule(admin, weid)
    return weid, wait_for(lambda: ended(admin, weid), f"{wid} to end",
                          timeout)


def no_process_of(weid):
    """No process on the machine has weid in its command line."""
    left = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if weid.encode() in (p / "cmdline").read_bytes():
                left.append(p.name)
        except OSError:
            pass
    return left


def test_26_01_ok_end_to_end(node, admin):
    wid = upload(admin, "wf_ok")
    weid, e = run_to_end(admin, wid)
    assert e["Status"] == "Finished", (e, log_text(admin, e))
    out = admin.rGet(f"api/executions/{weid}/output_item/y",
                     headers=admin.getRequestHeaders())["Object"]
    assert out["Value"] == 42.0, out
    assert e["Attempts"] == 1 and e["StartDate"] and e["EndDate"], e
    log = log_text(admin, e)
    assert "SUCCESS" in log and f"execution {weid}" in log, log
    # The token never reaches the log.
    assert "eyJ" not in log
    assert no_process_of(weid) == []
    # Statistics: the Stat collection through the api.
    st = admin.rGet("api/scheduler_statistics",
                    headers=admin.getRequestHeaders())
    assert st["processedTasks"] >= 1, st


def test_26_02_fail_exit_1(node, admin):
    wid = upload(admin, "wf_fail")
    weid, e = run_to_end(admin, wid)
    assert e["Status"] == "Failed", e
    assert "exit code 1" in log_text(admin, e)
    assert "exit code 1" in raw_record(node, weid)["Reason"]


def test_26_03_retry_until_attempts_limit(node, admin):
    wid = upload(admin, "wf_retry")
    weid, e = run_to_end(admin, wid, timeout=120)
    assert e["Status"] == "Failed", e
    assert e["Attempts"] == 3, e
    reason = raw_record(node, weid)["Reason"]
    assert "exit code 2" in reason and "gave up after 3 attempts" in reason


def test_26_04_timeout_livelog_and_sandbox(node, admin):
    wid = upload(admin, "wf_loop")
    weid = execution(admin, wid)
    schedule(admin, weid)
    wait_for(lambda: get(admin, weid)["Status"] == "Running", "Running")
    # The live log: the runner's lines, read through the api (no pickle).
    lines = wait_for(lambda: admin.rGet(
        f"api/executions/{weid}/livelog/50",
        headers=admin.getRequestHeaders()) or None, "live log lines")
    assert any("runner" in ln for ln in lines), lines
    # The sandbox, seen from outside: the runner process.
    pids = wait_for(lambda: [p for p in no_process_of(weid)], "the runner")
    sched_uid = pwd.getpwnam("mupif-sched").pw_uid
    for pid in pids:
        st = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":" in line)
        assert st["NoNewPrivs"].strip() == "1", st
        assert st["Seccomp"].strip() == "2", st
        assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0
        assert int(st["Uid"].split()[0]) == sched_uid
        assert os.readlink(f"/proc/{pid}/ns/user") != \
            os.readlink("/proc/self/ns/user")
        assert os.readlink(f"/proc/{pid}/ns/pid") != \
            os.readlink("/proc/self/ns/pid")
    e = wait_for(lambda: ended(admin, weid), "time-out", 60)
    assert e["Status"] == "Failed", e
    assert "timed out after 8 s" in raw_record(node, weid)["Reason"]
    assert no_process_of(weid) == []


def test_26_05_memory_hog(node, admin):
    wid = upload(admin, "wf_memhog")
    weid, e = run_to_end(admin, wid)
    assert e["Status"] == "Failed", e
    assert "out of memory" in raw_record(node, weid)["Reason"]


def test_26_06_cannot_read_persistent(node, admin):
    key = node.persist / "auth" / "token.key"
    assert key.exists()
    src = (SAMPLES / "wf_readsecret.py").read_text().replace(
        'SECRET_PATH = "/nonexistent"', f'SECRET_PATH = "{key}"')
    assert str(key) in src
    wid = upload(admin, "wf_readsecret", src)
    weid, e = run_to_end(admin, wid)
    assert e["Status"] == "Failed", e
    assert "PermissionError" in raw_record(node, weid)["Reason"]


def test_26_07_cannot_connect_elsewhere(node, admin):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    got = []
    threading.Thread(target=lambda: got.append(srv.accept()),
                     daemon=True).start()
    src = (SAMPLES / "wf_socket.py").read_text().replace(
        "TARGET_PORT = 27017", f"TARGET_PORT = {port}")
    assert f"TARGET_PORT = {port}" in src
    wid = upload(admin, "wf_socket", src)
    weid, e = run_to_end(admin, wid)
    srv.close()
    assert got == [], "the workflow reached a port it may not"
    assert e["Status"] == "Failed", e
    reason = raw_record(node, weid)["Reason"]
    assert "PermissionError" in reason or "SIGSYS" in reason, reason


def test_26_08_fork_bomb(node, admin):
    wid = upload(admin, "wf_forkbomb")
    weid, e = run_to_end(admin, wid)
    assert e["Status"] == "Failed", e
    assert no_process_of(weid) == []


def test_26_09_cannot_write_outside(node, admin):
    wid = upload(admin, "wf_writeout")
    weid, e = run_to_end(admin, wid)
    assert e["Status"] == "Failed", e
    assert "PermissionError" in raw_record(node, weid)["Reason"]
    assert not list(Path("/tmp").glob("escape-*"))


def test_26_10_stray_process_is_killed(node, admin):
    wid = upload(admin, "wf_stray")
    weid, e = run_to_end(admin, wid)
    assert e["Status"] == "Finished", e
    assert no_process_of(weid) == []


def test_26_11_cancel_running(node, admin):
    wid = upload(admin, "wf_loop")
    weid = execution(admin, wid)
    schedule(admin, weid)
    wait_for(lambda: get(admin, weid)["Status"] == "Running", "Running")
    r = requests.patch(f"{admin.RESTserver}api/executions/{weid}/cancel",
                       headers=admin.getRequestHeaders(), timeout=10)
    assert r.status_code == 200, r.text
    e = wait_for(lambda: ended(admin, weid), "cancel", 30)
    assert e["Status"] == "Failed"
    assert "cancelled" in raw_record(node, weid)["Reason"]
    assert no_process_of(weid) == []


def test_26_11b_token_reaches_only_its_execution(node, admin):
    other, e = run_to_end(admin, upload(admin, "wf_ok"))
    assert e["Status"] == "Finished"
    src = (SAMPLES / "wf_snoop.py").read_text().replace(
        'OTHER_ID = "000000000000000000000000"', f'OTHER_ID = "{other}"')
    assert other in src
    weid, e = run_to_end(admin, upload(admin, "wf_snoop", src))
    assert e["Status"] == "Failed", e
    reason = raw_record(node, weid)["Reason"]
    assert "PermissionError: the API refused: [403, 403]" in reason, reason
    # And once the run is over its token is dead: the api logged the
    # refusals of the token's scope.
    assert "execution token" in node.log("api"), node.log("api")[-2000:]


def test_26_12_statistics_for_the_safe_api(node, admin):
    port = int(re.search(r"^safeapi_port = (\d+)$", node.conf.read_text(),
                         re.M).group(1))
    s2 = requests.get(f"http://127.0.0.1:{port}/status2/", timeout=10).json()
    assert s2["scheduler"] == "OK", s2
    ss = requests.get(f"http://127.0.0.1:{port}/scheduler-status2/",
                      timeout=10).json()
    # The node's own scheduler, through the broker, in the shape of spec
    # web-and-monitor.md C.2 (what mupif.monitor.schedulerInfo gives).
    assert isinstance(ss, list) and len(ss) == 1 and ss[0] is not None, ss
    own = ss[0]
    assert own["ns"]["uri"].startswith("local:"), own
    assert own["ns"]["metadata"] == ["type:scheduler"]
    n = own["numTasks"]
    assert n["processed"] >= 12, n
    assert n["finished"] >= 3 and n["failed"] >= 7, n
    assert n["running"] == 0 and isinstance(n["currentLoad"], float)
    assert all(len(h) == 48 for h in own["history"].values())
    assert sum(own["history"]["processedTasks48"]) == n["processed"]
    assert len(own["lastExecutions"]) == 5
    assert own["running"] == {}
    raw = (node.persist / "scheduler" / "scheduler-stat.json")
    assert raw.exists()

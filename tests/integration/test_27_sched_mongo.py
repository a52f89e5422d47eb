"""Several schedulers on one MongoDB, and crash recovery (issue 6; spec
scheduler.md 12.1, 12.5), against the MongoDB-wire test server (jongodb)
and the real runner.

- Two nodes share one database; 50 executions are scheduled through the
  first node's api; both schedulers claim (the second one only by its
  1 s poll: wake-ups reach the local scheduler only).  Each execution
  runs exactly once: Finished with Attempts 1, and both owners took
  part.  The end-to-end story (upload, inputs, outputs through the api)
  runs on this backend too.
- kill -9 of the scheduler in the middle of a run: its sandbox dies with
  it (PR_SET_PDEATHSIG on the run's PID 1), the launcher restarts it, and
  recovery records the execution Failed with "the scheduler restarted
  while it ran"; nothing is left Running.

What jongodb lacks is not used here: the claim is a plain conditional
update_one, as on MongoDB 5.0 and later."""
import json
import os
import signal
import time

import pytest
import requests

from api_helpers import (ADMIN, ADMIN_PW, Client, api_url, mongo_conf,
                         new_node, start_api_node)
from conftest import require_root
from test_26_scheduler import (ended, execution, get, no_process_of,
                               schedule, upload, wait_for)

CONF = """run_slots = 4
run_timeout_s = 60
run_poll_s = 1
"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory, mongo_uri):
    require_root()
    db = mongo_conf(mongo_uri, "s")
    a = new_node(tmp_path_factory.mktemp("schedA"), db + CONF)
    b = new_node(tmp_path_factory.mktemp("schedB"), db + CONF)
    try:
        start_api_node(a)
        start_api_node(b, users=False)
        yield a, b
    finally:
        b.stop()
        a.stop()


def stored(node):
    """Every stored execution, from `mupif-central db export`."""
    r = node.cli("db", "export")
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        d = json.loads(line)
        if d.get("collection") == "WorkflowExecutions":
            doc = d.get("doc") or d.get("document")
            i = doc["_id"]
            out[i["$oid"] if isinstance(i, dict) else i] = doc
    return out


def test_27_01_two_schedulers_run_each_once(pair):
    a, b = pair
    admin = Client(api_url(a), ADMIN, ADMIN_PW)
    wid = upload(admin, "wf_ok")
    ids = [execution(admin, wid, x=float(i)) for i in range(50)]
    for weid in ids:
        schedule(admin, weid)
    wait_for(lambda: all(ended(admin, w) for w in ids), "50 executions",
             timeout=300, step=1)
    docs = stored(a)
    owners = set()
    for i, weid in enumerate(ids):
        d = docs[weid]
        assert d["Status"] == "Finished", d
        assert int(d["Attempts"]) == 1, d
        owners.add(d["ClaimedBy"])
        out = admin.rGet(f"api/executions/{weid}/output_item/y",
                         headers=admin.getRequestHeaders())["Object"]
        assert out["Value"] == 2.0 * i
    assert len(owners) == 2, owners
    # Each scheduler logged its own runs, and no execution twice.
    started = []
    for n in (a, b):
        started += [ln.split("execution ")[1].split(":")[0]
                    for ln in n.log("scheduler").splitlines()
                    if ": running (workflow" in ln]
    assert sorted(started) == sorted(ids)


def test_27_02_kill_9_mid_run_is_recovered(pair):
    a, _ = pair
    admin = Client(api_url(a), ADMIN, ADMIN_PW)
    wid = upload(admin, "wf_loop")
    weid = execution(admin, wid)
    schedule(admin, weid)
    # Either scheduler may take it; find the one that did.
    wait_for(lambda: get(admin, weid)["Status"] == "Running", "Running")
    owner = None
    for n in pair:
        if f"execution {weid}: running" in n.log("scheduler"):
            owner = n
    assert owner is not None
    runner = wait_for(lambda: no_process_of(weid), "the runner")
    old = owner.pids()["scheduler"]
    os.kill(old, signal.SIGKILL)
    # The run dies with its scheduler; the restarted one recovers it.
    wait_for(lambda: no_process_of(weid) == [], "the sandbox to die", 30)
    assert all(not os.path.exists(f"/proc/{p}") for p in runner)
    e = wait_for(lambda: ended(admin, weid), "recovery", 60)
    assert e["Status"] == "Failed", e
    doc = stored(a)[weid]
    assert doc["Reason"] == "the scheduler restarted while it ran", doc
    wait_for(lambda: owner.pids().get("scheduler") not in (None, old),
             "a new scheduler")
    assert "left Running marked Failed" in owner.log("scheduler")
    assert "1 left Running marked Failed" in owner.log("scheduler")

"""The read-only mupif.scheduler Pyro object the nameserver hosts
(DESIGN.md, nameserver row; spec/scheduler.md 9 and 13): registered at
start as mupif.scheduler, metadata {"type:scheduler"}, at the
nameserver's own address, served on the nameserver's port, its
getStatistics() fed by the node's scheduler through the broker
(sched.stats).  MuPIF's monitoring tools find it the way they find the
original's SchedulerMonitor.

Everything with the real Pyro5 client library from the venv (and Pyro4's
where it is installed): lookup, list(metadata_all=), the old-format and
raw statistics, their change after one real execution (the workflow
tests/workflows/wf_ok.py through the REST API, as test_26 runs it),
getExecutions and stop refused, and what mupif.monitor.schedulerInfo
does (it is not installed here: the same calls, made directly)."""
import os
import signal
import time

import pytest

import Pyro5.api
import Pyro5.errors

from api_helpers import (ADMIN, ADMIN_PW, Client, api_url, new_node,
                         start_api_node)
from conftest import require_root
from test_26_scheduler import run_to_end, upload, wait_for

CONF = """run_slots = 1
run_timeout_s = 30
run_mem_mb = 400
run_nproc = 32
run_poll_s = 3600
"""
Pyro5.config.COMMTIMEOUT = 10

OLD_KEYS = ["runningTasks", "scheduledTasks", "processedTasks",
            "finishedTasks", "failedTasks", "lastJobs", "currentLoad",
            "processedTasks48", "pooledTasks48", "finishedTasks48",
            "failedTasks48", "load48"]
COUNTERS = OLD_KEYS[:5]
HISTS = OLD_KEYS[7:]


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    require_root()
    n = new_node(tmp_path_factory.mktemp("nssched"), CONF)
    try:
        start_api_node(n)
        yield n
    finally:
        n.stop()


@pytest.fixture(scope="module")
def admin(node):
    return Client(api_url(node), ADMIN, ADMIN_PW)


def sched_uri(node):
    return f"PYRO:mupif.scheduler@127.0.0.1:{node.ns_port}"


def stats(node, raw=False):
    Pyro5.config.SERIALIZER = "serpent"
    with Pyro5.api.Proxy(sched_uri(node)) as p:
        return p.getStatistics(raw=raw) if raw else p.getStatistics()


def check_old(st):
    assert list(st) == OLD_KEYS, st
    for k in COUNTERS:
        assert isinstance(st[k], int), (k, st[k])
    assert isinstance(st["currentLoad"], (int, float))
    for k in HISTS:
        assert isinstance(st[k], list) and len(st[k]) == 48, k
        assert all(isinstance(x, (int, float)) for x in st[k]), k
    assert isinstance(st["lastJobs"], list)
    for j in st["lastJobs"]:
        assert isinstance(j, list) and len(j) == 5, j
        assert all(isinstance(x, str) for x in j[:4]), j
        assert j[4] is None or isinstance(j[4], str), j


def test_30_01_registered(node):
    Pyro5.config.SERIALIZER = "serpent"
    with Pyro5.api.Proxy(node.ns_uri) as ns:
        uri, meta = ns.lookup("mupif.scheduler", return_metadata=True)
        assert str(uri) == sched_uri(node)
        assert meta == {"type:scheduler"}
        found = ns.list(return_metadata=True)
        assert found["mupif.scheduler"] == (sched_uri(node),
                                            {"type:scheduler"})
        assert ns.yplookup(meta_all={"type:scheduler"},
                           return_metadata=False) == {
            "mupif.scheduler": sched_uri(node)}
    # What mupif.monitor.schedulerInfo does: every type:scheduler entry,
    # getStatistics() on each (there is one).
    with Pyro5.api.locate_ns("127.0.0.1", node.ns_port) as ns:
        entries = ns.yplookup(meta_any={"type:scheduler"},
                              return_metadata=True)
    assert list(entries) == ["mupif.scheduler"]
    infos = []
    for name, (uri, meta) in entries.items():
        with Pyro5.api.Proxy(uri) as s:
            s._pyroTimeout = 5
            infos.append(s.getStatistics())
    check_old(infos[0])
    node.wait_log("nameserver", "registered mupif.scheduler as "
                  f"{sched_uri(node)}")


def test_30_02_old_and_raw(node):
    st = stats(node)
    check_old(st)
    assert st["processedTasks"] == 0 and st["lastJobs"] == []
    raw = stats(node, raw=True)
    assert isinstance(raw, dict)
    assert list(raw) == ["tasks", "load", "lastJobs", "hist48h"]
    assert list(raw["tasks"]) == ["running", "scheduled", "processed",
                                  "finished", "failed"]
    assert raw["tasks"]["processed"] == st["processedTasks"]
    assert raw["hist48h"]["count"] == 48
    # JSON clients get the same values.
    Pyro5.config.SERIALIZER = "json"
    try:
        with Pyro5.api.Proxy(sched_uri(node)) as p:
            assert p.getStatistics() == st
            assert p.getStatistics(raw=True) == raw
            assert p.getStatistics(True) == raw
    finally:
        Pyro5.config.SERIALIZER = "serpent"


def test_30_03_only_reads(node):
    Pyro5.config.SERIALIZER = "serpent"
    with Pyro5.api.Proxy(sched_uri(node)) as p:
        p._pyroBind()
        # The handshake lists what is exposed: nothing but these.
        assert p._pyroMethods == {"getStatistics", "registerPyro"}
        assert p._pyroAttrs == set() and p._pyroOneway == set()
        assert p.registerPyro(None, None, "PYRO:x@127.0.0.1:1") is None
        for name in ("getExecutions", "stop"):
            with pytest.raises(AttributeError):
                getattr(p, name)()
    # Asked past the proxy's own check, the daemon refuses too.
    with Pyro5.api.Proxy(f"PYRO:Pyro.Daemon@127.0.0.1:{node.ns_port}") \
            as d:
        meta = d.get_metadata("mupif.scheduler")
        assert meta["methods"] == {"getStatistics", "registerPyro"}
        assert d.registered() == ["Pyro.Daemon", "Pyro.NameServer"]
    with Pyro5.api.Proxy(sched_uri(node)) as p:
        p._pyroBind()
        p._pyroMethods |= {"getExecutions", "stop", "getStatistics"}
        with pytest.raises(AttributeError,
                           match="unexposed attribute 'getExecutions'"):
            p.getExecutions()
        with pytest.raises(AttributeError,
                           match="unexposed attribute 'stop'"):
            p.stop()
        with pytest.raises(TypeError):
            p.getStatistics(1, 2)
    # Still registered, still answering.
    with Pyro5.api.Proxy(node.ns_uri) as ns:
        assert str(ns.lookup("mupif.scheduler")) == sched_uri(node)
    check_old(stats(node))


def test_30_04_after_one_execution(node, admin):
    wid = upload(admin, "wf_ok")
    weid, e = run_to_end(admin, wid)
    assert e["Status"] == "Finished", e
    # The statistics follow (a good answer may be reused for 0.5 s).
    st = wait_for(lambda: (s := stats(node))["processedTasks"] == 1 and s,
                  "processedTasks 1")
    check_old(st)
    assert st["finishedTasks"] == 1 and st["failedTasks"] == 0
    assert sum(st["processedTasks48"]) == 1
    job = st["lastJobs"][0]
    assert job[0] == weid and job[1] == wid and job[2] == "Finished"
    assert job[3] and job[4]
    raw = stats(node, raw=True)
    assert raw["tasks"]["processed"] == 1
    assert raw["lastJobs"][0]["we_id"] == weid


def test_30_05_pyro4(node):
    import Pyro4
    Pyro4.config.SERIALIZER = "serpent"
    with Pyro4.Proxy(sched_uri(node)) as p:
        st = p.getStatistics()
        assert list(st) == OLD_KEYS
        assert p.getStatistics(raw=True)["tasks"]["processed"] == \
            st["processedTasks"]
        p._pyroMethods |= {"stop"}
        with pytest.raises(AttributeError):
            p.stop()
    with Pyro4.locateNS("127.0.0.1", node.ns_port) as ns:
        assert ns.list(metadata_all={"type:scheduler"}) == {
            "mupif.scheduler": sched_uri(node)}


def test_30_06_scheduler_unreachable(node):
    """A scheduler that does not answer (stopped): a CommunicationError,
    as from an unreachable Pyro daemon; the nameserver serves on and
    the statistics come back once the scheduler does."""
    pids = node.pids()
    os.kill(pids["scheduler"], signal.SIGSTOP)
    try:
        time.sleep(0.6)          # past the reuse of the last good answer
        with Pyro5.api.Proxy(sched_uri(node)) as p:
            with pytest.raises(Pyro5.errors.CommunicationError,
                               match="scheduler statistics unavailable"):
                p.getStatistics()
            # In the back-off that follows: refused at once, no wait.
            with pytest.raises(Pyro5.errors.CommunicationError):
                p.getStatistics(raw=True)
        with Pyro5.api.Proxy(node.ns_uri) as ns:
            assert str(ns.lookup("mupif.scheduler")) == sched_uri(node)
    finally:
        os.kill(pids["scheduler"], signal.SIGCONT)
    node.wait_log("nameserver", "mupif.scheduler.getStatistics from")

    def answers():
        try:
            return stats(node)
        except Pyro5.errors.CommunicationError:
            return None
    check_old(wait_for(answers, "the statistics again", timeout=30))
    # Neither the nameserver nor the scheduler was killed or restarted.
    assert node.pids()["nameserver"] == pids["nameserver"]
    assert node.pids()["scheduler"] == pids["scheduler"]

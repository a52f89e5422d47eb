"""/jobmans-status2/ (issue 5 item 7, spec/web-and-monitor.md C.2): the
safe API asks the nameserver (ns.jobmans), which calls every registration
tagged type:jobmanager over Pyro5 as a client, on a node configured as

    ns_probe = yes
    ns_autoclean_nets = 127.0.0.1/32

Job managers are REAL Pyro5 daemons in this test process (the Pyro5
package from the venv) exposing what mupif's model servers expose
(getApplicationSignature, getStatusExtended, getStatus), plus an old one
without getStatusExtended.  Checked: the answer's shape and values; []
when none is registered (the original answered 500); a registration
outside the configured networks is null and never connected to (its
listener on 127.0.0.2 sees nothing); one that accepts and stays silent is
null within the budget while other nameserver clients are served
meanwhile; a server speaking garbage is null; host names and PYRONAME
are null.  With ns_probe off (the default) the nameserver keeps its empty
network namespace and every element is null.  No timed assertions beyond
generous deadlines."""
import os
import socket
import threading
import time

import pytest

import Pyro5.api
import Pyro5.server

from ns_helpers import accepted, daemon, listener  # noqa: F401
from conftest import Node, require_root

Pyro5.config.COMMTIMEOUT = 10
CONF = ("ns_probe = yes\n"
        "ns_autoclean_nets = 127.0.0.1/32\n")


@Pyro5.api.expose
class FakeModelServer:
    """What mupif's ModelServer answers (jobmanager.py / modelserverbase)."""

    def __init__(self, name):
        self.name = name

    def getApplicationSignature(self):
        return "Mupif.JobManager.ModelServer"

    def getStatus(self):
        return [dict(key=f"23@{self.name}", running=12.53,
                     user="mupif@central",
                     uri="PYRO:obj_0a1b@172.24.1.10:44877",
                     remoteLogUri="PYRO:obj_1b2c@172.24.1.1:39113")]

    def getStatusExtended(self):
        # mupif's pydantic model arrives as a class dict; the class name
        # must be ignored, never resolved.
        return {"__class__": "mupif.modelserverbase.ModelServerStatus",
                "currJobs": self.getStatus(), "totalJobs": 23, "maxJobs": 4}

    def allocateJob(self, user, ticket=None):
        return (99, None)


@Pyro5.api.expose
class OldModelServer:
    """A server from before getStatusExtended."""

    def getApplicationSignature(self):
        return "Mupif.JobManager.ModelServer"

    def getStatus(self):
        return []



@pytest.fixture(scope="module")
def jmnode(tmp_path_factory):
    require_root()
    n = Node(tmp_path_factory.mktemp("jmnode"), CONF).start()
    yield n
    n.stop()








def garbage_server():
    """Accepts, answers every connection with HTTP, closes."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    stop = threading.Event()

    def run():
        s.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                c.sendall(b"HTTP/1.0 400 Bad Request\r\n"
                          b"Content-Length: 0\r\n\r\n" + b"x" * 100)
            except OSError:
                pass
            c.close()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return s, stop, t


def jobmans(node, path="/jobmans-status2/"):
    r = node.get(path, headers={"Cache-Control": "no-cache"}, timeout=20)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    return r.json()


def test_10d_01_none_registered(jmnode):
    pid = jmnode.pids()["nameserver"]
    # ns_probe: the host's network namespace, as with autoclean.
    assert os.readlink(f"/proc/{pid}/ns/net") == \
        os.readlink("/proc/self/ns/net")
    jmnode.wait_log("nameserver", "job manager status (ns.jobmans): "
                    "Pyro5 calls to registered job managers inside "
                    "127.0.0.1/32")
    assert jobmans(jmnode) == []
    assert jobmans(jmnode, "/jobmans-status2") == []


def test_10d_02_shape(jmnode, daemon):
    uri = str(daemon.register(FakeModelServer("CTU-TM-demo")))
    old = str(daemon.register(OldModelServer()))
    meta = {"type:jobmanager", "CTU-TM-demo", "Accuracy_Medium",
            "Robustness_High", "Runtime_minutes"}
    with Pyro5.api.Proxy(jmnode.ns_uri) as ns:
        ns.register("plain.app", uri, metadata={"type:appserver"})
        ns.register("CTU-TM-demo", uri, metadata=meta)
        ns.register("old.jobman", old, metadata={"type:jobmanager"})
    try:
        ans = jobmans(jmnode)
        assert isinstance(ans, list) and len(ans) == 2
        a, b = ans
        assert set(a) == {"ns", "numJobs", "jobs", "status", "signature"}
        assert a["ns"]["name"] == "CTU-TM-demo"
        assert a["ns"]["uri"] == uri
        assert set(a["ns"]["metadata"]) == meta
        assert len(a["ns"]["metadata"]) == len(meta)
        assert a["numJobs"] == {"max": 4, "curr": 1, "total": 23}
        assert a["jobs"] == [{
            "key": "23@CTU-TM-demo", "running": 12.53,
            "user": "mupif@central",
            "uri": "PYRO:obj_0a1b@172.24.1.10:44877",
            "remoteLogUri": "PYRO:obj_1b2c@172.24.1.1:39113",
            "tail": []}]
        assert a["status"] is True
        assert a["signature"] == "Mupif.JobManager.ModelServer"
        # The old server: getStatus(), status false, -1 for unknowns.
        assert b["ns"] == {"name": "old.jobman", "uri": old,
                           "metadata": ["type:jobmanager"]}
        assert b["numJobs"] == {"max": -1, "curr": 0, "total": -1}
        assert b["jobs"] == [] and b["status"] is False
        # Cached like the other endpoints: same body, ETag, 304.
        r1 = jmnode.get("/jobmans-status2/")
        r2 = jmnode.get("/jobmans-status2/",
                        headers={"If-None-Match": r1.headers["ETag"]})
        assert r1.status_code == 200 and r2.status_code == 304
        assert r1.json() == ans
    finally:
        with Pyro5.api.Proxy(jmnode.ns_uri) as ns:
            ns.remove("plain.app")
            ns.remove("CTU-TM-demo")
            ns.remove("old.jobman")


def test_10d_03_nulls(jmnode, daemon):
    uri = str(daemon.register(FakeModelServer("good")))
    outside = listener("127.0.0.2")     # outside 127.0.0.1/32
    silent = listener("127.0.0.1")      # accepts (backlog), never speaks
    gsock, gstop, gthread = garbage_server()
    port = silent.getsockname()[1]
    names = [
        ("jm.outside", f"PYRO:obj_1@127.0.0.2:{outside.getsockname()[1]}"),
        ("jm.silent", f"PYRO:obj_2@127.0.0.1:{port}"),
        ("jm.garbage", f"PYRO:obj_3@127.0.0.1:{gsock.getsockname()[1]}"),
        ("jm.hostname", f"PYRO:obj_4@localhost:{port}"),
        ("jm.pyroname", "PYRONAME:jm.good"),
        ("jm.good", uri),
    ]
    pid = jmnode.pids()["nameserver"]
    try:
        with Pyro5.api.Proxy(jmnode.ns_uri) as ns:
            for name, u in names:
                ns.register(name, u, metadata={"type:jobmanager"})
        done = {}

        def fetch():
            done["answer"] = jobmans(jmnode)
            done["at"] = time.monotonic()
        t = threading.Thread(target=fetch)
        t.start()
        # While the round waits for the silent one, the nameserver
        # serves its Pyro clients (one event loop, nothing blocks).
        time.sleep(0.2)
        with Pyro5.api.Proxy(jmnode.ns_uri) as ns:
            assert ns.lookup("jm.good") == Pyro5.api.URI(uri)
            looked_up = time.monotonic()
        t.join(20)
        assert not t.is_alive(), "no answer within 20 s"
        assert looked_up < done["at"]
        ans = done["answer"]
        assert len(ans) == len(names)
        assert ans[:5] == [None] * 5
        assert ans[5]["ns"]["name"] == "jm.good"
        assert ans[5]["signature"] == "Mupif.JobManager.ModelServer"
        # The outsider was never connected to; the silent one was.
        assert accepted(outside) == 0
        assert accepted(silent) >= 1
        # A second round: the same, and still nothing outside.
        assert jobmans(jmnode) == ans
        assert accepted(outside) == 0
    finally:
        with Pyro5.api.Proxy(jmnode.ns_uri) as ns:
            ns.remove(prefix="jm.")
        outside.close()
        silent.close()
        gstop.set()
        gsock.close()
        gthread.join(5)
    # Never killed by its seccomp filter, never restarted.
    assert jmnode.pids()["nameserver"] == pid
    assert jmnode.get("/status2/").json()["nameserver"] == "OK"


def test_10d_04_probe_off(tmp_path_factory, daemon):
    """Default configuration: no network, every job manager null."""
    require_root()
    n = Node(tmp_path_factory.mktemp("jmoff")).start()
    try:
        pid = n.pids()["nameserver"]
        assert os.readlink(f"/proc/{pid}/ns/net") != \
            os.readlink("/proc/self/ns/net")
        uri = str(daemon.register(FakeModelServer("x")))
        with Pyro5.api.Proxy(n.ns_uri) as ns:
            ns.register("off.jobman", uri, metadata={"type:jobmanager"})
        assert jobmans(n) == [None]
    finally:
        n.stop()

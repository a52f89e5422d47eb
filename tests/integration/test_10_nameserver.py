"""The Pyro5 nameserver (issue 5, first slice) against the real Pyro5 client
library from PyPI: every nameserver method, the exception classes a
client sees, metadata round trips in serpent and JSON, batches, oneway
calls, a real Pyro5 daemon found through us, many idle connections, the
recorded exchanges of the shared vectors' pyro5/ replayed byte for byte except
the variable bytes, and pyro5-ns's own SQL file read and written both
ways."""
import ast
import json
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import struct
import threading
from pathlib import Path
import time
import pytest

Pyro5 = pytest.importorskip("Pyro5")
import Pyro5.api  # noqa: E402
import Pyro5.errors  # noqa: E402
import Pyro5.nameserver  # noqa: E402
import Pyro5.protocol  # noqa: E402
import Pyro5.server  # noqa: E402

from conftest import ROOT  # noqa: E402

# The captured vectors: ../shared/vectors beside the repository.
VEC = Path(os.environ.get("MUPIF_VECTORS", ROOT.parent / "shared" / "vectors"))
Pyro5.config.COMMTIMEOUT = 10


@pytest.fixture
def ns(node):
    """A fresh serpent proxy; the entries a test made are removed after."""
    Pyro5.config.SERIALIZER = "serpent"
    p = Pyro5.api.Proxy(node.ns_uri)
    before = set(p.list())
    yield p
    for name in set(p.list()) - before:
        p.remove(name)
    p._pyroRelease()


def test_10_01_ping_count_locate(node, ns):
    assert ns.ping() is None
    assert ns.count() >= 1
    located = Pyro5.api.locate_ns("127.0.0.1", node.ns_port)
    assert str(located._pyroUri) == node.ns_uri
    assert located.lookup("Pyro.NameServer") == Pyro5.api.URI(node.ns_uri)
    meta = located.lookup("Pyro.NameServer", return_metadata=True)[1]
    assert meta == {"class:Pyro5.nameserver.NameServer"}
    # The handshake advertised every method: the proxy knows them.
    assert located._pyroMethods == {"count", "list", "lookup", "ping",
                                    "register", "remove", "set_metadata",
                                    "yplookup"}
    located._pyroRelease()


def test_10_02_register_lookup_list(ns):
    ns.register("CVUT.demo01", "PYRO:obj_3@127.0.0.1:45003",
                metadata={"type:jobmanager", "CVUT.demo01",
                          "Accuracy_Medium"})
    ns.register("CVUT.demo01.job-1", "PYRO:obj_4@127.0.0.1:45004",
                metadata={"type:appserver"})
    ns.register("test.plain", Pyro5.api.URI("PYRO:obj_1@127.0.0.1:45001"))
    uri = ns.lookup("CVUT.demo01")
    assert isinstance(uri, Pyro5.api.URI)
    assert (uri.protocol, uri.object, uri.host, uri.port) == \
        ("PYRO", "obj_3", "127.0.0.1", 45003)
    uri, meta = ns.lookup("CVUT.demo01", return_metadata=True)
    assert meta == {"type:jobmanager", "CVUT.demo01", "Accuracy_Medium"}
    # An empty set travels as "()" in serpent, as from pyro5-ns.
    assert ns.lookup("test.plain", return_metadata=True)[1] == ()
    everything = ns.list()
    assert everything["test.plain"] == "PYRO:obj_1@127.0.0.1:45001"
    assert ns.list(prefix="CVUT.") == {
        "CVUT.demo01": "PYRO:obj_3@127.0.0.1:45003",
        "CVUT.demo01.job-1": "PYRO:obj_4@127.0.0.1:45004"}
    assert set(ns.list(regex=r"CVUT\.demo\d+$")) == {"CVUT.demo01"}
    assert set(ns.list(regex="test")) == {"test.plain"}
    with_meta = ns.list(prefix="CVUT.demo01.", return_metadata=True)
    assert with_meta == {"CVUT.demo01.job-1": ("PYRO:obj_4@127.0.0.1:45004",
                                               {"type:appserver"})}
    # Registration order is list() order; an update moves to the end.
    ns.register("CVUT.demo01", "PYRO:obj_33@127.0.0.1:45033")
    assert list(ns.list(prefix="CVUT."))[-1] == "CVUT.demo01"


def test_10_03_yplookup(ns):
    ns.register("yp.jm", "PYRO:a@127.0.0.1:1",
                metadata={"type:jobmanager", "Accuracy_Medium"})
    ns.register("yp.sched", "PYRO:b@127.0.0.1:2", metadata={"type:scheduler"})
    assert ns.yplookup(meta_any={"type:jobmanager"}) == {
        "yp.jm": ("PYRO:a@127.0.0.1:1", {"type:jobmanager", "Accuracy_Medium"})}
    assert ns.yplookup(meta_all={"type:jobmanager", "Accuracy_Medium"},
                       return_metadata=False) == {"yp.jm": "PYRO:a@127.0.0.1:1"}
    assert ns.yplookup(meta_all=["type:jobmanager", "type:jobmanager"],
                       return_metadata=False) == {"yp.jm": "PYRO:a@127.0.0.1:1"}
    # mupif.scheduler: the scheduler object the nameserver hosts.
    assert set(ns.yplookup(meta_any=["type:scheduler", "type:jobmanager"])) \
        == {"mupif.scheduler", "yp.jm", "yp.sched"}
    assert ns.yplookup(meta_any={"type:nothing"}) == {}
    assert ns.yplookup() == {}


def test_10_04_set_metadata_and_remove(ns):
    base = ns.count()
    for i in range(3):
        ns.register(f"rm.{i}", f"PYRO:o{i}@127.0.0.1:{4000 + i}",
                    metadata={f"tag{i}"})
    ns.set_metadata("rm.0", {"new", "tags"})
    assert ns.lookup("rm.0", return_metadata=True)[1] == {"new", "tags"}
    ns.set_metadata("rm.0", None)
    assert ns.lookup("rm.0", return_metadata=True)[1] == ()
    assert ns.count() == base + 3
    assert ns.remove("rm.0") == 1
    assert ns.remove("rm.0") == 0
    assert ns.remove(regex=r"rm\.[2]") == 1
    assert ns.remove(prefix="rm.") == 1
    assert ns.remove("Pyro.NameServer") == 0
    assert ns.remove(prefix="Pyro") == 0
    assert ns.count() == base


def test_10_05_errors_are_the_right_class(node, ns):
    ns.register("err.x", "PYRO:x@127.0.0.1:1")
    with pytest.raises(Pyro5.errors.NamingError, match="unknown name: nope"):
        ns.lookup("nope")
    with pytest.raises(Pyro5.errors.NamingError,
                       match="name already registered: err.x"):
        ns.register("err.x", "PYRO:y@127.0.0.1:2", safe=True)
    with pytest.raises(Pyro5.errors.NamingError, match="unknown name"):
        ns.set_metadata("nope", {"x"})
    with pytest.raises(Pyro5.errors.NamingError, match="invalid regex"):
        ns.list(regex="(")
    with pytest.raises(Pyro5.errors.PyroError, match="invalid uri"):
        ns.register("err.y", "not-a-uri")
    with pytest.raises(TypeError, match="name must be a str"):
        ns.register(123, "PYRO:x@127.0.0.1:1")
    with pytest.raises(TypeError, match="metadata should not be a str"):
        ns.register("err.y", "PYRO:x@127.0.0.1:1", metadata="type:x")
    with pytest.raises(ValueError, match="one thing at a time"):
        ns.list(prefix="a", regex="b")
    with pytest.raises(ValueError, match="meta_all or meta_any"):
        ns.yplookup(meta_all={"a"}, meta_any={"b"})
    with pytest.raises(TypeError, match="takes 1 positional argument"):
        ns.count(1)
    with pytest.raises(AttributeError, match="no attribute 'nosuchmethod'"):
        ns._pyroInvoke("nosuchmethod", (), {})
    with pytest.raises(AttributeError, match="private attribute"):
        ns._pyroInvoke("_private", (), {})
    with pytest.raises(Pyro5.errors.DaemonError, match="unknown object"):
        ns._pyroInvoke("ping", (), {}, objectId="NoSuchObject")
    # Refused on purpose (pyro5-ns accepts them): "__class__" breaks
    # every client's list(), "Pyro.NameServer" would redirect clients.
    with pytest.raises(Pyro5.errors.NamingError, match="reserved"):
        ns.register("__class__", "PYRO:x@127.0.0.1:1")
    with pytest.raises(Pyro5.errors.NamingError, match="reserved"):
        ns.register("Pyro.NameServer", "PYRO:x@127.0.0.1:1")
    # The connection survives all of that.
    assert ns.ping() is None
    bad = Pyro5.api.Proxy(f"PYRO:NoSuchObject@127.0.0.1:{node.ns_port}")
    with pytest.raises(Pyro5.errors.CommunicationError,
                       match="unknown object"):
        bad._pyroBind()


@pytest.mark.parametrize("serializer", ["serpent", "json"])
def test_10_06_metadata_round_trips(node, serializer):
    Pyro5.config.SERIALIZER = serializer
    with Pyro5.api.Proxy(node.ns_uri) as p:
        name = f"rt.{serializer}.ümläut 日本 😀 'q' \"d\" \\ \t"
        tags = {"tag:české", "quote'd", 'dq"', "back\\slash", "nl\nx",
                "type:jobmanager", "zw\u200bsp", "nbsp\xa0x", ""}
        p.register(name, "PYRO:obj@127.0.0.1:45000", metadata=tags)
        uri, meta = p.lookup(name, return_metadata=True)
        assert set(meta) == tags
        listed = p.list(prefix=f"rt.{serializer}.", return_metadata=True)
        assert set(listed[name][1]) == tags
        assert set(p.yplookup(meta_all=tags)) == {name}
        assert p.remove(name) == 1
    Pyro5.config.SERIALIZER = "serpent"


def test_10_07_batch_and_oneway(ns):
    ns.register("batch.a", "PYRO:a@127.0.0.1:9")
    batch = Pyro5.api.BatchProxy(ns)
    batch.count()
    batch.lookup("batch.a")
    batch.lookup("missing.name")
    batch.count()
    results = batch()
    assert isinstance(next(results), int)
    assert next(results) == Pyro5.api.URI("PYRO:a@127.0.0.1:9")
    with pytest.raises(Pyro5.errors.NamingError, match="missing.name"):
        next(results)
    ns._pyroInvoke("register", ("batch.ow", "PYRO:b@127.0.0.1:9"), {},
                   flags=Pyro5.protocol.FLAGS_ONEWAY)
    assert ns.lookup("batch.ow") == Pyro5.api.URI("PYRO:b@127.0.0.1:9")


@Pyro5.api.expose
class Model:
    def hello(self, who):
        return f"hello {who}"


def test_10_08_daemon_found_through_us(node, ns):
    """A Pyro5 daemon registers itself (as MuPIF's runServer does) and is
    then called through the URI a fresh client looks up from us."""
    Pyro5.config.SERIALIZER = "serpent"
    daemon = Pyro5.server.Daemon(host="127.0.0.1", port=0)
    uri = daemon.register(Model())
    t = threading.Thread(target=daemon.requestLoop, daemon=True)
    t.start()
    try:
        with Pyro5.api.locate_ns("127.0.0.1", node.ns_port) as reg:
            reg.register("test.model", uri, metadata={"type:jobmanager",
                                                      "test.model"})
        with Pyro5.api.locate_ns("127.0.0.1", node.ns_port) as look:
            found = look.lookup("test.model")
            assert found == uri
            jm = look.yplookup(meta_any={"type:jobmanager"})
            assert jm["test.model"][0] == str(uri)
        with Pyro5.api.Proxy(found) as m:
            assert m.hello("mupif") == "hello mupif"
        name = f"PYRONAME:test.model@127.0.0.1:{node.ns_port}"
        with Pyro5.api.Proxy(name) as m:
            assert m.hello("again") == "hello again"
    finally:
        daemon.shutdown()
        t.join(5)
        daemon.close()


def test_10_09_many_idle_connections(node):
    """Clients keep their connection for hours: idle ones are never
    closed (here: 200 of them, idle past several housekeeping ticks)."""
    Pyro5.config.SERIALIZER = "serpent"
    proxies = []
    try:
        for _ in range(200):
            p = Pyro5.api.Proxy(node.ns_uri)
            p._pyroBind()
            proxies.append(p)
        time.sleep(2.5)
        for p in proxies:
            assert p.count() >= 1
        with Pyro5.api.Proxy(f"PYRO:Pyro.Daemon@127.0.0.1:{node.ns_port}") \
                as d:
            info = d.info()
            assert int(re.search(r"; (\d+) connections>", info)[1]) >= 201
            assert d.registered() == ["Pyro.Daemon", "Pyro.NameServer"]
    finally:
        for p in proxies:
            p._pyroRelease()


# Raw bytes: the recorded exchanges and malformed messages.

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def recv_msg(s):
    hdr = recv_exact(s, 40)
    datalen, annlen = struct.unpack(">II", hdr[12:20])
    return hdr + recv_exact(s, annlen + datalen)


def split_msgs(data):
    out = []
    while data:
        datalen, annlen = struct.unpack(">II", data[12:20])
        n = 40 + annlen + datalen
        out.append(data[:n])
        data = data[n:]
    return out


def canon_sets(payload):
    """Serpent text with the members of every set literal sorted: set
    order is one of the vectors' variable bytes."""
    head, _, body = payload.partition(b"\n")
    if not body:
        return payload
    text = body.decode()
    tree = ast.parse(text, mode="eval")
    raw = text.encode()
    spans = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Set):
            items = sorted(raw[e.col_offset:e.end_col_offset]
                           for e in n.elts)
            spans.append((n.col_offset + 1, n.end_col_offset - 1,
                          b",".join(items)))
    for start, end, new in sorted(spans, reverse=True):
        raw = raw[:start] + new + raw[end:]
    return head + b"\n" + raw


def canon_json(payload):
    """JSON text with every list of strings sorted: sets travel as lists,
    and set order is one of the vectors' variable bytes."""
    def walk(v):
        if isinstance(v, list):
            v = [walk(x) for x in v]
            return sorted(v) if all(isinstance(x, str) for x in v) else v
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v
    return json.dumps(walk(json.loads(payload)),
                      ensure_ascii=False).encode()


def replay_conn(port, client_bin, server_bin, variable_port):
    sent = split_msgs(client_bin.read_bytes())
    want = split_msgs(server_bin.read_bytes())
    got = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for m in sent:
            s.sendall(m)
            flags = struct.unpack(">H", m[8:10])[0]
            if m[6] == 4 and flags & Pyro5.protocol.FLAGS_ONEWAY:
                continue
            got.append(recv_msg(s))
    assert len(got) == len(want)
    req = [m for m in sent if not (m[6] == 4 and struct.unpack(
        ">H", m[8:10])[0] & Pyro5.protocol.FLAGS_ONEWAY)]
    for i, (g, w, r) in enumerate(zip(got, want, req)):
        wp = w[40:].replace(b"47190", str(variable_port).encode())
        gp = g[40:]
        # Header: everything but the correlation id (random unless the
        # client sent one) and the length (the port may differ in size).
        assert g[:12] == w[:12], i
        assert g[16:20] == w[16:20] and g[36:40] == w[36:40], i
        if struct.unpack(">H", r[8:10])[0] & Pyro5.protocol.FLAGS_CORR_ID:
            assert g[20:36] == r[20:36], i
        assert struct.unpack(">I", g[12:16])[0] == len(gp)
        if g[7] == 1 and gp.startswith(b"# serpent"):
            gp, wp = canon_sets(gp), canon_sets(wp)
        elif g[7] == 3:
            gp, wp = canon_json(gp), canon_json(wp)
        assert gp == wp, (i, gp, wp)


@pytest.mark.parametrize("ser", ["serpent", "json"])
def test_10_10_replay_vectors(fresh_node, ser):
    """Every recorded exchange, on a node as fresh as the recording's
    (without the mupif.scheduler entry it registers at start)."""
    n = fresh_node()
    with Pyro5.api.Proxy(n.ns_uri) as p:
        assert p.remove("mupif.scheduler") == 1
    d = VEC / "pyro5" / ser
    for stream in ("stream-1-nameserver", "stream-2-daemon",
                   "stream-3-unknown-object"):
        replay_conn(n.ns_port, d / f"{stream}.client.bin",
                    d / f"{stream}.server.bin", n.ns_port)
        time.sleep(0.3)   # the server notices the close: "1 connections"


def test_10_11_not_pyro5(node):
    # A protocol version other than 502 and 48 (Pyro4, served on the same
    # port: test_10b_pyro4.py) gets exactly what pyro5-ns answers any
    # foreign version (vectors/pyro4/cross-version shows it for 48).
    v4 = VEC / "pyro4" / "cross-version"
    hello = bytearray((v4 / "pyro4-client-to-pyro5-server.client.bin")
                      .read_bytes())
    hello[5] = 47
    with socket.create_connection(("127.0.0.1", node.ns_port),
                                  timeout=10) as s:
        s.sendall(hello)
        reply = recv_msg(s)
        assert s.recv(1) == b""        # then closed
    assert reply == (v4 / "pyro4-client-to-pyro5-server.server.bin"
                     ).read_bytes().replace(b"version: 48", b"version: 47")
    with socket.create_connection(("127.0.0.1", node.ns_port),
                                  timeout=10) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = recv_msg(s)
        assert reply[6] == 3 and reply.endswith(b"invalid data")
    # A reachability probe (connect, close) is normal: MuPIF does it.
    socket.create_connection(("127.0.0.1", node.ns_port), timeout=10).close()
    # Over the size limit: refused from the header alone.
    with socket.create_connection(("127.0.0.1", node.ns_port),
                                  timeout=10) as s:
        s.sendall(b"PYRO\x01\xf6\x01\x01\x00\x00\x00\x00"
                  + struct.pack(">II", 512 * 1024 * 1024, 0)
                  + b"\0" * 18 + b"\x4d\xc5")
        reply = recv_msg(s)
        assert b"message too large" in reply


def test_10_12_pyro5_ns_file_both_ways(fresh_node):
    """vectors/ns-sqlite/nameserver.sqlite, written by the real pyro5-ns,
    opens and lists the same entries; the file we write back keeps
    pyro5-ns's schema and opens in pyro5-ns's own SqlStorage."""
    n = fresh_node(start=False)
    jail = n.persist / "nameserver"
    jail.mkdir(parents=True)
    db = jail / "nameserver.sqlite"
    shutil.copy(VEC / "ns-sqlite" / "nameserver.sqlite", db)
    ns_user = pwd.getpwnam("mupif-ns")
    os.chown(db, ns_user.pw_uid, ns_user.pw_gid)
    os.chmod(db, 0o644)      # as pyro5-ns leaves it
    n.start()
    Pyro5.config.SERIALIZER = "serpent"
    with Pyro5.api.Proxy(n.ns_uri) as p:
        entries = p.list(return_metadata=True)
        assert list(entries) == [
            "CVUT.demo01", "test.emptymeta",
            "test.unicode-ümläut", "test.nometa", "CVUT.demo01.job-1",
            "mupif.scheduler",          # ours now, re-registered at start
            "Pyro.NameServer"]          # re-registered at start: last
        assert entries["mupif.scheduler"] == (
            f"PYRO:mupif.scheduler@127.0.0.1:{n.ns_port}",
            {"type:scheduler"})
        assert entries["CVUT.demo01"] == (
            "PYRO:obj_00000000000000000000000000000003@127.0.0.1:45003",
            {"CVUT.demo01", "Robustness_High", "type:jobmanager",
             "Runtime_seconds", "Accuracy_Medium"})
        assert entries["test.emptymeta"][1] == ()
        assert entries["test.unicode-ümläut"][1] == {"tag:české"}
        assert entries["Pyro.NameServer"] == (
            n.ns_uri, {"class:Pyro5.nameserver.NameServer"})
        p.register("added.by.us", "PYRO:o@127.0.0.1:1", metadata={"ours"})
    n.stop()
    con = sqlite3.connect(db)
    schema = [r[0] for r in con.execute(
        "SELECT sql FROM sqlite_master ORDER BY name")]
    orig = sqlite3.connect(VEC / "ns-sqlite" / "nameserver.sqlite")
    assert schema == [r[0] for r in orig.execute(
        "SELECT sql FROM sqlite_master ORDER BY name")]
    con.close()
    orig.close()
    theirs = Pyro5.nameserver.SqlStorage(str(db))
    everything = theirs.everything(return_metadata=True)
    assert everything["added.by.us"] == ("PYRO:o@127.0.0.1:1", {"ours"})
    assert everything["CVUT.demo01.job-1"][1] == {"type:appserver", "updated"}
    assert len(theirs) == 8


def test_10_13_writes_are_logged(node, ns):
    ns.register("log.me", "PYRO:o@127.0.0.1:1")
    node.wait_log("nameserver", "register log.me -> PYRO:o@127.0.0.1:1")
    assert ns.remove("log.me") == 1
    node.wait_log("nameserver", "removed 1 registration from 127.0.0.1:")


def test_10_16_limits_from_configuration(fresh_node):
    """ns_max_entries (configuration) bounds the registrations: past it
    register fails with a NamingError and nothing is stored."""
    n = fresh_node("ns_max_entries = 4\n")
    Pyro5.config.SERIALIZER = "serpent"
    with Pyro5.api.Proxy(n.ns_uri) as p:
        made = 0
        with pytest.raises(Pyro5.errors.NamingError):
            for i in range(10):
                p.register(f"lim.{i}", f"PYRO:o{i}@127.0.0.1:4{i}000")
                made += 1
        # Pyro.NameServer, mupif.scheduler + 2
        assert p.count() == 4
        assert made == 2
        assert "lim.3" not in p.list()


def test_10_17_ns_status2(node, ns):
    """The safe API's /ns-status2/ (spec C.2): loc, every registration as
    [uri, [metadata]] from the nameserver through the broker, env."""
    ns.register("status.jm", "PYRO:obj_1@127.0.0.1:45001",
                metadata={"type:jobmanager", "status.jm"})
    r = node.get("/ns-status2/", headers={"Cache-Control": "no-cache"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    doc = r.json()
    assert list(doc) == ["loc", "names", "env"]
    assert doc["loc"] == {"host": "127.0.0.1", "port": node.ns_port,
                          "source": "explicit"}
    uri, meta = doc["names"]["status.jm"]
    assert uri == "PYRO:obj_1@127.0.0.1:45001"
    assert set(meta) == {"type:jobmanager", "status.jm"}
    assert doc["names"]["Pyro.NameServer"][1] == \
        ["class:Pyro5.nameserver.NameServer"]
    assert doc["env"] == {"MUPIF_NS": f"127.0.0.1:{node.ns_port}",
                          "MUPIF_VPN_NAME": "testvpn"}
    r2 = node.get("/ns-status2", headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304


def test_10_18_ns_status2_large_and_down(fresh_node):
    """A listing bigger than one broker frame travels as a memfd; a
    nameserver that does not answer gives names {} and never a 500."""
    n = fresh_node("ns_max_entries = 2000\n")
    Pyro5.config.SERIALIZER = "serpent"
    with Pyro5.api.Proxy(n.ns_uri) as p:
        for i in range(600):
            p.register(f"big.{i:04d}", f"PYRO:obj_{i}@127.0.0.1:{40000 + i}",
                       metadata={f"type:jobmanager-{'x' * 80}-{i}"})
    r = n.get("/ns-status2/", headers={"Cache-Control": "no-cache"})
    assert r.status_code == 200
    assert len(r.content) > 65536
    assert len(r.json()["names"]) == 602    # + the two of the start
    pid = n.pids()["nameserver"]
    os.kill(pid, signal.SIGSTOP)
    try:
        r = n.get("/ns-status2/", headers={"Cache-Control": "no-cache"})
        assert r.status_code == 200
        assert r.json()["names"] == {}
    finally:
        os.kill(pid, signal.SIGCONT)

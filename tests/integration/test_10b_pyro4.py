"""Pyro4 (protocol 48) on the nameserver's port (issue 5) against the real
Pyro4 client library from PyPI (Pyro4 4.82): every Pyro4.naming.NameServer
method, the Pyro4 exception classes a client sees, metadata round trips
in serpent and JSON, batches, oneway calls, the transport ping, a Pyro4
daemon found through us, registrations shared with Pyro5 clients both
ways, what a client with an HMAC key is told, and the recorded exchanges
of the shared vectors' pyro4/ replayed byte for byte except the variable
bytes (the CORR values, set and metadata order)."""
import ast
import json
import os
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

Pyro4 = pytest.importorskip("Pyro4")
import Pyro4.core  # noqa: E402
import Pyro4.errors  # noqa: E402
import Pyro4.message  # noqa: E402
import Pyro4.naming  # noqa: E402
import Pyro5.api  # noqa: E402

from conftest import ROOT  # noqa: E402

VEC = Path(os.environ.get("MUPIF_VECTORS", ROOT.parent / "shared" / "vectors"))
V4 = VEC / "pyro4"
Pyro4.config.COMMTIMEOUT = 10
Pyro5.config.COMMTIMEOUT = 10

NS4_METHODS = {"count", "list", "lookup", "ping", "register", "remove",
               "set_metadata"}


@pytest.fixture(params=["serpent", "json"])
def ns4(request, node):
    """A fresh Pyro4 proxy in either serializer; the entries a test made
    are removed after."""
    Pyro4.config.SERIALIZER = request.param
    p = Pyro4.core.Proxy(node.ns_uri)
    before = set(p.list())
    yield p
    for name in set(p.list()) - before:
        p.remove(name)
    p._pyroRelease()
    Pyro4.config.SERIALIZER = "serpent"


def test_10b_01_locate_ping_count(node):
    Pyro4.config.SERIALIZER = "serpent"
    ns = Pyro4.naming.locateNS("127.0.0.1", node.ns_port)
    try:
        assert str(ns._pyroUri) == node.ns_uri
        assert ns.ping() is None
        assert ns.count() >= 1
        # The handshake's metadata (lists) made the proxy know them.
        assert ns._pyroMethods == NS4_METHODS
        uri, meta = ns.lookup("Pyro.NameServer", return_metadata=True)
        assert isinstance(uri, Pyro4.core.URI)
        assert str(uri) == node.ns_uri
        assert meta == ["class:Pyro4.naming.NameServer"]
        # The transport ping (MSG_PING), not a method.
        Pyro4.message.Message.ping(ns._pyroConnection)
        assert ns.ping() is None
    finally:
        ns._pyroRelease()
    # A client that does not ask for metadata on connect ("hello" only),
    # and one that compresses its requests.
    Pyro4.config.METADATA = False
    Pyro4.config.COMPRESSION = True
    try:
        with Pyro4.core.Proxy(node.ns_uri) as p:
            assert p.count() >= 1
            tags = {f"tag:{i:02d}-{'padding' * 4}" for i in range(12)}
            p.register("zip.me", "PYRO:z@127.0.0.1:1", metadata=tags)
            assert set(p.lookup("zip.me", return_metadata=True)[1]) == tags
            assert p.remove("zip.me") == 1
    finally:
        Pyro4.config.METADATA = True
        Pyro4.config.COMPRESSION = False


def test_10b_02_register_lookup_list(ns4):
    ns4.register("CVUT.demo01", "PYRO:obj_3@127.0.0.1:45003",
                 metadata={"type:jobmanager", "CVUT.demo01",
                           "Accuracy_Medium"})
    ns4.register("CVUT.demo01.job-1", "PYRO:obj_4@127.0.0.1:45004",
                 metadata=["type:appserver"])
    ns4.register("test.plain",
                 Pyro4.core.URI("PYRO:obj_1@127.0.0.1:45001"))
    uri = ns4.lookup("CVUT.demo01")
    assert isinstance(uri, Pyro4.core.URI)
    assert (uri.protocol, uri.object, uri.host, uri.port) == \
        ("PYRO", "obj_3", "127.0.0.1", 45003)
    uri, meta = ns4.lookup("CVUT.demo01", return_metadata=True)
    # Pyro4 gives metadata as a list.
    assert isinstance(meta, list)
    assert sorted(meta) == ["Accuracy_Medium", "CVUT.demo01",
                            "type:jobmanager"]
    assert ns4.lookup("test.plain", return_metadata=True)[1] == []
    assert ns4.list()["test.plain"] == "PYRO:obj_1@127.0.0.1:45001"
    assert ns4.list(prefix="CVUT.") == {
        "CVUT.demo01": "PYRO:obj_3@127.0.0.1:45003",
        "CVUT.demo01.job-1": "PYRO:obj_4@127.0.0.1:45004"}
    assert set(ns4.list(regex=r"CVUT\.demo\d+$")) == {"CVUT.demo01"}
    assert set(ns4.list(regex="test")) == {"test.plain"}
    listed = ns4.list(prefix="CVUT.demo01.", return_metadata=True)
    assert {k: (u, list(m)) for k, (u, m) in listed.items()} == {
        "CVUT.demo01.job-1": ("PYRO:obj_4@127.0.0.1:45004",
                              ["type:appserver"])}
    # The Pyro4 spelling of yplookup: list(metadata_all / metadata_any).
    assert ns4.list(metadata_all={"type:jobmanager", "Accuracy_Medium"}) \
        == {"CVUT.demo01": "PYRO:obj_3@127.0.0.1:45003"}
    assert ns4.list(metadata_all=["type:jobmanager", "type:jobmanager"]) \
        == {"CVUT.demo01": "PYRO:obj_3@127.0.0.1:45003"}
    anyof = ns4.list(metadata_any={"type:appserver", "type:jobmanager"},
                     return_metadata=True)
    assert set(anyof) == {"CVUT.demo01", "CVUT.demo01.job-1"}
    assert sorted(anyof["CVUT.demo01"][1]) == [
        "Accuracy_Medium", "CVUT.demo01", "type:jobmanager"]
    assert ns4.list(metadata_any={"type:nothing"}) == {}
    # Registration order is list() order; an update moves to the end.
    ns4.register("CVUT.demo01", "PYRO:obj_33@127.0.0.1:45033")
    assert list(ns4.list(prefix="CVUT."))[-1] == "CVUT.demo01"


def test_10b_03_set_metadata_remove_count(ns4):
    base = ns4.count()
    for i in range(3):
        ns4.register(f"rm.{i}", f"PYRO:o{i}@127.0.0.1:{4000 + i}",
                     metadata={f"tag{i}"})
    ns4.set_metadata("rm.0", {"new", "tags"})
    assert sorted(ns4.lookup("rm.0", return_metadata=True)[1]) == \
        ["new", "tags"]
    ns4.set_metadata("rm.0", None)
    assert ns4.lookup("rm.0", return_metadata=True)[1] == []
    assert ns4.count() == base + 3
    assert ns4.remove("rm.0") == 1
    assert ns4.remove("rm.0") == 0
    # Pyro4: a name that is not registered falls through to the filter.
    assert ns4.remove("rm.0", prefix="rm.2") == 1
    assert ns4.remove(regex=r"rm\.[1]") == 1
    assert ns4.remove("Pyro.NameServer") == 0
    assert ns4.remove(prefix="Pyro") == 0
    assert ns4.count() == base


def test_10b_04_errors_are_pyro4_classes(node, ns4):
    ns4.register("err.x", "PYRO:x@127.0.0.1:1")
    with pytest.raises(Pyro4.errors.NamingError, match="unknown name: nope"):
        ns4.lookup("nope")
    with pytest.raises(Pyro4.errors.NamingError,
                       match="name already registered: err.x"):
        ns4.register("err.x", "PYRO:y@127.0.0.1:2", safe=True)
    with pytest.raises(Pyro4.errors.NamingError, match="unknown name"):
        ns4.set_metadata("nope", {"x"})
    with pytest.raises(Pyro4.errors.NamingError, match="invalid regex"):
        ns4.list(regex="(")
    with pytest.raises(Pyro4.errors.PyroError, match="invalid uri"):
        ns4.register("err.y", "not-a-uri")
    with pytest.raises(TypeError, match="name must be a str"):
        ns4.register(123, "PYRO:x@127.0.0.1:1")
    with pytest.raises(TypeError, match="metadata should not be a str"):
        ns4.register("err.y", "PYRO:x@127.0.0.1:1", metadata="type:x")
    with pytest.raises(TypeError, match="metadata_any should not be a str"):
        ns4.list(metadata_any="type:x")
    with pytest.raises(ValueError, match="one thing at a time"):
        ns4.list(prefix="a", metadata_any={"b"})
    with pytest.raises(TypeError, match="takes 1 positional argument"):
        ns4.count(1)
    with pytest.raises(AttributeError, match="no attribute 'yplookup'"):
        ns4._pyroInvoke("yplookup", (), {"meta_any": {"type:x"}})
    with pytest.raises(AttributeError, match="private attribute"):
        ns4._pyroInvoke("_private", (), {})
    with pytest.raises(Pyro4.errors.DaemonError, match="unknown object"):
        ns4._pyroInvoke("ping", (), {}, objectId="NoSuchObject")
    with pytest.raises(Pyro4.errors.NamingError, match="reserved"):
        ns4.register("Pyro.NameServer", "PYRO:x@127.0.0.1:1")
    # The connection survives all of that.
    assert ns4.ping() is None
    bad = Pyro4.core.Proxy(f"PYRO:NoSuchObject@127.0.0.1:{node.ns_port}")
    with pytest.raises(Pyro4.errors.CommunicationError,
                       match="rejected: unknown object"):
        bad._pyroBind()


@pytest.mark.parametrize("serializer", ["serpent", "json"])
def test_10b_05_metadata_round_trips(node, serializer):
    Pyro4.config.SERIALIZER = serializer
    with Pyro4.core.Proxy(node.ns_uri) as p:
        name = f"rt4.{serializer}.ümläut 日本 😀 'q' \"d\" \\ \t"
        tags = {"tag:české", "quote'd", 'dq"', "back\\slash", "nl\nx",
                "type:jobmanager", "zw\u200bsp", "nbsp\xa0x", ""}
        p.register(name, "PYRO:obj@127.0.0.1:45000", metadata=tags)
        uri, meta = p.lookup(name, return_metadata=True)
        assert isinstance(meta, list) and set(meta) == tags
        listed = p.list(prefix=f"rt4.{serializer}.", return_metadata=True)
        assert set(listed[name][1]) == tags
        assert set(p.list(metadata_all=tags)) == {name}
        assert p.remove(name) == 1
    Pyro4.config.SERIALIZER = "serpent"


def test_10b_06_batch_and_oneway(ns4):
    ns4.register("batch4.a", "PYRO:a@127.0.0.1:9")
    batch = Pyro4.core.batch(ns4)
    batch.count()
    batch.lookup("batch4.a")
    batch.lookup("missing.name")
    batch.count()
    results = batch()
    assert isinstance(next(results), int)
    assert next(results) == Pyro4.core.URI("PYRO:a@127.0.0.1:9")
    with pytest.raises(Pyro4.errors.NamingError, match="missing.name"):
        next(results)
    ns4._pyroInvoke("register", ("batch4.ow", "PYRO:b@127.0.0.1:9"), {},
                    flags=Pyro4.message.FLAGS_ONEWAY)
    assert ns4.lookup("batch4.ow") == Pyro4.core.URI("PYRO:b@127.0.0.1:9")


def test_10b_07_shared_with_pyro5(node):
    """One store: a Pyro5 registration is seen by a Pyro4 lookup and the
    other way round, metadata as each generation gives it."""
    Pyro4.config.SERIALIZER = "serpent"
    Pyro5.config.SERIALIZER = "serpent"
    with Pyro4.core.Proxy(node.ns_uri) as p4, \
            Pyro5.api.Proxy(node.ns_uri) as p5:
        p5.register("x5.jm", "PYRO:a@127.0.0.1:1",
                    metadata={"type:jobmanager", "x5.jm"})
        p4.register("x4.sched", Pyro4.core.URI("PYRO:b@127.0.0.1:2"),
                    metadata=["type:scheduler"])
        try:
            uri, meta = p4.lookup("x5.jm", return_metadata=True)
            assert isinstance(uri, Pyro4.core.URI)
            assert str(uri) == "PYRO:a@127.0.0.1:1"
            assert sorted(meta) == ["type:jobmanager", "x5.jm"]
            assert p4.list(metadata_any={"type:jobmanager"}) == {
                "x5.jm": "PYRO:a@127.0.0.1:1"}
            uri, meta = p5.lookup("x4.sched", return_metadata=True)
            assert isinstance(uri, Pyro5.api.URI)
            assert str(uri) == "PYRO:b@127.0.0.1:2"
            assert meta == {"type:scheduler"}
            found = p5.yplookup(meta_any={"type:scheduler"})
            del found["mupif.scheduler"]        # the nameserver's own
            assert found == {
                "x4.sched": ("PYRO:b@127.0.0.1:2", {"type:scheduler"})}
            # Each sees the nameserver as its own generation's.
            assert p4.lookup("Pyro.NameServer", return_metadata=True)[1] \
                == ["class:Pyro4.naming.NameServer"]
            assert p5.lookup("Pyro.NameServer", return_metadata=True)[1] \
                == {"class:Pyro5.nameserver.NameServer"}
            assert p4.remove("x5.jm") == 1
            assert p5.remove("x4.sched") == 1
        finally:
            p5.remove("x5.jm")
            p5.remove("x4.sched")


@Pyro4.expose
class Model4:
    def hello(self, who):
        return f"hello {who}"


def test_10b_08_pyro4_daemon_found_through_us(node):
    """A Pyro4 daemon registers itself and is then called through the URI
    a fresh Pyro4 client looks up from us (and through PYRONAME)."""
    Pyro4.config.SERIALIZER = "serpent"
    daemon = Pyro4.core.Daemon(host="127.0.0.1", port=0)
    uri = daemon.register(Model4())
    t = threading.Thread(target=daemon.requestLoop, daemon=True)
    t.start()
    try:
        with Pyro4.naming.locateNS("127.0.0.1", node.ns_port) as reg:
            reg.register("test.model4", uri, metadata={"type:jobmanager"})
        with Pyro4.naming.locateNS("127.0.0.1", node.ns_port) as look:
            found = look.lookup("test.model4")
            assert found == uri
            jm = look.list(metadata_any={"type:jobmanager"},
                           return_metadata=True)
            assert jm["test.model4"][0] == str(uri)
        with Pyro4.core.Proxy(found) as m:
            assert m.hello("mupif") == "hello mupif"
        name = f"PYRONAME:test.model4@127.0.0.1:{node.ns_port}"
        with Pyro4.core.Proxy(name) as m:
            assert m.hello("again") == "hello again"
        # A Pyro5 client finds it too (and could not call it: Pyro4).
        with Pyro5.api.Proxy(node.ns_uri) as p5:
            assert str(p5.lookup("test.model4")) == str(uri)
            assert p5.remove("test.model4") == 1
    finally:
        daemon.shutdown()
        t.join(5)
        daemon.close()


def test_10b_09_hmac_key(node):
    """We have no HMAC key: a keyed Pyro4 client is told what a keyless
    Pyro4 nameserver tells it."""
    p = Pyro4.core.Proxy(node.ns_uri)
    p._pyroHmacKey = b"secret"
    with pytest.raises(Pyro4.errors.CommunicationError,
                       match="hmac key config not symmetric"):
        p._pyroBind()
    # On the wire: CONNECTFAIL, marshal, seq 0, no annotations, closed.
    payload = (b"# serpent utf-8 python3.2\n"
               b"{'handshake':'hello','object':'Pyro.NameServer'}")
    msg = Pyro4.message.Message(Pyro4.message.MSG_CONNECT, payload, 1,
                                Pyro4.message.FLAGS_META_ON_CONNECT, 5,
                                hmac_key=b"secret")
    with socket.create_connection(("127.0.0.1", node.ns_port),
                                  timeout=10) as s:
        s.sendall(msg.to_bytes())
        reply = recv_msg4(s)
        assert s.recv(1) == b""
    text = b"hmac key config not symmetric"
    assert reply == hdr4(3, 0, 0, len(text) + 2, 3, 0) + \
        bytes([0xfa, len(text)]) + text


# Raw bytes: the recorded exchanges.

def hdr4(mtype, flags, seq, datalen, ser, annlen):
    csum = (mtype + 48 + datalen + annlen + ser + flags + seq + 0x34E9) \
        & 0xffff
    return struct.pack(">4sHHHHiHHHH", b"PYRO", 48, mtype, flags, seq,
                       datalen, ser, annlen, 0, csum)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def recv_msg4(s):
    hdr = recv_exact(s, 24)
    datalen, = struct.unpack(">i", hdr[12:16])
    annlen, = struct.unpack(">H", hdr[18:20])
    return hdr + recv_exact(s, annlen + datalen)


def split_msgs4(data):
    out = []
    while data:
        datalen, = struct.unpack(">i", data[12:16])
        annlen, = struct.unpack(">H", data[18:20])
        n = 24 + annlen + datalen
        out.append(data[:n])
        data = data[n:]
    return out


def parts4(m):
    """(header fields, annotations dict, payload) of one message."""
    f = struct.unpack(">4sHHHHiHHHH", m[:24])
    anns, i, annlen = {}, 24, f[7]
    while i < 24 + annlen:
        key, n = struct.unpack(">4sH", m[i:i + 6])
        anns[key] = m[i + 6:i + 6 + n]
        i += 6 + n
    return f, anns, m[24 + annlen:]


def canon(payload, ser):
    """The payload as a value with every list/set of strings sorted: set
    and metadata order is one of the vectors' variable bytes."""
    if payload in (b"ping", b"pong"):
        return payload

    def walk(v):
        if isinstance(v, (list, tuple, set)):
            items = [walk(x) for x in v]
            if isinstance(v, (list, set)) and \
                    all(isinstance(x, str) for x in items):
                items = sorted(items)
            return (type(v).__name__, items)
        if isinstance(v, dict):
            return [(k, walk(x)) for k, x in v.items()]
        return v
    if ser == 2:
        return walk(json.loads(payload))
    head, _, body = payload.partition(b"\n")
    assert head == b"# serpent utf-8 python3.2"
    return walk(ast.literal_eval(body.decode()))


def replay4_conn(port, client_bin, server_bin):
    sent = split_msgs4(client_bin.read_bytes())
    want = split_msgs4(server_bin.read_bytes())
    got, req = [], []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for m in sent:
            s.sendall(m)
            if m[7] == 4 and struct.unpack(">H", m[8:10])[0] & \
                    Pyro4.message.FLAGS_ONEWAY:
                continue
            got.append(recv_msg4(s))
            req.append(m)
    assert len(got) == len(want)
    for i, (g, w, r) in enumerate(zip(got, want, req)):
        gf, ga, gp = parts4(g)
        wf, wa, wp = parts4(w)
        _, ra, _ = parts4(r)
        wp = wp.replace(b"47191", str(port).encode())
        # Header: all fields; the length (and with it the checksum) only
        # differs if the port has another number of digits.
        assert gf[:5] == wf[:5] and gf[6:9] == wf[6:9], i
        assert gf[5] == len(gp)
        assert gf[9] == (sum(gf[1:8]) + 0x34E9) & 0xffff, i
        # Annotations: the same ids; CORR echoed when the client sent
        # one, random otherwise.
        assert set(ga) == set(wa), i
        if b"CORR" in ga:
            assert len(ga[b"CORR"]) == 16
            if b"CORR" in ra:
                assert ga[b"CORR"] == ra[b"CORR"], i
        assert canon(gp, gf[6]) == canon(wp, wf[6]), (i, gp, wp)


@pytest.mark.parametrize("ser", ["serpent", "json"])
def test_10b_10_replay_vectors(fresh_node, ser):
    """Every recorded Pyro4 exchange, on a node as fresh as the
    recording's (without the mupif.scheduler entry it registers at
    start)."""
    n = fresh_node()
    with Pyro5.api.Proxy(n.ns_uri) as p:
        assert p.remove("mupif.scheduler") == 1
    d = V4 / ser
    for stream in ("stream-1-nameserver", "stream-2-daemon",
                   "stream-3-unknown-object"):
        replay4_conn(n.ns_port, d / f"{stream}.client.bin",
                     d / f"{stream}.server.bin")
        time.sleep(0.3)   # the server notices the close: "1 connections"


def test_10b_11_cross_version(node):
    """vectors/pyro4/cross-version: each generation's CONNECT, which the
    other generation's nameserver refuses, is accepted on our one port in
    its own framing."""
    cv = V4 / "cross-version"
    with socket.create_connection(("127.0.0.1", node.ns_port),
                                  timeout=10) as s:
        s.sendall((cv / "pyro4-client-to-pyro5-server.client.bin")
                  .read_bytes())
        f, anns, payload = parts4(recv_msg4(s))
        assert f[1:3] == (48, 2) and f[3] == 0x10     # CONNECTOK, meta
        assert set(anns) == {b"CORR"}
        hello = ast.literal_eval(payload.partition(b"\n")[2].decode())
        assert hello["handshake"] == "hello"
        assert set(hello["meta"]["methods"]) == NS4_METHODS
        # A Pyro5 message on this Pyro4 connection: closed, no reply.
        s.sendall((cv / "pyro5-client-to-pyro4-server.client.bin")
                  .read_bytes())
        assert s.recv(1) == b""
    with socket.create_connection(("127.0.0.1", node.ns_port),
                                  timeout=10) as s:
        s.sendall((cv / "pyro5-client-to-pyro4-server.client.bin")
                  .read_bytes())
        hdr = recv_exact(s, 40)
        assert hdr[4:7] == b"\x01\xf6\x02"           # Pyro5 CONNECTOK
        recv_exact(s, struct.unpack(">I", hdr[12:16])[0])
    # A Pyro4 header with a wrong checksum: Pyro4's answer.
    bad = bytearray((cv / "pyro4-client-to-pyro5-server.client.bin")
                    .read_bytes())
    bad[23] ^= 1
    with socket.create_connection(("127.0.0.1", node.ns_port),
                                  timeout=10) as s:
        s.sendall(bad)
        reply = recv_msg4(s)
        assert s.recv(1) == b""
    assert reply.endswith(b"\xfa\x18header checksum mismatch")
    assert reply[:24] == hdr4(3, 0, 0, 26, 3, 0)

"""Autoclean and write protection of the nameserver (issue 5, items 5-6)
with the real Pyro5 client, on a node configured as

    ns_autoclean_s = 3
    ns_autoclean_nets = 127.0.0.1/32
    ns_write_protect = yes

Autoclean: a registration pointing at a closed port inside the configured
network disappears after the 20 s grace period; one pointing at a listener
on 127.0.0.2 (outside the networks) is never probed - the listener sees no
connection - and stays, as do host names, 10.255.255.1, PYRONAME and Unix
socket URIs (which killed pyro5-ns's autoclean thread: here the sweep goes
on past them); a live one stays.  The service runs in the host's network
namespace only in this mode, under nameserver-autoclean.seccomp, and has
no UDP socket (no broadcast responder).

Write protection: a name registered from 127.0.0.1 cannot be overwritten,
changed or removed by a client whose connection comes from 127.0.0.2
(the client socket is bound to that source address), while the same
address may.  No timed assertions: every wait polls with a generous
deadline."""
import os
import socket
import time
from contextlib import contextmanager

import pytest

import Pyro5.api
import Pyro5.client
import Pyro5.errors
import Pyro5.socketutil

from ns_helpers import accepted, listener  # noqa: F401
from conftest import Node, require_root

Pyro5.config.COMMTIMEOUT = 10
CONF = ("ns_autoclean_s = 3\n"
        "ns_autoclean_nets = 127.0.0.1/32\n"
        "ns_write_protect = yes\n")


@pytest.fixture(scope="module")
def acnode(tmp_path_factory):
    require_root()
    n = Node(tmp_path_factory.mktemp("acnode"), CONF).start()
    yield n
    n.stop()


@contextmanager
def source_address(addr):
    """Pyro5 proxies made inside connect from addr (a loopback alias)."""
    orig = Pyro5.socketutil.create_socket

    def create(bind=None, connect=None, **kw):
        if connect is None or not isinstance(connect, tuple):
            return orig(bind=bind, connect=connect, **kw)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((addr, 0))
        s.settimeout(kw.get("timeout") or 10)
        s.connect(connect)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s
    Pyro5.socketutil.create_socket = create
    try:
        yield
    finally:
        Pyro5.socketutil.create_socket = orig








def closed_port(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def poll(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def socket_inodes(pid):
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if t.startswith("socket:["):
            out.add(t[8:-1])
    return out


def table_inodes(pid, name):
    out = set()
    try:
        with open(f"/proc/{pid}/net/{name}") as f:
            next(f)
            for line in f:
                out.add(line.split()[9])
    except FileNotFoundError:
        pass
    return out


def test_10c_01_confinement(acnode):
    pid = acnode.pids()["nameserver"]
    # The host's network namespace in this mode only, and still both
    # seccomp stages.
    assert os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net")
    st = open(f"/proc/{pid}/status").read()
    assert "Seccomp:\t2" in st and "NoNewPrivs:\t1" in st
    acnode.wait_log("nameserver", "autoclean every 3 s, probing only "
                    "127.0.0.1/32")
    acnode.wait_log("nameserver", "write protection on")
    # No UDP socket: no broadcast responder.
    mine = socket_inodes(pid)
    assert mine
    assert not mine & (table_inodes(pid, "udp") | table_inodes(pid, "udp6"))
    assert mine & (table_inodes(pid, "tcp") | table_inodes(pid, "tcp6"))


def test_10c_02_autoclean(acnode):
    pid = acnode.pids()["nameserver"]
    live = listener("127.0.0.1")
    other = listener("127.0.0.2")     # outside 127.0.0.1/32
    dead_port = closed_port("127.0.0.1")
    names = {
        # URIs pyro5-ns's autoclean died on, first in list order.
        "ac.pyroname": "PYRONAME:something",
        "ac.unix": "PYRO:obj@./u:somesocket",
        "ac.hostname": f"PYRO:obj@localhost:{dead_port}",
        "ac.outside": f"PYRO:obj@127.0.0.2:{other.getsockname()[1]}",
        "ac.far": "PYRO:obj@10.255.255.1:4000",
        "ac.ipv6": f"PYRO:obj@[::1]:{dead_port}",
        "ac.dead": f"PYRO:obj@127.0.0.1:{dead_port}",
        "ac.live": f"PYRO:obj@127.0.0.1:{live.getsockname()[1]}",
    }
    try:
        with Pyro5.api.Proxy(acnode.ns_uri) as ns:
            for name, uri in names.items():
                ns.register(name, uri)
            poll(lambda: "ac.dead" not in ns.list(prefix="ac."), 120,
                 "the dead registration was not removed")
            left = ns.list(prefix="ac.")
        assert set(left) == set(names) - {"ac.dead"}
        for name in left:
            assert left[name] == names[name]
        acnode.wait_log("nameserver", "autoclean: unregistering ac.dead; "
                        "cannot connect uri " + names["ac.dead"])
        # The live one was probed, the one outside the networks never.
        assert accepted(live) >= 1
        assert accepted(other) == 0
        # Sweeps go on: the live one is probed again, the outsider not.
        poll(lambda: accepted(live) >= 1, 30, "no further probe")
        assert accepted(other) == 0
        # A re-registered dead name is removed again (autoclean alive).
        with Pyro5.api.Proxy(acnode.ns_uri) as ns:
            ns.register("ac.dead", names["ac.dead"])
            poll(lambda: "ac.dead" not in ns.list(prefix="ac."), 120,
                 "autoclean stopped after the first removal")
            ns.remove(prefix="ac.")
    finally:
        live.close()
        other.close()
    # Never killed by its seccomp filter, never restarted.
    assert acnode.pids()["nameserver"] == pid


def test_10c_03_write_protection(acnode):
    pid = acnode.pids()["nameserver"]
    with Pyro5.api.Proxy(acnode.ns_uri) as ns:
        ns.register("wp.jobman", "PYRO:jm@127.0.0.1:4000",
                    metadata={"type:jobmanager"})
    with source_address("127.0.0.2"):
        with Pyro5.api.Proxy(acnode.ns_uri) as other:
            # Reading is free.
            assert str(other.lookup("wp.jobman")) == "PYRO:jm@127.0.0.1:4000"
            for call in (lambda: other.register("wp.jobman",
                                                "PYRO:evil@127.0.0.2:4000"),
                         lambda: other.set_metadata("wp.jobman", {"x"}),
                         lambda: other.remove("wp.jobman")):
                with pytest.raises(Pyro5.errors.NamingError,
                                   match="write-protected"):
                    call()
            assert other.remove(prefix="wp.") == 0
            assert other.remove(regex="wp") == 0
            # Its own names are its own.
            other.register("wp.other", "PYRO:o@127.0.0.2:4000")
        acnode.wait_log("nameserver", "register of wp.jobman refused: "
                        "registered from 127.0.0.1, not from 127.0.0.2:")
    with Pyro5.api.Proxy(acnode.ns_uri) as ns:
        uri, meta = ns.lookup("wp.jobman", return_metadata=True)
        assert str(uri) == "PYRO:jm@127.0.0.1:4000"
        assert meta == {"type:jobmanager"}
        with pytest.raises(Pyro5.errors.NamingError, match="write-protected"):
            ns.remove("wp.other")
        # The same address may overwrite and remove.
        ns.register("wp.jobman", "PYRO:jm@127.0.0.1:4001")
        ns.set_metadata("wp.jobman", {"t"})
        assert ns.remove(prefix="wp.") == 1
    with source_address("127.0.0.2"):
        with Pyro5.api.Proxy(acnode.ns_uri) as other:
            assert other.remove("wp.other") == 1
    assert acnode.pids()["nameserver"] == pid

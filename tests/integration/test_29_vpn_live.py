"""/vpn-status2/ from a live hub (issue 8, item 3).

A real tunnel as in test_28: wireguard-go in network namespaces named
after this process's id (hub, a, b; only addresses inside them), the hub
from OUR hub config (`mupif-central vpn keys`), both peers from their
generated configs, pings from both so handshakes happen.  A node started
with vpn_uapi_socket (wireguard-go's /var/run/wireguard/<iface>.sock,
reached by path from the host namespace: the launcher connects it and
hands it to the vpn service as fd 0) and vpn_peer_map (fd 1) answers
/vpn-status2/ with both peers: their names from the peer map, VPN
addresses, a handshake, non-zero counters, the spec C.2 shape; no private
or preshared key anywhere (base64 and the UAPI's hex form, in the body,
the logs and the status file), no endpoint unless vpn_show_endpoints; the
vpn service has CapEff 0, Seccomp 2, NoNewPrivs 1.  The UAPI connection
is held by the launcher's get-only relay (launcher/vpn_relay.c), a
separate confined process (non-root, CapEff 0, Seccomp 2, NoNewPrivs 1,
two fds): the service's fd 0 is a socketpair to it, and the relay's
other socket is the one connected to wireguard-go (ss).  Against a fake
UAPI server the relay sends only "get=1\n\n" and drops the key lines
(malformed ones there, which the service's parser would reject).  Then
the hub goes away: errors ({}), the service exits to be reconnected
(code 3), and once the hub is back the status returns without
restarting the node.
"""
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import proc_status, require_root
from test_28_vpn_keys import (TOOLS, Net, hub_peers, keys, ping, received,
                              secrets_of, write_topo)

PEERS = (("alice", "10.78.0.2"), ("bob", "10.78.0.3"))


@pytest.fixture(scope="module")
def tunnel(tmp_path_factory):
    """Hub and peers a (alice), b (bob) up, both having pinged."""
    require_root()
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, f"install {missing} (scripts/setup.sh)"
    tmp = tmp_path_factory.mktemp("wg29")
    net = Net(tmp)
    net.ns = {k: f"m29{k}{os.getpid()}" for k in net.ns}
    net.iface = net.iface.replace("w", "v", 1)
    topo = write_topo(tmp, iface=net.iface, peers=PEERS)
    r = keys(topo)
    assert r.returncode == 0, r.stderr
    try:
        net.up()
        net.hubconf = tmp / f"hub/{net.iface}.conf"
        net.wg_up("hub", net.iface, net.hubconf, "10.78.0.1/24")
        for k, name in (("a", "alice"), ("b", "bob")):
            net.wg_up(k, f"{net.iface}_{name}",
                      tmp / f"peers/{net.iface}_{name}.conf",
                      dict(PEERS)[name] + "/24")
        for k in ("a", "b"):
            assert received(ping(net, k, 3)) >= 1
        net.tmp = tmp
        net.peermap = tmp / "map/peers.json"
        net.sock = Path(f"/var/run/wireguard/{net.iface}.sock")
        yield net
    finally:
        net.down()


def secret_forms(tmp):
    """Every private and preshared key, base64 and hex (the UAPI form)."""
    out = set()
    for s in secrets_of(tmp):
        out.add(s)
        out.add(base64.b64decode(s).hex())
    assert len(out) == 2 * (1 + 2 + 2)   # hub, 2 peers, 2 psks... twice
    return out


def live_node(fresh_node, net, extra=""):
    return fresh_node(f"vpn_uapi_socket = {net.sock}\n"
                      f"vpn_peer_map = {net.peermap}\n" + extra,
                      env={"MUPIF_VPN_NAME": net.iface})


def get_vpn(node):
    r = node.get("/vpn-status2/", headers={"Cache-Control": "no-cache"})
    assert r.status_code == 200
    return r


def check_no_secrets(net, node, text):
    for s in secret_forms(net.tmp):
        assert s not in text
        for name in ("vpn", "safeapi", "launcher", "broker"):
            assert s not in node.log(name)
        assert s not in (node.persist / "run/status.json").read_text()


def relay_pid(node, timeout=5):
    """The vpn relay: the launcher's child named vpn-relay."""
    lp = node.status()["launcher_pid"]
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                st = proc_status(d.name)
            except OSError:
                continue
            if st.get("Name") == "vpn-relay" and st["PPid"] == str(lp):
                found.append(int(d.name))
        if found or time.monotonic() > deadline:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.1)


def socket_inodes(pid):
    """{fd: inode} of the sockets among pid's fds, and the fd count."""
    out, n = {}, 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        n += 1
        m = re.fullmatch(r"socket:\[(\d+)\]",
                         os.readlink(f"/proc/{pid}/fd/{fd}"))
        if m:
            out[int(fd)] = int(m.group(1))
    return out, n


def unix_peers():
    """{local inode: (local address, peer inode)} from ss -xa."""
    out = {}
    for line in subprocess.run(["ss", "-xaH"], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        f = line.split()
        # Netid State Recv-Q Send-Q Local Inode Peer Inode
        if len(f) >= 8 and f[5].isdigit() and f[7].isdigit():
            out[int(f[5])] = (f[4], int(f[7]))
    return out


def check_relay(net, node):
    """The relay, not the service, holds the UAPI connection."""
    svc = node.pids()["vpn"]
    rp = relay_pid(node)
    st, vst = proc_status(rp), proc_status(svc)
    assert st["CapEff"] == "0000000000000000"
    assert st["CapPrm"] == "0000000000000000"
    assert st["Seccomp"] == "2"
    assert st["NoNewPrivs"] == "1"
    assert st["Uid"].split()[0] != "0" and st["Gid"].split()[0] != "0"
    assert st["Uid"] == vst["Uid"]
    rsock, nfd = socket_inodes(rp)
    assert nfd == 2 and sorted(rsock) == [3, 4]     # nothing else open
    ssock, _ = socket_inodes(svc)
    host = unix_peers()
    # The service's fd 0: a socketpair whose other end is the relay's.
    assert host[ssock[0]][1] == rsock[4]
    assert host[rsock[4]][1] == ssock[0]
    # The relay's fd 3: connected to wireguard-go's socket (the kernel
    # makes the accepted end in the connecting side's namespace, so it is
    # listed here, named by the listener's path).  No socket of the
    # service is.
    assert host[host[rsock[3]][1]][0] == str(net.sock)
    assert all(host.get(host.get(i, ("", 0))[1], ("",))[0] != str(net.sock)
               for i in ssock.values())
    return rp


def test_29_01_live_status(fresh_node, tunnel):
    net = tunnel
    node = live_node(fresh_node, net)
    pubs = {n: v[0] for n, v in hub_peers(net.hubconf).items()}
    assert json.loads(net.peermap.read_text()) == {
        pubs["alice"]: "alice", pubs["bob"]: "bob"}
    r = get_vpn(node)
    v = r.json()
    assert list(v) == [net.iface]
    t = v[net.iface]
    assert t["ipAddr"] is None
    assert sorted(t) == ["bytes", "ipAddr", "peers"]
    peers = {p["name"]: p for p in t["peers"]}
    assert set(peers) == {"alice", "bob"}
    for name, addr in PEERS:
        p = peers[name]
        assert sorted(p) == ["bytes", "lastHandshake", "name", "online",
                             "publicKey", "remote", "vpnAddr"]
        # Both pinged a moment ago: a handshake well inside 180 s.
        assert p["online"] is True
        assert p["publicKey"] == pubs[name]
        assert p["vpnAddr"] == addr + "/32"
        assert p["bytes"]["rx"] > 0 and p["bytes"]["tx"] > 0
        assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d",
                            p["lastHandshake"])
        assert not p["lastHandshake"].startswith("1970")
        assert p["remote"] is None
    assert t["bytes"]["rx"] == sum(p["bytes"]["rx"] for p in t["peers"])
    assert "10.77." not in r.text           # no endpoint address
    check_no_secrets(net, node, r.text)
    # Confinement of the collector.
    st = proc_status(node.pids()["vpn"])
    assert st["CapEff"] == "0000000000000000"
    assert st["CapPrm"] == "0000000000000000"
    assert st["Seccomp"] == "2"
    assert st["NoNewPrivs"] == "1"
    node.wait_log("vpn", "serving the UAPI socket, names from the peer map")
    rp = check_relay(net, node)
    node.wait_log("launcher", f"started vpn relay, pid {rp}")
    # Live: counters grow with traffic between two requests.
    assert received(ping(net, "a", 2)) >= 1
    r2 = get_vpn(node).json()[net.iface]
    a2 = {p["name"]: p for p in r2["peers"]}["alice"]
    assert a2["bytes"]["rx"] > peers["alice"]["bytes"]["rx"]


def test_29_02_endpoints_shown(fresh_node, tunnel):
    net = tunnel
    node = live_node(fresh_node, net, "vpn_show_endpoints = yes\n")
    r = get_vpn(node)
    peers = {p["name"]: p for p in r.json()[net.iface]["peers"]}
    assert peers["alice"]["remote"]["host"] == "10.77.1.2"
    assert peers["bob"]["remote"]["host"] == "10.77.2.2"
    assert 0 < peers["alice"]["remote"]["port"] < 65536
    check_no_secrets(net, node, r.text)


def test_29_03_no_peer_map_and_bad_map(fresh_node, tunnel):
    net = tunnel
    # Without a peer map: key prefixes, as the dump path.
    node = fresh_node(f"vpn_uapi_socket = {net.sock}\n",
                      env={"MUPIF_VPN_NAME": net.iface})
    names = {p["name"] for p in get_vpn(node).json()[net.iface]["peers"]}
    pubs = {v[0][:8] for v in hub_peers(net.hubconf).values()}
    assert names == pubs
    # A malformed map is logged and ignored.
    bad = net.tmp / "bad-map.json"
    bad.write_text('{"x": "alice"}')
    node2 = fresh_node(f"vpn_uapi_socket = {net.sock}\n"
                       f"vpn_peer_map = {bad}\n",
                       env={"MUPIF_VPN_NAME": net.iface})
    names = {p["name"] for p in get_vpn(node2).json()[net.iface]["peers"]}
    assert names == pubs
    node2.wait_log("vpn", "member 1: not a public key")
    # A symbolic link is refused by the launcher.
    link = net.tmp / "link-map.json"
    link.symlink_to(net.peermap)
    node3 = fresh_node(f"vpn_uapi_socket = {net.sock}\n"
                       f"vpn_peer_map = {link}\n",
                       env={"MUPIF_VPN_NAME": net.iface})
    assert get_vpn(node3).json()[net.iface]["peers"]
    node3.wait_log("launcher", f"vpn_peer_map {link}:")


def test_29_04_config_errors(fresh_node, tunnel):
    net = tunnel
    for extra, msg in (
            ("vpn_uapi_socket = rel.sock\n", "vpn_uapi_socket: must be an "
             "absolute path"),
            ("vpn_peer_map = rel.json\n", "vpn_peer_map: must be an "
             "absolute path"),
            (f"vpn_uapi_socket = {net.sock}\nvpn_dump_file = /x\n",
             "set either it or vpn_dump_file")):
        n = fresh_node(extra, start=False)
        r = n.cli("run")
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert msg in r.stderr


def test_29_05_hub_restart_reconnects(fresh_node, tunnel):
    """The hub goes away: {} (an error inside), the service exits with
    code 3 once it has run reconnect_ms and is restarted; when the hub is
    back the status returns, the node never restarted."""
    net = tunnel
    node = live_node(fresh_node, net)
    assert get_vpn(node).json()[net.iface]["peers"]
    hub = net.wg[0]
    hub.terminate()
    hub.wait(10)
    deadline = time.monotonic() + 30        # a wait, not an assertion
    while net.sock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert get_vpn(node).json() == {}
    node.wait_log("vpn", "vpn.status: UAPI socket:")
    net.wg.remove(hub)
    net.wg_up("hub", net.iface, net.hubconf, "10.78.0.1/24")
    # The service reconnects after reconnect_ms (11 s by default).
    deadline = time.monotonic() + 90
    got = {}
    while time.monotonic() < deadline:
        for k in ("a", "b"):
            received(ping(net, k, 1))
        got = get_vpn(node).json()
        if got and len(got[net.iface]["peers"]) == 2:
            break
        time.sleep(1)
    assert {p["name"] for p in got[net.iface]["peers"]} == {"alice", "bob"}
    node.wait_log("vpn", "UAPI socket unusable: exiting to be restarted")
    node.wait_log("launcher", "exited with code 3")
    assert "giving up" not in node.log("launcher")
    check_no_secrets(net, node, json.dumps(got))


FAKE_PUB = bytes(range(32))
FAKE_ANSWER = (
    "private_key=not-a-key\n"          # the parser would reject both
    "listen_port=51820\n"
    f"public_key={FAKE_PUB.hex()}\n"
    "preshared_key=zz\n"
    "protocol_version=1\n"
    "endpoint=192.0.2.7:51820\n"
    "last_handshake_time_sec=1700000000\n"
    "last_handshake_time_nsec=0\n"
    "tx_bytes=10\n"
    "rx_bytes=20\n"
    "persistent_keepalive_interval=0\n"
    "allowed_ip=10.79.0.2/32\n"
    "errno=0\n\n").encode()


def test_29_06_relay_gets_only_and_drops_keys(fresh_node, tmp_path):
    """A fake wireguard-go: the relay writes nothing but "get=1\n\n" and
    the key lines (malformed here: the service's parser would refuse
    them) never reach the service, whose answer is whole."""
    path = tmp_path / "fake.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(4)
    got = []

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            buf = b""
            with c:
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    got.append(d)
                    buf += d
                    while b"\n\n" in buf:
                        buf = buf.split(b"\n\n", 1)[1]
                        c.sendall(FAKE_ANSWER)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        node = fresh_node(f"vpn_uapi_socket = {path}\n",
                          env={"MUPIF_VPN_NAME": "fk29"})
        for _ in range(3):
            v = get_vpn(node).json()
            assert list(v) == ["fk29"]
            (p,) = v["fk29"]["peers"]
            assert p["publicKey"] == base64.b64encode(FAKE_PUB).decode()
            assert p["vpnAddr"] == "10.79.0.2/32"
            assert p["bytes"] == {"rx": 20, "tx": 10}
        assert b"".join(got) == b"get=1\n\n" * 3
        assert "private_key" not in node.log("vpn")
        st = proc_status(relay_pid(node))
        assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1"
    finally:
        srv.close()

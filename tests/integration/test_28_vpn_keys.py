"""`mupif-central vpn keys` and `vpn reload` (issue 8, first slice).

keys: the topology JSON (spec infrastructure.md 6.1) is checked (every
error names its field; nothing is written on an error), keys are made
only for peers that have none and match `wg pubkey` byte for byte, files
are 0600 in 0700 directories, re-running changes nothing, additions keep
the existing peers' keys, a removed peer leaves the hub config and the
peer map and its secret config is deleted, configs of the old Python
generator are read back, and no key ever reaches stdout or stderr.

reload, with a real tunnel: wireguard-go in network namespaces made here
(names carry this process's id so parallel runs cannot collide; only
addresses inside them are used).  The hub comes up from OUR hub config
(`wg-quick strip` + `wg setconf`), a peer from its generated config,
ping crosses the tunnel; a second peer is added and applied with `vpn
reload --netns` while the first peer pings on: its packets keep flowing
and its session (handshake, counters) is not reset; then the first peer
is removed and reloaded away, and its tunnel stops.
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CENTRAL

TOOLS = ("wg", "wg-quick", "wireguard-go", "ip", "ping")


def test_28_00_tools_present():
    """The tunnel tests need these; scripts/setup.sh installs them."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, f"install {missing} (scripts/setup.sh)"
    assert os.geteuid() == 0, "network namespaces need root"


def run(*args, check=False, inp=None):
    return subprocess.run([str(a) for a in args], capture_output=True,
                          text=True, check=check, input=inp, timeout=60)


def keys(topo):
    return run(CENTRAL, "vpn", "keys", "--topology", topo)


def wg_pubkey(priv):
    return run("wg", "pubkey", inp=priv + "\n", check=True).stdout.strip()


def write_topo(d, iface="tst", peers=(("alice", "10.78.0.2"),), **kw):
    t = {"iface": iface, "addr": "10.78.0.1/24", "extAddr": "10.77.0.1",
         "extPort": "51820", "keepalive": 0, "hubDir": "hub",
         "peerDir": "peers", "peerMap": "map/peers.json", "iptables": 0,
         "restart": 0,
         "peers": peers if isinstance(peers, dict) else
         [list(p) for p in peers]}
    t.update(kw)
    p = Path(d) / "topo.json"
    p.write_text(json.dumps(t))
    return p


def conf_values(path, key):
    return re.findall(rf"^{key} = (\S+)$", Path(path).read_text(), re.M)


def hub_peers(hubconf):
    """name -> (public key, psk, allowed ips) from a hub config."""
    out = {}
    for block in Path(hubconf).read_text().split("[Peer]")[1:]:
        name = re.search(r'# friendly_json = \{"name":"([^"]+)"\}',
                         block).group(1)
        out[name] = tuple(re.search(rf"^{k} = (\S+)$", block, re.M)
                          .group(1) for k in
                          ("PublicKey", "PresharedKey", "AllowedIPs"))
    return out


def secrets_of(d):
    """Every private and preshared key in the tree under d."""
    s = set()
    for f in Path(d).rglob("*.conf"):
        s.update(conf_values(f, "PrivateKey"))
        s.update(conf_values(f, "PresharedKey"))
    return s


def no_secret_printed(d, *procs):
    for sec in secrets_of(d):
        for p in procs:
            assert sec not in p.stdout and sec not in p.stderr


def test_28_01_keys_match_wg_pubkey(tmp_path):
    peers = [(f"p{i}", f"10.78.0.{10 + i}") for i in range(8)]
    topo = write_topo(tmp_path, peers=peers)
    r = keys(topo)
    assert r.returncode == 0, r.stderr
    hubconf = tmp_path / "hub/tst.conf"
    hp = hub_peers(hubconf)
    assert list(hp) == [n for n, _ in peers]
    hubpub = wg_pubkey(conf_values(hubconf, "PrivateKey")[0])
    pmap = json.loads((tmp_path / "map/peers.json").read_text())
    for name, ip in peers:
        pc = tmp_path / f"peers/tst_{name}.conf"
        text = pc.read_text()
        assert text.startswith(f'# friendly_json = {{"name":"{name}"}}\n')
        priv = conf_values(pc, "PrivateKey")[0]
        # Our public key (hub config) == wg pubkey of our private key.
        assert wg_pubkey(priv) == hp[name][0]
        assert conf_values(pc, "PublicKey") == [hubpub]
        assert conf_values(pc, "PresharedKey") == [hp[name][1]]
        assert hp[name][2] == f"{ip}/32"
        assert conf_values(pc, "Address") == [f"{ip}/24"]
        assert conf_values(pc, "AllowedIPs") == ["10.78.0.0/24"]
        assert conf_values(pc, "Endpoint") == ["10.77.0.1:51820"]
        assert "PersistentKeepalive" not in text       # keepalive 0
        assert pmap[hp[name][0]] == name
        assert stat.S_IMODE(pc.stat().st_mode) == 0o600
    assert len(pmap) == len(peers)
    assert stat.S_IMODE(hubconf.stat().st_mode) == 0o600
    for d in ("hub", "peers", "map"):
        assert stat.S_IMODE((tmp_path / d).stat().st_mode) == 0o700
    hub = hubconf.read_text()
    assert hub.startswith("[Interface]\nAddress = 10.78.0.1/24\n"
                          "ListenPort = 51820\nPrivateKey = ")
    assert "PostUp" not in hub and "iptables" not in hub
    # Every key distinct; none printed.
    assert len(secrets_of(tmp_path)) == 1 + 2 * len(peers)
    no_secret_printed(tmp_path, r)
    assert "p0" in r.stdout and "new" in r.stdout


def test_28_02_idempotent(tmp_path):
    topo = write_topo(tmp_path, peers=(("alice", "10.78.0.2"),
                                       ("bob", "10.78.0.3")), keepalive=20)
    r1 = keys(topo)
    assert r1.returncode == 0, r1.stderr
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    before = {p: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
              for p in files}
    r2 = keys(topo)
    assert r2.returncode == 0, r2.stderr
    after = {p: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns)
             for p in sorted(p for p in tmp_path.rglob("*") if p.is_file())}
    assert after == before                  # not even rewritten
    assert r2.stdout.count("unchanged") == 4
    assert re.search(r"peer alice\s+10\.78\.0\.2\s+kept", r2.stdout)
    assert conf_values(tmp_path / "peers/tst_bob.conf",
                       "PersistentKeepalive") == ["20"]
    no_secret_printed(tmp_path, r1, r2)


def test_28_03_add_and_remove(tmp_path):
    topo = write_topo(tmp_path, peers=(("alice", "10.78.0.2"),
                                       ("bob", "10.78.0.3")))
    assert keys(topo).returncode == 0
    hubconf = tmp_path / "hub/tst.conf"
    hubpriv = conf_values(hubconf, "PrivateKey")
    old = hub_peers(hubconf)
    alice_conf = (tmp_path / "peers/tst_alice.conf").read_bytes()
    # Addition: carol new, alice and bob untouched.
    write_topo(tmp_path, peers=(("alice", "10.78.0.2"),
                                ("bob", "10.78.0.3"),
                                ("carol", "10.78.0.4")))
    r = keys(topo)
    assert r.returncode == 0, r.stderr
    new = hub_peers(hubconf)
    assert new["alice"] == old["alice"] and new["bob"] == old["bob"]
    assert set(new) == {"alice", "bob", "carol"}
    assert conf_values(hubconf, "PrivateKey") == hubpriv
    assert (tmp_path / "peers/tst_alice.conf").read_bytes() == alice_conf
    assert re.search(r"peer carol\s+10\.78\.0\.4\s+new", r.stdout)
    # Removal: bob leaves the hub config and the map; his secret config
    # is deleted; it is reported.
    write_topo(tmp_path, peers=(("alice", "10.78.0.2"),
                                ("carol", "10.78.0.4")))
    r = keys(topo)
    assert r.returncode == 0, r.stderr
    assert set(hub_peers(hubconf)) == {"alice", "carol"}
    assert re.search(r"peer bob\s+removed", r.stdout)
    assert "1 removed" in r.stdout
    assert not (tmp_path / "peers/tst_bob.conf").exists()
    pmap = json.loads((tmp_path / "map/peers.json").read_text())
    assert sorted(pmap.values()) == ["alice", "carol"]
    assert old["bob"][0] not in pmap
    # bob back: new keys, the revoked ones are not reused.
    write_topo(tmp_path, peers=(("alice", "10.78.0.2"),
                                ("carol", "10.78.0.4"), ("bob", "10.78.0.9")))
    assert keys(topo).returncode == 0
    back = hub_peers(hubconf)["bob"]
    assert back[0] != old["bob"][0] and back[1] != old["bob"][1]
    assert back[2] == "10.78.0.9/32"
    # An address change keeps the keys.
    write_topo(tmp_path, peers=(("alice", "10.78.0.22"),
                                ("carol", "10.78.0.4"), ("bob", "10.78.0.9")))
    assert keys(topo).returncode == 0
    assert hub_peers(hubconf)["alice"][:2] == old["alice"][:2]
    assert conf_values(tmp_path / "peers/tst_alice.conf",
                       "Address") == ["10.78.0.22/24"]


BAD = [
    ({"addr": "10.78.0.1/33"}, 'field "addr": bad prefix length'),
    ({"addr": "10.78.0.1"}, 'field "addr": not a.b.c.d/len'),
    ({"addr": "10.78.0.256/24"}, 'field "addr": not an IPv4'),
    ({"addr": "8.8.8.1/24"}, 'field "addr": not a private'),
    ({"addr": "10.78.0.0/24"}, 'field "addr": the network or broadcast'),
    ({"peers": [["a", "10.79.0.2"]]},
     'field "peers[0][1]" (peer "a"): address outside the network'),
    ({"peers": [["a", "10.78.0.2"], ["a", "10.78.0.3"]]},
     'field "peers[1][0]": duplicate peer name "a"'),
    ({"peers": [["a", "10.78.0.2"], ["b", "10.78.0.2"]]},
     'field "peers[1][1]" (peer "b"): duplicate address'),
    ({"peers": [["a", "10.78.0.1"]]}, "the hub's own address"),
    ({"peers": [["a", "10.78.0.255"]]}, "network or broadcast"),
    ({"peers": [["a", "10.78.0.02"]]}, "not an IPv4 address"),
    ({"peers": [["a b", "10.78.0.2"]]}, 'field "peers[0][0]": bad peer'),
    ({"peers": [["averyverylongname", "10.78.0.2"]]},
     'field "peers[0][0]"'),
    ({"peers": [["a"]]}, 'field "peers[0]": not a pair'),
    ({"peers": {"a": "10.78.0.2"}}, 'field "peers": not a list'),
    ({"net": "10.78.0.1/24"}, 'unknown field "net": it was renamed "addr"'),
    ({"color": "blue"}, 'unknown field "color"'),
    ({"iface": None}, 'field "iface": not a string'),
    ({"iface": "bad/name"}, 'field "iface": bad interface name'),
    ({"extAddr": "example.org"}, 'field "extAddr": not an IPv4'),
    ({"extPort": "0"}, 'field "extPort": not a number'),
    ({"extPort": 70000}, 'field "extPort": out of range'),
    ({"keepalive": -1}, 'field "keepalive": out of range'),
    ({"iptables": "yes"}, 'field "iptables": not a boolean'),
    ({"hubDir": ""}, 'field "hubDir": empty path'),
]


@pytest.mark.parametrize("change,msg", BAD)
def test_28_04_validation_errors(tmp_path, change, msg):
    topo = write_topo(tmp_path, **change)
    r = keys(topo)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert msg in r.stderr, r.stderr
    assert r.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["topo.json"]


def test_28_05_validation_whole_document(tmp_path):
    for text, msg in (("[]", "not a JSON object"),
                      ("{", "not valid JSON"),
                      ('{"addr": "10.78.0.1/24"}',
                       'field "iface": missing'),
                      ('{"iface": "a", "iface": "b"}', "not valid JSON")):
        p = tmp_path / "topo.json"
        p.write_text(text)
        r = keys(p)
        assert r.returncode == 2 and msg in r.stderr, (text, r.stderr)
    r = run(CENTRAL, "vpn", "keys")
    assert r.returncode == 2 and "--topology FILE is required" in r.stderr
    r = run(CENTRAL, "vpn", "keys", "--topology", tmp_path / "none.json")
    assert r.returncode == 1 and "No such file" in r.stderr
    r = run(CENTRAL, "status", "--topology", tmp_path / "topo.json")
    assert r.returncode == 2


def test_28_06_restart_warns(tmp_path):
    topo = write_topo(tmp_path, restart=True)
    r = keys(topo)
    assert r.returncode == 0, r.stderr
    assert '"restart" is not supported and is ignored' in r.stderr
    assert "vpn reload" in r.stderr


def test_28_07_python_generator_files_read_back(tmp_path):
    """A hub config and a peer config in the Python generator's layout
    (PostUp line, peer blocks PublicKey/friendly_json/PresharedKey/
    AllowedIPs): the hub key and the peer's keys are kept."""
    gen = lambda: run("wg", "genkey", check=True).stdout.strip()  # noqa
    hubpriv, alicepriv, psk = gen(), gen(), run(
        "wg", "genpsk", check=True).stdout.strip()
    (tmp_path / "hub").mkdir()
    (tmp_path / "peers").mkdir()
    (tmp_path / "hub/tst.conf").write_text(
        "[Interface]\nAddress = 10.78.0.1/24\nListenPort = 51820\n"
        f"PrivateKey = {hubpriv}\n"
        "PostUp = iptables -A INPUT -p udp --dport 51820 -j ACCEPT\n\n"
        f"[Peer]\nPublicKey = {wg_pubkey(alicepriv)}\n"
        '# friendly_json = {"name":"alice"}\n'
        f"PresharedKey = {psk}\nAllowedIPs = 10.78.0.2/32\n")
    (tmp_path / "peers/tst_alice.conf").write_text(
        '# friendly_json = {"name":"alice"}\n[Interface]\n'
        f"Address = 10.78.0.2/24\nPrivateKey = {alicepriv}\n\n"
        f"[Peer]\nPublicKey = {wg_pubkey(hubpriv)}\nPresharedKey = {psk}\n"
        "AllowedIPs = 10.78.0.0/24\nEndpoint = 1.2.3.4:51820\n"
        "PersistentKeepalive = 20\n")
    topo = write_topo(tmp_path, peers=(("alice", "10.78.0.2"),
                                       ("bob", "10.78.0.3")), iptables=1)
    r = keys(topo)
    assert r.returncode == 0, r.stderr
    hubconf = tmp_path / "hub/tst.conf"
    assert conf_values(hubconf, "PrivateKey") == [hubpriv]
    assert ("PostUp = iptables -A INPUT -p udp --dport 51820 -j ACCEPT"
            in hubconf.read_text())
    hp = hub_peers(hubconf)
    assert hp["alice"] == (wg_pubkey(alicepriv), psk, "10.78.0.2/32")
    pc = tmp_path / "peers/tst_alice.conf"
    assert conf_values(pc, "PrivateKey") == [alicepriv]
    assert conf_values(pc, "Endpoint") == ["10.77.0.1:51820"]  # rewritten
    assert "PersistentKeepalive" not in pc.read_text()
    assert "bob" in hp
    no_secret_printed(tmp_path, r)


def test_28_08_inconsistent_files_refused(tmp_path):
    topo = write_topo(tmp_path, peers=(("alice", "10.78.0.2"),))
    assert keys(topo).returncode == 0
    hubconf = tmp_path / "hub/tst.conf"
    good = hubconf.read_text()
    pc = tmp_path / "peers/tst_alice.conf"
    pctext = pc.read_text()
    # The peer's config is gone: refuse (never silently re-key).
    pc.unlink()
    r = keys(topo)
    assert r.returncode == 1 and "remove its [Peer] block" in r.stderr
    # Its private key does not match the hub's record of it.
    other = run("wg", "genkey", check=True).stdout.strip()
    pc.write_text(re.sub(r"(?m)^PrivateKey = \S+$",
                         f"PrivateKey = {other}", pctext))
    r = keys(topo)
    assert r.returncode == 1 and "does not match" in r.stderr
    assert other not in r.stderr
    pc.write_text(pctext)
    # A [Peer] block without a name; a key that is not one; an unknown key.
    for bad, msg in (
            (good + "\n[Peer]\nPublicKey = " + wg_pubkey(other) +
             "\nAllowedIPs = 10.78.0.50/32\n", "without a \"# friendly_json"),
            (good.replace("PresharedKey = ", "PresharedKey = x"),
             "PresharedKey: not a key"),
            (good + "Colour = blue\n", "unknown key in [Peer]")):
        hubconf.write_text(bad)
        r = keys(topo)
        assert r.returncode == 1 and msg in r.stderr, r.stderr
        assert hubconf.read_text() == bad      # left alone
    hubconf.write_text(good)
    assert keys(topo).returncode == 0


def test_28_09_reload_errors(tmp_path):
    topo = write_topo(tmp_path)
    r = run(CENTRAL, "vpn", "reload", "--topology", topo)
    assert r.returncode == 1 and "run `mupif-central vpn keys` first" in \
        r.stderr
    r = run(CENTRAL, "vpn", "reload", "--topology", topo, "--netns", "../x")
    assert r.returncode == 2 and "--netns" in r.stderr
    r = run(CENTRAL, "vpn", "keys", "--topology", topo, "--netns", "x")
    assert r.returncode == 2
    assert keys(topo).returncode == 0
    # No such interface: wg's failure is reported, nothing is printed.
    r = run(CENTRAL, "vpn", "reload", "--topology", topo)
    assert r.returncode == 1 and "wg syncconf tst failed" in r.stderr
    no_secret_printed(tmp_path, r)


# ---------------------------------------------------------------- tunnel

class Net:
    """Namespaces hub, a, b (pid-named), veth pairs hub<->a, hub<->b;
    the hub's endpoint address 10.77.0.1 on its lo, routed from a and b."""

    def __init__(self, tmp):
        pid = os.getpid()
        self.tmp = tmp
        self.iface = f"w{pid % 100000}"
        self.ns = {k: f"m28{k}{pid}" for k in ("hub", "a", "b")}
        self.wg = []            # wireguard-go Popen objects
        self.made = []

    def ip(self, ns, *args):
        run("ip", "-n", self.ns[ns], *args, check=True)

    def up(self):
        for n in self.ns.values():
            run("ip", "netns", "add", n, check=True)
            self.made.append(n)
        self.ip("hub", "link", "set", "lo", "up")
        self.ip("hub", "addr", "add", "10.77.0.1/32", "dev", "lo")
        for i, k in enumerate(("a", "b"), start=1):
            self.ip("hub", "link", "add", f"v{k}", "type", "veth", "peer",
                    "name", "v0", "netns", self.ns[k])
            self.ip("hub", "addr", "add", f"10.77.{i}.1/24", "dev", f"v{k}")
            self.ip("hub", "link", "set", f"v{k}", "up")
            self.ip(k, "link", "set", "lo", "up")
            self.ip(k, "addr", "add", f"10.77.{i}.2/24", "dev", "v0")
            self.ip(k, "link", "set", "v0", "up")
            self.ip(k, "route", "add", "10.77.0.1/32", "via", f"10.77.{i}.1")

    def wg_up(self, ns, ifname, conf, addr):
        """wireguard-go -f in ns, then wg setconf with the config
        stripped by wg-quick strip, then the address and link up."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[ns],
                              "wireguard-go", "-f", ifname],
                             env={"PATH": os.environ["PATH"],
                                  "LOG_LEVEL": "error"},
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.wg.append(p)
        sock = Path(f"/var/run/wireguard/{ifname}.sock")
        deadline = time.monotonic() + 30        # a wait, not an assertion
        while not sock.exists():
            assert p.poll() is None, "wireguard-go exited"
            assert time.monotonic() < deadline, "no UAPI socket"
            time.sleep(0.05)
        stripped = run("wg-quick", "strip", conf, check=True).stdout
        sf = self.tmp / f"{ifname}.stripped"
        sf.touch(mode=0o600)
        sf.write_text(stripped)
        run("ip", "netns", "exec", self.ns[ns], "wg", "setconf", ifname,
            sf, check=True)
        sf.unlink()
        self.ip(ns, "addr", "add", addr, "dev", ifname)
        self.ip(ns, "link", "set", ifname, "up")

    def show(self, what):
        """{public key: value} of `wg show <hub iface> <what>`."""
        out = run("ip", "netns", "exec", self.ns["hub"], "wg", "show",
                  self.iface, what, check=True).stdout
        return {ln.split("\t")[0]: ln.split("\t")[1:]
                for ln in out.splitlines() if ln}

    def down(self):
        for p in self.wg:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for n in self.made:
            run("ip", "netns", "del", n)


def ping(net, ns, count, interval="0.2"):
    return subprocess.Popen(["ip", "netns", "exec", net.ns[ns], "ping",
                             "-n", "-c", str(count), "-i", interval, "-W",
                             "2", "10.78.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def received(p):
    out, _ = p.communicate(timeout=120)
    m = re.search(r"(\d+) received", out)
    assert m, out
    return int(m.group(1))


def test_28_10_real_tunnel_reload(tmp_path):
    assert all(shutil.which(t) for t in TOOLS), "tools missing"
    net = Net(tmp_path)
    iface = net.iface
    topo = write_topo(tmp_path, iface=iface, peers=(("a", "10.78.0.2"),))
    r = keys(topo)
    assert r.returncode == 0, r.stderr
    hubconf = tmp_path / f"hub/{iface}.conf"
    try:
        net.up()
        net.wg_up("hub", iface, hubconf, "10.78.0.1/24")
        net.wg_up("a", f"{iface}_a", tmp_path / f"peers/{iface}_a.conf",
                  "10.78.0.2/24")
        assert received(ping(net, "a", 3)) >= 1     # handshake + replies
        puba = hub_peers(hubconf)["a"][0]
        hs0 = int(net.show("latest-handshakes")[puba][0])
        rx0 = int(net.show("transfer")[puba][0])
        assert hs0 > 0 and rx0 > 0

        # Peer a pings on while b is added and the hub reloaded.
        pa = ping(net, "a", 20)
        write_topo(tmp_path, iface=iface, peers=(("a", "10.78.0.2"),
                                                 ("b", "10.78.0.3")))
        r = keys(topo)
        assert r.returncode == 0, r.stderr
        assert re.search(r"peer a\s+10\.78\.0\.2\s+kept", r.stdout)
        r = run(CENTRAL, "vpn", "reload", "--topology", topo, "--netns",
                net.ns["hub"])
        assert r.returncode == 0, r.stderr
        assert f"reloaded {iface}: 2 peers" in r.stdout
        no_secret_printed(tmp_path, r)
        pubb = hub_peers(hubconf)["b"][0]
        assert set(net.show("peers")) == {puba, pubb}
        net.wg_up("b", f"{iface}_b", tmp_path / f"peers/{iface}_b.conf",
                  "10.78.0.3/24")
        assert received(ping(net, "b", 5)) >= 1
        assert received(pa) >= 15
        # a's session survived: same or later handshake, counters kept
        # growing (a removed and re-added peer starts from zero).
        hs1 = int(net.show("latest-handshakes")[puba][0])
        rx1 = int(net.show("transfer")[puba][0])
        assert hs1 >= hs0 and rx1 > rx0
        assert net.show("preshared-keys")[puba] != ["(none)"]

        # Remove a: reload takes it off the interface, its tunnel stops,
        # b's keeps working.
        write_topo(tmp_path, iface=iface, peers=(("b", "10.78.0.3"),))
        assert keys(topo).returncode == 0
        r = run(CENTRAL, "vpn", "reload", "--topology", topo, "--netns",
                net.ns["hub"])
        assert r.returncode == 0, r.stderr
        assert set(net.show("peers")) == {pubb}
        assert received(ping(net, "a", 3)) == 0
        assert received(ping(net, "b", 3)) >= 1
    finally:
        net.down()
    assert not Path(f"/var/run/wireguard/{iface}.sock").exists()

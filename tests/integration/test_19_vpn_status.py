"""/vpn-status2/ from the vpn service (issue 7, item 5).

The vpn service reads `wg show <iface> dump` output from vpn_dump_file
(opened by the launcher, passed as fd 0) and answers vpn.status; the safe
API serves it as /vpn-status2/.  Fixture dumps use made-up keys (`wg
genkey` when wireguard-tools is installed, else random base64).  Checked:
the spec C.2 shape, only active peers, endpoints hidden by default and
shown when vpn_show_endpoints is on, no private or preshared key anywhere
in the answer, the logs or the status file, `{}` with no dump file, and a
malformed dump gives `{}` and a log line, never a 500."""
import base64
import os
import shutil
import subprocess
import time

import pytest

from conftest import require_root


def genkey():
    if shutil.which("wg"):
        return subprocess.run(["wg", "genkey"], capture_output=True,
                              text=True, check=True).stdout.strip()
    return base64.b64encode(os.urandom(32)).decode()


PRIV, HUBPUB, PEER1, PSK1, PEER2, PSK2 = (genkey() for _ in range(6))
SECRETS = (PRIV, PSK1, PSK2)


def dump():
    return (f"{PRIV}\t{HUBPUB}\t51823\toff\n"
            f"{PEER1}\t{PSK1}\t198.51.100.7:51820\t172.24.1.10/32\t"
            "1733738515\t2097152\t1048576\t20\n"
            f"{PEER2}\t{PSK2}\t(none)\t172.24.1.11/32\t0\t0\t0\toff\n")


def vpn_node(fresh_node, tmp_path, text, extra=""):
    require_root()
    f = tmp_path / "wg.dump"
    f.write_text(text)
    os.chmod(f, 0o600)          # root only, as the hub key deserves
    return fresh_node(f"vpn_dump_file = {f}\n" + extra), f


def get_vpn(node, path="/vpn-status2/"):
    r = node.get(path, headers={"Cache-Control": "no-cache"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    return r


def no_secrets(node, body):
    for s in SECRETS:
        assert s not in body
        for name in ("vpn", "safeapi", "launcher", "broker"):
            assert s not in node.log(name)
        assert s not in (node.persist / "run/status.json").read_text()


def test_19_01_shape_endpoints_hidden(fresh_node, tmp_path):
    node, _ = vpn_node(fresh_node, tmp_path, dump())
    r = get_vpn(node)
    v = r.json()
    assert list(v) == ["testvpn"]
    t = v["testvpn"]
    assert t["ipAddr"] is None
    assert t["bytes"] == {"tx": 1048576, "rx": 2097152}
    assert len(t["peers"]) == 1         # the inactive peer is left out
    p = t["peers"][0]
    assert p == {"vpnAddr": "172.24.1.10/32",
                 "bytes": {"tx": 1048576, "rx": 2097152},
                 "publicKey": PEER1, "name": PEER1[:8],
                 "lastHandshake": "2024-12-09T10:01:55",
                 # A handshake of 2024 is long past: offline now.
                 "online": False, "remote": None}
    assert "198.51.100.7" not in r.text
    assert HUBPUB not in r.text
    no_secrets(node, r.text)
    # Without the slash too, and cached with an ETag like the others.
    r2 = node.get("/vpn-status2")
    assert r2.status_code == 200 and r2.json() == v
    assert r2.headers.get("ETag")
    r3 = node.get("/vpn-status2/",
                  headers={"If-None-Match": r2.headers["ETag"]})
    assert r3.status_code == 304


def test_19_02_endpoints_shown(fresh_node, tmp_path):
    node, f = vpn_node(fresh_node, tmp_path, dump(),
                       "vpn_show_endpoints = yes\n")
    r = get_vpn(node)
    p = r.json()["testvpn"]["peers"][0]
    assert p["remote"] == {"host": "198.51.100.7", "port": 51820}
    no_secrets(node, r.text)
    # Re-read on each refresh (rewritten in place, as `wg show > file`).
    f.write_text(dump().replace("2097152", "4194304"))
    time.sleep(0.1)
    r = get_vpn(node)
    assert r.json()["testvpn"]["bytes"]["rx"] == 4194304


def test_19_03_malformed(fresh_node, tmp_path):
    node, _ = vpn_node(fresh_node, tmp_path,
                       dump().replace("51823", "port"))
    r = get_vpn(node)
    assert r.json() == {}
    node.wait_log("vpn", "vpn.status: line 1: bad listen port")
    no_secrets(node, r.text)


def test_19_04_not_configured(fresh_node):
    require_root()
    node = fresh_node()
    r = get_vpn(node)
    assert r.json() == {}
    r = node.get("/vpn-status2")
    assert r.status_code == 200 and r.json() == {}


def test_19_05_peer_map_names(fresh_node, tmp_path):
    """vpn_peer_map (the launcher opens it, the service reads it before
    its jail): names replace the key prefixes, "" for a peer the map does
    not know (as the original)."""
    m = tmp_path / "peers.json"
    m.write_text('{"%s":"client01"}' % PEER1)
    node, f = vpn_node(fresh_node, tmp_path, dump(),
                       f"vpn_peer_map = {m}\n")
    p = get_vpn(node).json()["testvpn"]["peers"][0]
    assert p["name"] == "client01" and p["publicKey"] == PEER1
    m.write_text('{"%s":"other"}' % PEER2)
    node2, _ = vpn_node(fresh_node, tmp_path, dump(),
                        f"vpn_peer_map = {m}\n")
    assert get_vpn(node2).json()["testvpn"]["peers"][0]["name"] == ""

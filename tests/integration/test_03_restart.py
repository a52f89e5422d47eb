"""Supervision: a service that dies comes back (the broker brings every
service back with it), and the node stops cleanly on SIGTERM and SIGINT."""
import os
import signal
import time

import pytest

from conftest import SERVICES


@pytest.mark.parametrize("svc", SERVICES)
def test_03_01_kill9_comes_back_within_2s(node, svc):
    # Let the backoff of an earlier kill reset (it counts runs < 10 s).
    old = node.pids()[svc]
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    while True:
        pids = node.pids()
        if set(pids) == set(SERVICES) and pids[svc] != old and node.dms_ok():
            break
        assert time.monotonic() - t0 < 2.0, node.log("launcher")
        time.sleep(0.02)
    node.wait_log("launcher", f"{svc}[{old}] killed by signal 9")
    st = node.status()
    assert [s["restarts"] for s in st["services"] if s["name"] == svc][0] >= 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_03_02_stop_within_5s(fresh_node, sig):
    n = fresh_node()
    pids = list(n.pids().values())
    t0 = time.monotonic()
    rc = n.stop(sig)
    elapsed = time.monotonic() - t0
    assert rc == 0, n.out.read_text()
    assert elapsed < 5.0
    for p in pids:
        assert not os.path.exists(f"/proc/{p}"), p
    assert not (n.persist / "run/status.json").exists()
    n.wait_log("launcher", "launcher: stopped")
    # The port is free again: the same node starts on it.
    n.start()
    assert n.dms_ok()


def test_03_03_status_when_stopped(fresh_node):
    n = fresh_node()
    n.stop()
    r = n.cli("status")
    assert r.returncode == 1
    assert "not running" in r.stderr


def test_03_04_second_launcher_refused(fresh_node):
    n = fresh_node()
    import subprocess
    from conftest import CENTRAL
    r = subprocess.run([str(CENTRAL), "--config", str(n.conf),
                        "--persistent", str(n.persist), "run"],
                       env=n.env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert "another launcher" in r.stderr


def test_03_05_restart_rate_cap(fresh_node):
    """After restart_max restarts within restart_window seconds the
    launcher gives up on that service and says so; the rest keep running."""
    n = fresh_node("restart_max = 3\nrestart_window = 60\n")
    for _ in range(4):
        deadline = time.monotonic() + 10
        while "safeapi" not in n.pids():
            if "giving up on safeapi" in n.log("launcher"):
                break
            assert time.monotonic() < deadline, n.log("launcher")
            time.sleep(0.02)
        else:
            os.kill(n.pids()["safeapi"], signal.SIGKILL)
            time.sleep(0.05)
    n.wait_log("launcher", "giving up on safeapi: 3 restarts in 60 s")
    st = {s["name"]: s for s in n.status()["services"]}
    assert st["safeapi"]["state"] == "failed"
    assert st["db"]["state"] == "running"
    r = n.cli("status")
    assert r.returncode == 1
    assert "failed" in r.stdout

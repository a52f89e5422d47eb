"""The monitor page (web/monitor/, issue 7 item 4) in a real browser.

A node with ns_probe on, a fake model server and a fake scheduler (real
Pyro5 objects from test_10d/test_10e) registered at its nameserver, and VPN
peers from a fixture dump (test_19); real Apache in front (test_20's
helpers).  Headless Chromium (Debian's chromium, driven by playwright-core
from .npm-tools/, installed by scripts/setup.sh) loads /mon/ through
Apache; tests/integration/monitor_check.mjs waits for live data, checks the
badges and the four pages, that markup in a registration stays text, that
the CSP is never violated, that every request went to 127.0.0.1, and saves
screenshots into this test's tmp dir (their paths are printed)."""
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

import Pyro5.api
import Pyro5.server

from conftest import ROOT, SERVICES
from test_10d_jobmans import FakeModelServer
from test_10e_schedulers import FakeScheduler
from test_19_vpn_status import dump
from test_20_apache import APACHE, apaches, start_proxy  # noqa: F401 (fixture)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NODE = shutil.which("node")
PW = ROOT / ".npm-tools"
SCRIPT = ROOT / "tests" / "integration" / "monitor_check.mjs"

@pytest.fixture(autouse=True)
def _tools_installed():
    """scripts/setup.sh installs all of them; without one this test fails
    (it never skips)."""
    assert os.path.exists(APACHE) and os.path.exists(CHROMIUM) and NODE \
        and (PW / "node_modules" / "playwright-core").is_dir(), \
        "apache2, chromium, node or playwright-core missing: run " \
        "scripts/setup.sh"

Pyro5.config.COMMTIMEOUT = 10


@pytest.fixture
def daemon():
    d = Pyro5.server.Daemon(host="127.0.0.1")
    t = threading.Thread(target=d.requestLoop, daemon=True)
    t.start()
    yield d
    d.shutdown()
    t.join(10)


def test_22_monitor_in_chromium(fresh_node, tmp_path, apaches, daemon):  # noqa: F811
    f = tmp_path / "wg.dump"
    f.write_text(dump())
    os.chmod(f, 0o600)
    node = fresh_node("ns_probe = yes\n"
                      "ns_autoclean_nets = 127.0.0.1/32\n"
                      f"vpn_dump_file = {f}\n", start=False).start(wait=False)
    deadline = time.monotonic() + 15
    while not (set(SERVICES) <= set(node.pids()) and node.dms_ok()):
        assert node.proc.poll() is None, node.out.read_text()
        assert time.monotonic() < deadline, node.out.read_text()
        time.sleep(0.05)

    jm = str(daemon.register(FakeModelServer("CTU-TM-demo")))
    sched = str(daemon.register(FakeScheduler()))
    with Pyro5.api.Proxy(node.ns_uri) as ns:
        ns.register("CTU-TM-demo", jm, metadata={
            "type:jobmanager", "CTU-TM-demo", "Accuracy_Medium",
            "Robustness_High", "Runtime_minutes"})
        ns.register("mupif.scheduler", sched, metadata={"type:scheduler"})
        # Markup in public data must reach the page as text.
        ns.register("demo.app", jm, metadata={"type:appserver",
                                              "<img id=pwn src=x>"})
    # The node sees them before the browser starts.
    deadline = time.monotonic() + 20
    while node.get("/status2/", headers={"Cache-Control": "no-cache"},
                   timeout=20).json()["scheduler"] != "OK":
        assert time.monotonic() < deadline
        time.sleep(0.2)

    port = start_proxy(apaches, tmp_path, node.port)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    r = subprocess.run([NODE, str(SCRIPT), f"http://127.0.0.1:{port}/mon/",
                        str(shots)],
                       env={**os.environ, "PLAYWRIGHT_DIR": str(PW),
                            "CHROMIUM": CHROMIUM},
                       capture_output=True, text=True, timeout=180)
    print(f"monitor screenshots: {shots}")
    last = (r.stdout.strip().splitlines() or ["{}"])[-1]
    try:
        res = json.loads(last)
    except ValueError:
        res = {}
    assert r.returncode == 0 and res.get("ok"), \
        (r.returncode, res.get("failures"), r.stdout[-3000:], r.stderr[-3000:])
    for s in res["screenshots"]:
        print("  ", s)
    # The page polled the safe API through the proxy, and only that.
    paths = {u.split(f":{port}", 1)[1] for u in res["requests"]
             if not u.startswith("data:")}
    for p in ("/mon/", "/mon/app.js", "/mon/config.js", "/mon/monitor.css",
              "/safe-api/status2/", "/safe-api/scheduler-status2/",
              "/safe-api/jobmans-status2/", "/safe-api/ns-status2/",
              "/safe-api/vpn-status2/"):
        assert p in paths, (p, paths)
    assert all(p.startswith(("/mon/", "/safe-api/")) for p in paths), paths
    assert len(res["screenshots"]) == 5
    assert all(os.path.getsize(s) > 10000 for s in res["screenshots"])

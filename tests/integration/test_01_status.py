"""The first slice end to end: public HTTP -> safeapi -> broker -> db ->
SQLite and back, with the original /status2/ JSON shape
(spec/web-and-monitor.md C.2) and its HTTP behaviour."""
import os
import signal
import time


def test_01_01_status2_shape(node):
    r = node.get("/status2/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert list(r.json()) == ["nameserver", "dms", "scheduler", "name"]
    # "scheduler": the node's own scheduler answers sched.ping.
    assert r.json() == {"nameserver": "OK", "dms": "OK",
                        "scheduler": "OK", "name": "testvpn"}


def test_01_02_without_trailing_slash(node):
    r = node.get("/status2")
    assert r.status_code == 200
    assert r.json()["dms"] == "OK"


def test_01_03_etag_and_304(node):
    r = node.get("/status2/")
    etag = r.headers["ETag"]
    assert etag.startswith('W/"')
    assert r.headers["Cache-Control"].startswith("max-age=")
    r2 = node.get("/status2/", headers={"If-None-Match": etag})
    assert r2.status_code == 304
    assert r2.content == b""
    assert r2.headers["ETag"] == etag


def test_01_04_other_methods_405(node):
    import requests
    for m in ("POST", "PUT", "DELETE", "PATCH"):
        r = requests.request(m, node.url + "/status2/", data=b"x=1",
                             timeout=5)
        assert r.status_code == 405, m
        assert r.json() == {"detail": "Method Not Allowed"}
        assert r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_01_05_head_and_options(node):
    import requests
    r = requests.head(node.url + "/status2/", timeout=5)
    assert r.status_code == 200
    r = requests.options(node.url + "/status2/", timeout=5)
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_01_06_unknown_path_404_json(node):
    r = node.get("/nope")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}


def test_01_07_db_down_is_failed_not_500(node):
    """A db that does not answer gives "dms": "Failed" after the broker's
    time-out, never a 500."""
    pid = node.pids()["db"]
    os.kill(pid, signal.SIGSTOP)
    try:
        r = node.get("/status2/", headers={"Cache-Control": "no-cache"})
        assert r.status_code == 200
        assert r.json()["dms"] == "Failed"
    finally:
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 5
    while not node.dms_ok():
        assert time.monotonic() < deadline, "db did not come back"
        time.sleep(0.1)
    node.wait_log("broker", "did not answer db.ping")


def test_01_08_status_command(node):
    r = node.cli("status", check=True)
    for s in ("broker", "db", "safeapi", "nameserver"):
        line = [l for l in r.stdout.splitlines() if l.startswith(s + " ")]
        assert line and line[0].rstrip().endswith("yes"), r.stdout
    j = node.cli("status", "--json", check=True)
    import json
    doc = json.loads(j.stdout)
    assert doc["all_confined"] is True
    from conftest import SERVICES
    assert {s["name"] for s in doc["services"]} == set(SERVICES)


def test_01_09_no_cache_is_rate_limited(fresh_node):
    """Cache-Control: no-cache refreshes at most once per
    status_min_refresh_ms, so a public client cannot make every request a
    database query and an audit record."""
    n = fresh_node("status_min_refresh_ms = 60000\n")
    log = n.persist / "audit/audit.log"
    before = log.read_text().count("\tdb.ping\t")
    for _ in range(50):
        r = n.get("/status2/", headers={"Cache-Control": "no-cache"})
        assert r.status_code == 200
    after = log.read_text().count("\tdb.ping\t")
    assert after - before <= 1


def test_01_10_broker_rate_limit(fresh_node):
    """Past broker_rate requests/s a caller gets "busy", recorded in the
    audit log, and the node keeps working."""
    n = fresh_node("broker_rate = 5\nstatus_min_refresh_ms = 0\n")
    seen = set()
    for _ in range(40):
        seen.add(n.get("/__test/call/db.ping").json()["status"])
    assert "busy" in seen and "ok" in seen
    out = n.cli("audit", "show", "--result", "busy", check=True).stdout
    assert "db.ping" in out


def test_01_11_nameserver_down_is_failed(node):
    """A nameserver that does not answer gives "nameserver": "Failed",
    never a 500; it is "OK" again once it answers."""
    pid = node.pids()["nameserver"]
    os.kill(pid, signal.SIGSTOP)
    try:
        r = node.get("/status2/", headers={"Cache-Control": "no-cache"})
        assert r.status_code == 200
        assert r.json()["nameserver"] == "Failed"
        assert r.json()["dms"] == "OK"
    finally:
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 5
    while True:
        r = node.get("/status2/", headers={"Cache-Control": "no-cache"})
        if r.json()["nameserver"] == "OK":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    node.wait_log("broker", "nameserver did not answer ns.ping")

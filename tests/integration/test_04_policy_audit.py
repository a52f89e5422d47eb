"""Broker policy and the audit log: a request the policy forbids is
refused and recorded; any edit of the log is found and named."""
import json
import re

import pytest


def test_04_01_forbidden_request_denied_and_audited(node):
    # Test builds let safeapi ask for any operation by name.
    r = node.get("/__test/call/settings.put")
    assert r.json() == {"status": "denied"}
    node.wait_log("broker", "denied: safeapi -> db settings.put")
    out = node.cli("audit", "show", "--op", "settings.put", "--json",
                   check=True).stdout
    recs = [json.loads(l) for l in out.splitlines()]
    assert recs and all(r["result"] == "denied" for r in recs)
    assert recs[-1]["caller"] == "safeapi"
    assert recs[-1]["target"] == "test-target"


def test_04_02_allowed_requests_audited(node):
    node.get("/status2/", headers={"Cache-Control": "no-cache"})
    out = node.cli("audit", "show", "--service", "safeapi", "--op",
                   "db.*", "--result", "ok").stdout
    assert "db.ping" in out


def test_04_03_audit_show_time_window(node):
    out = node.cli("audit", "show", "--since", "2999", check=True).stdout
    assert out == ""
    out = node.cli("audit", "show", "--until", "2000", check=True).stdout
    assert out == ""
    out = node.cli("audit", "show", "--since", "2000", check=True).stdout
    assert out.count("\n") >= 2


def test_04_04_verify_intact(node):
    r = node.cli("audit", "verify")
    assert r.returncode == 0, r.stdout
    assert re.search(r"intact: \d+ records", r.stdout)


def _fill(n, count=5):
    for _ in range(count):
        n.get("/status2/", headers={"Cache-Control": "no-cache"})
    log = n.persist / "audit/audit.log"
    lines = log.read_bytes().splitlines(keepends=True)
    assert len(lines) >= count
    return log, lines


@pytest.mark.parametrize("where", ["body", "hash"])
def test_04_05_one_byte_edit_named(fresh_node, where):
    n = fresh_node()
    log, lines = _fill(n)
    n.stop()
    line = bytearray(lines[2])
    i = line.index(b"\t") - 1 if where == "body" else len(line) - 5
    # body: the last digit of the sequence number; hash: a hex digit
    line[i] = ord("7") if line[i] != ord("7") else ord("8")
    lines[2] = bytes(line)
    log.write_bytes(b"".join(lines))
    r = n.cli("audit", "verify")
    assert r.returncode == 1
    assert "BROKEN at line 3" in r.stdout, r.stdout


def test_04_06_deleted_record_named(fresh_node):
    n = fresh_node()
    log, lines = _fill(n)
    n.stop()
    log.write_bytes(b"".join(lines[:1] + lines[2:]))
    r = n.cli("audit", "verify")
    assert r.returncode == 1
    assert "BROKEN at line 2" in r.stdout
    assert "deleted, inserted or reordered" in r.stdout


def test_04_07_chain_resumes_after_restart(fresh_node):
    n = fresh_node()
    _fill(n, 3)
    n.stop()
    n.start()
    _fill(n, 3)
    r = n.cli("audit", "verify")
    assert r.returncode == 0, r.stdout


def test_04_08_fd_refused_unless_policy_allows(node):
    """A descriptor may travel only with operations marked (fd) in
    broker.policy; execution.count_by_status is not."""
    r = node.get("/__test/call_fd/execution.count_by_status")
    assert r.json() == {"status": "denied"}
    node.wait_log("broker", "denied: safeapi -> db execution.count_by_status"
                  " (fd not allowed)")
    assert node.dms_ok()


def test_04_09_malformed_frame_closes_channel(fresh_node):
    """A service that sends a malformed frame loses its channel, exits,
    and is restarted by the launcher; the broker records it."""
    n = fresh_node()
    old = n.pids()["safeapi"]
    import requests
    try:
        n.get("/__test/malformed", timeout=2)
    except requests.RequestException:
        pass
    n.wait_log("broker", "malformed frame from safeapi: bad length")
    n.wait_log("broker", "channel to safeapi closed: malformed frame")
    n.wait_log("safeapi", "broker went away, exiting")
    n.wait_ready()
    assert n.pids()["safeapi"] != old
    out = n.cli("audit", "show", "--result", "malformed", check=True).stdout
    assert "safeapi" in out

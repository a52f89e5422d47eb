"""Signed checkpoints of the audit log (issue 9): the launcher signs the
head of the broker's hash chain with an Ed25519 key only root holds, so
`mupif-central audit verify` also catches a chain rewritten from record k
on with correct hashes, records cut off the end, and a damaged checkpoint.

Each test runs a real node with `audit_checkpoint_s = 1`, makes requests,
waits for a checkpoint, stops the node (which signs the final head), then
tampers with the files as an attacker with the broker's rights would.
"""
import hashlib
import stat
import subprocess
import time

import pytest

from conftest import Node, require_root

CKPT = "keys/audit-checkpoints.log"


def _requests(n, count=5):
    for _ in range(count):
        r = n.get("/status2/", headers={"Cache-Control": "no-cache"})
        assert r.status_code == 200


def _ckpt_lines(n):
    p = n.persist / CKPT
    return p.read_text().splitlines() if p.exists() else []


@pytest.fixture
def signed(tmp_path):
    """A stopped node whose audit log has signed checkpoints; yields it
    and the broker's uid and gid (read while it ran)."""
    require_root()
    n = Node(tmp_path / "n", "audit_checkpoint_s = 1\n")
    try:
        n.start()
        _requests(n)
        deadline = time.monotonic() + 20
        while not _ckpt_lines(n):
            assert time.monotonic() < deadline, \
                "no checkpoint:\n" + n.log("launcher")
            time.sleep(0.1)
        _requests(n)
        broker = _ids(n, "broker")
    finally:
        n.stop()
    yield n, broker


def _ids(n, name):
    """Real uid and gid of a running service."""
    with open(f"/proc/{n.pids()[name]}/status") as f:
        st = dict(line.split(":", 1) for line in f)
    return int(st["Uid"].split()[0]), int(st["Gid"].split()[0])



def _verify(n):
    return n.cli("audit", "verify")


def _log(n):
    p = n.persist / "audit/audit.log"
    return p, p.read_text().splitlines(keepends=True)


def _rehash(lines, k, edit):
    """Rewrite records k.. (1-based) with edit(fields) and correct hashes,
    as lib/audit.c computes them."""
    prev = bytes(32)
    out = []
    for i, line in enumerate(lines, 1):
        f = line.rstrip("\n").split("\t")
        if i >= k:
            f = edit(f[:7])
            body = "\t".join(f)
            h = hashlib.blake2b(prev + body.encode(), digest_size=32)
            f.append(h.hexdigest())
        out.append("\t".join(f) + "\n")
        prev = bytes.fromhex(f[7])
    return out


def test_31_01_verify_passes_with_checkpoints(signed):
    n, _ = signed
    r = _verify(n)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "audit log intact" in r.stdout
    ck = _ckpt_lines(n)
    assert f"checkpoints ok: {len(ck)} signed checkpoints checked" in \
        r.stdout, r.stdout
    # The final checkpoint, taken at the clean stop, covers the last record.
    _, lines = _log(n)
    assert int(ck[-1].split("\t")[0]) == len(lines)
    for line in ck:
        seq, t, h, sig = line.split("\t")
        assert len(h) == 64 and len(sig) == 88 and t.endswith("Z")


def test_31_02_rewritten_chain_caught(signed):
    n, _ = signed
    log, lines = _log(n)
    k = int(_ckpt_lines(n)[0].split("\t")[0])

    def edit(f):
        f[5] = "denied" if f[5] != "denied" else "ok"
        return f
    log.write_text("".join(_rehash(lines, k, edit)))
    r = _verify(n)
    # The chain alone is valid again: only the checkpoints catch it.
    assert "audit log intact" in r.stdout, r.stdout
    assert r.returncode == 1, r.stdout
    assert (f"record {k} does not match the signed checkpoint of "
            in r.stdout), r.stdout
    assert "the chain was rewritten" in r.stdout


def test_31_03_cut_off_caught(signed):
    n, _ = signed
    log, lines = _log(n)
    last = int(_ckpt_lines(n)[-1].split("\t")[0])
    log.write_text("".join(lines[:last - 1]))
    r = _verify(n)
    assert "audit log intact" in r.stdout, r.stdout
    assert r.returncode == 1
    assert f"records cut off after {last - 1}" in r.stdout, r.stdout


def test_31_04_flipped_signature_byte_caught(signed):
    n, _ = signed
    p = n.persist / CKPT
    ck = _ckpt_lines(n)
    seq, t, h, sig = ck[0].split("\t")
    i = 20
    sig = sig[:i] + ("B" if sig[i] != "B" else "C") + sig[i + 1:]
    ck[0] = "\t".join([seq, t, h, sig])
    p.write_text("\n".join(ck) + "\n")
    r = _verify(n)
    assert r.returncode == 1
    assert "checkpoints FAILED at line 1" in r.stdout, r.stdout
    assert "signature" in r.stdout


def test_31_05_key_and_log_out_of_the_brokers_reach(signed):
    n, (buid, bgid) = signed
    keys = n.persist / "keys"
    assert buid != 0
    st = keys.lstat()
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700
    assert st.st_uid == 0
    key = keys / "audit-checkpoint.key"
    st = key.lstat()
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert (st.st_uid, st.st_size) == (0, 64)
    st = (keys / "audit-checkpoints.log").lstat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0
    st = (keys / "audit-checkpoint.pub").lstat()
    assert stat.S_IMODE(st.st_mode) == 0o644 and st.st_uid == 0
    assert len((keys / "audit-checkpoint.pub").read_text()) == 65
    # The broker's user can neither read nor append to the checkpoints,
    # nor read the key.
    for path, flags in ((keys / "audit-checkpoints.log", "r"),
                        (keys / "audit-checkpoints.log", "a"),
                        (key, "r")):
        r = subprocess.run(
            ["python3", "-c", f"open({str(path)!r}, {flags!r})"],
            user=buid, group=bgid, extra_groups=[], capture_output=True,
            text=True, timeout=30)
        assert r.returncode != 0 and "PermissionError" in r.stderr, \
            (path, flags, r.stderr)
    # The secret key never reaches a log.
    secret = key.read_bytes()
    for text in (n.log("launcher"), n.out.read_text()):
        assert secret.hex() not in text and secret[:32].hex() not in text
    assert "audit checkpoint: record" in n.log("launcher")


def test_31_06_no_checkpoints_when_off(fresh_node):
    n = fresh_node("audit_checkpoint_s = 0\n")
    _requests(n, 2)
    n.stop()
    assert not (n.persist / CKPT).exists()
    assert not (n.persist / "keys/audit-checkpoint.key").exists()
    r = _verify(n)
    assert r.returncode == 0, r.stdout
    assert "no checkpoints" in r.stdout


def test_31_07_key_of_wrong_mode_stops_the_start(signed):
    n, _ = signed
    key = n.persist / "keys/audit-checkpoint.key"
    key.chmod(0o640)
    n.start(wait=False)
    assert n.proc.wait(timeout=30) == 1
    out = n.out.read_text()
    assert "audit-checkpoint.key: not a 64-byte regular file of mode 0600" \
        in out, out
    assert stat.S_IMODE(key.lstat().st_mode) == 0o640

"""Configuration, policy files and the command line: bad input gets one
clear line naming the key or line, and exit code 2."""
import os
import shutil
import stat
import subprocess
import time

import pytest

from conftest import CENTRAL, ROOT, Node


def run(*args, env=None, timeout=20):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(CENTRAL), *args], capture_output=True,
                          text=True, env=e, timeout=timeout)


def test_05_01_unknown_key(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("# fine\nvpn_name = x\nbogus = 1\n")
    r = run("--config", str(conf), "--persistent", str(tmp_path / "p"), "run")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f'mupif-central: config {conf}:3: unknown key "bogus"']


def test_05_02_bad_value_names_key_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("\n\nns_port = 70000\n")
    r = run("--config", str(conf), "config")
    assert r.returncode == 2
    assert f"{conf}:3: ns_port: not a port number" in r.stderr


def test_05_03_bad_environment(tmp_path):
    r = run("--persistent", str(tmp_path), "config",
            env={"MUPIF_NS_PORT": "ten thousand"})
    assert r.returncode == 2
    assert "MUPIF_NS_PORT" in r.stderr and "ns_port" in r.stderr


def test_05_04_environment_and_flags_override(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("vpn_name = fromfile\nns_host = 10.0.0.1\n")
    r = run("--config", str(conf), "--persistent", "/x/y", "config",
            env={"MUPIF_VPN_NAME": "fromenv"})
    assert r.returncode == 0
    assert 'vpn_name           = "fromenv"' in r.stdout
    assert 'ns_host            = "10.0.0.1"' in r.stdout
    assert 'persistent         = "/x/y"' in r.stdout


def test_05_05_broken_policy_stops_with_line(tmp_path):
    pol = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", pol)
    with open(pol / "broker.policy", "a") as f:
        f.write("safeapi -> db settings.put\n")
    n = len((pol / "broker.policy").read_text().splitlines())
    r = run("--persistent", str(tmp_path / "p"), "run",
            env={"MUPIF_POLICY_DIR": str(pol)})
    assert r.returncode == 2
    assert f"broker.policy:{n}: expected ':' after callee" in r.stderr


def test_05_06_broken_seccomp_policy(tmp_path):
    pol = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", pol)
    with open(pol / "db.seccomp", "a") as f:
        f.write("not_a_syscall: 1\n")
    r = run("--persistent", str(tmp_path / "p"), "run",
            env={"MUPIF_POLICY_DIR": str(pol)})
    assert r.returncode == 2
    assert 'unknown syscall "not_a_syscall"' in r.stderr


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"],
                                  ["status", "--help"],
                                  ["audit", "verify", "--help"], ["help"]])
def test_05_07_help(args):
    r = run(*args)
    assert r.returncode == 0
    assert "usage: mupif-central" in r.stdout


def test_05_08_bad_usage(tmp_path):
    r = run("frobnicate")
    assert r.returncode == 2
    assert 'unknown command "frobnicate"' in r.stderr
    assert run().returncode == 2
    assert run("audit", "dance", "-p", str(tmp_path)).returncode == 2


def test_05_09_port_in_use(fresh_node):
    a = fresh_node()
    b = fresh_node(start=False)
    b.conf.write_text(b.conf.read_text() + f"safeapi_port = {a.port}\n")
    r = b.cli("run")
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{a.port} for safeapi" in r.stderr


def test_05_10_persistent_layout(node):
    import pwd
    p = node.persist
    for sub, user, mode in [("db", "mupif-db", 0o700),
                            ("audit", "mupif-broker", 0o700),
                            ("nameserver", "mupif-ns", 0o700),
                            ("logs", "root", 0o750),
                            ("run/empty", "root", 0o755)]:
        st = os.stat(p / sub)
        assert stat.S_IMODE(st.st_mode) == mode, sub
        assert pwd.getpwuid(st.st_uid).pw_name == user, sub
    assert (p / "db/mupif.sqlite").exists()
    assert (p / "nameserver/nameserver.sqlite").exists()
    assert os.listdir(p / "run/empty") == []
    for s in ("launcher", "broker", "db", "safeapi", "nameserver"):
        assert (p / "logs" / f"{s}.log").exists()


def test_05_11_log_rotation(fresh_node):
    n = fresh_node("log_max_bytes = 4096\nlog_keep = 2\n")
    for _ in range(80):   # each denied request logs one broker line
        n.get("/__test/call/settings.put")
    logs = n.persist / "logs"
    deadline = time.monotonic() + 5
    while not (logs / "broker.log.1").exists():
        assert time.monotonic() < deadline, os.listdir(logs)
        time.sleep(0.05)
    assert not (logs / "broker.log.3").exists()
    assert os.path.getsize(logs / "broker.log.1") >= 4096

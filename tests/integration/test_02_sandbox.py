"""The sandbox is tested, not assumed: what the kernel says about every
running service, and that a forbidden syscall is fatal."""
import os
import pwd
import signal
import time

import pytest

from conftest import SERVICES, proc_status

USERS = {"broker": "mupif-broker", "db": "mupif-db", "api": "mupif-api",
         "auth": "mupif-auth",
         "safeapi": "mupif-safeapi", "nameserver": "mupif-ns",
         "scheduler": "mupif-sched", "vpn": "mupif-vpn"}


@pytest.mark.parametrize("svc", SERVICES)
def test_02_01_proc_status(node, svc):
    st = proc_status(node.pids()[svc])
    assert st["Seccomp"] == "2"
    assert st["NoNewPrivs"] == "1"
    assert st["CapEff"] == "0000000000000000"
    assert st["CapPrm"] == "0000000000000000"
    assert st["CapBnd"] == "0000000000000000"
    assert st["CapAmb"] == "0000000000000000"
    uid = pwd.getpwnam(USERS[svc]).pw_uid
    assert uid != 0
    assert st["Uid"].split() == [str(uid)] * 4
    assert st["Gid"].split()[0] == str(pwd.getpwnam(USERS[svc]).pw_gid)
    assert st["Groups"] == ""


@pytest.mark.parametrize("svc,jail", [("broker", "audit"), ("db", "db"),
                                      ("safeapi", "run/empty"),
                                      ("api", "run/empty"),
                                      ("nameserver", "nameserver")])
def test_02_02_jail_and_namespaces(node, svc, jail):
    pid = node.pids()[svc]
    assert os.readlink(f"/proc/{pid}/root") == str(node.persist / jail)
    # An empty network namespace of its own: nothing to connect out to.
    assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")


def settled_pid(node, svc, age=1.0, timeout=20):
    """The service's pid once it has run for age seconds: restarts set off
    by the previous case (a restarted broker makes every service that
    loses its channel exit and start again) must be over, or the pid in
    status.json may be gone by the time the signal is sent."""
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout
    while True:
        node.wait_ready()
        pid = node.pids().get(svc)
        try:
            with open(f"/proc/{pid}/stat") as f:
                start = int(f.read().rsplit(")", 1)[1].split()[19]) / hz
            with open("/proc/uptime") as f:
                up = float(f.read().split()[0])
            if up - start >= age and \
                    proc_status(pid).get("State", "Z")[0] not in "ZX":
                return pid
        except (OSError, TypeError, IndexError, ValueError):
            pass
        assert time.monotonic() < deadline, f"{svc} never settled"
        time.sleep(0.1)


@pytest.mark.parametrize("svc", SERVICES)
def test_02_03_forbidden_syscall_kills(node, svc):
    """Test builds call mknodat(2) on SIGUSR2; no allowlist has it."""
    pid = settled_pid(node, svc)
    os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + 5
    while True:
        try:
            state = proc_status(pid).get("State", "").split()[0]
        except FileNotFoundError:
            break       # already reaped (the launcher is quick)
        if state in ("Z", "X"):
            break
        assert time.monotonic() < deadline, "still alive"
        time.sleep(0.05)
    node.wait_log("launcher",
                  f"{svc}[{pid}] killed by signal 31 (Bad system call)")
    node.wait_ready()
    # The launcher restarts it after its back-off: wait for the new pid
    # (status.json may not list the service in between).
    deadline = time.monotonic() + 10
    while node.pids().get(svc) in (None, pid):
        assert time.monotonic() < deadline, f"{svc} not restarted"
        time.sleep(0.05)

"""Run by an ordinary user (a developer laptop), the node still works and
every service still gets no_new_privs and its seccomp filter; the launcher
says plainly what it could not do (chroot, change of user, namespaces)."""
import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import SERVICES, Node, proc_status


@pytest.fixture
def nobody_node():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to become another user")
    nb = pwd.getpwnam("nobody")
    # pytest's own tmp tree is private to root: nobody needs a way in.
    d = Path(tempfile.mkdtemp(prefix="mupif-nonroot-"))
    os.chmod(d, 0o755)
    os.chown(d, nb.pw_uid, nb.pw_gid)
    n = Node(d, prefix=["setpriv", f"--reuid={nb.pw_uid}",
                        f"--regid={nb.pw_gid}", "--clear-groups"])
    os.chown(n.conf, nb.pw_uid, nb.pw_gid)
    n.start()
    yield n, nb
    n.stop()
    shutil.rmtree(d, ignore_errors=True)


def test_07_01_unprivileged_node(nobody_node):
    n, nb = nobody_node
    assert n.get("/status2/").json()["dms"] == "OK"
    for svc, pid in n.pids().items():
        st = proc_status(pid)
        assert st["Seccomp"] == "2", svc
        assert st["NoNewPrivs"] == "1", svc
        assert st["CapEff"] == "0000000000000000", svc
        assert st["Uid"].split()[0] == str(nb.pw_uid), svc
    assert set(n.pids()) == set(SERVICES)
    n.wait_log("launcher", "not root: services cannot chroot or change user")
    n.wait_log("db", "not started by root: no chroot")
    r = n.cli("status")
    assert r.returncode == 0, r.stdout + r.stderr

"""Fixtures for the integration suite: start a real node (the ASan+UBSan
test build of mupif-central and its services) on free loopback ports with a
private persistent directory, and stop it at teardown.

Everything here talks to the real processes: HTTP over TCP, the launcher's
run/status.json, /proc/PID/status, the log files, the audit log.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("MUPIF_BUILD", ROOT / "build-asan"))
CENTRAL = BUILD / "mupif-central"
SERVICES = ("broker", "db", "auth", "api", "safeapi", "nameserver",
            "scheduler", "vpn")


def free_ports(n):
    """n distinct free loopback ports: the sockets stay bound until all
    are chosen, so the kernel cannot hand out one twice."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


def proc_status(pid):
    """The fields of /proc/PID/status as a dict of strings."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


class Node:
    """One running node: launcher plus services."""

    def __init__(self, tmp, extra_conf="", env=None, prefix=()):
        self.prefix = list(prefix)     # e.g. setpriv, to run as non-root
        self.dir = Path(tmp)
        self.dir.mkdir(parents=True, exist_ok=True)
        # The scheduler is not chrooted: Python imports a workflow by its
        # absolute path, so the scheduler's user must be able to search
        # the directories above persistent/ (pytest makes them 0700).
        if os.geteuid() == 0:
            for d in [self.dir, *self.dir.parents]:
                st = d.stat()
                if st.st_uid == 0 and not st.st_mode & 0o001:
                    d.chmod((st.st_mode & 0o7777) | 0o011)
        self.persist = self.dir / "persistent"
        self.port, *ports = free_ports(4)
        self.conf = self.dir / "node.conf"
        self.ns_port = ports[2]
        self.conf.write_text(
            "# written by tests/integration/conftest.py\n"
            f"safeapi_port = {self.port}\n"
            f"api_port = {ports[0]}\n"
            f"web_port = {ports[1]}\n"
            f"ns_port = {ports[2]}\n"
            "broker_timeout_ms = 500\n"
            "status_cache_ms = 2000\n"
            "status_min_refresh_ms = 0\n"
            + extra_conf)
        self.env = dict(os.environ)
        self.env["MUPIF_VPN_NAME"] = "testvpn"
        # Services are seccomp-confined: LeakSanitizer's ptrace-based
        # check cannot run in them (unit tests check leaks instead).
        self.env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
        self.env.update(env or {})
        self.proc = None
        self.out = self.dir / "launcher.out"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ns_uri(self):
        """The nameserver's own Pyro URI on this node."""
        return f"PYRO:Pyro.NameServer@127.0.0.1:{self.ns_port}"

    def cli(self, *args, check=False):
        r = subprocess.run(self.prefix + [str(CENTRAL), "--config", str(self.conf),
                            "--persistent", str(self.persist), *args],
                           env=self.env, capture_output=True, text=True,
                           timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"{args}: rc={r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def start(self, wait=True):
        self.proc = subprocess.Popen(
            self.prefix + [str(CENTRAL), "--config", str(self.conf), "--persistent",
             str(self.persist), "run"],
            env=self.env, stdout=open(self.out, "w"),
            stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def status(self):
        try:
            return json.loads((self.persist / "run/status.json").read_text())
        except (OSError, ValueError):
            return None

    def pids(self):
        st = self.status() or {"services": []}
        return {s["name"]: s["pid"] for s in st["services"]
                if s["state"] == "running"}

    def get(self, path="/status2/", **kw):
        kw.setdefault("timeout", 5)
        return requests.get(self.url + path, **kw)

    def dms_ok(self):
        try:
            r = self.get(headers={"Cache-Control": "no-cache"}, timeout=2)
            return r.status_code == 200 and r.json()["dms"] == "OK"
        except (requests.RequestException, ValueError):
            return False

    def wait_ready(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("launcher exited: " + self.out.read_text())
            if set(self.pids()) == set(SERVICES) and self.dms_ok():
                return
            time.sleep(0.05)
        raise AssertionError("node not ready:\n" + self.out.read_text())

    def log(self, name):
        p = self.persist / "logs" / f"{name}.log"
        return p.read_text() if p.exists() else ""

    def wait_log(self, name, text, timeout=5):
        """Log lines reach the file through the launcher's pipe, a moment
        after the service wrote them: wait for text to appear."""
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in {name}.log:\n" +
                                     self.log(name))
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


def require_root():
    if os.geteuid() != 0:
        pytest.skip("needs root: services switch to their own users")


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A node shared by the tests of one module."""
    require_root()
    n = Node(tmp_path_factory.mktemp("node")).start()
    yield n
    n.stop()


@pytest.fixture
def fresh_node(tmp_path):
    """A node of its own, for tests that break or stop it."""
    require_root()
    nodes = []

    def make(extra_conf="", env=None, start=True):
        n = Node(tmp_path / f"n{len(nodes)}", extra_conf, env)
        nodes.append(n)
        return n.start() if start else n
    yield make
    for n in nodes:
        n.stop()


JONGODB = ROOT / ".jongodb/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb"


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory):
    if not JONGODB.exists():
        pytest.fail("jongodb is not installed: run scripts/setup.sh")
    log = tmp_path_factory.mktemp("jongodb") / "out"
    p = subprocess.Popen([str(JONGODB), "--host=127.0.0.1", "--port=0"],
                         stdout=open(log, "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    uri = None
    while uri is None:
        m = re.search(r"JONGODB_URI=(mongodb://[0-9.:]+)/", log.read_text())
        if m:
            uri = m.group(1)
            break
        assert p.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    yield uri
    p.terminate()
    p.wait(timeout=10)

"""Issue 7 item 2: the safe API, the only service the public proxy
reaches, holds nothing and can do nothing else, and its seccomp allowlist
is the tightest of the services that face a network.

Read from policy/ (what the launcher compiles and test_02 proves is
enforced): the allowlist of each service with its @includes resolved."""
import re

from conftest import ROOT

POLICY = ROOT / "policy"
# Services with a listening socket (their profile has a "listen" line).
LISTENERS = ("safeapi", "api", "nameserver")
# What would let a compromised safe API reach anything but its clients and
# the broker: files, new sockets, processes, signals, privileges.
FORBIDDEN = {
    "open", "openat", "openat2", "creat", "unlink", "unlinkat", "rename",
    "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat",
    "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown",
    "fchown", "truncate", "ftruncate", "memfd_create", "pwrite64",
    "socket", "socketpair", "connect", "bind", "listen",
    "execve", "execveat", "fork", "vfork", "clone", "clone3", "kill",
    "tkill", "tgkill", "ptrace", "prctl", "setuid", "setgid", "setresuid",
    "setresgid", "unshare", "setns", "mount", "chroot", "ioctl",
    "mknod", "mknodat", "bpf", "io_uring_setup", "landlock_create_ruleset",
}


def allowlist(name, seen=None):
    """{syscall: rule} of policy/<name> with @include resolved; rules that
    return an errno count as not allowed."""
    seen = seen or set()
    out = {}
    for line in (POLICY / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("@include"):
            inc = line.split(None, 1)[1]
            assert inc not in seen, inc
            out.update(allowlist(inc, seen | {inc}))
            continue
        m = re.match(r"^([a-z0-9_]+)\s*:\s*(.+)$", line)
        assert m, (name, line)
        if not m.group(2).startswith("return"):
            out[m.group(1)] = m.group(2)
    return out


def profile(svc):
    return dict(re.findall(r"^(\w+)\s+(.+?)\s*(?:#.*)?$",
                           (POLICY / f"{svc}.profile").read_text(), re.M))


def test_23_01_nothing_beyond_its_clients():
    allowed = allowlist("safeapi.seccomp")
    assert not FORBIDDEN & set(allowed), sorted(FORBIDDEN & set(allowed))
    # fcntl only for descriptor flags, never locks or seals.
    assert set(re.findall(r"F_[A-Z_]+", allowed["fcntl"])) <= {
        "F_GETFL", "F_SETFL", "F_GETFD", "F_SETFD"}


def test_23_02_tightest_of_the_listeners():
    sizes = {s: len(allowlist(profile(s)["seccomp"])) for s in LISTENERS}
    assert all(sizes["safeapi"] <= n for n in sizes.values()), sizes
    # and a subset of the other HTTP service's: nothing of its own.
    assert set(allowlist("safeapi.seccomp")) <= set(allowlist("api.seccomp"))


def test_23_03_holds_nothing():
    p = profile("safeapi")
    assert p["chroot"].split()[0] == "empty"
    assert set(p["namespaces"].split()) >= {"net", "ipc", "uts"}
    assert p["caps"].split()[0] == "none"
    rl = dict(re.findall(r"^rlimit\s+(\w+)\s+(\S+)",
                         (POLICY / "safeapi.profile").read_text(), re.M))
    assert rl["nproc"] == "0" and rl["fsize"] == "0" and rl["core"] == "0"
    # Its broker rules: read operations only, nothing that writes.
    rules = [ln for ln in (POLICY / "broker.policy").read_text().splitlines()
             if ln.startswith("safeapi ->")]
    ops = {o.strip().replace("(fd)", "") for ln in rules
           for o in ln.split(":", 1)[1].split(",")}
    # (sched.ping and sched.stats: the node's own scheduler's liveness and
    # statistics for /status2/ and /scheduler-status2/, issue 6 item 7.)
    assert ops <= {"execution.count_by_status", "db.ping", "ns.ping",
                   "ns.list", "ns.jobmans", "ns.schedulers", "vpn.status",
                   "sched.ping", "sched.stats"}, ops

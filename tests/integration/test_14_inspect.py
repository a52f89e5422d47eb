"""Workflow inspection (sched.inspect) in the scheduler's throw-away
sandbox, driven through safeapi's test-build hook /__test/call_data/ under a
test copy of the policy that lets safeapi call the scheduler (the shipped
policy lets only the api do that).  Each upload is a flat files.zip as the
api makes it; every failure must be a clear bad-request answer, the
scheduler must stay up, and no work directory may be left behind."""
import base64
import io
import json
import os
import shutil
import time
import urllib.parse
import zipfile
from pathlib import Path

import pytest
import requests

from conftest import ROOT, Node, require_root

WF = Path(__file__).parent / "workflows"
LIMITS = ("inspect_timeout_s = 3\n"
          "inspect_cpu_s = 1\n"
          "inspect_mem_mb = 256\n"
          "inspect_max_bytes = 1048576\n")


def policy_with_inspect(tmp_path):
    pol = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", pol)
    with open(pol / "broker.policy", "a") as f:
        f.write("safeapi -> scheduler: sched.inspect(fd), sched.ping"
                "   # test_14 only\n")
    # The hook writes each upload into a memfd, which counts against
    # RLIMIT_FSIZE (0 in the shipped profile: safeapi writes nothing).
    prof = pol / "safeapi.profile"
    prof.write_text(prof.read_text().replace("rlimit      fsize 0",
                                             "rlimit      fsize 1048576"))
    return pol


@pytest.fixture(scope="module")
def inode(tmp_path_factory):
    require_root()
    tmp = tmp_path_factory.mktemp("inspect")
    n = Node(tmp / "node", LIMITS,
             env={"MUPIF_POLICY_DIR": str(policy_with_inspect(tmp))})
    try:
        n.start()
    except BaseException:
        n.stop()        # a node that never got ready must not linger
        raise
    yield n
    n.stop()


def make_zip(files):
    """files: {name: bytes or str}, written flat as the api does."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def call(node, op, payload, data):
    q = urllib.parse.urlencode({
        "payload": json.dumps(payload),
        "data": base64.urlsafe_b64encode(data).decode().rstrip("=")})
    r = requests.get(f"{node.url}/__test/call_data/{op}?{q}", timeout=70)
    assert r.status_code == 200, r.text
    return r.headers["X-Mupif-Status"], r.content


def inspect(node, main, files):
    st, body = call(node, "sched.inspect", {"main": main}, make_zip(files))
    return st, json.loads(body) if body else None


def wf(name):
    return (WF / name).read_text()


def work_dirs(node):
    """What inspections left in the scheduler's directory (the statistics
    file and the runner are the loop's, not an inspection's)."""
    return sorted(n for n in os.listdir(node.persist / "scheduler")
                  if n not in ("scheduler-stat.json", "runner"))


def assert_refused(node, main, files, *needles):
    pid = node.pids()["scheduler"]
    st, body = inspect(node, main, files)
    assert st == "bad-request", (st, body)
    detail = body["detail"]
    assert "\n" not in detail
    for n in needles:
        assert n in detail, detail
    assert node.pids()["scheduler"] == pid       # still the same process
    assert work_dirs(node) == []
    return detail


def test_14_01_ping(inode):
    st, body = call(inode, "sched.ping", {}, b"")
    assert st == "ok" and json.loads(body) == {"ok": True}


def test_14_02_workflowdemo01(inode):
    st, md = inspect(inode, "workflowdemo01.py",
                     {"workflowdemo01.py": wf("workflowdemo01.py")})
    assert st == "ok", md
    assert md["wid"] == "Workflow01"
    assert md["classname"] == "WorkflowDemo01"
    assert md["modulename"] == "workflowdemo01"
    assert md["Description"].startswith("Calculates multiplication")
    ins = md["IOCard"]["Inputs"]
    assert [i["Name"] for i in ins] == ["Value_1", "Delay"]
    assert ins[0]["Type"] == "mupif.Property" and ins[0]["Required"] is True
    assert [o["Name"] for o in md["IOCard"]["Outputs"]] == \
        ["Multiplication_result"]
    assert md["Models"] == [{"Name": "m1", "Jobmanager": "CVUT.demo01"}]
    assert md["EDMMapping"] == []
    assert set(md) == {"wid", "Description", "classname", "modulename",
                       "IOCard", "Models", "EDMMapping"}
    assert work_dirs(inode) == []


def test_14_03_getmetadata_and_attribute(inode):
    st, md = inspect(inode, "getmetadata_wf.py",
                     {"getmetadata_wf.py": wf("getmetadata_wf.py")})
    assert st == "ok", md
    assert md["wid"] == "GetMetadataWf" and md["Description"] == ""
    assert md["IOCard"]["Inputs"][0]["Name"] == "x"
    st, md = inspect(inode, "attr_wf.py", {"attr_wf.py": wf("attr_wf.py")})
    assert st == "ok", md
    assert md["wid"] == "AttrWf" and md["IOCard"] == {"Inputs": [],
                                                      "Outputs": []}


def test_14_04_helper_file_imported(inode):
    """The extra files are in place before the import (spec 9.3's bug)."""
    st, md = inspect(inode, "helper_main.py", {
        "helper_main.py": wf("helper_main.py"),
        "helper_lib.py": wf("helper_lib.py"),
        "data.txt": "some data"})
    assert st == "ok", md
    assert md["wid"] == "HelperWf" and md["classname"] == "HelperWorkflow"


def test_14_05_prints_do_not_spoil_the_answer(inode):
    src = 'print("{not json")\n' + wf("attr_wf.py")
    st, md = inspect(inode, "noisy.py", {"noisy.py": src})
    assert st == "ok", md
    assert md["wid"] == "AttrWf"


def test_14_06_syntax_error(inode):
    assert_refused(inode, "syntax_error.py",
                   {"syntax_error.py": wf("syntax_error.py")},
                   "Error processing workflow file 'syntax_error.py'",
                   "SyntaxError")


def test_14_07_not_exactly_one_class(inode):
    assert_refused(inode, "no_class.py", {"no_class.py": wf("no_class.py")},
                   "exactly one class", "found 0")
    assert_refused(inode, "two_classes.py",
                   {"two_classes.py": wf("two_classes.py")},
                   "exactly one class", "found 2")


def test_14_08_missing_id(inode):
    d = assert_refused(inode, "missing_id.py",
                       {"missing_id.py": wf("missing_id.py")})
    assert d == "Incomplete workflow metadata. Cannot register workflow."


def test_14_09_import_error_is_clear(inode):
    # mupif itself is there (the runner's stand-in when the real package is
    # not installed); a model package that is not gives the import error.
    src = "import mupif\nimport mupif_model_xyz\n\nclass W:\n    pass\n"
    assert_refused(inode, "needs_model.py", {"needs_model.py": src},
                   "No module named 'mupif_model_xyz'")


def test_14_10_sleep_times_out(inode):
    t = time.monotonic()
    assert_refused(inode, "hostile_sleep.py",
                   {"hostile_sleep.py": wf("hostile_sleep.py")},
                   "inspection timed out after 3 s")
    assert time.monotonic() - t < 8


def test_14_11_cpu_limit(inode):
    assert_refused(inode, "hostile_cpu.py",
                   {"hostile_cpu.py": wf("hostile_cpu.py")},
                   "CPU time")


def test_14_12_memory_limit(inode):
    assert_refused(inode, "hostile_memory.py",
                   {"hostile_memory.py": wf("hostile_memory.py")},
                   "MemoryError")


def test_14_13_no_fork(inode):
    assert_refused(inode, "hostile_fork.py",
                   {"hostile_fork.py": wf("hostile_fork.py")},
                   "BlockingIOError")


def test_14_14_no_sockets(inode):
    assert_refused(inode, "hostile_socket.py",
                   {"hostile_socket.py": wf("hostile_socket.py")},
                   "PermissionError")


@pytest.mark.parametrize("target", ["db/mupif.sqlite", "run/status.json",
                                    "../node.conf", "logs/launcher.log"])
def test_14_15_no_persistent_data(inode, target):
    path = os.path.normpath(inode.persist / target)
    assert os.path.exists(path)
    src = wf("hostile_read.py").replace("@TARGET@", path)
    assert_refused(inode, "hostile_read.py", {"hostile_read.py": src},
                   "PermissionError")


def test_14_16_bad_archives(inode):
    good = wf("attr_wf.py")
    for name in ["../x.py", "a/b.py", "a\\b.py", "..", "x\x01.py",
                 "/abs.py"]:
        assert_refused(inode, "attr_wf.py",
                       {"attr_wf.py": good, name: "x"}, "is not allowed")
    assert_refused(inode, "attr_wf.py", {"other.py": good},
                   "main module 'attr_wf.py' is not in the upload")
    st, body = call(inode, "sched.inspect", {"main": "attr_wf.py"},
                    b"PK\x03\x04 not a zip at all")
    assert st == "bad-request" and "not a valid ZIP" in body.decode()


def test_14_17_zip_bomb(inode):
    # 2 MiB of zeros deflate to a few KiB; the cap is 1 MiB.
    assert_refused(inode, "attr_wf.py",
                   {"attr_wf.py": wf("attr_wf.py"),
                    "zeros.bin": b"\0" * (2 * 1024 * 1024)},
                   "unpack to more than 1048576 bytes")


def test_14_18_bad_main_names(inode):
    for main in ["1x.py", "x.txt", "x-y.py", ".py"]:
        st, body = inspect(inode, main, {main: "class X: pass\n"})
        assert st == "bad-request"
        assert "must be a Python module name" in body["detail"]


def test_14_19_still_serving(inode):
    test_14_02_workflowdemo01(inode)
    assert "inspection refused" in inode.log("scheduler")
    # The scheduler itself never died: no restart in the launcher's log.
    assert "scheduler[" not in inode.log("launcher").split(
        "started scheduler")[-1]


def test_14_20_child_confinement(inode):
    """What the kernel says about an inspection child: own process group,
    the scheduler's uid, seccomp, no_new_privs, no capabilities, limits."""
    import threading
    res = {}
    t = threading.Thread(target=lambda: res.update(r=inspect(
        inode, "hostile_sleep.py",
        {"hostile_sleep.py": wf("hostile_sleep.py")})))
    t.start()
    sched = inode.pids()["scheduler"]
    deadline = time.monotonic() + 3
    child = None
    while child is None and time.monotonic() < deadline:
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    st = open(f"/proc/{p}/stat").read()
                except OSError:
                    continue
                if int(st.rsplit(")", 1)[1].split()[1]) == sched:
                    child = int(p)
        time.sleep(0.05)
    assert child is not None
    from conftest import proc_status
    s = proc_status(child)
    assert s["Seccomp"] == "2" and s["NoNewPrivs"] == "1"
    assert s["CapEff"] == "0000000000000000"
    assert s["Uid"] == proc_status(sched)["Uid"]
    assert os.getpgid(child) == child
    limits = open(f"/proc/{child}/limits").read()
    assert "Max processes             0" in limits
    assert "Max core file size        0" in limits
    # The host's network namespace (the scheduler's, for workflow runs);
    # the child's own Landlock layer denies every TCP bind and connect
    # and the seccomp filter every other kind of socket (test_14_14).
    assert os.readlink(f"/proc/{child}/ns/net") == \
        os.readlink(f"/proc/{inode.pids()['scheduler']}/ns/net")
    environ = open(f"/proc/{child}/environ", "rb").read().split(b"\0")
    assert b"PATH=/usr/bin:/bin" in environ
    assert not any(e.startswith(b"ASAN") for e in environ)
    t.join()
    assert res["r"][0] == "bad-request"
    assert work_dirs(inode) == []

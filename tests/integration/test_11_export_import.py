"""Moving data between backends: `mupif-central db export` writes the
whole database (documents and files) as JSON lines on stdout, `db import`
reads them from stdin.  Both run the db binary once, confined like the db
service.

The round trip: a node on SQLite is filled (files through an import of a
hand-made export, then the node's own seeding and a burst of log.insert
through safeapi's test hook, under the durability test's policy), exported
while it runs, imported into MongoDB (the MongoDB-wire server), exported,
imported into a fresh SQLite directory, exported; the three exports are
the same bytes.  Then: importing twice and malformed input fail naming
the line with nothing written; an empty database exports to a valid
file; the one-shot process runs as mupif-db under its seccomp filter,
which kills it on a forbidden syscall."""
import base64
import json
import os
import pwd
import signal
import subprocess
import time

import pytest

from conftest import CENTRAL, proc_status
from test_09_durability import policy_with_burst

CHUNK = 255 * 1024
HEAD = b'{"format":"mupif-central-db","version":1}\n'
EMPTY = HEAD + b'{"end":{"documents":0,"files":0}}\n'
FILES = [
    ("6a1100000000000000000001", "model.py", "text/x-python",
     b"print('hello')\n"),
    ("6a1100000000000000000002", "empty.dat", "application/octet-stream",
     b""),
    ("6a1100000000000000000003", "v\u00fdsledek (1).h5", "application/x-hdf5",
     bytes((i * 7 + 3) % 256 for i in range(2 * CHUNK + 1000))),
]
WORKFLOW = {"_id": "6a11000000000000000000a1", "wid": "wf-export",
            "Description": "export test", "GridFSID": FILES[0][0],
            "UseCase": "Demo", "IOCard": {"Inputs": [], "Outputs": []},
            "modulename": "model", "classname": "M", "Version": 1}


def line(obj):
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
            + "\n").encode()


def hand_made():
    """An export with a workflow and the files it refers to."""
    out = HEAD + line({"collection": "Workflows", "doc": WORKFLOW})
    for fid, name, ctype, data in FILES:
        out += line({"file": fid, "filename": name, "content_type": ctype,
                     "length": len(data)})
        for k in range(0, len(data), CHUNK):
            out += line({"chunk": fid, "n": k // CHUNK, "data":
                         base64.b64encode(data[k:k + CHUNK]).decode()})
    return out + line({"end": {"documents": 1, "files": len(FILES)}})


def db(node, verb, data=None, stdin=None, timeout=120):
    """mupif-central db VERB on node's configuration and directory."""
    kw = {"input": data} if stdin is None else {"stdin": stdin}
    return subprocess.run(
        node.prefix + [str(CENTRAL), "--config", str(node.conf),
                       "--persistent", str(node.persist), "db", verb],
        env=node.env, capture_output=True, timeout=timeout, **kw)


def ok(r):
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r


def files_of(export):
    """{id: (filename, content type, bytes)} from an export's lines."""
    files, cur = {}, None
    for raw in export.splitlines():
        rec = json.loads(raw)
        if "file" in rec:
            cur = rec["file"]
            files[cur] = [rec["filename"], rec["content_type"], b""]
        elif "chunk" in rec:
            assert rec["chunk"] == cur
            files[cur][2] += base64.b64decode(rec["data"])
    return {k: tuple(v) for k, v in files.items()}


def mongo_conf(uri, tag):
    return (f"db_backend = mongo\nmongo_uri = {uri}/\n"
            f"mongo_db = ex{os.getpid()}_{tag}_{int(time.time())}\n")


def test_11_01_roundtrip_sqlite_mongo_sqlite(fresh_node, tmp_path, request):
    uri = request.getfixturevalue("mongo_uri")
    env = {"MUPIF_POLICY_DIR": str(policy_with_burst(tmp_path))}
    src = fresh_node(env=env, start=False)
    # Files go in through the db binary: an import into the new node's
    # directory, before the node ever ran (it then seeds the rest).
    with open(tmp_path / "hand.jsonl", "wb") as f:
        f.write(hand_made())
    with open(tmp_path / "hand.jsonl", "rb") as f:
        r = ok(db(src, "import", stdin=f))
    assert b"imported 1 documents and 3 files" in r.stderr
    src.start()
    tag = f"x{os.getpid()}"
    acked = src.get(f"/__test/burst/{tag}/40", timeout=60).json()["acked"]
    assert len(acked) == 40
    # Exported while the node runs (SQLite WAL: a reader beside it).
    e1 = ok(db(src, "export")).stdout
    assert src.pids()["db"]         # the node's own db was not disturbed
    recs = [json.loads(x) for x in e1.splitlines()]
    colls = [x["collection"] for x in recs if "collection" in x]
    assert colls.count("Logs") == 40
    for c in ("Settings", "UseCases", "Stat", "Workflows"):
        assert c in colls
    assert recs[-1] == {"end": {"documents": len(colls), "files": 3}}

    # SQLite -> MongoDB.
    mg = fresh_node(mongo_conf(uri, "a"), env=env, start=False)
    shown = [ok(db(mg, "import", data=e1)), ok(db(mg, "export"))]
    e2 = shown[1].stdout
    # MongoDB -> a fresh SQLite directory.
    dst = fresh_node(env=env, start=False)
    with open(tmp_path / "e2.jsonl", "wb") as f:
        f.write(e2)
    with open(tmp_path / "e2.jsonl", "rb") as f:
        ok(db(dst, "import", stdin=f))
    e3 = ok(db(dst, "export")).stdout
    # Deterministic order and canonical numbers: the same bytes.
    assert e2 == e1
    assert e3 == e1
    # Files kept their ids, names, types and bytes; the workflow's
    # GridFSID still names its file.
    assert files_of(e3) == {fid: (n, ct, d) for fid, n, ct, d in FILES}
    wf = [x["doc"] for x in map(json.loads, e3.splitlines())
          if x.get("collection") == "Workflows"]
    assert wf == [WORKFLOW]
    # The URI (a credential when it has a password) is never printed.
    for rr in shown:
        assert uri.encode() not in rr.stderr
        assert b"MongoDB database ex" in rr.stderr
    # A node starts on the imported directory without seeding again.
    dst.start()
    assert dst.dms_ok()
    dst.stop()
    assert ok(db(dst, "export")).stdout == e1


@pytest.mark.parametrize("backend", ["sqlite", "mongo"])
def test_11_02_import_twice_names_the_line(fresh_node, tmp_path, request,
                                           backend):
    conf = ""
    if backend == "mongo":
        conf = mongo_conf(request.getfixturevalue("mongo_uri"), "twice")
    n = fresh_node(conf, start=False)
    ok(db(n, "import", data=hand_made()))
    before = ok(db(n, "export")).stdout
    # From a pipe (read once) and from a file (checked, then written).
    r = db(n, "import", data=hand_made())
    assert r.returncode == 1
    assert (b"line 2: Workflows 6a11000000000000000000a1 is already in the "
            b"database; nothing was imported") in r.stderr
    (tmp_path / "in.jsonl").write_bytes(hand_made())
    with open(tmp_path / "in.jsonl", "rb") as f:
        r = db(n, "import", stdin=f)
    assert r.returncode == 1
    assert b"line 2: Workflows 6a11000000000000000000a1 is already" in r.stderr
    # Only a file clashes: named too, and still nothing written.
    only_file = (HEAD + line({"file": FILES[0][0], "filename": "x",
                              "content_type": "a/b", "length": 1}) +
                 line({"chunk": FILES[0][0], "n": 0, "data": "eA=="}) +
                 line({"end": {"documents": 0, "files": 1}}))
    r = db(n, "import", data=only_file)
    assert r.returncode == 1
    assert (b"line 2: file 6a1100000000000000000001 is already in the "
            b"database") in r.stderr
    assert ok(db(n, "export")).stdout == before


def test_11_03_malformed_input_names_the_line(fresh_node):
    n = fresh_node(start=False)
    good = line({"collection": "Logs", "doc": {"_id": "6a1100000000000000000b01",
                                              "tag": "ok"}})
    cases = [
        (b"not json\n", b"line 1: not JSON"),
        (HEAD + good + b'{"collection":"Logs","doc":{"tag":1}}\n' + EMPTY[len(HEAD):],
         b"line 3: a Logs document needs an object with a 24-hex"),
        (HEAD + good, b"line 2: the input ends after this line without its "
         b"end line (truncated?)"),
        (HEAD + good + b'{"end":{"documents":1,"files":0}}',
         b"line 3: the input ends inside it"),
        (HEAD + good + b'{"end":{"documents":2,"files":0}}\n',
         b"line 3: the end line counts 2 documents"),
    ]
    for data, why in cases:
        r = db(n, "import", data=data)
        assert r.returncode == 1, data
        assert why in r.stderr, r.stderr
        assert b"nothing was imported" in r.stderr
    # The good line before the bad one was not written either.
    assert ok(db(n, "export")).stdout == EMPTY
    # A directory as standard input is refused before anything runs
    # (openat(2) relative to it would reach outside the jail).
    fd = os.open("/", os.O_RDONLY)
    try:
        r = db(n, "import", stdin=fd)
    finally:
        os.close(fd)
    assert r.returncode == 2
    assert b"standard input is a directory" in r.stderr


def test_11_04_empty_database(fresh_node):
    """No node ever ran here: the layout is made, the export is valid."""
    n = fresh_node(start=False)
    e = ok(db(n, "export")).stdout
    assert e == EMPTY
    st = os.stat(n.persist / "db")
    assert st.st_uid == pwd.getpwnam("mupif-db").pw_uid
    m = fresh_node(start=False)
    r = ok(db(m, "import", data=e))
    assert b"imported 0 documents and 0 files" in r.stderr
    assert ok(db(m, "export")).stdout == EMPTY
    # Not a mupif-central export at all.
    r = db(m, "import", data=b"")
    assert r.returncode == 1 and b"empty input" in r.stderr


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(d))
    return out


def test_11_05_oneshot_is_confined(fresh_node):
    """While `db import` waits for its input: its /proc status, then a
    forbidden syscall (test builds call mknodat(2) on SIGUSR2) kills it and
    the command reports it."""
    n = fresh_node(start=False)
    p = subprocess.Popen(
        [str(CENTRAL), "--config", str(n.conf), "--persistent", str(n.persist),
         "db", "import"], env=n.env, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        uid = pwd.getpwnam("mupif-db").pw_uid
        deadline = time.monotonic() + 20
        while True:
            assert p.poll() is None, p.stderr.read()
            kids = children(p.pid)
            st = proc_status(kids[0]) if kids else {}
            # The coarse filter comes from the launcher; the second is
            # the db's own allowlist, installed after the jail.
            if st.get("Seccomp_filters") == "2":
                break
            assert time.monotonic() < deadline, st
            time.sleep(0.05)
        pid = kids[0]
        assert st["Seccomp"] == "2"
        assert st["NoNewPrivs"] == "1"
        assert st["CapEff"] == "0000000000000000"
        assert st["Uid"].split() == [str(uid)] * 4
        assert os.readlink(f"/proc/{pid}/root") == str(n.persist / "db")
        assert os.readlink(f"/proc/{pid}/ns/net") != \
            os.readlink("/proc/self/ns/net")
        # fd 0 is the command's own stdin (a pipe); no broker channel,
        # no socket at all.
        fds = {int(f): os.readlink(f"/proc/{pid}/fd/{f}")
               for f in os.listdir(f"/proc/{pid}/fd")}
        assert fds[0].startswith("pipe:")
        assert not [f for f in fds.values() if f.startswith("socket:")], fds
        os.kill(pid, signal.SIGUSR2)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 1
    assert b"the db process killed by signal 31 (Bad system call)" in err

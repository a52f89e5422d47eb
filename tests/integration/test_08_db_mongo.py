"""The db service on its MongoDB backend: a node whose db talks to a
MongoDB-wire server (jongodb, ENVIRONMENT.md section 2, started here) is
confined like the SQLite one and answers through the broker."""
import os
import re
import subprocess
import time

import pytest

from conftest import ROOT, proc_status

JONGODB = ROOT / ".jongodb/node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb"


@pytest.fixture(scope="module")
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


def test_08_01_node_on_mongo(fresh_node, mongo_uri):
    n = fresh_node(f"db_backend = mongo\nmongo_uri = {mongo_uri}/\n"
                   f"mongo_db = t{os.getpid()}_{int(time.time())}\n")
    assert n.get("/status2/").json()["dms"] == "OK"
    st = proc_status(n.pids()["db"])
    assert st["Seccomp"] == "2"
    assert st["NoNewPrivs"] == "1"
    assert st["CapEff"] == "0000000000000000"
    assert n.get("/__test/call/db.ping").json() == {"status": "ok"}
    n.wait_log("db", "serving the MongoDB database")
    # The URI never reaches a log or the configuration dump.
    for name in ("launcher", "db", "broker"):
        assert mongo_uri not in n.log(name)
    assert mongo_uri not in n.cli("config").stdout


def test_08_02_mongo_needs_uri(tmp_path):
    from conftest import CENTRAL
    r = subprocess.run([str(CENTRAL), "--persistent", str(tmp_path), "config"],
                       capture_output=True, text=True,
                       env=dict(os.environ, MUPIF_DB_BACKEND="mongo"))
    assert r.returncode == 2
    assert "mongo_uri" in r.stderr

"""The db service on its MongoDB backend: a node whose db talks to a
MongoDB-wire server (jongodb, ENVIRONMENT.md section 2, started here) is
confined like the SQLite one and answers through the broker.  The
server fixture (mongo_uri) is in conftest.py."""
import os
import subprocess
import time

from conftest import proc_status


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

"""Durability: a write is acknowledged only after it is committed.  A burst
of writes goes through the broker while the db process is killed with
SIGKILL; after the launcher restarts it, every acknowledged write is in
the database, exactly once, and none is half-written.  Both backends: the
SQLite file is read directly, the MongoDB-wire server with pymongo.

The writes come from safeapi's test-build hook (/__test/burst/), under a
copy of the policy that lets safeapi call log.insert; the shipped policy
does not."""
import json
import os
import shutil
import signal
import sqlite3
import threading
import time

import pytest
import requests


def policy_with_burst(tmp_path):
    from conftest import ROOT
    pol = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", pol)
    with open(pol / "broker.policy", "a") as f:
        f.write("safeapi -> db: log.insert   # durability test only\n")
    return pol


def stored_sqlite(node, tag):
    con = sqlite3.connect(f"file:{node.persist}/db/mupif.sqlite?mode=ro",
                          uri=True, timeout=10)
    try:
        rows = con.execute("SELECT doc FROM Logs").fetchall()
    finally:
        con.close()
    docs = [json.loads(r[0]) for r in rows]     # none half-written
    return [d["seq"] for d in docs if d.get("tag") == tag]


def stored_mongo(uri, dbname, tag):
    import pymongo
    c = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        return [d["seq"] for d in c[dbname]["Logs"].find({"tag": tag})]
    finally:
        c.close()


@pytest.mark.parametrize("backend", ["sqlite", "mongo"])
def test_09_01_kill_db_mid_burst(fresh_node, tmp_path, request, backend):
    tag = f"b{os.getpid()}{backend}"
    conf = ""
    dbname = f"dur{os.getpid()}_{int(time.time())}"
    if backend == "mongo":
        uri = request.getfixturevalue("mongo_uri")
        conf = f"db_backend = mongo\nmongo_uri = {uri}/\nmongo_db = {dbname}\n"
    n = fresh_node(conf, env={"MUPIF_POLICY_DIR":
                              str(policy_with_burst(tmp_path))})
    result = {}

    def burst():
        r = requests.get(n.url + f"/__test/burst/{tag}/3000", timeout=120)
        result["acked"] = r.json()["acked"]

    t = threading.Thread(target=burst)
    t.start()

    def stored():
        return (stored_sqlite(n, tag) if backend == "sqlite"
                else stored_mongo(uri, dbname, tag))

    deadline = time.monotonic() + 30
    while len(stored()) < 100:
        assert time.monotonic() < deadline, "the burst did not start"
        time.sleep(0.02)
    old = n.pids()["db"]
    os.kill(old, signal.SIGKILL)
    t.join(timeout=150)
    assert not t.is_alive()
    n.wait_ready()
    assert n.pids()["db"] != old
    acked = result["acked"]
    have = stored()
    assert 100 <= len(acked) < 3000          # the kill cost at least one
    assert len(have) == len(set(have))       # each at most once
    missing = set(acked) - set(have)
    assert not missing, sorted(missing)[:10]

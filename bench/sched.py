"""bench/sched.py - the scheduling loop (issue 6), run by bench/sched.sh.

Measures, on one node of the benchmark build (SQLite), with the real
runner and the mupif stand-in running tests/workflows/wf_ok.py (reads x,
writes y = 2x through the REST API, about the smallest real workflow):

  latency     schedule -> Running, one execution at a time on an idle
              scheduler (LAT_N samples): StartDate - SubmittedDate, both
              stamped by the db, so no client clock is involved; p50, p99
  drain       N executions scheduled at once, drained with run_slots 1
              and 8: executions/s from the first SubmittedDate to the
              last EndDate, and schedule -> Running p50/p99 under that
              queue (dominated by waiting for a slot)
  baseline    the same runner, the same workflow and the same REST calls
              run by hand, sequentially, without scheduler or sandbox
              (BASE_N runs): runs/s.  The ratios say what the scheduler,
              the sandbox and the bookkeeping cost.

Every node runs on loopback ports in a temporary directory and is stopped
at the end; the whole run is bounded by N and the per-phase time limits.
"""
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from api_helpers import (ADMIN, ADMIN_PW, Client, api_url,  # noqa: E402
                         new_node, start_api_node)

N = int(os.environ.get("N", "1000"))
LAT_N = int(os.environ.get("LAT_N", "50"))
BASE_N = int(os.environ.get("BASE_N", "50"))
SLOTS = [int(s) for s in os.environ.get("SLOTS", "1 8").split()]
SAMPLE = ROOT / "tests" / "workflows" / "wf_ok.py"
RUNNER = ROOT / "runner" / "mupif_runner.py"
STANDIN = ROOT / "runner" / "mupif_standin.py"


def ts(s):
    return datetime.datetime.fromisoformat(s).timestamp()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Bench:
    def __init__(self, slots, tmp):
        conf = (f"run_slots = {slots}\nrun_timeout_s = 120\n"
                "broker_rate = 10000000\nbroker_timeout_ms = 10000\n"
                "run_poll_s = 20\n")
        self.node = new_node(Path(tempfile.mkdtemp(dir=tmp)), conf)
        start_api_node(self.node)
        self.c = Client(api_url(self.node), ADMIN, ADMIN_PW)
        self.c.insertUsecaseRecord("Bench", "scheduler bench")
        r = self.c.uploadWorkflowParts("Bench", [(
            "workflow_file", ("wf_ok.py", SAMPLE.read_bytes(),
                              "application/octet-stream"))])
        assert r.status_code == 200, r.text

    def create(self, n):
        ids = []
        for i in range(n):
            w = self.c.createExecution("wf_ok", -1, "", False)["inserted_id"]
            assert self.c.setExecutionInputObject(w, "x", "x", {
                "ClassName": "ConstantProperty", "ValueType": "Scalar",
                "DataID": "PID_Time", "Unit": "s", "Value": float(i),
                "Time": None}) is True
            ids.append(w)
        return ids

    def schedule(self, w):
        import requests
        r = requests.patch(f"{self.c.RESTserver}api/executions/{w}/schedule",
                           headers=self.c.getRequestHeaders(), timeout=10)
        assert r.status_code == 200, r.text

    def records(self, ids):
        want = set(ids)
        out = {}
        r = self.node.cli("db", "export")
        assert r.returncode == 0, r.stderr
        for line in r.stdout.splitlines():
            d = json.loads(line)
            if d.get("collection") != "WorkflowExecutions":
                continue
            doc = d.get("doc") or d.get("document")
            i = doc["_id"]
            i = i["$oid"] if isinstance(i, dict) else i
            if i in want:
                out[i] = doc
        return out

    def wait_done(self, ids, limit):
        deadline = time.monotonic() + limit
        left = list(ids)
        while left and time.monotonic() < deadline:
            e = self.c.getExecutionRecord(left[-1])
            e = e.get("entity", e)
            if e["Status"] in ("Finished", "Failed"):
                recs = self.records(left)
                left = [i for i in left if recs[i]["Status"] not in
                        ("Finished", "Failed")]
                continue
            time.sleep(0.2)
        assert not left, f"{len(left)} executions not done in {limit} s"

    def stop(self):
        self.node.stop()


def latency(tmp):
    b = Bench(1, tmp)
    try:
        ids = b.create(LAT_N)
        for w in ids:
            b.schedule(w)
            b.wait_done([w], 60)
        recs = b.records(ids)
        bad = [i for i in ids if recs[i]["Status"] != "Finished"]
        assert not bad, recs[bad[0]]
        lat = [ts(recs[i]["StartDate"]) - ts(recs[i]["SubmittedDate"])
               for i in ids]
        run = [ts(recs[i]["EndDate"]) - ts(recs[i]["StartDate"])
               for i in ids]
        print(f"latency  schedule->Running, idle, {LAT_N} samples: "
              f"p50 {pct(lat, 50) * 1000:.1f} ms, p99 "
              f"{pct(lat, 99) * 1000:.1f} ms; one run (Running->Finished) "
              f"p50 {pct(run, 50) * 1000:.0f} ms")
    finally:
        b.stop()


def drain(tmp, slots):
    b = Bench(slots, tmp)
    try:
        t0 = time.monotonic()
        ids = b.create(N)
        t1 = time.monotonic()
        for w in ids:
            b.schedule(w)
        b.wait_done(ids, 30 + N * 2)
        recs = b.records(ids)
        fin = sum(1 for i in ids if recs[i]["Status"] == "Finished")
        first = min(ts(recs[i]["SubmittedDate"]) for i in ids)
        last = max(ts(recs[i]["EndDate"]) for i in ids)
        lat = [ts(recs[i]["StartDate"]) - ts(recs[i]["SubmittedDate"])
               for i in ids]
        pids = b.node.pids()
        rate = N / (last - first)
        print(f"drain    run_slots {slots}: {N} executions ({fin} "
              f"Finished) in {last - first:.1f} s = {rate:.2f}/s; queue "
              f"wait p50 {pct(lat, 50):.1f} s p99 {pct(lat, 99):.1f} s; "
              f"scheduler VmRSS {rss_kib(pids['scheduler'])} KiB "
              f"(creating them took {t1 - t0:.1f} s)")
        return rate
    finally:
        b.stop()


def baseline(tmp):
    """The runner by hand: no scheduler, no sandbox, no log capture."""
    b = Bench(1, tmp)
    try:
        # Run state as the scheduler would leave it: Running (outputs are
        # writable only then), through set_param as an admin may.
        ids = b.create(BASE_N)
        tok = Path(tmp) / "tok"
        tok.write_text(b.c.getRequestHeaders()["Authorization"].split()[1])
        work = Path(tmp) / "work"
        work.mkdir()
        shutil.copy(SAMPLE, work / "wf_ok.py")
        env = {"MUPIFDB_REST_SERVER": b.c.RESTserver, "MUPIF_NS": "",
               "HOME": str(work), "PATH": "/usr/bin:/bin",
               "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "API_TOKEN_FILE": str(tok),
               "MUPIF_RUNNER_STANDIN": str(STANDIN)}
        for w in ids:
            b.c.setExecutionParameter(w, "Status", "Scheduled")
            b.c.setExecutionParameter(w, "Status", "Running")
        t0 = time.monotonic()
        for w in ids:
            subprocess.run(["/usr/bin/python3", "-I", "-S", "-B",
                            str(RUNNER), "-eid", w], cwd=work, env=env,
                           check=True, capture_output=True, timeout=60)
        dt = time.monotonic() - t0
        rate = BASE_N / dt
        print(f"baseline the runner by hand, sequential, {BASE_N} runs: "
              f"{rate:.2f}/s ({dt / BASE_N * 1000:.0f} ms each)")
        return rate
    finally:
        b.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="sched-bench-")
    os.chmod(tmp, 0o755)
    try:
        base = baseline(tmp)
        latency(tmp)
        for s in SLOTS:
            r = drain(tmp, s)
            print(f"ratio    run_slots {s} / baseline: {r / base:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

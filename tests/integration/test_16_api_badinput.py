"""The REST API refuses bad input cleanly and writes nothing when it does:
oversized bodies -> 413 with a JSON body; broken JSON and wrong types ->
422 with the 422 shape; wrong, tampered or foreign tokens -> 401 with
WWW-Authenticate: Bearer; unknown or malformed ids -> 404, never 500;
wrong methods -> 405; set_param outside the clients' keys -> 422;
non-admin upload -> 403; path traversal in uploaded names refused or
sanitised.  "Nothing written" is checked on the database itself (`db
export`, minus login sessions) and through the API's counts."""
import base64
import contextlib
import json
import re
import os
from pathlib import Path

import pytest
import requests

from api_helpers import (ADMIN, ADMIN_PW, USER, USER_PW, Client, api_port,
                         api_url, const_property, db_fingerprint, new_node,
                         raw_http, start_api_node, workflow_source,
                         write_workflow, zip_names)
from api_models import Error422, ErrorDetail, ExecutionStatistics, check
from api_fixtures import admin, api, base, user  # noqa: F401 (fixtures)
from conftest import require_root

NOID = "0123456789abcdef01234567"


@pytest.fixture(scope="module")
def wf(admin, tmp_path_factory):
    admin.insertUsecaseRecord("UC16", "")
    p = write_workflow(tmp_path_factory.mktemp("wf16"), "WF16", "workflow16",
                       "Workflow16")
    return admin.postWorkflowFiles("UC16", p)


@pytest.fixture(scope="module")
def weid(user, wf):
    return user.createExecution("WF16", -1, "")["inserted_id"]


@contextlib.contextmanager
def unchanged(node, client):
    """The database (every document but login sessions, every file) and
    the API's counts are the same after the block as before."""
    fp = db_fingerprint(node)
    stats = client.getExecutionStatistics()
    ucs = client.getUsecaseRecords()["pagination"]["totalCount"]
    wfs = client.getWorkflowRecords()["pagination"]["totalCount"]
    yield
    assert client.getExecutionStatistics() == stats
    assert client.getUsecaseRecords()["pagination"]["totalCount"] == ucs
    assert client.getWorkflowRecords()["pagination"]["totalCount"] == wfs
    after = db_fingerprint(node)
    assert after == fp, ("database changed:\n+ " +
                         "\n+ ".join(sorted(set(after) - set(fp)))[:3000] +
                         "\n- " + "\n- ".join(sorted(set(fp) - set(after)))[:3000])


def is_422(r):
    assert r.status_code == 422, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    e = check(Error422, r.json())
    assert e.message
    return e


def is_401(r):
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.headers.get("WWW-Authenticate") == "Bearer", r.headers
    return check(ErrorDetail, r.json()).detail


def is_404(r):
    assert r.status_code == 404, (r.request.method, r.request.path_url,
                                  r.status_code, r.text)
    return check(ErrorDetail, r.json()).detail


# ==========================================================================
# oversized bodies

def test_16_01_oversized_body_by_length(api, user):
    """A whole JSON body above api_max_body (1 MiB by default): 413 with a
    JSON body, nothing written."""
    tok = user.token
    body = b'{"ucid": "big", "Description": "' + b"x" * (2 << 20) + b'"}'
    with unchanged(api, user):
        st, h, out = raw_http(api_port(api), (
            "POST /api/usecases/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {tok}\r\n"
            f"Content-Length: {len(body)}").encode(), body=body)
        assert st == 413, (st, out[:200])
        assert h["content-type"].startswith("application/json")
        check(ErrorDetail, json.loads(out))
        # the same through requests, as a client would send it
        r = user.raw("PATCH", f"api/executions/{NOID}/set_param", data=body)
        assert r.status_code == 413
        check(ErrorDetail, r.json())


def test_16_01b_oversized_length_refused_before_the_body(api, user):
    """A Content-Length far above the cap is refused from the headers,
    without waiting for (and reading) 64 MiB.  (Our expectation of a
    "size cap", not a mupifDB behaviour.)"""
    tok = user.token
    st, h, out = raw_http(api_port(api), (
        "POST /api/usecases/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {tok}\r\n"
        f"Content-Length: {64 << 20}").encode(),
        body=b'{"ucid": "big", "Description": "' + b"x" * 65536,
        read_timeout=5)
    assert st == 413, (st, out[:200])
    check(ErrorDetail, json.loads(out))


def test_16_02_oversized_body_chunked(api, user):
    """The same without Content-Length (chunked)."""
    tok = user.token
    body = b'{"key": "label", "value": "' + b"x" * (2 << 20) + b'"}'
    with unchanged(api, user):
        st, h, out = raw_http(api_port(api), (
            f"PATCH /api/executions/{NOID}/set_param HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\n"
            f"Authorization: Bearer {tok}\r\n"
            "Transfer-Encoding: chunked").encode(),
            body=b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        assert st == 413, (st, out[:200])
        check(ErrorDetail, json.loads(out))


def test_16_03_file_over_file_max_bytes(tmp_path):
    """file_max_bytes caps POST api/file and workflow uploads: 413, and
    nothing is stored."""
    require_root()
    n = new_node(tmp_path / "capped", "file_max_bytes = 65536\n")
    try:
        start_api_node(n)
        base = api_url(n)
        admin = Client(base, ADMIN, ADMIN_PW)
        admin.insertUsecaseRecord("UCcap", "")
        ok = admin.uploadBinaryFile(("small.bin", b"s" * 1000))
        assert admin.getBinaryFileByID(ok) == (b"s" * 1000, "small.bin")
        with unchanged(n, admin):
            r = admin.raw("POST", "api/file/", files={
                "file": ("big.bin", b"b" * (300 << 10))})
            assert r.status_code == 413, r.text
            check(ErrorDetail, r.json())
            src = workflow_source("WFcap", "WorkflowCap")
            r = admin.uploadWorkflowParts("UCcap", [
                ("workflow_file", ("workflowcap.py", src, "text/x-python")),
                ("additional_files", ("big.dat", b"d" * (300 << 10),
                                      "application/octet-stream"))])
            assert r.status_code == 413, r.text
            check(ErrorDetail, r.json())
    finally:
        n.stop()


# ==========================================================================
# broken JSON, wrong types, missing fields -> 422, nothing written

BROKEN = [b'{"ucid":', b"{ucid: 1}", b"[", b"nul", b"", b'{"a":1}}',
          b"\xff\xfe{}",
          b'{"ucid":"\xc3\x28"}', b'{"ucid":"x", "Description":"' +
          b"\\ud800" + b'"', b"{" * 5000 + b"}" * 5000,
          b"[" * 100000, b"1e99999"]


@pytest.mark.parametrize("i", range(len(BROKEN)))
def test_16_04_broken_json_usecase(api, user, i):
    with unchanged(api, user):
        is_422(user.raw("POST", "api/usecases/", data=BROKEN[i]))


def test_16_05_broken_json_everywhere(api, user, weid):
    paths = [("POST", "api/executions/create/"),
             ("PATCH", f"api/executions/{weid}/set_param"),
             ("PATCH", f"api/executions/{weid}/input_item/Value_1/1/"),
             ("PATCH", f"api/executions/{weid}/output_item/Multiplication_result//"),
             ("PATCH", f"api/executions/{weid}/set_onto_base_object_id/"),
             ("PATCH", f"api/executions/{weid}/set_onto_base_object_ids/"),
             ("PATCH", "api/scheduler_statistics/")]
    with unchanged(api, user):
        for m, p in paths:
            for body in (b'{"key":', b"[[[[", b"\x00"):
                r = user.raw(m, p, data=body)
                assert r.status_code == 422, (m, p, body, r.status_code, r.text)
                check(Error422, r.json())


WRONG = [
    ("POST", "api/executions/create/", {"version": 1}),
    ("POST", "api/executions/create/", {"wid": 5, "version": -1}),
    ("POST", "api/executions/create/", {"wid": "WF16", "version": "one"}),
    ("POST", "api/executions/create/", ["WF16", -1]),
    ("POST", "api/usecases/", {"Description": "no ucid"}),
    ("POST", "api/usecases/", {"ucid": 16}),
    ("POST", "api/usecases/", {"ucid": None}),
    ("POST", "api/usecases/", "UC"),
    ("PATCH", "api/executions/{weid}/set_param", {"key": "label"}),
    ("PATCH", "api/executions/{weid}/set_param", {"value": "x"}),
    ("PATCH", "api/executions/{weid}/set_param", {"key": "label", "value": 5}),
    ("PATCH", "api/executions/{weid}/set_param",
     {"key": "label", "value": {"$ne": 1}}),
    ("PATCH", "api/executions/{weid}/input_item/Value_1/1/", {"object": "s"}),
    ("PATCH", "api/executions/{weid}/input_item/Value_1/1/", {"link": 5}),
    ("PATCH", "api/executions/{weid}/set_onto_base_object_ids/",
     {"name": "beam", "value": "not-a-list"}),
    ("PATCH", "api/scheduler_statistics/", {"key": "scheduler.load"}),
    ("PATCH", "api/scheduler_statistics/",
     {"key": "scheduler.load", "value": 1.5}),
]


@pytest.mark.parametrize("i", range(len(WRONG)))
def test_16_06_wrong_types_422(api, user, weid, i):
    m, p, body = WRONG[i]
    with unchanged(api, user):
        is_422(user.raw(m, p.format(weid=weid), data=json.dumps(body)))


def test_16_07_bad_query_values_422(user, wf):
    for q in ("api/executions?num_limit=abc", "api/executions?page=x",
              "api/executions?workflow_version=1.5",
              "api/usecases?pageSize=ten", "api/users?page=%00"):
        r = user.raw("GET", q)
        if q.startswith("api/users"):
            assert r.status_code in (403, 422), r.text   # admin only
        else:
            is_422(r)


# ==========================================================================
# tokens

def _b64(d):
    return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":"))
                                    .encode()).rstrip(b"=").decode()


def _unb64(s):
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))


def bad_tokens(tok):
    h, p, s = tok.split(".")
    payload = _unb64(p)
    later = dict(payload, exp=payload["exp"] + 86400)
    flip = s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]
    return {
        "garbage": "abc",
        "empty": "",
        "two parts": f"{h}.{p}",
        "tampered payload": f"{h}.{_b64(later)}.{s}",
        "tampered signature": f"{h}.{p}.{flip}",
        "no signature": f"{h}.{p}.",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{p}.",
        "alg HS256": f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{p}.{s}",
        "expired claims": f"{h}.{_b64(dict(payload, exp=1))}.{s}",
        "long": "a" * 10000,
        "nul": f"{h}.{p}\x00.{s}",
    }


def test_16_10_wrong_tokens_401(api, base, user):
    tok = user.token
    paths = [("GET", "api/usecases"), ("GET", "api/current_user"),
             ("GET", "api/executions/?noparam&status=Pending"),
             ("POST", "api/usecases/"), ("POST", "api/refresh_token")]
    with unchanged(api, user):
        for name, bad in bad_tokens(tok).items():
            for m, p in paths:
                try:
                    r = requests.request(m, base + p, timeout=4, headers={
                        "Authorization": f"Bearer {bad}"},
                        data=json.dumps({"ucid": "tok16"}))
                except (requests.exceptions.InvalidHeader, ValueError):
                    continue     # requests refuses to send it
                assert r.status_code == 401, (name, m, p, r.status_code, r.text)
                assert r.headers.get("WWW-Authenticate") == "Bearer", (name, p)
                check(ErrorDetail, r.json())
                # the same as a cookie
                if m != "POST" or p != "api/refresh_token":
                    r = requests.request(m, base + p, timeout=4,
                                         cookies={"access_token": bad},
                                         data=json.dumps({"ucid": "tok16"}))
                    assert r.status_code == 401, (name, "cookie", p, r.text)
    # the genuine token still works
    assert requests.get(base + "api/current_user", timeout=4, headers={
        "Authorization": f"Bearer {tok}"}).status_code == 200


def test_16_11_missing_token_401(api, base, user, weid):
    with unchanged(api, user):
        for m, p in [("GET", "api/usecases"), ("GET", "api/settings"),
                     ("GET", f"api/executions/{weid}"),
                     ("GET", "api/status/"), ("GET", "api/users"),
                     ("POST", "api/usecases/"),
                     ("POST", "api/executions/create/"),
                     ("PATCH", f"api/executions/{weid}/set_param"),
                     ("PATCH", f"api/executions/{weid}/schedule"),
                     ("POST", "api/file/"),
                     ("PATCH", "api/scheduler_statistics/"),
                     ("POST", "api/usecases/UC16/workflows")]:
            r = requests.request(m, base + p, timeout=4,
                                 data=json.dumps({"key": "label", "value": "x",
                                                  "wid": "WF16",
                                                  "version": -1,
                                                  "ucid": "nt16"}))
            assert is_401(r) == "Not authenticated: Missing access token", p
            # "Bearer" with nothing after it, other schemes
            for h in ("Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer"):
                r = requests.request(m, base + p, timeout=4,
                                     headers={"Authorization": h})
                is_401(r)


def test_16_12_token_of_another_node(api, user, tmp_path):
    """A genuine token of another node (another signing key) is refused."""
    require_root()
    other = new_node(tmp_path / "other")
    try:
        start_api_node(other)
        tok = Client(api_url(other), USER, USER_PW).token
    finally:
        other.stop()
    with unchanged(api, user):
        r = requests.get(api_url(api) + "api/current_user", timeout=4,
                         headers={"Authorization": f"Bearer {tok}"})
        is_401(r)
        r = requests.post(api_url(api) + "api/usecases/", timeout=4,
                          headers={"Authorization": f"Bearer {tok}"},
                          data=json.dumps({"ucid": "foreign"}))
        is_401(r)


# ==========================================================================
# unknown and malformed ids -> 404, never 500

BADIDS = [NOID, "ffffffffffffffffffffffff", "zz", "0123456789ABCDEF01234567",
          "0123456789abcdef012345670", "0123456789abcdef0123456",
          "%2e%2e", "..%2f..%2fetc", "%00", "x" * 3000, "1", "-1",
          "null", "%7B%22%24ne%22%3A1%7D", "%E2%9C%93"]


@pytest.mark.parametrize("bad", BADIDS, ids=[b[:24] for b in BADIDS])
def test_16_20_unknown_ids_404(api, user, bad):
    problems = []
    with unchanged(api, user):
        for m, p, body in [
                ("GET", "api/executions/{}", None),
                ("GET", "api/executions/{}/", None),
                ("GET", "api/executions/{}/inputs/", None),
                ("GET", "api/executions/{}/outputs", None),
                ("GET", "api/iodata/{}", None),
                ("GET", "api/file/{}", None),
                ("GET", "api/workflows/{}", None),
                ("PATCH", "api/executions/{}/schedule", None),
                ("PATCH", "api/executions/{}/set_param",
                 {"key": "label", "value": "x"}),
                ("PATCH", "api/executions/{}/input_item/Value_1/1/",
                 {"object": const_property(1.0)}),
                ("PATCH", "api/executions/{}/output_item/Multiplication_result//",
                 {"object": const_property(1.0)}),
                ("PATCH", "api/executions/{}/set_onto_base_object_id/",
                 {"name": "beam", "value": "x"}),
                ("POST", "api/executions/create/",
                 {"wid": "{}", "version": -1, "ip": "", "no_edm": False})]:
            if m == "POST":
                b = json.dumps(body).replace("{}", bad)
                r = user.raw(m, p, data=b)
                if r.status_code == 422:       # a name too long to be one
                    check(Error422, r.json())
                    continue
            else:
                r = user.raw(m, p.format(bad),
                             data=None if body is None else json.dumps(body))
            try:
                is_404(r)
            except AssertionError:
                problems.append(f"{m} {p}: {r.status_code} {r.text[:120]}")
    assert problems == []


def test_16_21_unknown_names_404(user, wf):
    for p in ("api/usecases/NoSuch16", "api/workflows_by_wid/NoSuch16/version/-1",
              "api/workflows_by_wid/WF16/version/99",
              "api/workflows_by_wid/NoSuch16", "api/nope",
              "api/executions/x/y/z/w/v", "nope"):
        is_404(user.raw("GET", p))
    r = user.raw("GET", "api/users/" + NOID)
    assert r.status_code in (403, 404)


def test_16_22_user_ids_admin(admin):
    for bad in BADIDS:
        r = admin.raw("GET", f"api/users/{bad}")
        is_404(r)
        r = admin.raw("PATCH", f"api/users/{bad}",
                      data=json.dumps({"password": "long-enough"}))
        is_404(r)


# ==========================================================================
# wrong method -> 405

def test_16_30_wrong_method_405(api, user, weid):
    with unchanged(api, user):
        for m, p in [("DELETE", "api/usecases"), ("PUT", "api/usecases/"),
                     ("DELETE", f"api/executions/{weid}"),
                     ("POST", f"api/executions/{weid}"),
                     ("GET", "api/login"), ("DELETE", "api/login"),
                     ("GET", f"api/executions/{weid}/set_param"),
                     ("POST", f"api/executions/{weid}/schedule"),
                     ("PUT", "api/file/"), ("DELETE", "api/settings"),
                     ("POST", "api/status")]:
            r = user.raw(m, p, data=b"{}")
            assert r.status_code == 405, (m, p, r.status_code, r.text)
            assert r.json() == {"detail": "Method Not Allowed"}
            assert "Allow" in r.headers and m not in r.headers["Allow"]


# ==========================================================================
# set_param limited to the clients' keys (7.1 row 5)

SET_PARAM_REFUSED = ["Inputs", "Outputs", "WorkflowID", "WorkflowVersion",
                     "_id", "parent", "InputsData", "OutputsData",
                     "canBeSubmitted", "CreatedDate", "EDMMapping",
                     "EDMMapping.0.id", "Status.x", "label.x", "$set",
                     "Task_ID\x00", "", "a" * 5000, "UserIP", "workflow",
                     "ScheduledDate", "StartDate", "EndDate"]


@pytest.mark.parametrize("key", SET_PARAM_REFUSED,
                         ids=[repr(k)[:24] for k in SET_PARAM_REFUSED])
def test_16_31_set_param_key_refused(api, user, weid, key):
    before = user.getExecutionRecord(weid)
    with unchanged(api, user):
        is_422(user.raw("PATCH", f"api/executions/{weid}/set_param",
                        data=json.dumps({"key": key, "value": NOID})))
    assert user.getExecutionRecord(weid) == before


def test_16_32_set_param_bad_values(api, user, weid):
    """Values the model could not read back: refused, not stored (the
    original stored them and then failed every list with 500, 9.1.6)."""
    before = user.getExecutionRecord(weid)
    with unchanged(api, user):
        for key, value in [("Status", "Bogus"), ("Status", ""),
                           ("Attempts", "many"), ("Attempts", "-1x"),
                           ("SubmittedDate", "yesterday"),
                           ("ExecutionLog", "x" * 100000)]:
            r = user.raw("PATCH", f"api/executions/{weid}/set_param",
                         data=json.dumps({"key": key, "value": value}))
            assert r.status_code in (413, 422), (key, value, r.status_code)
    assert user.getExecutionRecord(weid) == before
    check(ExecutionStatistics, user.getExecutionStatistics())
    assert user.raw("GET", "api/executions?num_limit=0").status_code == 200


# ==========================================================================
# uploads: admin only, refused files, traversal

def test_16_40_non_admin_upload_403(api, user, tmp_path):
    p = write_workflow(tmp_path, "WF16n", "workflow16n", "Workflow16n")
    with unchanged(api, user):
        with pytest.raises(RuntimeError):
            user.postWorkflowFiles("UC16", p)
        assert user.last.status_code == 403
        assert check(ErrorDetail, user.last.json()).detail == \
            "You don't have permission to perform this action."


WORKFLOW_DOC = {"wid": "WF16w", "Description": "d", "UseCase": "UC16",
                "IOCard": {"Inputs": [], "Outputs": []},
                "modulename": "evil", "classname": "Evil",
                "GridFSID": "0123456789abcdef01234567"}


@pytest.mark.parametrize("method,path", [
    ("POST", "api/workflows"), ("PATCH", "api/workflows"),
    ("POST", "api/workflows_history")])
def test_16_40b_workflow_records_admin_only(api, user, method, path):
    """Any user could point a workflow at any file in the original
    (9.1.3); here the workflow records are written by admins only
    (docs/authorization.md row 7)."""
    with unchanged(api, user):
        r = user.raw(method, path, json=WORKFLOW_DOC)
        assert r.status_code == 403, r.text
        check(ErrorDetail, r.json())


@pytest.mark.parametrize("path", ["api/status2", "api/jobmans-status2"])
def test_16_40c_unpickling_endpoints_not_served(user, path):
    """The Pyro status endpoints unpickled what a peer sent (9.1.2); they
    are not served by the api (docs/authorization.md row 10): 404, never a
    connection anywhere.  (livelog is served again, from the scheduler's
    buffer without Pyro or pickle: test_25_api_sched.py.)"""
    r = user.raw("GET", path)
    assert r.status_code == 404, r.text
    assert check(ErrorDetail, r.json()).detail == "Not Found"


def test_16_40d_livelog_of_unknown_execution(user):
    """livelog no longer 404s as an unknown route: an unknown execution is
    the db's 404 (with its text), never a connection to a Pyro logger."""
    r = user.raw("GET", f"api/executions/{NOID}/livelog/10")
    assert r.status_code == 404, r.text
    assert check(ErrorDetail, r.json()).detail != "Not Found"


def test_16_41_upload_refused(api, admin, user):
    good = workflow_source("WF16r", "Workflow16r")
    cases = {
        "not .py": ([("workflow_file", ("wf.txt", good, "text/plain"))], 400),
        "empty": ([("workflow_file", ("wf16e.py", b"", "text/x-python"))], 400),
        "no name": ([("workflow_file", ("", good, "text/x-python"))], (400, 422)),
        "no part": ([("other", ("wf16o.py", good, "text/x-python"))], 422),
        "syntax error": ([("workflow_file", ("wf16s.py", b"def (:\n",
                                             "text/x-python"))], (400, 422)),
        "two classes": ([("workflow_file", ("wf16t.py", good +
                                            b"\nclass Second:\n    pass\n",
                                            "text/x-python"))], (400, 422)),
        "no class": ([("workflow_file", ("wf16c.py", b"X = 1\n",
                                         "text/x-python"))], (400, 422)),
        "raises": ([("workflow_file", ("wf16x.py",
                                       b"raise SystemExit(3)\n",
                                       "text/x-python"))], (400, 422)),
        "no metadata": ([("workflow_file", ("wf16m.py",
                                            b"class A:\n    def getAllMetadata(self):\n"
                                            b"        return {}\n",
                                            "text/x-python"))], (400, 422)),
    }
    with unchanged(api, user):
        for name, (parts, want) in cases.items():
            r = admin.uploadWorkflowParts("UC16", parts)
            want = want if isinstance(want, tuple) else (want,)
            assert r.status_code in want, (name, r.status_code, r.text)
            body = r.json()
            if r.status_code == 422 and "status_code" in body:
                check(Error422, body)
            else:
                assert check(ErrorDetail, body).detail, name


def test_16_41b_upload_loop_refused_within_client_timeout(api, admin):
    """Code that never finishes: a clear 422 once the inspector's time
    limit strikes.  The official client gives up after 4 s (6.5), so the
    default limits must answer before that; checked on the node's
    effective configuration rather than by timing (these machines are
    noisy)."""
    r = admin.raw("POST", "api/usecases/UC16/workflows", timeout=60, files=[
        ("workflow_file", ("wf16q.py", b"while True:\n    pass\n",
                           "text/x-python"))])
    assert r.status_code == 422, r.text
    check(Error422, r.json())
    assert "timed out" in r.json()["message"] or \
        "CPU" in r.json()["message"], r.text
    out = api.cli("config", check=True).stdout
    conf = dict(re.findall(r"^(inspect_\w+)\s*=\s*(\d+)", out, re.M))
    assert int(conf["inspect_timeout_s"]) < 4, conf
    assert int(conf["inspect_cpu_s"]) < 4, conf


TRAVERSAL = ["../../../../tmp/h6evil16.py", "/tmp/h6evil16b.py",
             "..\\..\\h6evil16c.py", "a/../../h6evil16d.py",
             "h6evil16e.py/../../x.py", "./h6evil16f.py"]


def _no_evil_files(node):
    """Files named h6evil16* where a traversal could have put them."""
    from conftest import ROOT
    hits = []
    for root, depth in ((Path("/"), 0), (Path("/etc"), 0), (Path("/tmp"), 2),
                        (ROOT, 1), (node.dir, 12)):
        for dirpath, dirnames, filenames in os.walk(root):
            if len(Path(dirpath).relative_to(root).parts) >= depth:
                dirnames[:] = []
            hits += [os.path.join(dirpath, f) for f in filenames
                     if "h6evil16" in f]
    return hits


@pytest.mark.parametrize("name", TRAVERSAL)
def test_16_42_traversal_in_workflow_name(api, admin, user, name):
    """The main file's name: refused, or stored under a sanitised name (no
    directory part) -- never written outside."""
    src = workflow_source("WF16t" + str(TRAVERSAL.index(name)), "Workflow16t")
    r = admin.uploadWorkflowParts("UC16", [
        ("workflow_file", (name, src, "text/x-python"))])
    assert r.status_code in (200, 400, 422), (r.status_code, r.text)
    if r.status_code == 200:
        w = admin.getWorkflowRecord(r.json()["wid"], -1)["entity"]
        assert "/" not in w["modulename"] and "\\" not in w["modulename"]
        assert ".." not in w["modulename"]
        blob, fname = admin.getBinaryFileByID(w["GridFSID"])
        for z in zip_names(blob):
            assert "/" not in z and "\\" not in z and z not in (".", ".."), z
    assert _no_evil_files(api) == []


def test_16_43_traversal_in_additional_files(api, admin):
    src = workflow_source("WF16a", "Workflow16a")
    parts = [("workflow_file", ("workflow16a.py", src, "text/x-python"))]
    for i, n in enumerate(["../h6evil16g.txt", "/etc/h6evil16h.txt",
                           "..\\h6evil16i.txt", "sub/../../h6evil16j.txt",
                           "..", "."]):
        parts.append(("additional_files", (n, b"evil %d\n" % i,
                                           "text/plain")))
    r = admin.uploadWorkflowParts("UC16", parts)
    assert r.status_code in (200, 400, 422), (r.status_code, r.text)
    if r.status_code == 200:
        w = admin.getWorkflowRecord("WF16a", -1)["entity"]
        blob, _ = admin.getBinaryFileByID(w["GridFSID"])
        names = zip_names(blob)
        assert "workflow16a.py" in names
        for z in names:
            assert "/" not in z and "\\" not in z and z not in (".", ".."), z
    assert _no_evil_files(api) == []


def test_16_44_traversal_in_file_name(admin):
    """POST api/file: the stored name (the scheduler writes the file under
    it) has no directory part."""
    for n in ["../../etc/h6evil16k", "/etc/h6evil16l", "..\\h6evil16m",
              "..", "a\x00b"]:
        r = admin.raw("POST", "api/file/", files={"file": (n, b"x")})
        assert r.status_code in (200, 400, 422), (n, r.status_code, r.text)
        if r.status_code == 200:
            data, fname = admin.getBinaryFileByID(r.json())
            assert data == b"x"
            assert "/" not in fname and "\\" not in fname, fname
            assert fname not in (".", "..", "") and "\x00" not in fname


def test_16_45_header_injection_in_file_name(admin):
    """A stored name cannot add headers to the download."""
    r = admin.raw("POST", "api/file/", files={
        "file": ("a\r\nX-Evil: 1\r\n.txt", b"y")})
    if r.status_code == 200:
        r2 = admin.raw("GET", f"api/file/{r.json()}")
        assert r2.status_code == 200
        assert "X-Evil" not in r2.headers
        assert "\n" not in r2.headers["Content-Disposition"]
    else:
        assert r.status_code in (400, 422)


# ==========================================================================
# refused writes by other routes

def test_16_50_refused_state_changes_write_nothing(api, user, weid):
    """Refused item patches (wrong status) answer false and change
    nothing; schedule of an unknown id writes nothing."""
    with unchanged(api, user):
        assert user.setExecutionOutputObject(weid, "Multiplication_result",
                                             "", const_property(1.0)) is False
        r = user.raw("PATCH", f"api/executions/{weid}/input_item/Value_1/1/",
                     data=json.dumps({"link": None, "object": None}))
        assert r.status_code == 200 and r.json() is False
        is_404(user.raw("PATCH", f"api/executions/{NOID}/schedule"))
        is_404(user.raw("POST", "api/executions/create/", data=json.dumps(
            {"wid": "NoSuch16", "version": -1, "ip": "", "no_edm": False})))


def test_16_46_inspection_sandboxed(api, admin, tmp_path):
    """The uploaded module's top-level code runs in a throw-away sandbox:
    it cannot reach the network (a listener of ours gets no connection)
    and its files do not persist on the host."""
    import socket
    import time
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(5)
    lst.setblocking(False)
    port = lst.getsockname()[1]
    marker = "/tmp/h6evil16net"
    src = (b"import socket, os\n"
           b"try:\n"
           b"    socket.create_connection(('127.0.0.1', %d), 1).send(b'x')\n"
           b"except Exception:\n"
           b"    pass\n"
           b"for p in ('%s', os.path.expanduser('~/h6evil16home'),\n"
           b"          'h6evil16cwd'):\n"
           b"    try:\n"
           b"        open(p, 'w').write('x')\n"
           b"    except Exception:\n"
           b"        pass\n" % (port, marker.encode())) + \
        workflow_source("WF16net", "Workflow16net").split(b"\n", 1)[1]
    try:
        r = admin.uploadWorkflowParts("UC16", [
            ("workflow_file", ("workflow16net.py", src, "text/x-python"))])
        assert r.status_code in (200, 400, 422), (r.status_code, r.text)
        time.sleep(0.2)
        with pytest.raises(BlockingIOError):
            lst.accept()
    finally:
        lst.close()
    assert not os.path.exists(marker)
    assert _no_evil_files(api) == []


def test_16_60_login_rate_limited_429(tmp_path):
    """Failed logins are limited per user name: past login_rate_user a
    login answers 429 with Retry-After and a {"detail"} body -- even with
    the right password -- and the attempts of another user are not
    affected (the per-address limit is higher)."""
    require_root()
    n = new_node(tmp_path, "login_rate_user = 3\nlogin_rate_addr = 100\n")
    try:
        start_api_node(n)
        url = api_url(n) + "api/login"
        codes = [requests.post(url, data={"username": USER,
                                          "password": "wrong-pw"},
                               timeout=10).status_code for _ in range(6)]
        assert codes[0] == 400 and codes[-1] == 429, codes
        r = requests.post(url, data={"username": USER, "password": USER_PW},
                          timeout=10)
        assert r.status_code == 429, r.text
        assert 1 <= int(r.headers["Retry-After"]) <= 3600
        check(ErrorDetail, r.json())
        r = requests.post(url, data={"username": ADMIN, "password": ADMIN_PW},
                          timeout=10)
        assert r.status_code == 200, r.text
    finally:
        n.stop()

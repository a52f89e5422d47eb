"""The REST API core (services/api): routing (404, 405 + Allow, trailing
slashes, the empty-obj_id "//" forms), authentication failures (401 +
WWW-Authenticate: Bearer, the spec's messages), body caps (413), the 422
envelope, malformed ids (404, never 500), and a short logged-in run: use
case create/list/get, a workflow, an execution and its items.  Paths,
shapes and texts: ../shared/spec/rest-api.md 1.3, 3, 4, 6.2, 8."""
import pytest
import requests

from api_helpers import add_user, api_url, wait_api

ADMIN = "core-admin@example.org"
PW = "core-pass-1"
NOID = "0123456789abcdef01234567"


@pytest.fixture(scope="module")
def api(node):
    wait_api(node)
    add_user(node, ADMIN, PW, admin=True, check=False)
    return api_url(node) + "api/"


@pytest.fixture(scope="module")
def auth(api):
    r = requests.post(api + "login", data={"username": ADMIN, "password": PW,
                                           "grant_type": "password"},
                      timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def test_12_01_unknown_path_404(api):
    for p in ("nothing", "executions/x/y/z/w", "usecases/a/b/c"):
        r = requests.get(api + p, timeout=5)
        assert r.status_code == 404
        assert r.json() == {"detail": "Not Found"}


def test_12_02_wrong_method_405_with_allow(api):
    r = requests.delete(api + "usecases/", timeout=5)
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}
    assert set(r.headers["Allow"].replace(" ", "").split(",")) == \
        {"GET", "POST"}


def test_12_03_missing_token_401(api):
    for p in ("usecases", "usecases/", "executions/" + NOID,
              "current_user"):
        r = requests.get(api + p, timeout=5)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json() == {"detail": "Not authenticated: Missing access "
                                      "token"}


def test_12_04_bad_token_401(api):
    for tok in ("x", "a.b.c", "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.e30."
                + "A" * 86):
        r = requests.get(api + "usecases",
                         headers={"Authorization": "Bearer " + tok},
                         timeout=5)
        assert r.status_code == 401
        assert r.json()["detail"] == ("Invalid authentication credentials, "
                                      "token tampered or expired")
    r = requests.get(api + "usecases", cookies={"access_token": "junk"},
                     timeout=5)
    assert r.status_code == 401


def test_12_05_refresh_needs_bearer(api):
    r = requests.post(api + "refresh_token", timeout=5)
    assert r.status_code == 401
    assert r.json() == {"detail": "Authorization header is missing or "
                                  "malformed."}


def test_12_06_root_and_openapi(api):
    r = requests.get(api, allow_redirects=False, timeout=5)
    assert r.status_code == 307
    assert r.headers["Location"] == "/api/openapi.json"
    r = requests.get(api + "openapi.json", timeout=5)
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.")


def test_12_07_no_cors_headers(api):
    r = requests.get(api + "usecases", headers={"Origin": "http://evil"},
                     timeout=5)
    assert "Access-Control-Allow-Origin" not in r.headers


def test_12_08_register_off_by_default(api):
    r = requests.post(api + "register", data={"username": "x@y",
                                              "password": "abcdefgh"},
                      timeout=5)
    assert r.status_code == 403
    assert r.json() == {"detail": "Registration is disabled."}


def test_12_09_login_errors(api):
    r = requests.post(api + "login", data={"username": ADMIN}, timeout=5)
    assert r.status_code == 422
    assert set(r.json()) == {"status_code", "message", "data"}
    r = requests.post(api + "login", data={"username": ADMIN,
                                           "password": "wrong-pw"},
                      timeout=10)
    assert r.status_code == 400
    assert r.json() == {"detail": "Incorrect username or password"}
    r = requests.post(api + "login", data={"username": ADMIN, "password": PW,
                                           "grant_type": "magic"},
                      timeout=5)
    assert r.status_code == 422


def test_12_10_login_cookie(api):
    r = requests.post(api + "login", data={"username": ADMIN, "password": PW},
                      timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["access_token", "token_type", "message",
                          "expires_at"]
    assert body["token_type"] == "bearer"
    assert body["expires_at"].endswith("+00:00")
    c = r.headers["Set-Cookie"]
    for attr in ("HttpOnly", "Max-Age=604800", "Path=/", "SameSite=lax"):
        assert attr in c
    # The cookie alone authenticates.
    s = requests.Session()
    s.cookies.set("access_token", body["access_token"])
    r = s.get(api + "current_user", timeout=5)
    assert r.status_code == 200
    assert list(r.json()) == ["mail", "name", "surname", "rights_admin", "id"]
    assert r.json()["mail"] == ADMIN and r.json()["rights_admin"] is True
    # Logout revokes the session and clears the cookie.
    r = s.post(api + "logout", timeout=5)
    assert r.status_code == 200
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    r = requests.get(api + "current_user", headers={
        "Authorization": "Bearer " + body["access_token"]}, timeout=5)
    assert r.status_code == 401


def test_12_11_usecases(api, auth):
    r = requests.post(api + "usecases/", json={"ucid": "Core1",
                                               "Description": "core",
                                               "_id": "mine"},
                      headers=auth, timeout=5)
    assert r.status_code == 200
    uid = r.json()
    assert isinstance(uid, str) and len(uid) == 24
    for p in ("usecases", "usecases/"):
        r = requests.get(api + p, headers=auth, timeout=5)
        assert r.status_code == 200
        assert list(r.json()) == ["collection", "pagination"]
        assert "Core1" in [u["ucid"] for u in r.json()["collection"]]
    r = requests.get(api + "usecases/Core1", headers=auth, timeout=5)
    assert r.json() == {"entity": {"_id": uid, "parent": None,
                                   "ucid": "Core1", "Description": "core"}}
    r = requests.get(api + "usecases/NoSuch", headers=auth, timeout=5)
    assert r.status_code == 404
    r = requests.post(api + "usecases", json={"Description": "x"},
                      headers=auth, timeout=5)
    assert r.status_code == 422
    assert r.json()["status_code"] == 422 and r.json()["data"] is None


def test_12_12_malformed_and_unknown_ids(api, auth):
    for p in ("executions/" + NOID, "executions/xyz", "executions/%2F..",
              "edm_execution/xyz", "executions/xyz/inputs",
              "iodata/xyz", "iodata/" + NOID, "workflows/zz",
              "file/" + NOID, "file/..%2F..%2Fetc"):
        r = requests.get(api + p, headers=auth, timeout=5)
        assert r.status_code == 404, p
        assert "detail" in r.json()
    r = requests.get(api + "executions/" + NOID, headers=auth, timeout=5)
    assert r.json() == {"detail": "Database reports no execution with "
                                  f"uid={NOID}."}
    r = requests.get(api + "workflows_by_wid/W/version/one", headers=auth,
                     timeout=5)
    assert r.status_code == 422


def test_12_13_body_limits(api, auth):
    r = requests.post(api + "usecases", data=b"x" * (2 << 20),
                      headers=dict(auth, **{"Content-Type":
                                            "application/json"}),
                      timeout=10)
    assert r.status_code == 413
    r = requests.post(api + "executions/create", data="{broken",
                      headers=auth, timeout=5)
    assert r.status_code == 422
    assert "\n" not in r.json()["message"]


WF = {"wid": "CoreWF", "Description": "core workflow", "UseCase": "Core1",
      "modulename": "m", "classname": "C",
      "IOCard": {"Inputs": [{"Name": "V", "Type": "mupif.Property",
                             "TypeID": "mupif.DataID.PID_Time", "Units": "s",
                             "Obj_ID": "1", "Required": True}],
                 "Outputs": [{"Name": "R", "Type": "mupif.Property",
                              "Units": "s", "ObjID": ""}]},
      "Models": [{"Name": "m1", "Jobmanager": "jm"}]}


def test_12_14_workflow_and_execution(api, auth):
    r = requests.post(api + "workflows", json=WF, headers=auth, timeout=5)
    assert r.status_code == 200, r.text
    r = requests.get(api + "workflows_by_wid/CoreWF/version/-1",
                     headers=auth, timeout=5)
    w = r.json()["entity"]
    assert list(w) == ["_id", "parent", "wid", "Description", "GridFSID",
                       "UseCase", "IOCard", "modulename", "classname",
                       "Models", "EDMMapping", "Version"]
    inp = w["IOCard"]["Inputs"][0]
    assert inp["Type_ID"] == "mupif.DataID.PID_Time"
    assert inp["ObjID"] == "1" and inp["Compulsory"] is True
    r = requests.post(api + "executions/create/", json={
        "wid": "CoreWF", "version": -1, "ip": "", "no_edm": False},
        headers=auth, timeout=5)
    assert r.status_code == 200, r.text
    assert list(r.json()) == ["entity", "inserted_id"]
    eid = r.json()["inserted_id"]
    e = r.json()["entity"]
    assert e["Status"] == "Created" and e["Attempts"] == 0
    assert e["RequestedBy"] == ADMIN and e["canBeSubmitted"] is False
    assert [i["Name"] for i in e["InputsData"]] == ["V"]
    base = api + f"executions/{eid}/"
    assert requests.get(base + "check_inputs", headers=auth,
                        timeout=5).json() is False
    obj = {"ClassName": "ConstantProperty", "ValueType": "Scalar",
           "DataID": "PID_Time", "Unit": "s", "Value": 3.0, "Time": None}
    r = requests.patch(base + "input_item/V/1", json={"object": obj},
                       headers=auth, timeout=5)
    assert r.json() is True
    assert requests.get(base + "input_item/V/1", headers=auth,
                        timeout=5).json()["Object"] == obj
    assert requests.get(api + f"executions/{eid}", headers=auth,
                        timeout=5).json()["entity"]["canBeSubmitted"] is True
    # The empty obj_id spellings.
    for p in ("output_item/R", "output_item/R/", "output_item/R//"):
        r = requests.get(base + p, headers=auth, timeout=5)
        assert r.status_code == 200, p
        assert r.json()["Name"] == "R"
    # Outputs are writable only while Running.
    r = requests.patch(base + "output_item/R//", json={"object": {}},
                       headers=auth, timeout=5)
    assert r.json() is False
    r = requests.patch(base + "set_param", json={"key": "Inputs",
                                                 "value": NOID},
                       headers=auth, timeout=5)
    assert r.status_code == 422
    r = requests.patch(base + "set_param", json={"key": "Status",
                                                 "value": "Bogus"},
                       headers=auth, timeout=5)
    assert r.status_code == 422
    r = requests.patch(base + "set_param", json={"key": "label",
                                                 "value": "core"},
                       headers=auth, timeout=5)
    assert r.json()["entity"]["label"] == "core"
    r = requests.patch(base + "schedule", headers=auth, timeout=5)
    assert r.json()["entity"]["Status"] == "Pending"
    # The schedule call wakes the scheduler (sched.wake), which may claim
    # and run the execution at once: it is Pending or beyond.
    r = requests.get(api + "executions/?label=core&num_limit=300",
                     headers=auth, timeout=15)
    assert [x["_id"] for x in r.json()["collection"]] == [eid]
    assert r.json()["collection"][0]["Status"] in (
        "Pending", "Scheduled", "Running", "Finished", "Failed")
    r = requests.get(api + "execution_statistics", headers=auth, timeout=5)
    assert r.json()["totalExecutions"] >= 1


def test_12_15_status_and_settings(api, auth):
    r = requests.get(api + "status", headers=auth, timeout=5)
    assert list(r.json()) == ["mupifDBStatus", "schedulerStatus",
                              "schedulerStat", "totalStat"]
    assert r.json()["mupifDBStatus"] == "OK"
    assert requests.get(api + "settings", headers=auth,
                        timeout=5).json()["projectName"] == "TEST"
    assert requests.get(api + "database/maybe_init", headers=auth,
                        timeout=5).json() is False
    r = requests.patch(api + "scheduler_statistics/",
                       json={"key": "scheduler.runningTasks", "value": 2},
                       headers=auth, timeout=5)
    assert r.json() is True
    assert requests.get(api + "scheduler_statistics", headers=auth,
                        timeout=5).json()["runningTasks"] == 2

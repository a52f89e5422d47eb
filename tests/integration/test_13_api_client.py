"""The REST API (port api_port) against mupifDB's official client: one test
per HTTP exchange that client_mupif performs (spec/rest-api.md 7.1 rows
1-13 and 18-22, 6.5), the web UI's exchanges (7.2) and the authentication
endpoints (4.2, 4.3), each answer validated with the pydantic models of
api_models.py (names, types, key order, envelopes), with status codes and
headers.  The EDM rows 14-17 belong to a later issue."""
import datetime
import io
import json
import re
import time
import zipfile

import pytest
import requests

from api_helpers import (ADMIN, ADMIN_PW, USER, USER_PW, Client,
                         NotFoundResponse, add_user, api_url, const_property,
                         login, new_node, start_api_node, write_workflow,
                         zip_names)
from api_models import (Collection, CurrentUser, Entity, Error422,
                        ErrorDetail, ExecutionCreated, ExecutionStatistics,
                        IOData, IODataItem, LoginAnswer, LogoutAnswer,
                        RefreshAnswer, Settings, Status, UploadAnswer,
                        UseCase, User, Workflow, WorkflowExecution, check)
from api_fixtures import admin, api, base, user  # noqa: F401 (fixtures)
from conftest import require_root

HEX24 = re.compile(r"^[0-9a-f]{24}$")
# The executions scheduled here must stay Pending (test_13_51): the
# scheduler, woken by each schedule call, may not claim them.
SCHEDULER_CLAIMS = False


@pytest.fixture(scope="module")
def wf(admin, tmp_path_factory):
    """Use case UC13 with workflow WF13 (module workflow13, class
    Workflow13), uploaded once by the admin."""
    d = tmp_path_factory.mktemp("wf13")
    ucid = admin.insertUsecaseRecord("UC13", "use case of test_13")
    p = write_workflow(d, "WF13", "workflow13", "Workflow13")
    ans = admin.postWorkflowFiles("UC13", p)
    return {"ucid": "UC13", "ucid_id": ucid, "wid": "WF13", "id": ans["id"],
            "path": p, "answer": ans}


@pytest.fixture
def weid(user, wf):
    """A fresh execution of WF13, created by the ordinary user."""
    return user.createExecution("WF13", -1, "")["inserted_id"]


def json_ct(r):
    assert r.headers["Content-Type"].split(";")[0].strip() == \
        "application/json", r.headers


def set_cookie(r):
    """The Set-Cookie header (one cookie expected) as (value, attrs)."""
    sc = r.headers.get("Set-Cookie")
    assert sc, r.headers
    first, *attrs = [a.strip() for a in sc.split(";")]
    name, _, value = first.partition("=")
    assert name == "access_token", sc
    return value, {a.partition("=")[0].lower(): a.partition("=")[2]
                   for a in attrs}


# ==========================================================================
# authentication: 7.1 rows 1, 2 and 4.2, 4.3

def test_13_01_login(base):
    t0 = time.time()
    r = login(base, USER, USER_PW)
    assert r.status_code == 200, r.text
    json_ct(r)
    a = check(LoginAnswer, r.json())
    # expires_at: token lifetime 60 min (6.2), numeric offset (6.5)
    exp = datetime.datetime.fromisoformat(a.expires_at).timestamp()
    assert 3600 - 120 < exp - t0 < 3600 + 120, a.expires_at
    value, attrs = set_cookie(r)
    assert value == a.access_token
    assert "httponly" in attrs
    assert attrs["max-age"] == "604800"
    assert attrs["path"] == "/"
    assert attrs["samesite"].lower() == "lax"
    assert "secure" not in attrs          # HTTPS_ENABLED is off


def test_13_02_login_refused(base):
    for u, p in ((USER, "wrong-password"), ("nobody@example.org", "xxxxxxx")):
        r = login(base, u, p)
        assert r.status_code == 400, r.text
        assert check(ErrorDetail, r.json()).detail == \
            "Incorrect username or password"
        assert "Set-Cookie" not in r.headers


def test_13_03_login_missing_fields_422(base):
    r = requests.post(base + "api/login", data={"username": USER}, timeout=4)
    assert r.status_code == 422, r.text
    check(Error422, r.json())
    r = requests.post(base + "api/login", data={
        "grant_type": "client_credentials", "username": USER,
        "password": USER_PW}, timeout=4)
    assert r.status_code == 422, r.text
    check(Error422, r.json())


def test_13_04_client_refresh_path(base):
    """6.5 step 3: less than 15 min to expiry -> POST api/refresh_token
    with the Bearer token; the answer has no expires_at, so the next call
    logs in again."""
    c = Client(base, USER, USER_PW)
    c.getAuthToken()
    assert c.exchanges[-1][:2] == ("POST", "/api/login")
    c.bearer_token_expires_at = time.time() + 10 * 60   # into the window
    c.getAuthToken()
    assert c.exchanges[-1] == ("POST", "/api/refresh_token", 200)
    json_ct(c.last)
    check(RefreshAnswer, c.last.json())
    # the refreshed token authenticates
    me = c.rGet("api/current_user", headers=c.getRequestHeaders())
    assert me["mail"] == USER
    # getRequestHeaders() above logged in again (expires_at was missing)
    assert ("POST", "/api/login", 200) in c.exchanges[-2:]


def test_13_05_refresh_needs_bearer(base):
    tok = login(base, USER, USER_PW).json()["access_token"]
    r = requests.post(base + "api/refresh_token",
                      headers={"Content-Type": "application/json"}, timeout=4)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert check(ErrorDetail, r.json()).detail == \
        "Authorization header is missing or malformed."
    # the cookie is ignored by refresh_token
    r = requests.post(base + "api/refresh_token",
                      cookies={"access_token": tok}, timeout=4)
    assert r.status_code == 401
    r = requests.post(base + "api/refresh_token",
                      headers={"Authorization": f"Bearer {tok}"}, timeout=4)
    assert r.status_code == 200, r.text
    check(RefreshAnswer, r.json())


def test_13_06_cookie_authenticates(base):
    r = login(base, USER, USER_PW)
    s = requests.Session()
    s.cookies.set("access_token", r.json()["access_token"])
    r = s.get(base + "api/current_user", timeout=4)
    assert r.status_code == 200, r.text
    assert r.json()["mail"] == USER


def test_13_07_logout_revokes(base):
    tok = login(base, USER, USER_PW).json()["access_token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert requests.get(base + "api/current_user", headers=h,
                        timeout=4).status_code == 200
    r = requests.post(base + "api/logout", headers=h, timeout=4)
    assert r.status_code == 200, r.text
    check(LogoutAnswer, r.json())
    _, attrs = set_cookie(r)
    assert attrs["max-age"] == "0"
    r = requests.get(base + "api/current_user", headers=h, timeout=4)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    check(ErrorDetail, r.json())
    r = requests.post(base + "api/refresh_token", headers=h, timeout=4)
    assert r.status_code == 401
    # the cookie form of the same token is dead too
    r = requests.get(base + "api/current_user",
                     cookies={"access_token": tok}, timeout=4)
    assert r.status_code == 401
    # logout never fails: no token, a dead token
    for hh in ({}, h):
        r = requests.post(base + "api/logout", headers=hh, timeout=4)
        assert r.status_code == 200
        check(LogoutAnswer, r.json())


def test_13_08_current_user(user, admin):
    me = user.rGet("api/current_user", headers=user.getRequestHeaders())
    json_ct(user.last)
    u = check(CurrentUser, me)
    assert u.mail == USER and u.rights_admin is False
    a = check(CurrentUser, admin.rGet("api/current_user",
                                      headers=admin.getRequestHeaders()))
    assert a.mail == ADMIN and a.rights_admin is True
    assert a.id != u.id


def test_13_09_users_admin_only(user, admin):
    body = admin.rGet("api/users", headers=admin.getRequestHeaders())
    coll = check(Collection[User], body)
    mails = [x.mail for x in coll.collection]
    assert ADMIN in mails and USER in mails
    surnames = [x.surname for x in coll.collection]
    assert surnames == sorted(surnames)
    assert coll.pagination.page == 1 and coll.pagination.pageSize == 20
    assert coll.pagination.totalCount >= 2
    r = user.raw("GET", "api/users")
    assert r.status_code == 403
    assert check(ErrorDetail, r.json()).detail == \
        "Only admin users can access the list of users."


def test_13_10_user_by_id(user, admin):
    uid = user.rGet("api/current_user", headers=user.getRequestHeaders())["id"]
    aid = admin.rGet("api/current_user", headers=admin.getRequestHeaders())["id"]
    e = check(Entity[User], user.rGet(f"api/users/{uid}",
                                      headers=user.getRequestHeaders()))
    assert e.entity.id == uid and e.entity.mail == USER
    r = user.raw("GET", f"api/users/{aid}")
    assert r.status_code == 403
    assert check(ErrorDetail, r.json()).detail == \
        "Only admin users or the user themselves can access user details."
    e = check(Entity[User], admin.rGet(f"api/users/{uid}",
                                       headers=admin.getRequestHeaders()))
    assert e.entity.mail == USER
    r = admin.raw("GET", "api/users/0123456789abcdef01234567")
    assert r.status_code == 404
    assert check(ErrorDetail, r.json()).detail == \
        "User with id=0123456789abcdef01234567 not found."


def test_13_11_patch_password(api, base):
    mail = "pw13@example.org"
    add_user(api, mail, "first-pass")
    c = Client(base, mail, "first-pass")
    uid = c.rGet("api/current_user", headers=c.getRequestHeaders())["id"]
    r = c.raw("PATCH", f"api/users/{uid}", data=json.dumps({"password": "abc"}))
    assert r.status_code == 400
    assert check(ErrorDetail, r.json()).detail == \
        "Password must be at least 6 characters long."
    rec = c.rPatch(f"api/users/{uid}",
                   data=json.dumps({"password": "second-pass"}),
                   headers=c.getRequestHeaders())
    u = check(User, rec)               # no envelope, masked password
    assert u.id == uid and u.mail == mail
    assert login(base, mail, "first-pass").status_code == 400
    assert login(base, mail, "second-pass").status_code == 200
    # another user's password: 403 for a non-admin
    other = Client(base, USER, USER_PW)
    r = other.raw("PATCH", f"api/users/{uid}",
                  data=json.dumps({"password": "third-pass"}))
    assert r.status_code == 403
    check(ErrorDetail, r.json())
    assert login(base, mail, "second-pass").status_code == 200


def test_13_12_registration_off_by_default(base):
    r = requests.post(base + "api/register", data={
        "username": "reg13@example.org", "password": "reg-pass-13"},
        timeout=4)
    assert r.status_code in (403, 404), r.text
    check(ErrorDetail, r.json())
    assert login(base, "reg13@example.org", "reg-pass-13").status_code == 400


# ==========================================================================
# use cases (7.2)

def test_13_20_insert_and_get_usecase(user):
    uid = user.insertUsecaseRecord("UC13-a", "Žluťoučký kůň ✓")
    json_ct(user.last)
    assert isinstance(uid, str) and HEX24.match(uid), uid
    r = user.raw("GET", "api/usecases/UC13-a")
    assert r.status_code == 200
    # compact JSON, fields in model order, non-ASCII not escaped (1.3)
    assert r.text.startswith('{"entity":{"_id":"' + uid + '","parent":null,'), r.text
    assert "Žluťoučký kůň ✓" in r.content.decode("utf-8")
    e = check(Entity[UseCase], user.getUsecaseRecord("UC13-a"))
    assert e.entity.id == uid
    assert e.entity.Description == "Žluťoučký kůň ✓"


def test_13_21_list_usecases(user):
    ids = [user.insertUsecaseRecord(f"UC13-l{i}", "") for i in range(3)]
    c = check(Collection[UseCase], user.getUsecaseRecords())
    assert c.pagination.page == 1 and c.pagination.pageSize == 20
    got = [u.id for u in c.collection]
    assert got == sorted(got)                    # sorted by _id
    total = c.pagination.totalCount
    assert total >= 3
    allids = []
    for page in range(1, (total + 1) // 2 + 1):
        p = check(Collection[UseCase], user.rGet(
            f"api/usecases?page={page}&pageSize=2",
            headers=user.getRequestHeaders()))
        assert p.pagination.page == page and p.pagination.pageSize == 2
        assert p.pagination.totalCount == total
        assert len(p.collection) == min(2, total - 2 * (page - 1))
        allids += [u.id for u in p.collection]
    assert set(ids) <= set(allids) and len(allids) == total
    # values < 1 are reset to the defaults (3)
    p = check(Collection[UseCase], user.rGet(
        "api/usecases?page=0&pageSize=0", headers=user.getRequestHeaders()))
    assert p.pagination.page == 1 and p.pagination.pageSize == 20


def test_13_22_usecase_not_found(user):
    with pytest.raises(NotFoundResponse):
        user.getUsecaseRecord("NoSuchUseCase13")
    assert check(ErrorDetail, user.last.json()).detail == \
        "Database reports no workflow with ucid=NoSuchUseCase13."


def test_13_23_usecase_workflows(user, wf):
    c = check(Collection[Workflow],
              user.getWorkflowRecordsWithUsecase(wf["ucid"]))
    assert [w.wid for w in c.collection] == ["WF13"]
    assert all(w.UseCase == "UC13" for w in c.collection)
    assert c.pagination.totalCount == 1
    c = check(Collection[Workflow],
              user.getWorkflowRecordsWithUsecase("UC13-none"))
    assert c.collection == [] and c.pagination.totalCount == 0


# ==========================================================================
# workflows: rows 6, 7, 21 and 7.2

def test_13_30_upload_workflow(admin, wf):
    """Row 21: multipart upload, answer {"id","wid"}; the metadata's
    aliases (Obj_ID, Required) are stored as ObjID, Compulsory (1.3)."""
    a = check(UploadAnswer, wf["answer"])
    assert a.wid == "WF13"
    w = check(Entity[Workflow], admin.getWorkflowRecord("WF13", -1)).entity
    assert w.id == a.id
    assert w.Version == 1 and w.UseCase == "UC13"
    assert w.modulename == "workflow13" and w.classname == "Workflow13"
    assert w.Description == "Calculates a product"
    assert w.GridFSID is not None
    ins = {i.Name: i for i in w.IOCard.Inputs}
    assert list(ins) == ["Value_1", "Value_2", "Delay"]
    assert ins["Value_1"].ObjID == "1" and ins["Value_1"].Compulsory is True
    assert ins["Delay"].ObjID == "delay" and ins["Delay"].Compulsory is False
    assert ins["Value_1"].Type_ID == "mupif.DataID.PID_Time"
    assert ins["Value_1"].Set_at == "timestep"
    assert ins["Value_1"].EDMPath is None
    out = w.IOCard.Outputs[0]
    assert out.Name == "Multiplication_result" and out.ObjID == ""
    assert out.EDMList is False and out.Units == "s^2"
    assert [(m.Name, m.Jobmanager, m.Instantiate) for m in w.Models] == \
        [("m1", "CVUT.demo01", None)]
    assert [m.model_dump() for m in w.EDMMapping] == [{
        "id": None, "ids": [], "Name": "beam", "EDMEntity": "Beam",
        "EDMList": False, "DBName": "dms0", "OptionsFilter": {},
        "createNew": None, "createFrom": None}]


def test_13_31_workflow_by_version(user, wf):
    e1 = check(Entity[Workflow], user.getWorkflowRecord("WF13", 1))
    e2 = check(Entity[Workflow], user.getWorkflowRecord("WF13", -1))
    assert e1 == e2
    with pytest.raises(NotFoundResponse):
        user.getWorkflowRecord("WF13", 2)
    assert check(ErrorDetail, user.last.json()).detail == \
        "Database reports no workflow with wid=WF13 and Version=2."
    with pytest.raises(NotFoundResponse):
        user.getWorkflowRecord("NoSuchWF13", -1)
    assert check(ErrorDetail, user.last.json()).detail == \
        "Database reports no workflow with wid=NoSuchWF13 and Version=-1."
    r = user.raw("GET", "api/workflows_by_wid/WF13/version/one")
    assert r.status_code == 422
    check(Error422, r.json())


def test_13_32_download_workflow_source(user, wf):
    """Row 7: the stored files.zip, Content-Disposition as the client's
    regex reads it."""
    w = user.getWorkflowRecord("WF13", -1)["entity"]
    blob, name = user.getBinaryFileByID(w["GridFSID"])
    assert user.last.status_code == 200
    assert user.last.headers["Content-Disposition"] == \
        "attachment; filename=files.zip"
    assert name == "files.zip"
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert z.namelist() == ["workflow13.py"]
        assert z.read("workflow13.py") == wf["path"].read_bytes()


def test_13_33_new_version(admin, user, tmp_path):
    admin.insertUsecaseRecord("UC13-v", "")
    p = write_workflow(tmp_path, "WF13v", "workflow13v", "Workflow13v",
                       description="first")
    a1 = check(UploadAnswer, admin.postWorkflowFiles("UC13-v", p))
    p = write_workflow(tmp_path, "WF13v", "workflow13v", "Workflow13v",
                       description="second")
    a2 = check(UploadAnswer, admin.postWorkflowFiles("UC13-v", p))
    assert a2.id == a1.id      # the current document is updated in place
    cur = check(Entity[Workflow], user.getWorkflowRecord("WF13v", -1)).entity
    assert cur.Version == 2 and cur.Description == "second"
    old = check(Entity[Workflow], user.getWorkflowRecord("WF13v", 1)).entity
    assert old.Version == 1 and old.Description == "first"
    assert old.id != cur.id and old.GridFSID != cur.GridFSID
    assert check(Entity[Workflow],
                 user.getWorkflowRecord("WF13v", 2)).entity == cur
    c = check(Collection[Workflow], user.getWorkflowRecordsWithUsecase("UC13-v"))
    assert [(w.wid, w.Version) for w in c.collection] == [("WF13v", 2)]


def test_13_34_upload_additional_files(admin, tmp_path):
    admin.insertUsecaseRecord("UC13-x", "")
    p = write_workflow(tmp_path, "WF13x", "workflow13x", "Workflow13x")
    extra = tmp_path / "notes.txt"
    extra.write_text("extra file\n")
    data = tmp_path / "params.json"
    data.write_text('{"a": 1}\n')
    a = check(UploadAnswer, admin.postWorkflowFiles("UC13-x", p,
                                                    [extra, data]))
    w = admin.getWorkflowRecord("WF13x", -1)["entity"]
    assert w["_id"] == a.id
    blob, _ = admin.getBinaryFileByID(w["GridFSID"])
    assert sorted(zip_names(blob)) == ["notes.txt", "params.json",
                                       "workflow13x.py"]
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert z.read("notes.txt") == b"extra file\n"


def test_13_35_list_workflows(user, wf):
    c = check(Collection[Workflow], user.getWorkflowRecords())
    assert "WF13" in [w.wid for w in c.collection]
    got = [w.id for w in c.collection]
    assert got == sorted(got)
    assert c.pagination.totalCount >= 1


# ==========================================================================
# executions: rows 3, 4, 5, 10-13, 19, 20

def test_13_40_create_execution(user, wf):
    t0 = datetime.datetime.now()
    body = user.createExecution("WF13", -1, "10.0.0.7")
    json_ct(user.last)
    c = check(ExecutionCreated, body)
    e = c.entity
    assert e.id == c.inserted_id
    assert e.Status == "Created"
    assert e.WorkflowID == "WF13" and e.WorkflowVersion == 1
    assert e.workflow == wf["id"]
    assert e.RequestedBy == USER
    assert e.UserIP == ""                  # the ip is ignored (2.5)
    assert e.Attempts == 0 and e.label == "" and e.Task_ID is None
    assert (e.SubmittedDate, e.StartDate, e.EndDate, e.ExecutionLog) == \
        (None, None, None, None)
    created = datetime.datetime.fromisoformat(e.CreatedDate)
    assert abs((created - t0).total_seconds()) < 60
    assert [i.Name for i in e.InputsData] == ["Value_1", "Value_2", "Delay"]
    assert [(i.ObjID, i.Compulsory) for i in e.InputsData] == \
        [("1", True), ("2", True), ("delay", False)]
    assert all(i.Object == {} and i.Link.ExecID == "" for i in e.InputsData)
    assert [(o.Name, o.ObjID, o.Compulsory) for o in e.OutputsData] == \
        [("Multiplication_result", "", False)]
    assert e.canBeSubmitted is False
    assert [m.Name for m in e.EDMMapping] == ["beam"]
    assert e.Inputs != e.Outputs


def test_13_41_create_no_edm(user, wf):
    e = check(ExecutionCreated, user.createExecution("WF13", 1, "",
                                                     no_edm=True)).entity
    assert e.EDMMapping == [] and e.WorkflowVersion == 1


def test_13_42_create_unknown_workflow(user, wf):
    before = user.getExecutionStatistics()
    with pytest.raises(NotFoundResponse):
        user.createExecution("NoSuchWF13", -1, "")
    assert check(ErrorDetail, user.last.json()).detail == \
        "Database reports no workflow with wid=NoSuchWF13 and Version=-1."
    with pytest.raises(NotFoundResponse):
        user.createExecution("WF13", 7, "")
    assert user.getExecutionStatistics() == before


def test_13_43_get_execution(user, weid):
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid))
    json_ct(user.last)
    assert e.entity.id == weid and e.entity.Status == "Created"
    assert len(e.entity.InputsData) == 3 and len(e.entity.OutputsData) == 1
    r = user.raw("GET", f"api/executions/{weid}")
    assert r.text.startswith('{"entity":{"_id":"' + weid + '","parent":null,')


def test_13_44_list_executions(user, wf):
    ids = [user.createExecution("WF13", -1, "")["inserted_id"]
           for _ in range(2)]
    user.setExecutionParameter(ids[0], "label", "lbl13")
    body = user.getExecutionRecords(status="Created", num_limit=100)
    assert user.last.request.path_url.startswith(
        "/api/executions/?noparam&num_limit=100&status=Created")
    c = check(Collection[WorkflowExecution], body)
    assert c.pagination.pageSize == 100   # num_limit overrides pageSize
    assert all(x.Status == "Created" for x in c.collection)
    assert set(ids) <= {x.id for x in c.collection}
    dates = [x.CreatedDate for x in c.collection]
    assert dates == sorted(dates, reverse=True)
    # list items as stored: no enrichment (4.6)
    assert all(x.InputsData is None and x.OutputsData is None
               for x in c.collection)
    c = check(Collection[WorkflowExecution],
              user.getExecutionRecords(label="lbl13"))
    assert [x.id for x in c.collection] == [ids[0]]
    c = check(Collection[WorkflowExecution],
              user.getExecutionRecords(workflow_id="WF13",
                                       workflow_version=1, num_limit=1000))
    assert set(ids) <= {x.id for x in c.collection}
    assert all(x.WorkflowID == "WF13" for x in c.collection)
    c = check(Collection[WorkflowExecution],
              user.getExecutionRecords(workflow_id="WF13",
                                       workflow_version=5))
    assert c.collection == [] and c.pagination.totalCount == 0
    c = check(Collection[WorkflowExecution],
              user.getPendingExecutions(num_limit=300))
    assert all(x.Status == "Pending" for x in c.collection)
    # no num_limit: the default page of 20
    c = check(Collection[WorkflowExecution], user.getExecutionRecords())
    assert c.pagination.pageSize == 20 and len(c.collection) <= 20


def test_13_45_inputs_outputs_bare_lists(user, weid):
    ins = user.getExecutionInputRecord(weid)
    assert user.last.request.path_url == f"/api/executions/{weid}/inputs/"
    assert isinstance(ins, list)
    assert [check(IODataItem, i).Name for i in ins] == \
        ["Value_1", "Value_2", "Delay"]
    outs = user.getExecutionOutputRecord(weid)
    assert [check(IODataItem, o).Name for o in outs] == \
        ["Multiplication_result"]
    with pytest.raises(NotFoundResponse):
        user.getExecutionInputRecord("0123456789abcdef01234567")


def test_13_46_set_inputs(user, weid):
    """Row 12: object and link; canBeSubmitted follows (4.6.1)."""
    assert user.setExecutionInputObject(weid, "Value_1", "1",
                                        const_property(3.0)) is True
    assert user.last.request.path_url == \
        f"/api/executions/{weid}/input_item/Value_1/1/"
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert e.canBeSubmitted is False       # Value_2 still missing
    assert user.setExecutionInputLink(weid, "Delay", "delay",
                                      "0123456789abcdef01234567",
                                      "Multiplication_result", "") is True
    assert user.setExecutionInputObject(weid, "Value_2", "2",
                                        const_property(2.5)) is True
    ins = {i["Name"]: check(IODataItem, i)
           for i in user.getExecutionInputRecord(weid)}
    assert ins["Value_1"].Object == const_property(3.0)
    assert ins["Value_2"].Object == const_property(2.5)
    assert ins["Delay"].Link.model_dump() == {
        "ExecID": "0123456789abcdef01234567",
        "Name": "Multiplication_result", "ObjID": ""}
    assert ins["Delay"].Object == {}
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert e.canBeSubmitted is True
    # no matching item still answers true (4.6) and changes nothing
    assert user.setExecutionInputObject(weid, "Nope", "x",
                                        const_property(1.0)) is True
    assert [i["Name"] for i in user.getExecutionInputRecord(weid)] == \
        ["Value_1", "Value_2", "Delay"]
    # both null -> false
    r = user.raw("PATCH", f"api/executions/{weid}/input_item/Value_1/1/",
                 data=json.dumps({"link": None, "object": None}))
    assert r.status_code == 200 and r.json() is False


def test_13_47_inputs_frozen_after_schedule(user, weid):
    user.scheduleExecution(weid)
    assert user.setExecutionInputObject(weid, "Value_1", "1",
                                        const_property(9.0)) is False
    ins = user.getExecutionInputRecord(weid)
    assert ins[0]["Object"] == {}


def test_13_48_output_item(user, weid):
    """Row 11: outputs writable only while Running; the client sends
    .../{name}// for an empty obj_id."""
    obj = const_property(7.5, "s^2")
    assert user.setExecutionOutputObject(weid, "Multiplication_result", "",
                                         obj) is False
    assert user.last.request.path_url == \
        f"/api/executions/{weid}/output_item/Multiplication_result//"
    assert user.getExecutionOutputRecord(weid)[0]["Object"] == {}
    user.setExecutionParameter(weid, "Status", "Running")
    assert user.setExecutionOutputObject(weid, "Multiplication_result", "",
                                         obj) is True
    outs = user.getExecutionOutputRecord(weid)
    assert check(IODataItem, outs[0]).Object == obj
    # the form without the trailing slashes works too
    r = user.raw("PATCH", f"api/executions/{weid}/output_item/"
                 "Multiplication_result", data=json.dumps(
                     {"object": {"FileID": "0123456789abcdef01234567"}}))
    assert r.status_code == 200 and r.json() is True
    assert user.getExecutionOutputRecord(weid)[0]["Object"] == \
        {"FileID": "0123456789abcdef01234567"}


def test_13_49_set_param_allowed_keys(user, weid):
    """Row 5: every key the clients use; the answer is the entity."""
    now = datetime.datetime.now()
    for key, value in (("Task_ID", "T-17"), ("label", "run-a"),
                       ("RequestedBy", "carol@example.org"),
                       ("workflowURI", "PYRO:obj_6f1c@172.24.1.1:41235"),
                       ("loggerURI", "PYRO:obj_0a9b@172.24.1.1:41235"),
                       ("ExecutionLog", "0123456789abcdef01234567")):
        e = check(Entity[WorkflowExecution],
                  user.setExecutionParameter(weid, key, value))
        json_ct(user.last)
        assert getattr(e.entity, key) == value
    # Attempts travel as a string and come back as an int (2.5)
    e = check(Entity[WorkflowExecution],
              user.setExecutionAttemptsCount(weid, 3)).entity
    assert e.Attempts == 3
    # SubmittedDate as str(datetime.now()) (space separator) comes back
    # as an ISO datetime
    e = check(Entity[WorkflowExecution], user.setExecutionParameter(
        weid, "SubmittedDate", str(now))).entity
    assert e.SubmittedDate == now.isoformat()
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert (e.Task_ID, e.label, e.RequestedBy, e.Attempts) == \
        ("T-17", "run-a", "carol@example.org", 3)


def test_13_50_status_side_effects(user, weid):
    """5.3: the dates a status change sets and clears."""
    def st(s):
        return check(Entity[WorkflowExecution],
                     user.setExecutionParameter(weid, "Status", s)).entity
    e = st("Pending")
    assert e.Status == "Pending" and e.SubmittedDate is not None
    assert (e.StartDate, e.EndDate, e.ExecutionLog) == (None, None, None)
    e = st("Scheduled")
    assert e.SubmittedDate is not None and e.StartDate is None
    e = st("Running")
    assert e.StartDate is not None and e.EndDate is None
    user.setExecutionParameter(weid, "ExecutionLog", "0123456789abcdef01234567")
    e = st("Finished")
    assert e.EndDate is not None and e.ExecutionLog is not None
    assert e.StartDate <= e.EndDate
    e = st("Created")
    assert (e.SubmittedDate, e.StartDate, e.EndDate, e.ExecutionLog) == \
        (None, None, None, None)
    # the client's setExecutionStatus('Created') sets SubmittedDate first,
    # which the change to Created would clear -- but the status is the
    # same now, so nothing is cleared (5.3: only if it differs)
    e = check(Entity[WorkflowExecution],
              user.setExecutionStatus(weid, "Created")).entity
    assert e.Status == "Created" and e.SubmittedDate is not None


def test_13_51_schedule(user, weid):
    e = check(Entity[WorkflowExecution], user.scheduleExecution(weid)).entity
    assert user.last.request.method == "PATCH"
    assert e.Status == "Pending" and e.SubmittedDate is not None
    e2 = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert e2.Status == "Pending" and e2.SubmittedDate == e.SubmittedDate
    c = check(Collection[WorkflowExecution],
              user.getPendingExecutions(num_limit=300))
    assert weid in [x.id for x in c.collection]
    with pytest.raises(NotFoundResponse):
        user.scheduleExecution("0123456789abcdef01234567")


def test_13_52_onto_base_object_ids(user, weid):
    e = check(Entity[WorkflowExecution], user.setExecutionOntoBaseObjectID(
        weid, "beam", "6661b000c3d4e5f601234600")).entity
    assert e.EDMMapping[0].id == "6661b000c3d4e5f601234600"
    e = check(Entity[WorkflowExecution], user.setExecutionOntoBaseObjectIDs(
        weid, "beam", ["6661b000c3d4e5f601234601",
                       "6661b000c3d4e5f601234602"])).entity
    assert e.EDMMapping[0].ids == ["6661b000c3d4e5f601234601",
                                   "6661b000c3d4e5f601234602"]
    assert e.EDMMapping[0].id == "6661b000c3d4e5f601234600"
    with pytest.raises(NotFoundResponse):
        user.setExecutionOntoBaseObjectID(weid, "nobeam", "x")
    check(ErrorDetail, user.last.json())


def test_13_53_files(user):
    """Rows 7 and 8: POST api/file/ answers the id as a bare string."""
    fid = user.uploadBinaryFile(b"\x00\x01binary\xff" * 1000)
    json_ct(user.last)
    assert isinstance(fid, str) and HEX24.match(fid)
    data, name = user.getBinaryFileByID(fid)
    assert data == b"\x00\x01binary\xff" * 1000
    assert name == "file"          # requests names a bare bytes part so
    fid2 = user.uploadBinaryFile(("workflow.log", io.BytesIO(b"log line\n")))
    data, name = user.getBinaryFileByID(fid2)
    assert (data, name) == (b"log line\n", "workflow.log")
    assert fid2 != fid
    empty = user.uploadBinaryFile(("empty.bin", b""))
    assert user.getBinaryFileByID(empty) == (b"", "empty.bin")
    with pytest.raises(NotFoundResponse):
        user.getBinaryFileByID("0123456789abcdef01234567")


def test_13_54_scheduler_statistics(user):
    """Row 9: PATCH api/scheduler_statistics/ {"key","value"} -> bool."""
    assert user.updateStatScheduler(runningTasks=3, scheduledTasks=1,
                                    load=10, processedTasks=42) == \
        [True, True, True, True]
    st = check(Status, user.getStatus())
    assert st.schedulerStat.model_dump() == {
        "load": 10, "processedTasks": 42, "runningTasks": 3,
        "scheduledTasks": 1}
    r = user.raw("PATCH", "api/scheduler_statistics/",
                 data=json.dumps({"key": "scheduler.nope", "value": 1}))
    assert r.status_code == 200 and r.json() is False
    r = user.raw("PATCH", "api/scheduler_statistics/",
                 data=json.dumps({"key": "scheduler.load", "value": "many"}))
    assert r.status_code == 422
    check(Error422, r.json())
    assert user.updateStatScheduler(runningTasks=0, scheduledTasks=0,
                                    load=0, processedTasks=0) == [True] * 4


def test_13_55_settings(user):
    s = check(Settings, user.getSettings())
    json_ct(user.last)
    assert isinstance(s.projectName, str) and s.projectName


def test_13_56_maybe_init(user):
    """Row 22: a bare boolean; the node seeded Settings at start, so the
    answer is false and nothing changes."""
    before = user.getSettings()
    first = user.maybeInit()
    assert first is False
    assert user.maybeInit() is False
    assert user.getSettings(maybe_init_db=True) == before


def test_13_57_status(user, weid):
    st = check(Status, user.getStatus())
    assert user.last.request.path_url == "/api/status/"
    stats = check(ExecutionStatistics, user.getExecutionStatistics())
    assert st.totalStat == stats
    assert st.mupifDBStatus == "OK"


def test_13_58_execution_statistics(user, weid):
    before = check(ExecutionStatistics, user.getExecutionStatistics())
    user.createExecution("WF13", -1, "")
    after = check(ExecutionStatistics, user.getExecutionStatistics())
    assert after.totalExecutions == before.totalExecutions + 1
    assert after.createdExecutions == before.createdExecutions + 1
    created = user.getExecutionRecords(status="Created", num_limit=0)
    assert created["pagination"]["totalCount"] == after.createdExecutions
    every = user.getExecutionRecords(num_limit=0)
    assert every["pagination"]["totalCount"] == after.totalExecutions
    assert len(every["collection"]) == after.totalExecutions  # 0 = all


def test_13_59_iodata(user, weid):
    e = user.getExecutionRecord(weid)["entity"]
    io_in = check(IOData, user.getIODataRecord(e["Inputs"]))
    assert io_in.id == e["Inputs"] and io_in.Type == "Inputs"
    assert [i.Name for i in io_in.DataSet] == ["Value_1", "Value_2", "Delay"]
    io_out = check(IOData, user.getIODataRecord(e["Outputs"]))
    assert io_out.Type == "Outputs" and len(io_out.DataSet) == 1
    with pytest.raises(NotFoundResponse):
        user.getIODataRecord("0123456789abcdef01234567")
    assert check(ErrorDetail, user.last.json()).detail == \
        "Database reports no IOData with uid=0123456789abcdef01234567."


# ==========================================================================
# wire details

def test_13_60_both_slash_forms_served(user, weid, wf):
    """Issue 4: paths are served with and without the trailing slash,
    directly (no redirect needed)."""
    for p in ("api/usecases", "api/workflows", "api/settings",
              "api/status", "api/execution_statistics",
              "api/current_user", f"api/executions/{weid}",
              f"api/executions/{weid}/inputs", "api/iodata/"
              + user.getExecutionRecord(weid)["entity"]["Inputs"],
              "api/usecases/UC13", "api/usecases/UC13/workflows",
              "api/workflows_by_wid/WF13/version/-1", "api/executions"):
        for q in (p, p + "/"):
            r = user.raw("GET", q, allow_redirects=False)
            assert r.status_code == 200, (q, r.status_code, r.text)
            json_ct(r)


def test_13_61_json_body_with_or_without_content_type(user, weid):
    """The client sends JSON bodies without a Content-Type; other clients
    send application/json: both are read as JSON."""
    r = user.raw("PATCH", f"api/executions/{weid}/set_param",
                 data=json.dumps({"key": "label", "value": "no-ct"}))
    assert "Content-Type" not in r.request.headers
    assert r.status_code == 200 and r.json()["entity"]["label"] == "no-ct"
    r = user.raw("PATCH", f"api/executions/{weid}/set_param",
                 json={"key": "label", "value": "with-ct"})
    assert r.status_code == 200 and r.json()["entity"]["label"] == "with-ct"


def test_13_62_unknown_fields_ignored(user):
    """1.3: unknown fields in request bodies are ignored, not echoed."""
    uid = user.rPost("api/usecases/", data=json.dumps(
        {"ucid": "UC13-u", "Description": "d", "Colour": "blue"}),
        headers=user.getRequestHeaders())
    e = check(Entity[UseCase], user.getUsecaseRecord("UC13-u")).entity
    assert e.id == uid and "Colour" not in user.last.text

"""The api side of the scheduling loop (spec/scheduler.md 12.6, 12.9;
docs/authorization.md rows 18-21): schedule only from Created, Finished
or Failed (409 otherwise, with the db's detail); PATCH .../cancel takes a
Pending execution back to Created and answers 409 when there is nothing
to cancel; GET .../livelog/{num} is served again, from the scheduler's
buffer (never a Pyro logger, nothing unpickled): [] for an execution that
is not running, 404 for none, 422 for a num that is not an integer.
The execution token's path (a runner) is tested by the scheduler's tests;
its decision function by tests/unit/test_api_exec.c."""
import pytest

from api_helpers import write_workflow
from api_models import Entity, ErrorDetail, Error422, WorkflowExecution, \
    check
from api_fixtures import admin, api, base, user  # noqa: F401 (fixtures)

NOID = "0123456789abcdef01234567"
# Pending must stay Pending here: the scheduler may not claim (it is
# woken by every schedule call).
SCHEDULER_CLAIMS = False


@pytest.fixture(scope="module")
def wf(admin, tmp_path_factory):
    """Use case UC25 with workflow WF25, uploaded once by the admin."""
    d = tmp_path_factory.mktemp("wf25")
    admin.insertUsecaseRecord("UC25", "use case of test_25")
    p = write_workflow(d, "WF25", "workflow25", "Workflow25")
    admin.postWorkflowFiles("UC25", p)
    return "WF25"


@pytest.fixture
def weid(user, wf):
    """A fresh execution of WF25 (Created), made by the ordinary user."""
    return user.createExecution(wf, -1, "")["inserted_id"]


def test_25_01_schedule_twice_conflicts(user, weid):
    r = user.raw("PATCH", f"api/executions/{weid}/schedule")
    assert r.status_code == 200, r.text
    assert check(Entity[WorkflowExecution], r.json()).entity.Status == \
        "Pending"
    r = user.raw("PATCH", f"api/executions/{weid}/schedule")
    assert r.status_code == 409, r.text
    assert check(ErrorDetail, r.json()).detail
    # Nothing changed by the refused call.
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert e.Status in ("Pending", "Scheduled", "Running")


def test_25_02_cancel_pending(user, weid):
    r = user.raw("PATCH", f"api/executions/{weid}/schedule")
    assert r.status_code == 200, r.text
    r = user.raw("PATCH", f"api/executions/{weid}/cancel")
    assert r.status_code == 200, r.text
    e = check(Entity[WorkflowExecution], r.json()).entity
    assert e.id == weid and e.Status == "Created"
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert e.Status == "Created"
    # Created again: it may be scheduled again.
    r = user.raw("PATCH", f"api/executions/{weid}/schedule")
    assert r.status_code == 200, r.text


def test_25_03_cancel_created_conflicts(user, weid):
    r = user.raw("PATCH", f"api/executions/{weid}/cancel")
    assert r.status_code == 409, r.text
    assert check(ErrorDetail, r.json()).detail
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert e.Status == "Created"


def test_25_04_cancel_unknown(user):
    for eid in (NOID, "nope"):
        r = user.raw("PATCH", f"api/executions/{eid}/cancel")
        assert r.status_code == 404, r.text
        check(ErrorDetail, r.json())


@pytest.mark.parametrize("num", ["10", "0", "-1"])
def test_25_05_livelog_not_running(user, weid, num):
    """An execution that is not running has no live log: []."""
    r = user.raw("GET", f"api/executions/{weid}/livelog/{num}")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    assert r.json() == []


def test_25_06_livelog_bad(user, weid):
    r = user.raw("GET", f"api/executions/{NOID}/livelog/10")
    assert r.status_code == 404, r.text
    check(ErrorDetail, r.json())
    for num in ("ten", "1.5", "99999999999", ""):
        r = user.raw("GET", f"api/executions/{weid}/livelog/{num}")
        if num == "":
            # .../livelog/ is .../livelog: no such route.
            assert r.status_code == 404, r.text
            continue
        assert r.status_code == 422, (num, r.text)
        check(Error422, r.json())


def test_25_07_livelog_needs_login(user, weid):
    r = user.raw("GET", f"api/executions/{weid}/livelog/5", auth=False)
    assert r.status_code == 401, r.text

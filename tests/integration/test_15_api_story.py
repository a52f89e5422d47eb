"""The whole user story over real HTTP, on both database backends (SQLite
and MongoDB): login -> create a use case -> upload a workflow -> create an
execution -> set its inputs -> it can be submitted -> schedule -> Pending;
then what the scheduler and the runner do through the same API
(spec/rest-api.md 5.2, 5.3, 5.6): Scheduled, Running, outputs, the log
file, ExecutionLog, Finished; the execution and the statistics show it."""
import datetime
import io

import pytest

from api_helpers import (ADMIN, ADMIN_PW, USER, USER_PW, Client, api_url,
                         const_property, login, mongo_conf, new_node,
                         NO_RUNS, start_api_node,
                         write_workflow)
from api_models import (Collection, Entity, ExecutionCreated,
                        ExecutionStatistics, IODataItem, LoginAnswer,
                        Status, UploadAnswer, UseCase, Workflow,
                        WorkflowExecution, check)
from conftest import require_root


@pytest.fixture(params=["sqlite", "mongo"])
def story_node(request, tmp_path):
    require_root()
    conf = ""
    if request.param == "mongo":
        conf = mongo_conf(request.getfixturevalue("mongo_uri"), "s15")
    # The story plays the scheduler's part itself: the real one runs
    # nothing (it is woken by the schedule call).
    n = new_node(tmp_path / "node", conf + NO_RUNS)
    try:
        start_api_node(n)
        yield n
    finally:
        n.stop()


def test_15_01_user_story(story_node, tmp_path):
    n = story_node
    base = api_url(n)

    # login (row 1) as the user and as the admin
    a = check(LoginAnswer, login(base, USER, USER_PW).json())
    assert a.access_token
    user = Client(base, USER, USER_PW)
    admin = Client(base, ADMIN, ADMIN_PW)
    stats0 = check(ExecutionStatistics, user.getExecutionStatistics())

    # create a use case (UI)
    ucid_id = user.insertUsecaseRecord("Story", "the user story")
    uc = check(Entity[UseCase], user.getUsecaseRecord("Story")).entity
    assert uc.id == ucid_id and uc.Description == "the user story"

    # upload a workflow (admin only, row 21)
    p = write_workflow(tmp_path, "StoryWF", "storywf", "StoryWorkflow")
    up = check(UploadAnswer, admin.postWorkflowFiles("Story", p))
    assert up.wid == "StoryWF"
    wfs = check(Collection[Workflow], user.getWorkflowRecordsWithUsecase("Story"))
    assert [(w.id, w.wid, w.Version) for w in wfs.collection] == \
        [(up.id, "StoryWF", 1)]

    # create an execution (row 19)
    c = check(ExecutionCreated, user.createExecution("StoryWF", -1, "", False))
    weid = c.inserted_id
    assert c.entity.Status == "Created" and c.entity.canBeSubmitted is False
    assert c.entity.RequestedBy == USER

    # set the inputs (row 12)
    assert user.setExecutionInputObject(weid, "Value_1", "1",
                                        const_property(3.0)) is True
    assert user.setExecutionInputObject(weid, "Value_2", "2",
                                        const_property(2.0)) is True
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert e.canBeSubmitted is True
    assert e.Status == "Created"

    # schedule (row 20): Pending, SubmittedDate set
    t0 = datetime.datetime.now()
    e = check(Entity[WorkflowExecution], user.scheduleExecution(weid)).entity
    assert e.Status == "Pending"
    assert e.SubmittedDate is not None
    sub = datetime.datetime.fromisoformat(e.SubmittedDate)
    assert abs((sub - t0).total_seconds()) < 60
    pend = check(Collection[WorkflowExecution],
                 user.getPendingExecutions(num_limit=300))
    assert [x.id for x in pend.collection] == [weid]
    st = check(ExecutionStatistics, user.getExecutionStatistics())
    assert st.pendingExecutions == stats0.pendingExecutions + 1
    assert st.totalExecutions == stats0.totalExecutions + 1

    # ---- as the scheduler would (its own account: the admin here) ----
    sched = admin
    assert sched.updateStatScheduler(runningTasks=0, scheduledTasks=0,
                                     load=0, processedTasks=0) == [True] * 4
    e = check(Entity[WorkflowExecution],
              sched.setExecutionParameter(weid, "Status", "Scheduled")).entity
    assert e.Status == "Scheduled"
    sched.updateStatScheduler(scheduledTasks=1)
    w = check(Entity[Workflow], sched.getWorkflowRecord(
        e.WorkflowID, e.WorkflowVersion)).entity
    src, name = sched.getBinaryFileByID(w.GridFSID)
    assert name == "files.zip" and src[:2] == b"PK"
    sched.setExecutionAttemptsCount(weid, 1)
    e = check(Entity[WorkflowExecution],
              sched.setExecutionParameter(weid, "Status", "Running")).entity
    assert e.Status == "Running" and e.StartDate is not None
    assert e.Attempts == 1
    sched.updateStatScheduler(runningTasks=1, scheduledTasks=0, load=10)

    # ---- the runner ----
    sched.setExecutionParameter(weid, "workflowURI", "PYRO:wf@127.0.0.1:1")
    sched.setExecutionParameter(weid, "loggerURI", "PYRO:log@127.0.0.1:1")
    ins = [check(IODataItem, i) for i in sched.getExecutionInputRecord(weid)]
    assert ins[0].Object["Value"] == 3.0 and ins[1].Object["Value"] == 2.0
    result = const_property(6.0, "s^2")
    assert sched.setExecutionOutputObject(weid, "Multiplication_result", "",
                                          result) is True

    # ---- the scheduler again: log file, ExecutionLog, Finished ----
    log = b"2026-11-25 12:00:00 INFO workflow.py:1 done\n"
    fid = sched.uploadBinaryFile(("workflow.log", io.BytesIO(log)))
    e = check(Entity[WorkflowExecution],
              sched.setExecutionParameter(weid, "ExecutionLog", fid)).entity
    assert e.ExecutionLog == fid
    e = check(Entity[WorkflowExecution],
              sched.setExecutionParameter(weid, "Status", "Finished")).entity
    assert e.Status == "Finished" and e.EndDate is not None
    sched.updateStatScheduler(runningTasks=0, processedTasks=1, load=0)

    # ---- the user sees it ----
    e = check(Entity[WorkflowExecution], user.getExecutionRecord(weid)).entity
    assert e.Status == "Finished"
    assert e.SubmittedDate <= e.StartDate <= e.EndDate
    assert e.ExecutionLog == fid and e.Attempts == 1
    assert e.workflowURI == "PYRO:wf@127.0.0.1:1"
    assert e.OutputsData[0].Object == result
    assert e.InputsData[0].Object == const_property(3.0)
    assert user.getBinaryFileByID(fid) == (log, "workflow.log")
    fin = check(Collection[WorkflowExecution],
                user.getExecutionRecords(status="Finished", num_limit=100))
    assert [x.id for x in fin.collection] == [weid]
    assert check(Collection[WorkflowExecution],
                 user.getPendingExecutions()).collection == []
    st = check(ExecutionStatistics, user.getExecutionStatistics())
    assert st.totalExecutions == stats0.totalExecutions + 1
    assert st.finishedExecutions == stats0.finishedExecutions + 1
    assert st.pendingExecutions == stats0.pendingExecutions
    status = check(Status, user.getStatus())
    assert status.totalStat == st
    assert status.schedulerStat.processedTasks == 1

"""Issue 20's lineage points, each on its own: recovery within one flush (a probe ends the
back-off), a task's end that never waits on a hanging server (a budget; the rest waits in the
outbox, nothing lost), scheduler hooks that only read the DagRun's attributes, and a
``pipelineLocation`` that is the same for every bundle version and worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tests.lineage.conftest import SOURCE, STAGING, run_dag

LOGGED_IN_USER = "/api/v1/users/loggedInUser"


def _config(**overrides):
    from openmetadata_platform.lineage.config import load_config

    return load_config().__class__(**{**load_config().__dict__, **overrides})


def _spec():
    from openmetadata_platform.lineage.events import PipelineSpec

    return PipelineSpec("airflow", {"name": "d", "service": "airflow", "tasks": [{"name": "t"}]})


def _final_status(run_id: str = "run-1"):
    from openmetadata_platform.lineage.events import StatusEvent

    status = {"timestamp": 1_700_000_000_000, "executionId": run_id, "executionStatus": "Successful", "taskStatus": []}
    return StatusEvent("airflow.d", status, final=True, spec=_spec())


def _edges_event(task: str = "run-1 t -1 1"):
    from openmetadata_platform.lineage.edges import Edge
    from openmetadata_platform.lineage.events import EdgesEvent

    return EdgesEvent(_spec(), task, (Edge(SOURCE, STAGING),))


def _state(config):
    from openmetadata_platform.lineage import dispatch

    return dispatch.ServerState.of(config, dispatch.connection_for(config.conn_id))


def _wait(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def _outbox_empty(state) -> bool:
    """No item waiting and none claimed (a claimed item is being sent)."""
    return not any(state.outbox.directory.iterdir())


# -- recovery: the periodic flush probes while backing off --------------------------------
def test_the_periodic_flush_probes_and_ends_the_back_off(om_tables):
    """The host backs off for 10 minutes; the server is fine: the next flush probes it once,
    ends the back-off and sends the outbox (before: nothing until the 10 minutes are over)."""
    from openmetadata_platform.lineage import dispatch

    config = _config(backoff_seconds=600, flush_interval=0.3)
    state = _state(config)
    state.backoff.trip()
    event = _final_status()
    state.outbox.put(event.key, event.kind, event.as_dict())
    dispatch.dispatcher().flush_periodically(config)
    assert _wait(lambda: om_tables.pipeline_statuses.statuses.get("airflow.d")), "the outbox was not sent"
    assert state.backoff.active_until() == 0.0 and _wait(lambda: _outbox_empty(state))
    (status,) = om_tables.pipeline_statuses.statuses["airflow.d"].values()
    assert (status["executionId"], status["executionStatus"]) == ("run-1", "Successful")
    assert om_tables.count("GET", LOGGED_IN_USER) == 1  # one cheap probe, not one per item


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 401}, {"delay": 30, "serve": False}])
def test_a_failed_probe_keeps_backing_off(om_tables, fault):
    """A server that still fails (or hangs) keeps the pause and the outbox: only the probe
    reached it, and the pause starts again from the probe."""
    from openmetadata_platform.lineage import dispatch

    config = _config(backoff_seconds=600, flush_interval=0.3, timeout=0.5)
    state = _state(config)
    state.backoff.trip()
    tripped = state.backoff.active_until()
    event = _final_status()
    state.outbox.put(event.key, event.kind, event.as_dict())
    om_tables.inject(**fault)
    dispatch.dispatcher().flush_periodically(config)
    assert _wait(lambda: state.backoff.active_until() > tripped)  # the probe failed: paused again
    if "status" in fault:  # (a hanging request is recorded only when it ends)
        assert om_tables.count("GET", LOGGED_IN_USER) >= 1
    assert len(state.outbox) == 1
    assert om_tables.count("PUT", "/api/v1/pipelines") == 0


def test_a_delivery_in_time_ends_a_back_off_started_meanwhile(om_tables):
    """Another process trips the back-off while this one's call succeeds: the success ends it."""
    from openmetadata_platform.lineage import dispatch

    config = _config(slow_call_seconds=5)
    state = _state(config)
    om_tables.inject(method="PUT", path_prefix="/api/v1/pipelines", delay=0.6)
    sent = []
    sending = threading.Thread(target=lambda: sent.append(dispatch.deliver(_final_status(), config)))
    sending.start()
    time.sleep(0.2)
    state.backoff.trip()  # "another process" saw a failure
    sending.join(15)
    assert sent == [1]
    assert state.backoff.active_until() == 0.0


# -- the end-of-task budget -----------------------------------------------------------------
def test_the_end_of_task_flush_never_waits_for_a_hanging_server(om_tables):
    """The listener's before_stopping returns within its budget while the call hangs; the
    event being sent and the one queued behind it are in the outbox, and they arrive once
    the server is back."""
    from openmetadata_platform.lineage import dispatch
    from openmetadata_platform.plugins.listener import listener

    config = _config(timeout=3)
    assert config.task_end_budget == 0.1  # the documented default
    state = _state(config)
    hang = om_tables.inject(delay=30, serve=False)
    first, second = _edges_event("run-1 a -1 1"), _edges_event("run-1 b -1 1")
    sender = dispatch.dispatcher()
    assert sender.submit(first, config) and sender.submit(second, config)
    time.sleep(0.2)  # the first is on the wire now
    started = time.monotonic()
    listener.before_stopping(component=None)
    took = time.monotonic() - started
    assert took < 1.0, took  # generous: the hanging call alone takes 3 s
    kept = {json.loads(p.read_text())["key"] for p in state.outbox.pending()}
    assert kept == {first.key, second.key}
    assert om_tables.lineage.edges == {}
    # nothing lost: the server comes back, the back-off ends, the outbox arrives
    om_tables.heal(hang)
    sender.flush_periodically(_config(flush_interval=0.3))
    assert _wait(lambda: len(om_tables.lineage.edges) == 1 and _outbox_empty(state))


def test_a_delivery_that_completes_after_the_budget_takes_its_copy_back(om_tables):
    """Slow but answering: the flush keeps a copy in the outbox, the delivery completes in the
    background and removes it (the scheduler does not send it a second time)."""
    from openmetadata_platform.lineage import dispatch

    config = _config(timeout=10, slow_call_seconds=5)
    state = _state(config)
    om_tables.inject(method="PUT", path_prefix="/api/v1/lineage", delay=1)
    event = _edges_event()
    sender = dispatch.dispatcher()
    sender.submit(event, config)
    assert sender.flush(0.1) is False
    assert [json.loads(p.read_text())["key"] for p in state.outbox.pending()] == [event.key]
    assert sender.flush(5) is False  # kept already: not waited for again
    assert _wait(lambda: len(om_tables.lineage.edges) == 1)
    assert _wait(lambda: _outbox_empty(state))


TASK_PROCESS = textwrap.dedent(
    """
    import sys, time
    from openmetadata_platform.lineage import dispatch
    from openmetadata_platform.lineage.config import load_config
    from openmetadata_platform.lineage.edges import Edge
    from openmetadata_platform.lineage.events import EdgesEvent, PipelineSpec
    from openmetadata_platform.plugins.listener import listener

    config = load_config()
    dispatch.connection_for(config.conn_id)
    spec = PipelineSpec("airflow", {"name": "d", "service": "airflow", "tasks": [{"name": "t"}]})
    dispatch.submit(EdgesEvent(spec, "run-1 t -1 1", (Edge(sys.argv[1], sys.argv[2]),)), config)
    time.sleep(0.3)  # the call is hanging now
    print(time.time(), flush=True)
    listener.before_stopping(component=None)  # what the Task SDK's finalize() calls last
    """
)


def test_a_task_process_exits_at_once_while_the_server_hangs(om_tables, tmp_path):
    """The whole end of a task process: before_stopping and the interpreter's exit (atexit)
    together stay within the budget, not the event's timeout (20 s here)."""
    env = {**os.environ, "AIRFLOW__OPENMETADATA_LINEAGE__TIMEOUT": "20"}
    om_tables.inject(delay=60, serve=False)
    process = subprocess.run(
        [sys.executable, "-c", TASK_PROCESS, SOURCE, STAGING],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    exited = time.time()
    assert process.returncode == 0, process.stderr[-2000:]
    stopping = float(process.stdout.strip().splitlines()[-1])
    assert exited - stopping < 2.0, (exited - stopping, process.stderr[-2000:])  # generous: 20 s before
    outbox = list((tmp_path / "lineage-state").glob("*/outbox/*.json"))
    assert [json.loads(p.read_text())["kind"] for p in outbox] == ["edges"]


# -- scheduler hooks: no query, no body building on the scheduler's thread -----------------
def test_scheduler_hooks_read_nothing_on_the_schedulers_thread(om_tables, etl_dag, monkeypatch):
    """The DAG-run hooks run no SQL and build no Pipeline body on the calling thread; the
    sender thread builds the complete final status from the committed task instances."""
    import importlib

    from airflow import settings
    from openmetadata_platform.lineage import dispatch
    from sqlalchemy import event

    # the module (the package re-exports its ``listener`` object under the same name)
    listener_module = importlib.import_module("openmetadata_platform.plugins.listener")

    run = run_dag(etl_dag)
    om_tables.pipeline_statuses.statuses.clear()
    caller = threading.current_thread()
    on_caller: list[str] = []

    def count(conn, cursor, statement, *args):
        if threading.current_thread() is caller:
            on_caller.append(statement)

    built_on: list[threading.Thread] = []
    original = listener_module.pipeline_spec
    monkeypatch.setattr(
        listener_module,
        "pipeline_spec",
        lambda *a, **k: built_on.append(threading.current_thread()) or original(*a, **k),
    )
    event.listen(settings.engine, "before_cursor_execute", count)
    try:
        listener_module.listener.on_dag_run_running(dag_run=run, msg="")
        listener_module.listener.on_dag_run_success(dag_run=run, msg="success")
    finally:
        event.remove(settings.engine, "before_cursor_execute", count)
    assert on_caller == []
    assert dispatch.flush(15)
    assert built_on and caller not in built_on
    (status,) = om_tables.pipeline_statuses.statuses["airflow.example_customer_etl"].values()
    assert status["executionStatus"] == "Successful"
    assert {t["name"]: t["executionStatus"] for t in status["taskStatus"]} == {
        "stage_customers": "Successful",
        "build_customer_mart": "Successful",
        "announce": "Successful",
    }


def test_a_final_state_never_committed_is_not_reported(etl_dag):
    """The sender thread reads task instances only once the run's final state is committed
    (a rolled-back state change is reported again by the scheduler's next loop)."""
    from openmetadata_platform.plugins.listener import committed_task_instances

    run = run_dag(etl_dag)
    assert committed_task_instances(run.dag_id, run.run_id, "failed", wait=0.3) is None
    tis = committed_task_instances(run.dag_id, run.run_id, "success", wait=0.3)
    assert tis is not None and {ti.task_id for ti in tis} == {"stage_customers", "build_customer_mart", "announce"}


# -- pipelineLocation ---------------------------------------------------------------------
def _parse_in_bundle(checkout: Path, name: str, dag_file: Path, dag_id: str):
    """Parse ``dag_file`` as the Task SDK does on a worker: from a bundle checked out at ``checkout``."""
    from airflow.dag_processing.dagbag import BundleDagBag

    (checkout / "etl").mkdir(parents=True)
    target = checkout / "etl" / dag_file.name
    target.write_text(dag_file.read_text())
    bag = BundleDagBag(dag_folder=str(target), safe_mode=False, bundle_path=checkout, bundle_name=name)
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def test_the_pipeline_location_is_the_same_for_every_bundle_version_and_worker(airflow_db, tmp_path):
    """A versioned (git) bundle is checked out under a per-version path, and a worker's path
    may differ from the dag-processor's: the Pipeline body (pipelineLocation included) must
    not change, or every run would write a new Pipeline version."""
    from airflow.serialization.serialized_objects import DagSerialization
    from openmetadata_platform.plugins.listener import pipeline_spec

    from tests.conftest import DAGS_FOLDER

    config = _config()
    dag_file = DAGS_FOLDER / "example_customer_etl.py"
    worker_v1 = _parse_in_bundle(tmp_path / "worker" / "v1", "repo", dag_file, "example_customer_etl")
    worker_v2 = _parse_in_bundle(tmp_path / "worker" / "v2", "repo", dag_file, "example_customer_etl")
    processor = _parse_in_bundle(tmp_path / "processor" / "abc123", "repo", dag_file, "example_customer_etl")
    assert worker_v1.fileloc != worker_v2.fileloc  # what used to be sent
    scheduler_side = DagSerialization.from_dict(DagSerialization.to_dict(processor))
    specs = [pipeline_spec(dag, config) for dag in (worker_v1, worker_v2, scheduler_side)]
    assert specs[0].request["pipelineLocation"] == "etl/example_customer_etl.py"
    assert specs[0] == specs[1] == specs[2]

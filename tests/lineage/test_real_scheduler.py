"""The listener on a real Airflow: scheduler, dag-processor, api-server, LocalExecutor task
processes (the session's ``airflow_cluster``), against the session stand-in, with faults.

What must hold whatever the server does: no task fails; the scheduler hands events over
without waiting (runs are not serialised behind a slow server); the final status stored is
the DagRun's, complete, with every task's log link; and what could not be sent arrives from
the outbox once the server is back (the cluster flushes every ``FLUSH_INTERVAL`` seconds).
"""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest

from tests.lineage.conftest import MART, SOURCE, STAGING, TABLES
from tests.openmetadata_standin.seed import create_tables, create_team

PIPELINE = "airflow.lineage_parallel_etl"
DAG_ID = "lineage_parallel_etl"


@pytest.fixture
def om(shared_openmetadata, airflow_cluster):
    """The session stand-in, emptied, with the example's tables; a fresh back-off and outbox."""
    import shutil

    shutil.rmtree(airflow_cluster.home / "openmetadata_lineage", ignore_errors=True)
    create_tables(shared_openmetadata, TABLES)
    create_team(shared_openmetadata, "data-platform")
    airflow_cluster.wait_for_dag(DAG_ID)
    return shared_openmetadata


def run(cluster, dag_id: str = DAG_ID) -> tuple[str, dict[str, str]]:
    run_id = cluster.trigger(dag_id)
    state = cluster.wait_for_run(dag_id, run_id, timeout=180)
    tis = {ti["task_id"]: ti["state"] for ti in cluster.task_instances(dag_id, run_id)}
    assert state == "success" and set(tis.values()) == {"success"}, (state, tis, cluster.log_tails())
    return run_id, tis


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return predicate()


def final_status(om, run_id: str) -> dict | None:
    for status in list(om.pipeline_statuses.statuses.get(PIPELINE, {}).values()):
        if status.get("executionId") == run_id and status["executionStatus"] != "Pending":
            return status
    return None


def edges(om) -> set[tuple[str, str]]:
    by_id = {t["id"]: t["fullyQualifiedName"] for t in om.entities("table")}
    return {(by_id[a], by_id[b]) for a, b in list(om.lineage.edges)}


def assert_complete(om, cluster, run_id: str, tis: dict[str, str]) -> dict:
    status = wait_for(lambda: final_status(om, run_id))
    assert status is not None, f"no final status for {run_id}: {om.pipeline_statuses.statuses}"
    assert status["executionStatus"] == "Successful"
    by_task = {t["name"]: t for t in status["taskStatus"]}
    assert set(by_task) == set(tis)
    for name, task in by_task.items():
        assert task["executionStatus"] == "Successful", task
        assert task["logLink"].startswith(f"{cluster.base_url.rstrip('/')}/dags/{DAG_ID}/runs/"), task
        assert task["logLink"].endswith(f"/tasks/{name}?try_number=1")
    assert wait_for(lambda: edges(om) == {(SOURCE, STAGING), (STAGING, MART)}), edges(om)
    return status


def test_a_healthy_run(om, airflow_cluster):
    run_id, tis = run(airflow_cluster)
    assert_complete(om, airflow_cluster, run_id, tis)
    (pipeline,) = om.entities("pipeline")
    assert pipeline["version"] == 0.1  # the scheduler's and the task's Pipeline are the same
    assert [o["name"] for o in pipeline["owners"]] == ["data-platform"]
    # no task process wrote a status: every status PUT is the scheduler's (start, final and
    # at most a few progress updates), and nobody read one back to merge it
    assert om.count("GET", f"/api/v1/pipelines/{PIPELINE}/status") == 0
    assert om.count("PUT", f"/api/v1/pipelines/{PIPELINE}/status") <= 2 + 3


def test_hooks_hand_over_without_waiting_for_a_slow_server(om, airflow_cluster):
    """Every call takes 2 s: the scheduler's hooks still take milliseconds (its log says how
    long each held it), runs triggered together start together, and everything arrives."""
    log = airflow_cluster.process_log("scheduler")
    before = log.read_text().count("handed over in") if log.exists() else 0
    om.inject(delay=2)
    run_ids = [airflow_cluster.trigger(DAG_ID) for _ in range(5)]
    for run_id in run_ids:
        assert airflow_cluster.wait_for_run(DAG_ID, run_id, timeout=240) == "success"
    starts = sorted(
        datetime.fromisoformat(airflow_cluster.api("GET", f"dags/{DAG_ID}/dagRuns/{r}").json()["start_date"])
        for r in run_ids
    )
    # serialised behind the server, five runs would start about 2 s apart (8 s in all)
    assert (starts[-1] - starts[0]).total_seconds() < 5, starts
    om.heal()
    hooks = [float(ms) for ms in re.findall(r"handed over in ([0-9.]+) ms", log.read_text())][before:]
    assert len(hooks) >= 2 * len(run_ids), hooks  # a start and a final per run
    assert max(hooks) < 500, hooks  # generous: one call alone takes 2000 ms
    for run_id in run_ids:  # the slow answers tripped the back-off: the outbox delivers the rest
        assert wait_for(lambda r=run_id: final_status(om, r), timeout=60), run_id


@pytest.mark.parametrize("fault", ["500", "401", "hang", "refused"])
def test_an_outage_loses_nothing(om, airflow_cluster, fault):
    if fault == "refused":
        om.stop()
    else:
        om.inject(**({"delay": 30, "serve": False} if fault == "hang" else {"status": int(fault)}))
    try:
        run_id, tis = run(airflow_cluster)  # no task fails, the run ends
        assert final_status(om, run_id) is None
    finally:
        om.heal()
        if fault == "refused":
            om.start()
    assert_complete(om, airflow_cluster, run_id, tis)


def test_a_slow_status_write_never_leaves_a_run_pending(om, airflow_cluster):
    """Formerly a task's status write (GET, merge, PUT) could land after the scheduler's final
    one and turn the run back to Pending; now only the scheduler writes statuses, in order."""
    om.inject(method="PUT", path_prefix=f"/api/v1/pipelines/{PIPELINE}/status", delay=1.5)
    run_id, tis = run(airflow_cluster)
    status = assert_complete(om, airflow_cluster, run_id, tis)
    assert status["endTime"] >= status["timestamp"]
    time.sleep(2)  # nothing still in flight may overwrite it
    assert final_status(om, run_id)["executionStatus"] == "Successful"

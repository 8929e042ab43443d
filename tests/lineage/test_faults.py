"""Faults never fail, retry or stall a task: one warning each, bounded added time; what could
not be sent waits in the outbox and arrives once the server is back."""

from __future__ import annotations

import logging
import time

import pytest
from platform_bootstrap.local_postgres import free_port

from tests.conftest import connection_env
from tests.lineage.conftest import MART, SOURCE, STAGING, lineage_warnings, run_dag

# Generous bound on the whole 3-task run: a fault must cost at most one timeout (2 s in
# these tests) plus Airflow's own overhead; retries or one timeout per call would exceed it.
RUN_BOUND_SECONDS = 45


def run_etl(dag, caplog, runs: list | None = None):
    """Run the DAG; assert it succeeded in bounded time; return the lineage warnings."""
    caplog.set_level(logging.INFO, logger="openmetadata_platform.lineage")
    started = time.monotonic()
    run = run_dag(dag)
    elapsed = time.monotonic() - started
    assert run.state == "success"
    assert {ti.state for ti in run.get_task_instances()} == {"success"}
    assert elapsed < RUN_BOUND_SECONDS, elapsed
    if runs is not None:
        runs.append(run)
    return lineage_warnings(caplog)


def test_server_down(etl_dag, airflow_db, monkeypatch, caplog):
    env = connection_env(
        "openmetadata_default",
        conn_type="openmetadata",
        host="127.0.0.1",
        port=free_port(),
        schema="http",
        password="not-a-real-token",
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (warning,) = run_etl(etl_dag, caplog)
    assert "ConnectError" in warning and "pausing OpenMetadata calls" in warning
    assert "not-a-real-token" not in caplog.text


@pytest.mark.parametrize("status", [500, 401])
def test_server_error(om_tables, etl_dag, caplog, status):
    om_tables.inject(status=status)
    (warning,) = run_etl(etl_dag, caplog)
    assert f"HTTP {status}" in warning
    # back-off: after the first failed call nothing else was tried during the run
    assert sum(1 for r in om_tables.requests if r.status == status) == 1
    assert om_tables.token not in caplog.text


def test_wrong_token(om_tables, etl_dag, monkeypatch, caplog):
    env = connection_env(
        "openmetadata_default",
        conn_type="openmetadata",
        host="127.0.0.1",
        port=om_tables.port,
        schema="http",
        password="wrong-token",
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (warning,) = run_etl(etl_dag, caplog)
    assert "HTTP 401" in warning and "wrong-token" not in caplog.text


def test_hanging_server(om_tables, etl_dag, caplog):
    setup = len(om_tables.requests)
    om_tables.inject(delay=4)  # > the 2 s timeout of these tests
    (warning,) = run_etl(etl_dag, caplog)
    assert "no answer within" in warning
    # at most the one slow call is recorded (when answered): everything after backed off
    assert len(om_tables.requests) - setup <= 1


def test_slow_answers_trip_the_back_off(om_tables, etl_dag, caplog, monkeypatch):
    """Answers within the timeout but slower than slow_call_seconds count as a failure."""
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__SLOW_CALL_SECONDS", "0.3")
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__TIMEOUT", "10")  # slow, never out of time
    setup = len(om_tables.requests)
    om_tables.inject(delay=0.5)
    (warning,) = run_etl(etl_dag, caplog)
    assert "answered in" in warning and "pausing OpenMetadata calls" in warning
    # the first event's calls, then none: 2 owner lookups (user, team), the pipeline's 404,
    # service, classification, 2 tags, the pipeline, 2 table lookups and the edge
    assert len(om_tables.requests) - setup == 11


def outbox_files(tmp_path):
    """Waiting and claimed (being sent: ``*.json.claimed-<pid>``) outbox items."""
    return sorted((tmp_path / "lineage-state").glob("*/outbox/*.json*"))


@pytest.mark.parametrize("fault", ["500", "401", "hang", "refused"])
def test_what_was_missed_arrives_when_the_server_is_back(om_tables, etl_dag, caplog, monkeypatch, tmp_path, fault):
    """The final status and both edges wait in the outbox during an outage, then the
    periodic flush (the dag.test() process stands for the scheduler) delivers them."""
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__BACKOFF_SECONDS", "1")
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__FLUSH_INTERVAL", "1")
    if fault == "refused":
        om_tables.stop()
    else:
        om_tables.inject(**({"delay": 4} if fault == "hang" else {"status": int(fault)}))
    runs = []
    (warning,) = run_etl(etl_dag, caplog, runs)
    assert "pausing OpenMetadata calls" in warning
    (run,) = runs
    assert om_tables.pipeline_statuses.statuses == {}
    assert len(outbox_files(tmp_path)) == 3  # the final status and the two tasks' edges
    om_tables.heal()
    if fault == "refused":
        om_tables.start()
    deadline = time.monotonic() + 20
    while outbox_files(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert outbox_files(tmp_path) == []
    (status,) = om_tables.pipeline_statuses.statuses["airflow.example_customer_etl"].values()
    assert (status["executionId"], status["executionStatus"]) == (run.run_id, "Successful")
    assert {t["name"] for t in status["taskStatus"]} == {"stage_customers", "build_customer_mart", "announce"}
    by_id = {t["id"]: t["fullyQualifiedName"] for t in om_tables.entities("table")}
    assert {(by_id[a], by_id[b]) for a, b in om_tables.lineage.edges} == {(SOURCE, STAGING), (STAGING, MART)}


def test_a_malformed_asset_that_reaches_a_task_is_skipped_alone():
    """Airflow rejects a malformed openmetadata:// URI when the DAG is parsed (the provider's
    asset-URI handler); one built around it (e.g. an object with a ``uri``) is skipped at run
    time with a problem, and the good edges stay."""
    from types import SimpleNamespace

    from openmetadata_platform.lineage import om_table
    from openmetadata_platform.lineage.edges import declared_edges

    problems: list[str] = []
    bad = SimpleNamespace(uri="openmetadata://table/only.two")
    edges = declared_edges([bad, om_table(SOURCE)], [om_table(STAGING)], problems)
    assert [(e.source, e.target) for e in edges] == [(SOURCE, STAGING)]
    (problem,) = problems
    assert "malformed lineage asset" in problem and "only.two" in problem


def test_missing_connection_is_one_line(etl_dag, airflow_db, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__CONN_ID", "no_such_connection")
    (warning,) = run_etl(etl_dag, caplog)
    assert "no_such_connection" in warning and "enabled = False" in warning


def test_disabled_is_one_info_line(openmetadata_connection, etl_dag, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__ENABLED", "False")
    assert run_etl(etl_dag, caplog) == []
    infos = [r.getMessage() for r in caplog.records if r.name == "openmetadata_platform.lineage"]
    assert infos == ["OpenMetadata lineage is disabled ([openmetadata_lineage] enabled = False)"]
    assert openmetadata_connection.requests == []


def test_denied_dag_is_not_reported(openmetadata_connection, etl_dag, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__DAG_DENY_PATTERNS", "example_*")
    assert run_etl(etl_dag, caplog) == []
    assert openmetadata_connection.requests == []

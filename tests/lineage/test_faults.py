"""Faults never fail, retry or stall a task: one warning each, bounded added time."""

from __future__ import annotations

import logging
import time

import pytest
from airflow.sdk import Asset

from tests.conftest import connection_env
from tests.lineage.conftest import lineage_warnings
from tests.support.postgres import free_port

# Generous bound on the whole 3-task run: a fault must cost at most one timeout (2 s in
# these tests) plus Airflow's own overhead; retries or one timeout per call would exceed it.
RUN_BOUND_SECONDS = 25


def run_etl(dag, caplog):
    caplog.set_level(logging.INFO, logger="openmetadata_platform.lineage")
    started = time.monotonic()
    run = dag.test()
    elapsed = time.monotonic() - started
    assert run.state == "success"
    assert {ti.state for ti in run.get_task_instances()} == {"success"}
    assert elapsed < RUN_BOUND_SECONDS, elapsed
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
    om_tables.fail_with = status
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


def test_slow_server(om_tables, etl_dag, caplog):
    setup = len(om_tables.requests)
    om_tables.delay_seconds = 4  # > the 2 s timeout of these tests
    (warning,) = run_etl(etl_dag, caplog)
    assert "no answer within" in warning
    # at most the one slow call is recorded (when answered): everything after backed off
    assert len(om_tables.requests) - setup <= 1


def test_malformed_inlet(om_tables, etl_dag, caplog):
    task = etl_dag.task_dict["build_customer_mart"]
    task.inlets = [*task.inlets, Asset("openmetadata://table/only.two")]
    (warning,) = run_etl(etl_dag, caplog)
    assert "malformed lineage asset" in warning and "only.two" in warning
    assert len(om_tables.lineage.edges) == 2  # the good edges were still sent


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

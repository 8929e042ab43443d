"""Fixtures for the lineage listener tests: OpenMetadata tables in the stand-in, settings."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import load_dag
from tests.openmetadata_standin.seed import create_tables, create_team

SOURCE = "pagila.pagila.public.customer"
STAGING = "warehouse.analytics.staging.stg_customer"
MART = "warehouse.analytics.mart.dim_customer"
TABLES = {
    SOURCE: ["customer_id", "first_name", "last_name", "email", "activebool"],
    STAGING: ["customer_id", "full_name", "email"],
    MART: ["customer_key", "full_name"],
}
LOGGER = "openmetadata_platform.lineage"


@pytest.fixture(autouse=True)
def lineage_settings(monkeypatch, tmp_path):
    """Short timeout/back-off for tests, host state in the test's own directory, a fresh
    sender per test (as a new process has), and no progress polling unless a test asks."""
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__TIMEOUT", "2")
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__BACKOFF_SECONDS", "30")
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__STATE_DIR", str(tmp_path / "lineage-state"))
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__STATUS_INTERVAL", "0")
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example:8080")
    new_process()
    yield
    new_process()


def new_process() -> None:
    """Forget what this process knows, as a new Airflow process would (the host state stays)."""
    from openmetadata_platform.lineage import dispatch

    dispatch.forget_process_state()


def run_dag(dag):
    """``dag.test()``, then wait (bounded) for the listener's background sender."""
    from openmetadata_platform.lineage import dispatch

    run = dag.test()
    assert dispatch.flush(15), "the lineage sender did not finish within 15 s"
    return run


@pytest.fixture
def om_tables(openmetadata_connection):
    """The stand-in with the example's tables and its owner (team data-platform); returns the stand-in."""
    create_tables(openmetadata_connection, TABLES)
    create_team(openmetadata_connection, "data-platform")
    return openmetadata_connection


@pytest.fixture
def etl_dag(airflow_db):
    dag = load_dag("example_customer_etl.py", "example_customer_etl")
    for task in dag.tasks:
        task.retries = 0
    return dag


def lineage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]

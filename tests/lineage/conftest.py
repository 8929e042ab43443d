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
    """Short timeout/back-off for tests; fresh per-process caches and back-off state."""
    import tempfile

    from openmetadata_platform.lineage import emitter

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where Backoff keeps its file

    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__TIMEOUT", "2")
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__BACKOFF_SECONDS", "30")
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example:8080")
    for cache in (emitter._said, emitter._pipelines, emitter._table_ids, emitter._owners):
        cache.clear()
    yield


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

"""Shared fixtures: an isolated Airflow home, pagila in a throwaway PostgreSQL, and the
OpenMetadata stand-in, plus helpers that point Airflow connections at them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ["tests.support.strict_ci", "tests.support.airflow_fixtures"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGS_FOLDER = REPO_ROOT / "dags"

# Airflow reads its config at import: isolate it before any test imports airflow.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="airflow-home-tests-")
os.environ.update(
    AIRFLOW_HOME=_AIRFLOW_HOME,
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{_AIRFLOW_HOME}/airflow.db",
)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Airflow's metadata database (SQLite in a temp dir), migrated once per session."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    return Path(_AIRFLOW_HOME)


@pytest.fixture(scope="session")
def pagila_postgres():
    """A throwaway PostgreSQL with the real pagila (schema + data) in database ``pagila``."""
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    with ThrowawayPostgres() as server:
        load_pagila(server)
        yield server


@pytest.fixture
def openmetadata():
    """A fresh OpenMetadata stand-in per test (empty store, random token).

    A request the stand-in itself failed on (its bug, answered 500) fails the test.
    """
    from tests.openmetadata_standin.server import StandInServer

    with StandInServer() as server:
        yield server
    assert server.internal_errors == [], server.internal_errors


def connection_env(conn_id: str, **fields) -> dict[str, str]:
    """``AIRFLOW_CONN_<ID>`` env var for a JSON-serialised Airflow connection."""
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(fields)}


@pytest.fixture
def openmetadata_connection(openmetadata, monkeypatch):
    """Point ``openmetadata_default`` at the stand-in with its valid token."""
    env = connection_env(
        "openmetadata_default",
        conn_type="openmetadata",
        host="127.0.0.1",
        port=openmetadata.port,
        schema="http",
        password=openmetadata.token,
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return openmetadata


@pytest.fixture
def pagila_connection(pagila_postgres, monkeypatch):
    """Point ``pagila_postgres`` (the DAG's connection id) at the throwaway pagila."""
    env = connection_env(
        "pagila_postgres",
        conn_type="postgres",
        host=pagila_postgres.host,
        port=pagila_postgres.port,
        login="postgres",
        password=pagila_postgres.password,
        schema="pagila",
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return pagila_postgres


def load_dag(dag_file: str, dag_id: str):
    """Parse one DAG file from ``dags/`` with Airflow's DagBag; fail on import errors."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / dag_file))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]

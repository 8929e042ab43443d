"""One pagila catalog run shared by the workflow tests (session scope: it takes ~40 s).

A throwaway PostgreSQL of our own (``shared_preload_libraries = pg_stat_statements``; the
session's ``pagila_postgres`` has no query log and is shared with other suites, so we neither
write to it nor restart it) with the real pagila, a few statements run on it (a ``CREATE
TABLE ... AS SELECT``, an ``INSERT ... SELECT``, joins), the OpenMetadata stand-in with a fresh
server's PII tags, the spaCy stand-in model, and ONE run of the ``pagila_data_catalog`` DAG with
Airflow (``dag.test()``): harvest -> profiler -> data quality -> classification -> lineage and
usage. The tests read what it wrote; the few that need a second run make their own.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import connection_env, load_dag

# Statements whose lineage and usage the query-log workflows must find (pg_stat_statements
# records them as run here; the harvest afterwards sees customer_spend).
LINEAGE_STATEMENTS = (
    "CREATE TABLE customer_spend AS SELECT c.customer_id, c.email, sum(p.amount) AS total "
    "FROM customer c JOIN payment p ON p.customer_id = c.customer_id GROUP BY c.customer_id, c.email",
    "INSERT INTO customer_spend (customer_id, email, total) SELECT c.customer_id, c.email, 0 "
    "FROM customer c WHERE c.active = 0",
)
USAGE_STATEMENTS = (
    "SELECT f.title, c.name FROM film f JOIN film_category fc ON fc.film_id = f.film_id "
    "JOIN category c ON c.category_id = fc.category_id",
    "SELECT r.rental_id, c.email FROM rental r JOIN customer c ON c.customer_id = r.customer_id LIMIT 5",
)
SCHEMA_FQN = "pagila.pagila.public"


@dataclass
class CatalogRun:
    """What the shared DAG run left: the servers, each task's XCom and the run's state."""

    postgres: object
    server: object
    model_dir: Path
    xcoms: dict[str, dict] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """Airflow connection env vars for the source and the stand-in (and no lineage listener:
        its background writes of the DAG's own pipeline would mix with what the tests count)."""
        return {
            "AIRFLOW__OPENMETADATA_LINEAGE__ENABLED": "False",
            **connection_env(
                "pagila_postgres",
                conn_type="postgres",
                host=self.postgres.host,
                port=self.postgres.port,
                login="postgres",
                password=self.postgres.password,
                schema="pagila",
            ),
            **connection_env(
                "openmetadata_default",
                conn_type="openmetadata",
                host="127.0.0.1",
                port=self.server.port,
                schema="http",
                password=self.server.token,
            ),
        }

    def rows(self, sql: str) -> list[list[str]]:
        out = self.postgres.psql(sql, database="pagila", separator="\x1f")
        return [line.split("\x1f") for line in out.splitlines() if line]

    def writes(self, since: int = 0) -> list:
        """Write requests (PUT/POST/PATCH/DELETE) the stand-in recorded since request ``since``."""
        return [r for r in self.server.requests[since:] if r.method in ("PUT", "POST", "PATCH", "DELETE")]


@contextmanager
def catalog_environment(run: CatalogRun):
    """The connections and the spaCy model for in-process task runs (restored afterwards)."""
    import importlib

    saved = {key: os.environ.get(key) for key in [*run.env(), "PYTHONPATH"]}
    os.environ.update(run.env())
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(run.model_dir), saved["PYTHONPATH"]) if p)
    sys.path.insert(0, str(run.model_dir))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(run.model_dir))
        importlib.invalidate_caches()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _xcoms(run_id: str, dag_id: str) -> dict[str, dict]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=run_id, key="return_value", dag_ids=dag_id)).all()
        return {row.task_id: XComModel.deserialize_value(row) for row in rows}


@pytest.fixture(scope="session")
def query_log_postgres():
    """Our own PostgreSQL with pagila and pg_stat_statements; the statements above already run."""
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    settings = {"shared_preload_libraries": "'pg_stat_statements'", "pg_stat_statements.track": "'top'"}
    with ThrowawayPostgres(settings=settings) as server:
        load_pagila(server)
        server.psql("CREATE EXTENSION pg_stat_statements", database="pagila")
        server.psql("SELECT pg_stat_statements_reset()", database="pagila")  # forget the load
        for statement in (*LINEAGE_STATEMENTS, *USAGE_STATEMENTS):
            server.psql(statement, database="pagila")
        yield server


@pytest.fixture(scope="session")
def spacy_model_dir():
    from tests.workflows.spacy_stand_in import build_model

    with tempfile.TemporaryDirectory(prefix="spacy-stand-in-") as root:
        yield build_model(Path(root))


@pytest.fixture(scope="session")
def catalog(airflow_db, query_log_postgres, spacy_model_dir):
    """The shared run of ``pagila_data_catalog`` against the stand-in (see the module docstring)."""
    from tests.openmetadata_standin.seeded_pii_tags import seed_pii_classification
    from tests.openmetadata_standin.server import StandInServer

    with StandInServer() as server:
        seed_pii_classification(server)
        run = CatalogRun(query_log_postgres, server, spacy_model_dir)
        with catalog_environment(run):
            dag = load_dag("pagila_data_catalog.py", "pagila_data_catalog")
            for task in dag.tasks:
                task.retries = 0
            dag_run = dag.test()
        run.states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
        run.xcoms = _xcoms(dag_run.run_id, dag.dag_id)
        yield run
        assert server.internal_errors == [], server.internal_errors


@pytest.fixture
def catalog_connections(catalog):
    """``catalog`` with its connections and model set for the test (for extra operator runs)."""
    with catalog_environment(catalog):
        yield catalog


def table_fqn(name: str) -> str:
    return f"{SCHEMA_FQN}.{name}"


def dumps(value) -> str:
    return json.dumps(value, indent=1, default=str)[:3000]

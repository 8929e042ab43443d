"""Bench DAG for the profiler (tests/bench_harvest.py ``--workload profiler``): one task.

``profile_tables`` as in dags/pagila_data_catalog.py (the same operator and source settings:
connection ``pagila_postgres``, service and database from ``PAGILA_OPENMETADATA_SERVICE`` /
``PAGILA_DATABASE``, the same timeout), on its own so that a run is the profiler alone. The
schemas come from ``PAGILA_SCHEMAS`` (comma-separated, default ``public``) as in
dags/pagila_metadata_ingestion.py, so the profiler covers what the bench harvested.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG
from openmetadata_platform.operators.ingestion import PostgresProfilerOperator

SERVICE_NAME = os.environ.get("PAGILA_OPENMETADATA_SERVICE", "pagila")
DATABASE = os.environ.get("PAGILA_DATABASE", "pagila")
SCHEMAS = [s.strip() for s in os.environ.get("PAGILA_SCHEMAS", "public").split(",") if s.strip()]
SOURCE = {"postgres_conn_id": "pagila_postgres", "service_name": SERVICE_NAME, "database": DATABASE}

with DAG(
    dag_id="pagila_profiler_bench",
    description="The profiler of pagila_data_catalog alone, for tests/bench_harvest.py",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["bench"],
) as dag:
    PostgresProfilerOperator(
        task_id="profile_tables",
        **SOURCE,
        schema_includes=[f"^{schema}$" for schema in SCHEMAS],
        execution_timeout=timedelta(hours=2),
    )

"""Harvest the pagila PostgreSQL database's schema into OpenMetadata, daily.

Kept light on purpose: the operator imports openmetadata-ingestion only when the task
runs, so parsing this file costs what any small DAG costs.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG
from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

# Configurable per deployment through the environment (read at parse time).
SERVICE_NAME = os.environ.get("PAGILA_OPENMETADATA_SERVICE", "pagila")
DATABASE = os.environ.get("PAGILA_DATABASE", "pagila")
SCHEMAS = [s.strip() for s in os.environ.get("PAGILA_SCHEMAS", "public").split(",") if s.strip()]

with DAG(
    dag_id="pagila_metadata_ingestion",
    description="Harvest the pagila PostgreSQL schema into OpenMetadata",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["openmetadata", "metadata-ingestion", "pagila"],
    default_args={"owner": "data-platform", "retries": 1, "retry_delay": timedelta(minutes=5)},
    doc_md=f"""
### pagila metadata ingestion

Harvests database **{DATABASE}** (schemas: {", ".join(f"`{s}`" for s in SCHEMAS)}) from the
Airflow connection `pagila_postgres` into the OpenMetadata DatabaseService **{SERVICE_NAME}**:
every table and view with its columns, types, primary and foreign keys and view
definitions. Tables dropped at the source are soft-deleted in OpenMetadata.

- OpenMetadata server: Airflow connection `openmetadata_default` (type `openmetadata`,
  password = the ingestion bot's JWT).
- Configure with environment variables `PAGILA_OPENMETADATA_SERVICE`, `PAGILA_DATABASE`,
  `PAGILA_SCHEMAS` (comma-separated).
- The task's XCom is the run summary: records processed, updated, warnings, failures,
  wall time.

Browse the result at `<OpenMetadata UI>/databaseSchema/{SERVICE_NAME}.{DATABASE}.{SCHEMAS[0] if SCHEMAS else "public"}`.
""",
) as dag:
    PostgresMetadataIngestionOperator(
        task_id="harvest_pagila_schema",
        postgres_conn_id="pagila_postgres",
        service_name=SERVICE_NAME,
        database=DATABASE,
        schema_includes=[f"^{s}$" for s in SCHEMAS],
        include_views=True,
        mark_deleted_tables=True,
        execution_timeout=timedelta(minutes=30),
    )

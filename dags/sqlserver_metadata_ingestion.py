"""Harvest SQL Server schemas into OpenMetadata over Kerberos: no password anywhere.

The developer runs `kinit` on the host; the platform's ticket-sharing sidecar copies the
cache into the `platform_kerberos_cache` volume, and this task reads it via KRB5CCNAME.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import DAG
from openmetadata_platform.operators.ingestion import MssqlMetadataIngestionOperator

SERVICE_NAME = os.environ.get("SQLSERVER_OPENMETADATA_SERVICE", "sqlserver")

with DAG(
    dag_id="sqlserver_metadata_ingestion",
    description="Harvest SQL Server schemas into OpenMetadata with Kerberos",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["openmetadata", "metadata-ingestion", "sqlserver", "kerberos"],
    default_args={"owner": "data-platform", "retries": 1, "retry_delay": timedelta(minutes=5)},
    doc_md=f"""
### SQL Server metadata ingestion (Kerberos)

Harvests the SQL Server named by the Airflow connection `sqlserver_kerberos` (host, port,
`schema` = initial database; extra `driver`, `encrypt`, `trust_server_certificate`,
`server_spn`; **no login, no password**) into the OpenMetadata DatabaseService
**{SERVICE_NAME}** (env `SQLSERVER_OPENMETADATA_SERVICE`).

- Filters: the Airflow Variable `sqlserver_metadata_ingestion_filters`, a JSON object such as
  `{{"database_includes": ["^sales$"], "schema_includes": ["^dbo$"], "include_views": true}}`
  (keys as the operator's arguments); changes apply at the next run, no deploy.
- Kerberos: the task checks the ticket in `KRB5CCNAME` first and fails with principal,
  expiry and the fix (`kinit` on the host; is the sidecar up? `make kerberos-diagnose`).
""",
) as dag:
    MssqlMetadataIngestionOperator(
        task_id="harvest_sqlserver_schema",
        mssql_conn_id="sqlserver_kerberos",
        service_name=SERVICE_NAME,
        filters_variable="sqlserver_metadata_ingestion_filters",
        execution_timeout=timedelta(hours=1),
    )

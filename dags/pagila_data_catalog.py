"""pagila beyond schemas: the harvest, then profiles, data-quality tests, PII classification and
lineage and usage from PostgreSQL's query log, into OpenMetadata, daily; and, from git, the
governance of a few tables (owners, a domain, glossary terms, a contract on rental).

Order: metadata -> profiler -> data quality -> classification -> query-log lineage and usage;
metadata -> governance apply -> contract results (the harvested tables must exist first).
Each step reads what the one before wrote (profiles and tests need the harvested tables;
classification skips columns a person already tagged). Lineage and usage run even when
classification failed (its spaCy model may be missing from the image: that task says how to
install it), since they do not use its results.

Kept light on purpose: the operators import openmetadata-ingestion only when a task runs, and
the test cases YAML beside this file is checked with PyYAML alone.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG
from openmetadata_platform.operators.governance import (
    OpenMetadataContractValidationOperator,
    OpenMetadataGovernanceOperator,
)
from openmetadata_platform.operators.ingestion import (
    PostgresAutoClassificationOperator,
    PostgresDataQualityOperator,
    PostgresMetadataIngestionOperator,
    PostgresProfilerOperator,
    PostgresQueryLineageOperator,
    PostgresQueryUsageOperator,
)

# Configurable per deployment through the environment (read at parse time).
SERVICE_NAME = os.environ.get("PAGILA_OPENMETADATA_SERVICE", "pagila")
DATABASE = os.environ.get("PAGILA_DATABASE", "pagila")
SCHEMA = os.environ.get("PAGILA_SCHEMA", "public")
TEST_CASES = Path(__file__).with_name("pagila_data_quality.yaml")
# Owners, domain, glossary terms and rental's ODCS contract (docs/governance.md).
GOVERNANCE = Path(__file__).parent / "governance" / "pagila"
SOURCE = {"postgres_conn_id": "pagila_postgres", "service_name": SERVICE_NAME, "database": DATABASE}

with DAG(
    dag_id="pagila_data_catalog",
    description="pagila into OpenMetadata: schema, profiles, data quality, PII tags, query-log lineage and usage",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["openmetadata", "profiler", "data-quality", "pii", "lineage", "pagila"],
    default_args={"owner": "data-platform", "retries": 1, "retry_delay": timedelta(minutes=5)},
    doc_md=f"""
### pagila data catalog

From the Airflow connection `pagila_postgres` (database **{DATABASE}**, schema `{SCHEMA}`) into
the OpenMetadata DatabaseService **{SERVICE_NAME}** (connection `openmetadata_default`):

1. `harvest_schema`: tables, views, columns, keys;
2. `profile_tables`: row counts and column statistics (null, distinct, min/max...);
3. `run_quality_tests`: the test cases of `{TEST_CASES.name}` (OpenMetadata test definitions);
4. `classify_pii`: `PII.Sensitive` / `PII.NonSensitive` on columns, as suggestions (needs the
   spaCy model in the image: build arg `SPACY_MODEL_PACKAGE`);
5. `query_log_lineage`, `query_log_usage`: from `pg_stat_statements` (the database needs
   `shared_preload_libraries = pg_stat_statements` and `CREATE EXTENSION pg_stat_statements`);
6. `apply_governance` (after the harvest): `governance/pagila/` beside this DAG, with JSON
   Patch (a no-op when nothing changed): owners, the `Pagila` domain and glossary, the ODCS
   contract of `rental`;
7. `contract_results`: validates rental's contract on the server, which keeps the result per
   run (the table's Contract tab shows pass or fail).

Each task's XCom says what it wrote: tables profiled, tests passed/failed/aborted, columns tagged,
lineage edges, queries read. Environment: `PAGILA_OPENMETADATA_SERVICE`, `PAGILA_DATABASE`,
`PAGILA_SCHEMA`.
""",
) as dag:
    schema_only = {"schema_includes": [f"^{SCHEMA}$"]}
    harvest = PostgresMetadataIngestionOperator(
        task_id="harvest_schema", **SOURCE, **schema_only, execution_timeout=timedelta(minutes=30)
    )
    profile = PostgresProfilerOperator(
        task_id="profile_tables", **SOURCE, **schema_only, execution_timeout=timedelta(hours=2)
    )
    quality = PostgresDataQualityOperator(
        task_id="run_quality_tests",
        **SOURCE,
        schema=SCHEMA,
        test_cases_file=str(TEST_CASES),
        execution_timeout=timedelta(hours=1),
    )
    classify = PostgresAutoClassificationOperator(
        task_id="classify_pii", **SOURCE, **schema_only, execution_timeout=timedelta(hours=1)
    )
    lineage = PostgresQueryLineageOperator(
        task_id="query_log_lineage", **SOURCE, trigger_rule="all_done", execution_timeout=timedelta(hours=1)
    )
    usage = PostgresQueryUsageOperator(
        task_id="query_log_usage", **SOURCE, trigger_rule="all_done", execution_timeout=timedelta(hours=1)
    )
    harvest >> profile >> quality >> classify >> [lineage, usage]
    governance = OpenMetadataGovernanceOperator(
        task_id="apply_governance",
        governance_folder=str(GOVERNANCE),
        mode="apply",
        execution_timeout=timedelta(minutes=10),
    )
    contract_results = OpenMetadataContractValidationOperator(
        task_id="contract_results",
        governance_folder=str(GOVERNANCE),
        execution_timeout=timedelta(minutes=10),
    )
    harvest >> governance >> contract_results

"""Example ETL: customers from pagila to a staging table, then a customer mart.

Lineage needs no code for OpenMetadata: the provider's listener turns each task's
``inlets``/``outlets`` into table -> table edges (with the column lineage declared in
``om_table(..., columns=...)``) carrying this DAG's Pipeline, and reports the run's status.
The tables must exist in OpenMetadata (harvest them first); names are fully qualified:
``service.database.schema.table``.

The tasks only log what a real load would do, so the example runs anywhere.
"""

from __future__ import annotations

import logging
from datetime import datetime

from airflow.sdk import dag, task
from openmetadata_platform.lineage import om_table

SOURCE = "pagila.pagila.public.customer"
STAGING = "warehouse.analytics.staging.stg_customer"
MART = "warehouse.analytics.mart.dim_customer"

log = logging.getLogger(__name__)


@dag(
    dag_id="example_customer_etl",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["example", "openmetadata"],
    description="Customers from pagila to staging, then the customer mart (lineage example).",
    default_args={"owner": "data-platform", "retries": 1},
)
def example_customer_etl():
    @task(
        inlets=[om_table(SOURCE)],
        outlets=[
            om_table(
                STAGING,
                columns={
                    "customer_id": [f"{SOURCE}.customer_id"],
                    "full_name": [f"{SOURCE}.first_name", f"{SOURCE}.last_name"],
                    "email": [f"{SOURCE}.email"],
                },
            )
        ],
        doc_md="Copy active customers from pagila into staging, joining first and last name.",
    )
    def stage_customers():
        log.info(
            "INSERT INTO staging.stg_customer SELECT customer_id, first_name || ' ' || last_name, email "
            "FROM public.customer WHERE activebool"
        )

    @task(
        inlets=[om_table(STAGING)],
        outlets=[
            om_table(
                MART,
                columns={
                    "customer_key": [f"{STAGING}.customer_id"],
                    "full_name": [f"{STAGING}.full_name"],
                },
            )
        ],
        doc_md="Upsert the customer dimension from staging.",
    )
    def build_customer_mart():
        log.info("MERGE INTO mart.dim_customer USING staging.stg_customer ...")

    @task(doc_md="Tell consumers the mart is fresh.")
    def announce():
        log.info("dim_customer refreshed")

    stage_customers() >> build_customer_mart() >> announce()


example_customer_etl()

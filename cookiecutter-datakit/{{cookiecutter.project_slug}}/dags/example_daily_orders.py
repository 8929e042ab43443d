"""Example datakit DAG: build a daily orders summary, with its lineage declared.

Lineage is declared, not coded: each task that moves data lists the OpenMetadata tables it
reads (``inlets``) and writes (``outlets``) with ``om_table``. The platform provider's
listener turns every inlet x outlet pair into an OpenMetadata lineage edge when the task
succeeds, and keeps this DAG as a Pipeline entity. Nothing here imports
openmetadata-ingestion, so parsing this file stays as cheap as any small DAG.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from airflow.sdk import DAG, task
from openmetadata_platform.lineage import om_table

log = logging.getLogger(__name__)

# OpenMetadata fully qualified names (service.database.schema.table) of the tables this
# DAG reads and writes; replace them with yours (OpenMetadata UI: the table's page).
ORDERS = om_table("warehouse.sales.public.orders")
DAILY_ORDERS = om_table(
    "warehouse.sales.reporting.daily_orders",
    # Optional column lineage: target column -> fully qualified source columns.
    columns={"order_count": ["warehouse.sales.public.orders.order_id"]},
)

with DAG(
    dag_id="{{ cookiecutter.project_slug }}__example_daily_orders",
    description="Example: summarise yesterday's orders into reporting.daily_orders",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["{{ cookiecutter.project_slug }}", "example", "lineage"],
    owner_links={"{{ cookiecutter.dag_owner }}": "mailto:{{ cookiecutter.owner_email }}"},
    default_args={"owner": "{{ cookiecutter.dag_owner }}", "retries": 1, "retry_delay": timedelta(minutes=5)},
    doc_md=__doc__,
):

    @task(inlets=[ORDERS], outlets=[DAILY_ORDERS])
    def build_daily_orders(ds: str | None = None) -> dict:
        """Summarise the orders of day ``ds`` into the daily_orders table.

        Replace the body with the statement that really moves the data, for example
        ``SQLExecuteQueryOperator(task_id=..., conn_id=..., sql="INSERT INTO ... SELECT ...",
        inlets=[ORDERS], outlets=[DAILY_ORDERS])``; keep inlets/outlets in step with the
        tables it reads and writes, that is all the lineage needs.
        """
        log.info("Summarising orders of %s from %s into %s", ds, ORDERS.name, DAILY_ORDERS.name)
        return {"day": ds, "source": ORDERS.name, "target": DAILY_ORDERS.name}

    build_daily_orders()

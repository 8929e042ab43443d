"""Test DAG for the lineage listener on a real scheduler: parallel tasks, declared and
hook-reported lineage in one task, and a last task after all of them.

``extract_<n>`` run in parallel (their statuses must all reach the final PipelineStatus);
``load`` declares customer -> stg_customer and, through Airflow's hook lineage collector,
reports stg_customer -> dim_customer (the two edges must not cross).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task
from openmetadata_platform.lineage import om_table

SOURCE = "pagila.pagila.public.customer"
STAGING = "warehouse.analytics.staging.stg_customer"
MART = "warehouse.analytics.mart.dim_customer"
PARALLEL = 4


@dag(
    dag_id="lineage_parallel_etl",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["test"],
    default_args={"owner": "data-platform", "retries": 0},
    description="Parallel tasks with declared and hook-reported lineage (tests).",
)
def lineage_parallel_etl():
    @task
    def extract(n: int) -> int:
        return n

    @task(
        inlets=[om_table(SOURCE)],
        outlets=[om_table(STAGING, columns={"customer_id": [f"{SOURCE}.customer_id"]})],
    )
    def load(values: list[int]) -> int:
        from airflow.sdk import get_current_context
        from airflow.sdk.lineage import get_hook_lineage_collector

        me = get_current_context()["task"]
        collector = get_hook_lineage_collector()
        collector.add_input_asset(context=me, uri=om_table(STAGING).uri)
        collector.add_output_asset(context=me, uri=om_table(MART).uri)
        return sum(values)

    load([extract.override(task_id=f"extract_{n}")(n) for n in range(PARALLEL)])


lineage_parallel_etl()

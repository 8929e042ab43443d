"""Bench DAGs for the lineage listener (tests/bench_lineage.py): 20 trivial tasks each.

``lineage_bench_on`` is reported; ``lineage_bench_off`` is the same DAG excluded by
``[openmetadata_lineage] dag_deny_patterns`` (the bench sets ``*_off``), to compare against;
``lineage_bench_edges`` gives each task one declared edge. (Python tasks, not EmptyOperator:
the scheduler marks those successful without running a task process.)
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task
from openmetadata_platform.lineage import om_table

TASKS = 20
SOURCE = om_table("pagila.pagila.public.customer")
TARGET = om_table("warehouse.analytics.staging.stg_customer")


@task
def noop() -> None:
    """A trivial task: the listener's cost is all there is."""


for dag_id, lineage in (("lineage_bench_on", False), ("lineage_bench_off", False), ("lineage_bench_edges", True)):
    with DAG(dag_id, schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["bench"]):
        for n in range(TASKS):
            if lineage:
                noop.override(task_id=f"task_{n:02d}", inlets=[SOURCE], outlets=[TARGET])()
            else:
                noop.override(task_id=f"task_{n:02d}")()

"""Test DAG for the shared Airflow cluster: what a task process finds already imported.

``probe`` returns whether openmetadata-ingestion's workflow module was in ``sys.modules``
before the task imported anything (the forkserver preload) and the task's process id.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="cluster_probe", schedule=None, start_date=datetime(2024, 1, 1), catchup=False, tags=["test"])
def cluster_probe():
    @task
    def probe() -> dict:
        import os
        import sys

        return {"preloaded": "metadata.workflow.metadata" in sys.modules, "pid": os.getpid()}

    probe()


cluster_probe()

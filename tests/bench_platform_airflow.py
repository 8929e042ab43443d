"""Benchmark: the platform Airflow on a real scheduler (prints numbers; no pass/fail).

Run: ``.venv/bin/python -m tests.bench_platform_airflow`` (``make bench`` runs it). For a real
Airflow 3.3.2 (api-server, scheduler, dag-processor, LocalExecutor, PostgreSQL, FAB, the
platform's plugins) against the OpenMetadata stand-in and pagila, once with the image's
forkserver preload of openmetadata-ingestion and once without, it prints:

- deploy -> DAG known: the server's deploy of the pagila ingestion pipeline (managed APIs,
  through the Python port of ``AirflowRESTClient``) until Airflow's REST API knows the DAG;
- trigger -> task running: ``POST /dagRuns`` until the harvest task instance is ``running``;
- the harvest task's duration (the task instance's) of ``pagila_metadata_ingestion``.

The harvest against OpenMetadata's own CLI, measured alike (whole processes, interleaved), is
tests/bench_harvest.py's; this bench only shows what the worker start mode costs a task.

In three worker start modes (:data:`MODES`): the forkserver preload, plain fork, and spawn
(the import paid by every task), so the price of importing per task shows. The first run of
each is reported apart: it also pays the stand-in's own first imports of the table models.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests import conftest  # noqa: F401 - isolates AIRFLOW_HOME before airflow is imported

RUNS = 3
DAG_ID = "pagila_metadata_ingestion"
TASK_ID = "harvest_pagila_schema"


def _wait(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(interval)


def _task_state(cluster, run_id: str) -> str | None:
    tis = cluster.task_instances(DAG_ID, run_id)
    return next((ti["state"] for ti in tis if ti["task_id"] == TASK_ID), None)


# How the LocalExecutor starts its workers (``[scheduler] mp_start_method``), and what a task
# process therefore finds imported:
MODES = {
    # the image's setting: workers fork from a forkserver that preloaded openmetadata-ingestion
    "forkserver": ("with the forkserver preload (the image's setting)", True, {}),
    # Python < 3.14's default: workers fork from the scheduler, which imported openmetadata-ingestion
    # itself because the managed-APIs plugin does at load
    "fork": ("workers forked from the scheduler (no preload setting)", False, {}),
    # fresh workers: every task process imports openmetadata-ingestion (and the plugins) again
    "spawn": (
        "spawned workers (every task imports openmetadata-ingestion)",
        False,
        {"AIRFLOW__SCHEDULER__MP_START_METHOD": "spawn"},
    ),
}


def measure(mode: str, pagila, om_factory) -> dict:
    """Start a cluster in ``mode`` (:data:`MODES`) and time deploy, trigger and the harvest task."""
    from platform_bootstrap.local_postgres import free_port

    from tests.openmetadata_standin.ingestion_pipelines import deployable
    from tests.platform_airflow.conftest import create, metadata_pipeline_request, pagila_service_request
    from tests.support.airflow_cluster import AirflowCluster
    from tests.support.airflow_fixtures import link_dags
    from tests.support.airflow_rest_client import AirflowRESTClient

    base = Path(tempfile.mkdtemp(prefix="bench-platform-airflow-"))
    link_dags(base / "dags")
    with om_factory() as om:
        _label, preload, extra_env = MODES[mode]
        cluster = AirflowCluster(
            home=base / "home", dags_folder=base / "dags", postgres=pagila, preload=preload, port=free_port()
        )
        cluster.env = {
            "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps(
                {
                    "conn_type": "openmetadata",
                    "host": "127.0.0.1",
                    "port": om.port,
                    "schema": "http",
                    "password": om.token,
                }
            ),
            "AIRFLOW_CONN_PAGILA_POSTGRES": json.dumps(_pagila_connection(pagila)),
            **extra_env,
        }
        started = time.monotonic()
        cluster.start()
        start_seconds = time.monotonic() - started
        client = AirflowRESTClient(cluster.base_url, cluster.admin_user, cluster.admin_password)
        try:
            service = create(om, "services/databaseServices", pagila_service_request(pagila))
            pipeline = create(om, "services/ingestionPipelines", metadata_pipeline_request(service, "bench_pagila"))
            client.service_status()  # version detection, as the server does before its first call
            started = time.monotonic()
            client.deploy_pipeline(deployable(om, pipeline), "bench_pagila")
            _wait(lambda: cluster.api("GET", "dags/bench_pagila").status_code == 200, 300, "the deployed DAG")
            deploy_known = time.monotonic() - started
            cluster.wait_for_dag(DAG_ID)
            to_running, durations = [], []
            for _ in range(RUNS):
                om.reset()
                started = time.monotonic()
                run_id = cluster.trigger(DAG_ID)
                _wait(lambda run=run_id: _task_state(cluster, run) in ("running", "success", "failed"), 300, "the task")
                to_running.append(time.monotonic() - started)
                if cluster.wait_for_run(DAG_ID, run_id, timeout=600) != "success":
                    raise RuntimeError(cluster.task_log(DAG_ID, run_id, TASK_ID)[-3000:])
                ti = next(t for t in cluster.task_instances(DAG_ID, run_id) if t["task_id"] == TASK_ID)
                durations.append(float(ti["duration"]))
        finally:
            client.close()
            cluster.stop()
    return {
        "start": start_seconds,
        "deploy_known": deploy_known,
        "to_running": to_running,
        "durations": durations,
    }


def _pagila_connection(pagila) -> dict:
    return pagila.airflow_connection("pagila")


def main() -> None:
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    from tests.openmetadata_standin.server import StandInServer

    with ThrowawayPostgres() as pagila:
        load_pagila(pagila)
        for mode in MODES:
            numbers = measure(mode, pagila, StandInServer)
            task = statistics.median(numbers["durations"])
            label = MODES[mode][0]
            print(
                f"Platform Airflow, {label}: cluster start {numbers['start']:.1f} s; "
                f"deploy -> DAG known {numbers['deploy_known']:.1f} s; "
                f"trigger -> task running {statistics.median(numbers['to_running']):.1f} s "
                f"(first {numbers['to_running'][0]:.1f} s); harvest task {task:.2f} s "
                f"(runs: {', '.join(f'{d:.1f}' for d in numbers['durations'])}) [median of {RUNS}]",
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())

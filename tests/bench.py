"""`make bench`: numbers for the main job, printed (no pass/fail: targets are in the labels).

- DAG parse time: the pagila DAG file vs an empty DAG, each in a fresh interpreter with
  Airflow already imported (target: under 0.3 s more).
- Harvest wall time: ``airflow tasks test`` of the pagila task vs the bare
  ``metadata ingest -c`` CLI on the same workflow config (target: ratio under 1.15).
- Write requests per harvested table (target: bulk, well under 1).

Runs against the OpenMetadata stand-in and a throwaway PostgreSQL with pagila, so it needs
no server; extra benchmarks (e.g. the lineage listener's) are the ``tests/bench_*.py`` modules, each
run as ``python -m tests.bench_<area>``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DAG_FILE = REPO_ROOT / "dags" / "pagila_metadata_ingestion.py"
EMPTY_DAG = """
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
with DAG(dag_id="empty", schedule=None, start_date=datetime(2026, 1, 1)):
    EmptyOperator(task_id="noop")
"""
PARSE_PROBE = (
    "import sys, time, runpy; import airflow.sdk; "
    "from airflow.providers.standard.operators.empty import EmptyOperator; "
    "t = time.perf_counter(); runpy.run_path(sys.argv[1]); print(time.perf_counter() - t)"
)
REPEATS = 5


def parse_seconds(path: Path, env: dict) -> float:
    """Median seconds to execute a DAG file, each time in a new interpreter."""
    runs = []
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", PARSE_PROBE, str(path)], env=env, check=True, capture_output=True, text=True
        ).stdout
        runs.append(float(out.strip().splitlines()[-1]))
    return statistics.median(runs)


def timed(cmd: list[str], env: dict) -> float:
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


def main() -> None:
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    from tests.openmetadata_standin.server import StandInServer

    home = Path(tempfile.mkdtemp(prefix="bench-airflow-"))
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)

    empty = home / "empty_dag.py"
    empty.write_text(EMPTY_DAG)
    dag_s, empty_s = parse_seconds(DAG_FILE, env), parse_seconds(empty, env)
    print(
        f"DAG parse: pagila {dag_s * 1000:.0f} ms, empty DAG {empty_s * 1000:.0f} ms, "
        f"difference {(dag_s - empty_s) * 1000:.0f} ms (target < 300 ms) [median of {REPEATS}]"
    )

    with ThrowawayPostgres() as postgres:
        load_pagila(postgres)
        pg = postgres.airflow_connection("pagila")
        task_times, cli_times, writes_per_table = [], [], []
        for _ in range(3):
            with StandInServer() as om:
                run_env = {**env, **connections_env(om, pg)}
                task_times.append(
                    timed(
                        [
                            sys.executable,
                            "-m",
                            "airflow",
                            "tasks",
                            "test",
                            "pagila_metadata_ingestion",
                            "harvest_pagila_schema",
                        ],
                        run_env,
                    )
                )
                tables = len(om.entities("table"))
                writes = sum(
                    1
                    for r in om.requests
                    if r.method in ("PUT", "PATCH", "POST") and r.path.startswith("/api/v1/tables")
                )
                writes_per_table.append(writes / tables)
                all_writes = sum(1 for r in om.requests if r.method in ("PUT", "PATCH", "POST", "DELETE"))
            with StandInServer() as om:
                cli_times.append(_metadata_cli({**env, **connections_env(om, pg)}))
        operator_times, workflow_times = in_process_harvests(pg, env)
    task, cli = statistics.median(task_times), statistics.median(cli_times)
    op, bare = statistics.median(operator_times), statistics.median(workflow_times)
    print(
        f"Harvest wall time, in process (imports done): operator {op:.2f} s, bare MetadataWorkflow "
        f"(what `metadata ingest` runs) {bare:.2f} s, ratio {op / bare:.2f} (target < 1.15) "
        f"[median of 3, fresh server each]"
    )
    print(
        f"Harvest wall time, whole processes: `airflow tasks test` {task:.2f} s, `metadata ingest -c` "
        f"{cli:.2f} s, ratio {task / cli:.2f} (difference = Airflow's CLI and task-runner start-up)"
    )
    print(
        f"Write requests per table: {statistics.median(writes_per_table):.2f} for {tables} tables "
        f"(target well under 1); all write requests in one harvest: {all_writes}"
    )

    # Other areas' benchmarks, each in its own interpreter (they set up their own Airflow home).
    for module_path in sorted((REPO_ROOT / "tests").glob("bench_*.py")):
        subprocess.run(
            [sys.executable, "-m", f"tests.{module_path.stem}"],
            check=True,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )


HARVEST_PROBE = """
import json, os, sys, time
from metadata.workflow.metadata import MetadataWorkflow
import metadata.ingestion.source.database.postgres.metadata  # imported before the clock starts
from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator
operator = PostgresMetadataIngestionOperator(task_id="bench", postgres_conn_id="pagila_postgres",
    service_name="pagila", database="pagila", schema_includes=["^public$"])
started = time.perf_counter()
if sys.argv[1] == "operator":
    operator.execute(context={})
else:  # what `metadata ingest -c` runs
    workflow = MetadataWorkflow.create(operator.build_workflow_config())
    workflow.execute()
    workflow.stop()
    workflow.raise_from_status()
print(time.perf_counter() - started)
"""


def in_process_harvests(pg: dict, env: dict) -> tuple[list[float], list[float]]:
    """Alternate the operator and the bare workflow, each in a fresh interpreter whose
    imports are done before timing (openmetadata-ingestion keeps per-thread topology state
    in a process, so one harvest per process is what Airflow and the CLI do too)."""
    from tests.openmetadata_standin.server import StandInServer

    times: dict[str, list[float]] = {"operator": [], "workflow": []}
    for _ in range(3):
        for mode in times:
            with StandInServer() as om:
                result = subprocess.run(
                    [sys.executable, "-c", HARVEST_PROBE, mode],
                    check=False,
                    capture_output=True,
                    text=True,
                    env={**env, **connections_env(om, pg)},
                )
                if result.returncode != 0:
                    raise RuntimeError(f"{mode} harvest failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
                times[mode].append(float(result.stdout.strip().splitlines()[-1]))
    return times["operator"], times["workflow"]


def connections_env(om, pg: dict) -> dict[str, str]:
    """Airflow connection env vars for the stand-in ``om`` and the pagila PostgreSQL ``pg``."""
    return {
        "AIRFLOW_CONN_PAGILA_POSTGRES": json.dumps(pg),
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps(
            {"conn_type": "openmetadata", "host": "127.0.0.1", "port": om.port, "schema": "http", "password": om.token}
        ),
    }


def _metadata_cli(env: dict) -> float:
    """Time ``metadata ingest -c`` on the same workflow config the operator builds."""
    from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

    os.environ.update({k: v for k, v in env.items() if k.startswith("AIRFLOW_CONN_")})
    operator = PostgresMetadataIngestionOperator(
        task_id="bench",
        postgres_conn_id="pagila_postgres",
        service_name="pagila",
        database="pagila",
        schema_includes=["^public$"],
    )
    config = operator.build_workflow_config()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        os.chmod(fh.name, 0o600)  # it holds the JWT and the database password
        json.dump(config, fh)
    try:
        return timed([str(Path(sys.executable).parent / "metadata"), "ingest", "-c", fh.name], env)
    finally:
        os.unlink(fh.name)


if __name__ == "__main__":
    main()

"""`make bench`: numbers for the main job, printed (no pass/fail: targets are in the labels).

- DAG parse time: the pagila DAG file vs an empty DAG, each in a fresh interpreter with
  Airflow already imported (target: under 0.3 s more).
- Then every ``tests/bench_*.py`` module, each as ``python -m tests.bench_<area>`` (with the
  arguments of :data:`MODULE_ARGUMENTS`), first tests/bench_harvest.py: the pagila harvest,
  then the profiler on pagila, as whole processes, interleaved, on a real Airflow scheduler,
  under ``airflow tasks test``, with OpenMetadata's CLI as shipped and with our upstream fixes
  (wall, time in the workflow, peak RSS, requests and writes per table, same entities or
  profiles or not).

Runs against the OpenMetadata stand-in and throwaway PostgreSQL servers, so it needs no server.
``python -m tests.bench [--rounds N]`` (default ``$BENCH_ROUNDS`` or 3): the rounds of the
benchmarks that take them (``$BENCH_ROUNDS`` in their environment).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
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
# Arguments of the bench modules that take some (the others run without).
MODULE_ARGUMENTS = {"bench_harvest": ["--workload", "all"]}


def parse_seconds(path: Path, env: dict) -> float:
    """Median seconds to execute a DAG file, each time in a new interpreter."""
    runs = []
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", PARSE_PROBE, str(path)], env=env, check=True, capture_output=True, text=True
        ).stdout
        runs.append(float(out.strip().splitlines()[-1]))
    return statistics.median(runs)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS") or 3))
    args = parser.parse_args()
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

    # Other areas' benchmarks, each in its own interpreter (they set up their own Airflow home).
    for module_path in sorted((REPO_ROOT / "tests").glob("bench_*.py")):
        subprocess.run(
            [sys.executable, "-m", f"tests.{module_path.stem}", *MODULE_ARGUMENTS.get(module_path.stem, [])],
            check=True,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "BENCH_ROUNDS": str(args.rounds)},
        )


def connections_env(om, pg: dict) -> dict[str, str]:
    """Airflow connection env vars for the stand-in ``om`` and the pagila PostgreSQL ``pg``."""
    return {
        "AIRFLOW_CONN_PAGILA_POSTGRES": json.dumps(pg),
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps(
            {"conn_type": "openmetadata", "host": "127.0.0.1", "port": om.port, "schema": "http", "password": om.token}
        ),
    }


if __name__ == "__main__":
    main()

"""Benchmark: per-task overhead of the OpenMetadata lineage listener (prints numbers).

Run: ``.venv/bin/python -m tests.bench_lineage``. Uses the example ETL DAG (3 tasks) in
``dag.test()`` against the stand-in. Reports:

- listener time per task (running + success hooks, measured around the hooks), median
  and max, with the server up and with it down (connection refused, then back-off);
- DAG wall time per task with the listener on vs off, for trivial tasks and 1 s tasks
  (targets: < 50 ms median for a trivial task, < 5 % for a 1 s task).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from tests import conftest  # isolates AIRFLOW_HOME before airflow is imported

RUNS = 5


def _timed_hooks(samples: list[float]):
    import importlib

    module = importlib.import_module("openmetadata_platform.plugins.listener")

    original = module.report_task
    per_task: dict[tuple, float] = {}

    def timed(ti, state, *, with_lineage):
        started = time.perf_counter()
        try:
            return original(ti, state, with_lineage=with_lineage)
        finally:
            key = (ti.run_id, ti.task_id)
            per_task[key] = per_task.get(key, 0.0) + time.perf_counter() - started
            if with_lineage:
                samples.append(per_task.pop(key))

    module.report_task = timed
    return lambda: setattr(module, "report_task", original)


def _run(dag, runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        assert dag.dag_id and dag.test().state == "success"
        walls.append((time.perf_counter() - started) / len(dag.tasks))
    return walls


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"


def main() -> None:
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    from openmetadata_platform.lineage import emitter

    from tests.lineage.conftest import TABLES
    from tests.openmetadata_standin.seed import create_tables
    from tests.openmetadata_standin.server import StandInServer
    from tests.support.postgres import free_port

    os.environ["AIRFLOW__OPENMETADATA_LINEAGE__TIMEOUT"] = "3"
    tempfile.tempdir = tempfile.mkdtemp(prefix="bench-lineage-")  # fresh back-off state
    dag = conftest.load_dag("example_customer_etl.py", "example_customer_etl")
    for task in dag.tasks:
        task.retries = 0
    trivial = {t.task_id: t.python_callable for t in dag.tasks}

    def set_sleep(seconds: float) -> None:
        for task in dag.tasks:
            task.python_callable = (lambda s=seconds: time.sleep(s)) if seconds else trivial[task.task_id]

    with StandInServer() as server:
        create_tables(server, TABLES)
        os.environ["AIRFLOW_CONN_OPENMETADATA_DEFAULT"] = json.dumps(
            dict(conn_type="openmetadata", host="127.0.0.1", port=server.port, schema="http", password=server.token)
        )
        _run(dag, 1)  # warm-up: imports, first pipeline PUT
        results = {}
        for label, seconds in (("trivial", 0.0), ("1 s", 1.0)):
            set_sleep(seconds)
            runs = RUNS if seconds == 0 else 2
            os.environ["AIRFLOW__OPENMETADATA_LINEAGE__ENABLED"] = "False"
            off = _run(dag, runs)
            os.environ["AIRFLOW__OPENMETADATA_LINEAGE__ENABLED"] = "True"
            samples: list[float] = []
            restore = _timed_hooks(samples)
            on = _run(dag, runs)
            restore()
            results[label] = (off, on, samples)
        set_sleep(0)
        os.environ["AIRFLOW_CONN_OPENMETADATA_DEFAULT"] = json.dumps(
            dict(conn_type="openmetadata", host="127.0.0.1", port=free_port(), schema="http", password="x")
        )
        emitter._pipelines.clear()
        down: list[float] = []
        restore = _timed_hooks(down)
        down_walls = _run(dag, RUNS)
        restore()

    print("OpenMetadata lineage listener overhead (example_customer_etl, dag.test(), stand-in server)")
    for label, (off, on, samples) in results.items():
        off_m, on_m = statistics.median(off), statistics.median(on)
        print(
            f"  {label:7} task: listener hooks {_ms(samples)} | wall/task off {off_m * 1000:7.1f} ms, "
            f"on {on_m * 1000:7.1f} ms, delta {(on_m - off_m) * 1000:+6.1f} ms ({(on_m / off_m - 1) * 100:+5.1f} %)"
        )
    print(
        f"  server down:  listener hooks {_ms(down)} | wall/task {statistics.median(down_walls) * 1000:7.1f} ms"
        " (first call refused, then back-off)"
    )


if __name__ == "__main__":
    main()

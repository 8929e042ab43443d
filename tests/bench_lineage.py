"""Benchmark: the lineage listener on a real Airflow, the way production runs it (prints numbers).

Run: ``.venv/bin/python -m tests.bench_lineage`` (``make bench`` runs it too). One Airflow
(api-server, scheduler, dag-processor; LocalExecutor task processes, forkserver preload as
in the platform image) against the OpenMetadata stand-in. Reported:

- median task duration (Airflow's own start/end) of 20 trivial tasks, lineage on vs off
  (``lineage_bench_off`` is excluded by ``dag_deny_patterns``); goal <= +20 ms;
- requests per task: everything the stand-in received for a DAG run, divided by its tasks
  (trivial tasks, and tasks with one declared edge each); goal <= 2;
- scheduler hook time per DAG run with a server answering in 2 s (the listener logs each
  hand-over with ``log_hook_timing``); goal < 10 ms;
- DAG-run end -> final status stored, healthy (goal < 2 s) and after an outage (the run ends
  while the server refuses connections; measured from the server's return; goal within one
  ``flush_interval``).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DAGS = REPO_ROOT / "tests" / "bench_dags"
RUNS = 3
FLUSH_INTERVAL = 5.0
BACKOFF = 3.0


def _durations(cluster, dag_id: str, run_id: str) -> list[float]:
    return [ti["duration"] for ti in cluster.task_instances(dag_id, run_id) if ti.get("duration") is not None]


def _run(cluster, dag_id: str) -> tuple[str, float]:
    run_id = cluster.trigger(dag_id)
    state = cluster.wait_for_run(dag_id, run_id, timeout=600)
    assert state == "success", (dag_id, state, cluster.log_tails())
    end = cluster.api("GET", f"dags/{dag_id}/dagRuns/{run_id}").json()["end_date"]
    return run_id, datetime.fromisoformat(end).timestamp()


def _final_stored_at(server, dag_id: str, run_id: str, timeout: float = 120.0) -> float | None:
    deadline = time.monotonic() + timeout
    path = f"/api/v1/pipelines/airflow.{dag_id}/status"
    while time.monotonic() < deadline:
        for request in list(server.requests):
            body = request.body if isinstance(request.body, dict) else {}
            if (
                (request.method, request.path, request.status) == ("PUT", path, 200)
                and body.get("executionId") == run_id
                and body.get("executionStatus") != "Pending"
            ):
                return request.at
        time.sleep(0.1)
    return None


def main() -> None:
    from platform_bootstrap.local_postgres import free_port

    from tests.lineage.conftest import TABLES
    from tests.openmetadata_standin.seed import create_tables
    from tests.openmetadata_standin.server import StandInServer
    from tests.support.airflow_cluster import AirflowCluster

    base = Path(tempfile.mkdtemp(prefix="bench-lineage-"))
    dags = base / "dags"
    dags.mkdir()
    for source in BENCH_DAGS.glob("*.py"):
        (dags / source.name).symlink_to(source)
    with StandInServer() as server:
        create_tables(server, TABLES)
        cluster = AirflowCluster(
            home=base / "home",
            dags_folder=dags,
            port=free_port(),
            env={
                "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps(
                    {
                        "conn_type": "openmetadata",
                        "host": "127.0.0.1",
                        "port": server.port,
                        "schema": "http",
                        "password": server.token,
                    }
                ),
                "AIRFLOW__OPENMETADATA_LINEAGE__DAG_DENY_PATTERNS": "*_off",
                "AIRFLOW__OPENMETADATA_LINEAGE__LOG_HOOK_TIMING": "True",
                "AIRFLOW__OPENMETADATA_LINEAGE__FLUSH_INTERVAL": str(FLUSH_INTERVAL),
                "AIRFLOW__OPENMETADATA_LINEAGE__BACKOFF_SECONDS": str(BACKOFF),
                "AIRFLOW__OPENMETADATA_LINEAGE__STATUS_INTERVAL": "0",
            },
        )
        cluster.start()
        try:
            for dag_id in ("lineage_bench_on", "lineage_bench_off", "lineage_bench_edges"):
                cluster.wait_for_dag(dag_id)
                _run(cluster, dag_id)  # warm-up: first Pipeline PUT, host cache, forkserver
            durations: dict[str, list[float]] = {"lineage_bench_on": [], "lineage_bench_off": []}
            requests: dict[str, list[float]] = {"lineage_bench_on": [], "lineage_bench_edges": []}
            to_final: list[float] = []
            for _ in range(RUNS):
                for dag_id in ("lineage_bench_off", "lineage_bench_on", "lineage_bench_edges"):
                    before = len(server.requests)
                    run_id, ended = _run(cluster, dag_id)
                    if dag_id in durations:
                        durations[dag_id].extend(_durations(cluster, dag_id, run_id))
                    if dag_id != "lineage_bench_off":
                        stored = _final_stored_at(server, dag_id, run_id)
                        to_final.append(stored - ended if stored else float("nan"))
                        requests[dag_id].append((len(server.requests) - before) / 20)

            log = cluster.process_log("scheduler")
            seen = len(re.findall(r"handed over in", log.read_text()))
            server.inject(delay=2)
            slow_runs = [cluster.trigger("lineage_bench_on") for _ in range(3)]
            for run_id in slow_runs:
                assert cluster.wait_for_run("lineage_bench_on", run_id, timeout=600) == "success"
            server.heal()
            hooks = [float(ms) for ms in re.findall(r"handed over in ([0-9.]+) ms", log.read_text())][seen:]

            server.stop()  # an outage: the run ends while connections are refused
            run_id, ended = _run(cluster, "lineage_bench_on")
            time.sleep(BACKOFF + 1)
            server.start()
            back = time.time()
            stored = _final_stored_at(server, "lineage_bench_on", run_id, timeout=120)
        finally:
            cluster.stop()
    shutil.rmtree(base, ignore_errors=True)

    off, on = statistics.median(durations["lineage_bench_off"]), statistics.median(durations["lineage_bench_on"])
    print("OpenMetadata lineage listener on a real Airflow (LocalExecutor task processes, stand-in server)")
    print(
        f"  task duration (20 trivial tasks x {RUNS} runs): lineage off {off * 1000:.0f} ms, on {on * 1000:.0f} ms, "
        f"delta {(on - off) * 1000:+.0f} ms (goal <= +20 ms)"
    )
    print(
        f"  requests per task: trivial {statistics.median(requests['lineage_bench_on']):.2f}, "
        f"one edge each {statistics.median(requests['lineage_bench_edges']):.2f} (goal <= 2; scheduler's included)"
    )
    print(
        f"  scheduler hook time per DAG-run event, server at 2 s per call: median {statistics.median(hooks):.2f} ms, "
        f"max {max(hooks):.2f} ms over {len(hooks)} events (goal < 10 ms)"
    )
    print(
        f"  DAG-run end -> final status stored, healthy: median {statistics.median(to_final):.2f} s, "
        f"max {max(to_final):.2f} s (goal < 2 s)"
    )
    after = f"{stored - back:.2f} s" if stored else "not within 120 s"
    print(f"  after an outage: server back -> final status stored {after} (flush_interval {FLUSH_INTERVAL:g} s)")


if __name__ == "__main__":
    main()

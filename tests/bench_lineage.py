"""Benchmark: the lineage listener on a real Airflow, the way production runs it (prints numbers).

Run: ``.venv/bin/python -m tests.bench_lineage`` (``make bench`` runs it too). One Airflow
(api-server, scheduler, dag-processor; LocalExecutor task processes, forkserver preload as
in the platform image) against the OpenMetadata stand-in, with the DEFAULT ``backoff_seconds``
(60) and ``flush_interval`` (30). Reported, as a user would feel them:

- a task's end, three ways, for lineage off vs on (trivial tasks), one edge each with a
  healthy server, and the same with a server that hangs (goal: at most +100 ms, the
  ``task_end_budget``): the task's code returned -> ``finalize()`` done (the listener's hooks
  and end-of-task flush included; from the task's log lines); the end time Airflow records
  for the task (before ``finalize()``) -> the supervisor's ``Workload finished`` (the task
  process has exited; Airflow's supervisor adds ~5 s to some tasks whatever the listener
  does); and the workload's whole wall time (fork, parse, run, finalize, exit);
- requests per task (goal <= 2; the scheduler's included);
- scheduler hook time per DAG-run event (the listener logs each hand-over with
  ``log_hook_timing``), p50/p99/max over every event, runs started together to load the
  2 cores, part of them against a server at 2 s per call (goal p99 < 10 ms);
- DAG-run end -> final status stored, healthy (goal < 2 s);
- recovery: server back -> every final status stored, after a hang and after an outage
  (refused connections) that ends a few seconds after the run, while the host still backs
  off (goal: within one ``flush_interval``, 30 s).

To compare with another version of the provider, put it first on ``PYTHONPATH`` (the
cluster's processes inherit it): ``PYTHONPATH=/tmp/old .venv/bin/python -m tests.bench_lineage``.
"""

from __future__ import annotations

import json
import math
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
TOGETHER = 4  # runs started at once to load the machine
RESTORE_AFTER = 5.0  # seconds after the run's end the server comes back from an outage
FLUSH_INTERVAL = 30.0  # the default; the bench leaves it (and backoff_seconds) alone
# the supervisor's line, e.g. "Workload finished [supervisor] duration=0.18 ... workload_id=01a2..."
TI_ID = re.compile(r"ti_id=([0-9a-f-]{36})")
WORKLOAD_ID = re.compile(r"workload_id\W+([0-9a-f-]{36})")
DURATION = re.compile(r"duration\W+([0-9.]+(?:e-?[0-9]+)?)")


def _run(cluster, dag_id: str) -> tuple[str, float]:
    run_id = cluster.trigger(dag_id)
    state = cluster.wait_for_run(dag_id, run_id, timeout=600)
    assert state == "success", (dag_id, state, cluster.log_tails())
    return run_id, _ended(cluster, dag_id, run_id)


def _ended(cluster, dag_id: str, run_id: str) -> float:
    end = cluster.api("GET", f"dags/{dag_id}/dagRuns/{run_id}").json()["end_date"]
    return datetime.fromisoformat(end).timestamp()


def _final_stored_at(server, dag_id: str, run_id: str, timeout: float = 150.0) -> float | None:
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


def _workloads(cluster) -> dict[str, tuple[float, float]]:
    """Task instance id -> (seconds of its supervisor workload, epoch seconds it ended), from
    every ``Workload finished`` line."""
    found = {}
    for path in cluster.process_log_dir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if "Workload finished" in line and (ti_id := WORKLOAD_ID.search(line)) and (took := DURATION.search(line)):
                ended = datetime.fromisoformat(line.split()[0]).timestamp()
                found[ti_id.group(1)] = (float(took.group(1)), ended)
    return found


def _finalize_spans(cluster) -> dict[str, float]:
    """Task instance id -> seconds from ``::group::Post Execute`` (the task's code returned) to
    its last ``::endgroup::`` (the end of ``finalize()``, after the listener's ``before_stopping``),
    from the task log lines the supervisor copies into the scheduler's log."""
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    for line in cluster.process_log("scheduler").read_text(errors="replace").splitlines():
        if ("::group::Post Execute" in line or "::endgroup::" in line) and (ti_id := TI_ID.search(line)):
            parts = line.split()
            try:
                at = datetime.fromisoformat(f"{parts[0]}T{parts[1]}").timestamp()
            except (ValueError, IndexError):
                continue
            if "::group::Post Execute" in line:
                started[ti_id.group(1)] = at
            elif ti_id.group(1) in started:
                ended[ti_id.group(1)] = at
    return {ti_id: ended[ti_id] - started[ti_id] for ti_id in ended}


def _task_seconds(cluster, dag_id: str, run_ids: list[str]) -> tuple[list[float], list[float], list[float]]:
    """Per task: the workload's wall time, and its end lag: from the end time Airflow records
    for the task (before ``finalize()``) to the end of the supervisor's workload (the task
    process has exited), i.e. what the task's end (the listener's included) adds."""
    tis = [ti for run_id in run_ids for ti in cluster.task_instances(dag_id, run_id)]
    deadline = time.monotonic() + 30
    while True:  # the worker logs its line just after the task's state is stored
        found = _workloads(cluster)
        if all(ti["id"] in found for ti in tis) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    walls, lags = [], []
    for ti in tis:
        if ti["id"] in found and ti.get("end_date"):
            wall, ended = found[ti["id"]]
            walls.append(wall)
            lags.append(ended - datetime.fromisoformat(ti["end_date"]).timestamp())
    spans = _finalize_spans(cluster)
    return walls, lags, [spans[ti["id"]] for ti in tis if ti["id"] in spans]


def _hook_ms(cluster) -> list[float]:
    return [
        float(ms) for ms in re.findall(r"handed over in ([0-9.]+) ms", cluster.process_log("scheduler").read_text())
    ]


def _recovery(server, runs: list[tuple[str, str]], back: float) -> float | None:
    """Seconds from ``back`` until the last of ``runs``' final statuses was stored (None: not in time)."""
    stored = [_final_stored_at(server, dag_id, run_id) for dag_id, run_id in runs]
    return None if None in stored else max(stored) - back


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _ms(values: list[float]) -> str:
    if not values:
        return "no data"
    return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms (n={len(values)})"


def _ms_p(values: list[float]) -> str:
    if not values:
        return "no data"
    return (
        f"p50 {_pct(values, 0.5) * 1000:.0f} ms, p90 {_pct(values, 0.9) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms (n={len(values)})"
    )


def main() -> None:
    from platform_bootstrap.local_postgres import free_port

    from tests.lineage.conftest import TABLES
    from tests.openmetadata_standin.seed import create_tables
    from tests.openmetadata_standin.server import StandInServer
    from tests.support.airflow_cluster import AirflowCluster

    base = Path(tempfile.mkdtemp(prefix="bench-lineage-"))
    dags = base / "dags"
    dags.mkdir()
    for source in BENCH_DAGS.glob("lineage_*.py"):
        (dags / source.name).symlink_to(source)
    results: dict[str, object] = {}
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
                "AIRFLOW__OPENMETADATA_LINEAGE__STATUS_INTERVAL": "0",
            },
        )
        cluster.start()
        try:
            for dag_id in ("lineage_bench_on", "lineage_bench_off", "lineage_bench_edges"):
                cluster.wait_for_dag(dag_id)
                _run(cluster, dag_id)  # warm-up: first Pipeline PUT, host cache, forkserver
            hooks_seen = len(_hook_ms(cluster))

            # healthy server, one run at a time
            runs: dict[str, list[str]] = {"lineage_bench_on": [], "lineage_bench_off": [], "lineage_bench_edges": []}
            requests: dict[str, list[float]] = {"lineage_bench_on": [], "lineage_bench_edges": []}
            to_final: list[float] = []
            for _ in range(RUNS):
                for dag_id in runs:
                    before = len(server.requests)
                    run_id, ended = _run(cluster, dag_id)
                    runs[dag_id].append(run_id)
                    if dag_id != "lineage_bench_off":
                        stored = _final_stored_at(server, dag_id, run_id)
                        to_final.append(stored - ended if stored else float("nan"))
                        requests[dag_id].append((len(server.requests) - before) / 20)
            results["tasks"] = {dag_id: _task_seconds(cluster, dag_id, ids) for dag_id, ids in runs.items()}
            results["requests"] = requests
            results["to_final"] = to_final

            # healthy server, runs started together (load)
            together = [cluster.trigger("lineage_bench_on") for _ in range(TOGETHER)]
            for run_id in together:
                assert cluster.wait_for_run("lineage_bench_on", run_id, timeout=600) == "success"

            # a server that hangs: every task with an edge ends while its call hangs
            hang = server.inject(delay=60, serve=False)
            run_id, _ = _run(cluster, "lineage_bench_edges")
            results["tasks_hanging"] = _task_seconds(cluster, "lineage_bench_edges", [run_id])
            server.heal(hang)
            back = time.time()
            results["recovery_hang"] = _recovery(server, [("lineage_bench_edges", run_id)], back)

            # a slow server (2 s per call) while runs start together: hooks must not wait
            slow = server.inject(delay=2)
            slow_runs = [cluster.trigger("lineage_bench_on") for _ in range(TOGETHER)]
            for run_id in slow_runs:
                assert cluster.wait_for_run("lineage_bench_on", run_id, timeout=600) == "success"
            server.heal(slow)
            back = time.time()
            results["recovery_slow"] = _recovery(server, [("lineage_bench_on", r) for r in slow_runs], back)
            results["hooks"] = _hook_ms(cluster)[hooks_seen:]

            # an outage (connections refused) that ends RESTORE_AFTER s after the run
            server.stop()
            run_id, ended = _run(cluster, "lineage_bench_on")
            time.sleep(max(0.0, ended + RESTORE_AFTER - time.time()))
            server.start()
            back = time.time()
            results["recovery_outage"] = _recovery(server, [("lineage_bench_on", run_id)], back)
        finally:
            cluster.stop()
    shutil.rmtree(base, ignore_errors=True)
    report(results)


def report(results: dict) -> None:
    tasks = results["tasks"]
    walls = {dag_id: t[0] for dag_id, t in tasks.items()}
    lags = {dag_id: t[1] for dag_id, t in tasks.items()}
    spans = {dag_id: t[2] for dag_id, t in tasks.items()}
    hanging = results["tasks_hanging"]
    hooks = results["hooks"]

    def seconds(value) -> str:
        return "not within 150 s" if value is None else f"{value:.1f} s"

    print("OpenMetadata lineage listener on a real Airflow (LocalExecutor, stand-in server, default back-off 60 s")
    print(f"and flush_interval {FLUSH_INTERVAL:g} s)")
    print("  task end, the task's code returned -> finalize() done (listener and its end-of-task flush included):")
    for label, values in (
        ("lineage off, trivial:         ", spans["lineage_bench_off"]),
        ("lineage on, trivial:          ", spans["lineage_bench_on"]),
        ("one edge each, healthy server:", spans["lineage_bench_edges"]),
        ("one edge each, hanging server:", hanging[2]),
    ):
        print(f"    {label} {_ms_p(values)}")
    print("  task end, Airflow's recorded end -> task process gone (supervisor's view; Airflow adds ~5 s to some):")
    for label, values in (
        ("lineage off, trivial:         ", lags["lineage_bench_off"]),
        ("lineage on, trivial:          ", lags["lineage_bench_on"]),
        ("one edge each, healthy server:", lags["lineage_bench_edges"]),
        ("one edge each, hanging server:", hanging[1]),
    ):
        print(f"    {label} {_ms_p(values)}")
    print("  task wall time end to end (supervisor workload: fork, parse, run, finalize, exit):")
    for label, values in (
        ("lineage off, trivial:         ", walls["lineage_bench_off"]),
        ("lineage on, trivial:          ", walls["lineage_bench_on"]),
        ("one edge each, healthy server:", walls["lineage_bench_edges"]),
        ("one edge each, hanging server:", hanging[0]),
    ):
        print(f"    {label} {_ms(values)}")
    print(
        f"  requests per task: trivial {statistics.median(results['requests']['lineage_bench_on']):.2f}, "
        f"one edge each {statistics.median(results['requests']['lineage_bench_edges']):.2f} (goal <= 2)"
    )
    if hooks:
        print(
            f"  scheduler hook per DAG-run event (healthy and 2 s server, {TOGETHER} runs at once): "
            f"p50 {_pct(hooks, 0.5):.2f} ms, p99 {_pct(hooks, 0.99):.2f} ms, max {max(hooks):.2f} ms, "
            f"n={len(hooks)} (goal p99 < 10 ms)"
        )
    to_final = results["to_final"]
    print(
        f"  DAG-run end -> final status stored, healthy: median {statistics.median(to_final):.2f} s, "
        f"max {max(to_final):.2f} s (goal < 2 s)"
    )
    print("  recovery, server back -> every final status stored (goal <= one flush_interval):")
    print(f"    after a hang: {seconds(results['recovery_hang'])}")
    print(f"    after a slow server (2 s per call): {seconds(results['recovery_slow'])}")
    print(f"    after an outage ending {RESTORE_AFTER:g} s after the run: {seconds(results['recovery_outage'])}")


if __name__ == "__main__":
    main()

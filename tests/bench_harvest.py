"""The harvest as users run it: four sides as whole processes, interleaved, measured alike.

Issue 21, item 1; run by `make bench` on pagila and by `make bench-scale` (tests/scale_bench.py)
on synthetic catalogs.

Every figure is a whole process, timed from outside, one harvest into an emptied OpenMetadata
stand-in (every run creates, none updates), the sides interleaved per round (a b c d, a b c d...):

- (a) the harvest DAG's task on a real Airflow (tests/support/airflow_cluster.py: api-server,
  scheduler, dag-processor, LocalExecutor with the platform image's forkserver preload), from
  the trigger (``POST dagRuns``) to the task instance's end; Airflow itself is started once,
  before the rounds, as on the platform, and runs the task once uncounted (its first task also
  forks the executor's workers);
- (b) ``airflow tasks test`` of that task (a developer's loop; SQLite home, the repository's
  dags folder);
- (c) ``metadata ingest -c`` as shipped, on the config the DAG's task builds;
- (d) the same CLI after ``upstream_fixes.apply("metadata")``, the fixes our operator applies
  (tests/workflow_bench_probe.py, mode ``cli``).

Each side also gives: the time inside the workflow (the operator's summary line in the task
log; the CLI's "Workflow finished in time"), CPU seconds and peak RSS of the process (``wait4``;
for (a) ``VmHWM`` of the task process and the CPU of the processes the executor started for the
task, sampled every 0.2 s while they run), requests and
write requests per table the stand-in recorded, and whether the entities written (services,
databases, schemas, tables; ids, timestamps and versions left out) are identical to those of
(c) in the first round. The load average is read before each run.

Usage: ``python -m tests.bench_harvest [--rounds 3] [--sides abcd] [--tables N]`` (``--tables``:
a synthetic catalog of N tables, tests/scale_catalog.py, instead of pagila); ``$BENCH_ROUNDS``
sets the default number of rounds. The lineage listener is off on every side: only the harvest's
requests are counted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DAG_FILE = REPO_ROOT / "dags" / "pagila_metadata_ingestion.py"
DAG_ID, TASK_ID = "pagila_metadata_ingestion", "harvest_pagila_schema"
CLI = str(Path(sys.executable).parent / "metadata")
SIDES = {
    "a": "(a) Airflow scheduler task",
    "b": "(b) airflow tasks test",
    "c": "(c) metadata ingest -c",
    "d": "(d) metadata CLI + fixes",
}
ENTITY_TYPES = ("databaseService", "database", "databaseSchema", "table")
WRITES = ("PUT", "PATCH", "POST", "DELETE")
# The config the DAG's task runs, built by the task itself (so (c) and (d) run exactly that).
DAG_CONFIG_PROBE = """
import json, runpy, sys
task = runpy.run_path(sys.argv[1])["dag"].get_task(sys.argv[2])
config = task.build_workflow_config()
print(json.dumps(task.adjust_config(config) if hasattr(task, "adjust_config") else config))
"""


@dataclass
class Catalog:
    """What to harvest: ``database`` on the bench's PostgreSQL, its ``schemas``; the service is
    named after the database. ``tables`` is how many tables the source has (for the label)."""

    database: str
    schemas: list[str]
    tables: int = 0

    def dag_env(self) -> dict[str, str]:
        """The harvest DAG's settings (read when its file is parsed) for this catalog."""
        return {
            "PAGILA_OPENMETADATA_SERVICE": self.database,
            "PAGILA_DATABASE": self.database,
            "PAGILA_SCHEMAS": ",".join(self.schemas),
        }


@dataclass
class Measurement:
    """One side's run; ``None`` where a figure could not be read."""

    side: str
    wall: float
    workflow: float | None
    cpu: float | None
    rss_mib: float | None
    requests: int
    writes: int
    tables: int
    load: float
    digests: dict[str, str] = field(repr=False, default_factory=dict)
    start_latency: float | None = None  # (a): trigger to task start


def spread(values) -> tuple[float, float, float] | None:
    """(min, median, max) of the values that are not ``None``; ``None`` when there are none."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return min(present), statistics.median(present), max(present)


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: columns as wide as their widest cell, the first left-aligned, the
    others right-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells) -> str:
        return "  ".join(
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), line("-" * w for w in widths), *(line(row) for row in rows)])


def cli_duration(text: str) -> float | None:
    """Seconds from the CLI's ``Workflow finished in time: 1m 02s 345.000ms`` line (OpenMetadata's
    ``pretty_print_time_duration``), ``None`` when absent."""
    found = re.search(r"Workflow finished in time: ([^\n\x1b]+)", text)
    if not found:
        return None
    units = {"day(s)": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(day\(s\)|ms|h|m|s)\b", found.group(1)))


def operator_duration(text: str) -> float | None:
    """Seconds from our operator's summary line (``... failures in 12.3 s``), ``None`` when absent."""
    found = re.findall(r"failures in ([\d.]+) s", text)
    return float(found[-1]) if found else None


def entity_digests(om) -> dict[str, str]:
    """``kind:FQN`` -> digest of the entity as stored, without what differs between any two runs."""
    from tests.workflows.fixes_probe import normalise

    return {
        f"{kind}:{entity['fullyQualifiedName']}": hashlib.sha256(
            json.dumps(normalise(entity), sort_keys=True).encode()
        ).hexdigest()
        for kind in ENTITY_TYPES
        for entity in om.entities(kind)
    }


def run_measured(cmd: list[str], env: dict, cwd: Path = REPO_ROOT) -> tuple[float, float, float, str, str]:
    """Run ``cmd``; return (wall seconds, CPU seconds, peak RSS MiB, stdout, stderr). The rusage is
    ``wait4``'s: the process and the children it waited for. Raises on a non-zero exit."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])} exited with {process.returncode}:\n{stdout[-2000:]}\n{stderr[-4000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout, stderr


class HarvestBench:
    """The four sides against one stand-in ``om`` (emptied before each run) and ``postgres``.

    Use as a context manager: entering starts Airflow for (a), migrates a SQLite home for (b)
    and writes the task's config for (c)/(d) (nothing of that is timed); leaving stops
    Airflow and removes the files. After :meth:`run`, ``om`` holds the last run's entities.
    """

    def __init__(self, postgres, catalog: Catalog, om, sides: str = "abcd", workdir: Path | None = None):
        from tests.bench import connections_env

        self.postgres, self.catalog, self.om, self.sides = postgres, catalog, om, sides
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="bench-harvest-"))
        self.env = {
            **connections_env(om, postgres.airflow_connection(catalog.database)),
            **catalog.dag_env(),
            "AIRFLOW__OPENMETADATA_LINEAGE__ENABLED": "False",
        }
        self.cluster = None
        self.config_file = self.workdir / "harvest.json"

    # -- set-up, not timed ------------------------------------------------------------
    def __enter__(self) -> HarvestBench:
        from tests.openmetadata_standin.entities import KINDS

        for kind in KINDS.values():  # the stand-in's models: imported now, not in the first side's run
            assert kind.create_model and kind.entity_model
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        self.dev_env = {
            **inherited,
            **self.env,
            "AIRFLOW_HOME": str(self.workdir / "dev-home"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "PYTHONPATH": str(REPO_ROOT),
        }
        try:
            if "b" in self.sides:
                run_measured([sys.executable, "-m", "airflow", "db", "migrate"], self.dev_env)
            if {"c", "d"} & set(self.sides):
                *_, stdout, _ = run_measured(
                    [sys.executable, "-c", DAG_CONFIG_PROBE, str(DAG_FILE), TASK_ID], self.dev_env
                )
                self.config_file.touch(mode=0o600)  # it holds the JWT and the database password
                self.config_file.write_text(stdout.strip().splitlines()[-1])
            if "a" in self.sides:
                self._start_airflow()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start_airflow(self) -> None:
        from tests.support.airflow_cluster import AirflowCluster

        dags = self.workdir / "dags"
        dags.mkdir(parents=True, exist_ok=True)
        for source in sorted((REPO_ROOT / "dags").glob("*.py")):  # the repository's DAGs, as on the platform
            (dags / source.name).symlink_to(source)
        self.cluster = AirflowCluster(
            home=self.workdir / "airflow", dags_folder=dags, postgres=self.postgres, env=self.env
        )
        self.cluster.start(timeout=900)  # 2 loaded cores: the api-server alone can take minutes
        self.cluster.wait_for_dag(DAG_ID, timeout=600)

    def __exit__(self, *exc) -> None:
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- the rounds -------------------------------------------------------------------
    def run(self, rounds: int, progress=print) -> list[Measurement]:
        """``rounds`` rounds of every side in order; ``progress`` gets one line per run.

        With (a), one run of it first that is not counted: on the platform the LocalExecutor's
        workers have been forked long before a scheduled harvest, and PostgreSQL has the
        catalog in its caches for every side alike."""
        measured = []
        if "a" in self.sides:
            warm = self.measure("a")
            progress(f"  warm-up {SIDES['a']} (not counted): {warm.wall:.1f} s wall, load {warm.load:.1f}")
        for index in range(1, rounds + 1):
            for side in self.sides:
                result = self.measure(side)
                measured.append(result)
                progress(
                    f"  round {index} {SIDES[side]}: {result.wall:.1f} s wall, "
                    f"workflow {_number(result.workflow, '.1f')} s, load {result.load:.1f}"
                    + (
                        f", trigger to task start {result.start_latency:.1f} s, task start to end "
                        f"{result.wall - result.start_latency:.1f} s"
                        if result.start_latency is not None
                        else ""
                    )
                )
        return measured

    def measure(self, side: str) -> Measurement:
        """One run of ``side`` on the emptied stand-in."""
        self.om.reset()
        load = os.getloadavg()[0]
        if side == "a":
            wall, workflow, cpu, rss, latency = self._scheduler_task()
        else:
            latency = None
            if side == "b":
                cmd = [sys.executable, "-m", "airflow", "tasks", "test", DAG_ID, TASK_ID]
            elif side == "c":
                cmd = [CLI, "ingest", "-c", str(self.config_file)]
            else:
                options = json.dumps({"command": "ingest", "config": str(self.config_file)})
                cmd = [sys.executable, "-m", "tests.workflow_bench_probe", "metadata", "cli", options]
            wall, cpu, rss, stdout, stderr = run_measured(cmd, self.dev_env)
            output = stdout + stderr
            workflow = operator_duration(output) if side == "b" else cli_duration(output)
        if self.om.internal_errors:
            raise RuntimeError(f"{SIDES[side]}: the stand-in failed: {self.om.internal_errors[:3]}")
        requests = list(self.om.requests)
        return Measurement(
            side=side,
            wall=wall,
            workflow=workflow,
            cpu=cpu,
            rss_mib=rss,
            requests=len(requests),
            writes=sum(1 for r in requests if r.method in WRITES),
            tables=len(self.om.entities("table")),
            load=load,
            digests=entity_digests(self.om),
            start_latency=latency,
        )

    def _scheduler_task(self) -> tuple[float, float | None, float | None, float | None, float]:
        """Trigger the DAG, sample the new task process until the task instance ends; return (wall
        from trigger to the task's end, time in the workflow, CPU s, peak RSS MiB, trigger to
        task start)."""
        import psutil

        cluster = self.cluster
        scheduler = psutil.Process(cluster.processes["scheduler"].pid)
        known = {p.pid for p in scheduler.children(recursive=True)}
        peak: dict[int, tuple[int, float]] = {}  # pid -> (VmHWM KiB, CPU s) at the last sample
        triggered = time.time()
        run_id = cluster.trigger(DAG_ID)
        checked = 0.0
        while True:
            for process in _new_children(scheduler, known):
                sample = _hwm_and_cpu(process)
                if sample:
                    peak[process.pid] = sample
            if time.monotonic() - checked > 1.0:  # the REST API less often: it costs the api-server CPU
                checked = time.monotonic()
                (task,) = [ti for ti in cluster.task_instances(DAG_ID, run_id) if ti["task_id"] == TASK_ID]
                if task["state"] == "success":
                    break
                if task["state"] in ("failed", "up_for_retry", "upstream_failed", "skipped"):
                    log = cluster.task_log(DAG_ID, run_id, TASK_ID)
                    raise RuntimeError(f"{SIDES['a']}: task {task['state']}:\n{log[-4000:]}")
            time.sleep(0.2)
        wall = _epoch(task["end_date"]) - triggered
        latency = _epoch(task["start_date"]) - triggered
        workflow = operator_duration(cluster.task_log(DAG_ID, run_id, TASK_ID))
        # Peak RSS: the largest new process (the task's; the executor's worker is a small fork).
        # CPU: all of them, as wait4 counts a process's children for the other sides.
        hwm = max((sample[0] for sample in peak.values()), default=None)
        cpu = sum(sample[1] for sample in peak.values()) if peak else None
        return wall, workflow, cpu, hwm / 1024 if hwm else None, latency


def _new_children(parent, known: set[int]) -> list:
    import psutil

    try:
        return [p for p in parent.children(recursive=True) if p.pid not in known]
    except psutil.Error:
        return []


def _hwm_and_cpu(process) -> tuple[int, float] | None:
    """(peak RSS in KiB so far, CPU seconds so far) of a running process; ``None`` once it is gone."""
    import psutil

    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
        times = process.cpu_times()
    except (OSError, psutil.Error):
        return None
    hwm = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return (int(hwm.group(1)), times.user + times.system) if hwm else None


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(measured: list[Measurement], catalog: Catalog) -> str:
    """The table of every side: min/median/max wall, medians of the rest, ratios vs (c) and (d)."""
    by_side: dict[str, list[Measurement]] = {}
    for m in measured:
        by_side.setdefault(m.side, []).append(m)
    reference = (by_side.get("c") or measured)[0]
    medians = {side: statistics.median(m.wall for m in runs) for side, runs in by_side.items()}
    rows = []
    for side, runs in by_side.items():
        wall = spread(m.wall for m in runs)
        workflow = spread(m.workflow for m in runs)
        outside = spread(m.wall - m.workflow if m.workflow is not None else None for m in runs)
        cpu, rss = spread(m.cpu for m in runs), spread(m.rss_mib for m in runs)
        differing = sorted({key for m in runs for key in _differences(m.digests, reference.digests)})
        rows.append(
            [
                SIDES[side],
                "/".join(f"{v:.1f}" for v in wall),
                _number(workflow and workflow[1], ".1f"),
                _number(outside and outside[1], ".1f"),
                _number(cpu and cpu[1], ".1f"),
                _number(rss and rss[1], ".0f"),
                f"{statistics.median(m.requests / max(m.tables, 1) for m in runs):.2f}",
                f"{statistics.median(m.writes / max(m.tables, 1) for m in runs):.2f}",
                "reference" if runs[0] is reference else ("yes" if not differing else f"NO: {len(differing)}"),
                f"{medians['c'] / medians[side]:.2f}x" if "c" in medians else "-",
                f"{medians[side] / medians['d']:.2f}" if "d" in medians else "-",
            ]
        )
    loads = spread(m.load for m in measured)
    headers = [
        "side",
        "wall s min/med/max",
        "in workflow s",
        "outside s",
        "CPU s",
        "peak RSS MiB",
        "requests/table",
        "writes/table",
        "entities = (c)",
        "(c) ÷ side",
        "side ÷ (d)",
    ]
    lines = [
        f"Harvest of {catalog.database} ({reference.tables} tables), {len(measured) // len(by_side)} round(s) "
        f"interleaved {' '.join(by_side)}; whole processes; 1-min load average before each run "
        f"{loads[0]:.1f}/{loads[1]:.1f}/{loads[2]:.1f} (min/med/max) on {os.cpu_count()} CPUs",
        format_table(headers, rows),
        "  (medians but wall; (c) ÷ side > 1: faster than OpenMetadata's CLI as shipped; peak RSS of (a): "
        "the task process forked from the preloaded forkserver, shared pages included)",
    ]
    for side, runs in by_side.items():
        differing = sorted({key for m in runs for key in _differences(m.digests, reference.digests)})
        if differing:
            lines.append(f"  {SIDES[side]} wrote other entities than (c), e.g. {', '.join(differing[:5])}")
    return "\n".join(lines)


def _differences(digests: dict[str, str], reference: dict[str, str]) -> set[str]:
    return {key for key in digests.keys() | reference.keys() if digests.get(key) != reference.get(key)}


def default_rounds() -> int:
    """``$BENCH_ROUNDS``, else 3."""
    return int(os.environ.get("BENCH_ROUNDS") or 3)


def main() -> None:
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    from tests.openmetadata_standin.server import StandInServer
    from tests.scale_catalog import create_catalog

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=default_rounds())
    parser.add_argument("--sides", default="abcd", help="which sides, in the order of each round")
    parser.add_argument("--tables", type=int, default=0, help="a synthetic catalog of this many tables")
    args = parser.parse_args()
    assert set(args.sides) <= set(SIDES), f"--sides: letters of {''.join(SIDES)}"
    with ThrowawayPostgres() as postgres, StandInServer() as om:
        if args.tables:
            tables = create_catalog(postgres, "synthetic", 1, args.tables)
            catalog = Catalog("synthetic", ["s1"], tables)
        else:
            load_pagila(postgres)
            catalog = Catalog("pagila", ["public"])
        with HarvestBench(postgres, catalog, om, args.sides) as bench:
            measured = bench.run(args.rounds, progress=lambda text: print(text, flush=True))
        print(report(measured, catalog), flush=True)


if __name__ == "__main__":
    main()

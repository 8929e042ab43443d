"""The harvest and the profiler as users run them: four sides as whole processes, interleaved.

Issue 21, item 1 (and "Profiler on pagila, whole process vs the CLI as shipped"); run by `make
bench` on pagila (both workloads: tests/bench.py passes ``--workload all``) and by `make
bench-scale` (tests/scale_bench.py, the harvest) on synthetic catalogs.

Every figure is a whole process, timed from outside, the sides interleaved per round (a b c d,
a b c d...). A :class:`Workload` says what runs: the harvest (``--workload harvest``, the
default: one harvest into an emptied OpenMetadata stand-in, every run creates, none updates) or
the profiler (``--workload profiler``: pagila harvested and vacuumed once before the rounds,
not timed; each run profiles those tables after the profiles, requests and errors of the run
before were forgotten, the tables kept):

- (a) the workload DAG's task on a real Airflow (tests/support/airflow_cluster.py: api-server,
  scheduler, dag-processor, LocalExecutor with the platform image's forkserver preload), from
  the trigger (``POST dagRuns``) to the task instance's end; Airflow itself is started once,
  before the rounds, as on the platform, and runs the task once uncounted (its first task also
  forks the executor's workers). The harvest is dags/pagila_metadata_ingestion.py's task, the
  profiler tests/bench_dags/profiler_bench.py's (dags/pagila_data_catalog.py's
  ``profile_tables`` alone); the dags folder holds the repository's DAGs and that one;
- (b) ``airflow tasks test`` of that task (a developer's loop; SQLite home, the same dags
  folder);
- (c) ``metadata ingest -c`` / ``metadata profile -c`` as shipped, on the config the DAG's
  task builds. The profiler as shipped takes ~2 minutes on pagila (a full ``gc.collect()``
  per metric query: upstream_fixes.skip_full_gc_per_metric);
- (d) the same CLI after ``upstream_fixes.apply("metadata")`` / ``apply("profiler")``, the
  fixes our operator applies (tests/workflow_bench_probe.py, mode ``cli``).

Each side also gives: the time inside the workflow (the operator's summary line in the task
log; the CLI's "Workflow finished in time"), CPU seconds and peak RSS of the process (``wait4``;
for (a) ``VmHWM`` of the task process and the CPU of the processes the executor started for the
task, sampled every 0.2 s while they run), requests and write requests per table (harvested,
or profiled) the stand-in recorded, and whether what was written is identical to what (c)
wrote in the first round: the harvest's entities (services, databases, schemas, tables), the
profiler's table and column profiles; ids, timestamps and versions left out. A table's
``rowCount`` where (c) wrote -1 (no statistics: ``pg_class.reltuples < 0``) and a side counted
the rows (upstream_fixes.count_rows_without_statistics) is the one documented difference:
counted and said under the table, not as a difference. The load average is read before each
run.

Usage: ``python -m tests.bench_harvest [--workload harvest|profiler|all] [--rounds 3]
[--sides abcd] [--tables N]`` (``--tables``: a synthetic catalog of N tables,
tests/scale_catalog.py, instead of pagila); ``$BENCH_ROUNDS`` sets the default number of
rounds. The lineage listener is off on every side: only the workflow's requests are counted.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "metadata")
ENTITY_TYPES = ("databaseService", "database", "databaseSchema", "table")
WRITES = ("PUT", "PATCH", "POST", "DELETE")
# The config the DAG's task runs, built by the task itself (so (c) and (d) run exactly that).
DAG_CONFIG_PROBE = """
import json, runpy, sys
task = runpy.run_path(sys.argv[1])["dag"].get_task(sys.argv[2])
config = task.build_workflow_config()
print(json.dumps(task.adjust_config(config) if hasattr(task, "adjust_config") else config))
"""
# A DAG's task run in a plain process (the profiler's harvest before the rounds; not timed).
DAG_TASK_PROBE = """
import runpy, sys
runpy.run_path(sys.argv[1])["dag"].get_task(sys.argv[2]).execute(context={})
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


def digest(value) -> str:
    """A digest of ``value`` without what differs between any two runs (ids, timestamps, versions)."""
    from tests.workflows.fixes_probe import normalise

    return hashlib.sha256(json.dumps(normalise(value), sort_keys=True).encode()).hexdigest()


def entity_digests(bench: HarvestBench) -> dict[str, str]:
    """The harvest's: ``kind:FQN`` -> digest of each entity the stand-in stores."""
    return {
        f"{kind}:{entity['fullyQualifiedName']}": digest(entity)
        for kind in ENTITY_TYPES
        for entity in bench.om.entities(kind)
    }


def profile_digests(bench: HarvestBench) -> dict[str, str]:
    """The profiler's: ``table:FQN`` / ``column:FQN`` -> digest of the table's / column's profile
    rows the stand-in stores, the table rows without ``rowCount``; that is ``rowCount:FQN`` ->
    the values themselves (upstream writes -1 for a table without statistics, our
    ``count_rows_without_statistics`` the rows counted: :func:`counted_where_upstream_wrote_minus_one`)."""
    from tests.openmetadata_standin.timeseries import COLUMN_PROFILE, TABLE_PROFILE

    digests = {}
    for fqn, rows in bench.om.extensions.all_rows(TABLE_PROFILE).items():
        digests[f"table:{fqn}"] = digest([{k: v for k, v in row.items() if k != "rowCount"} for row in rows])
        digests[f"rowCount:{fqn}"] = ",".join(_count_text(row.get("rowCount")) for row in rows)
    for fqn, rows in bench.om.extensions.all_rows(COLUMN_PROFILE).items():
        digests[f"column:{fqn}"] = digest(rows)
    return digests


def _count_text(value) -> str:
    """A stored ``rowCount`` (a JSON number: ``-1.0`` as the model dumps it) as text: ``-1``."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def counted_where_upstream_wrote_minus_one(key: str, reference: str | None) -> bool:
    """A ``rowCount`` that (c) wrote as -1 (a table without statistics): the documented difference."""
    return key.startswith("rowCount:") and reference == "-1"


@dataclass(frozen=True)
class Workload:
    """What the four sides run: the task ``task_id`` of DAG ``dag_id`` in ``dag_file`` ((a), (b);
    its config for (c), (d)), ``metadata <command> -c`` ((c)), the same after
    ``upstream_fixes.apply(fixes)`` ((d)); ``reset`` empties the stand-in before each run,
    ``digests`` gives what the run wrote (compared with (c)'s), ``compared`` names it;
    ``harvest_first``: the tables are harvested once before the rounds (not timed);
    ``documented(key, reference digest)``: a difference that is intended, reported as
    ``note`` (formatted with ``side`` and ``count``) instead of as a difference."""

    name: str
    title: str
    dag_file: Path
    dag_id: str
    task_id: str
    command: str
    fixes: str
    reset: Callable[..., None]
    digests: Callable[[HarvestBench], dict[str, str]]
    compared: str
    harvest_first: bool = False
    documented: Callable[[str, str | None], bool] = lambda key, reference: False
    note: str = ""

    @property
    def sides(self) -> dict[str, str]:
        """Side letter -> label."""
        return {
            "a": "(a) Airflow scheduler task",
            "b": "(b) airflow tasks test",
            "c": f"(c) metadata {self.command} -c",
            "d": "(d) metadata CLI + fixes",
        }


HARVEST = Workload(
    name="harvest",
    title="Harvest",
    dag_file=REPO_ROOT / "dags" / "pagila_metadata_ingestion.py",
    dag_id="pagila_metadata_ingestion",
    task_id="harvest_pagila_schema",
    command="ingest",
    fixes="metadata",
    reset=lambda om: om.reset(),
    digests=entity_digests,
    compared="entities",
)
PROFILER = Workload(
    name="profiler",
    title="Profiler",
    dag_file=REPO_ROOT / "tests" / "bench_dags" / "profiler_bench.py",
    dag_id="pagila_profiler_bench",
    task_id="profile_tables",
    command="profile",
    fixes="profiler",
    reset=lambda om: om.reset_requests_and_extensions(),
    digests=profile_digests,
    compared="profiles",
    harvest_first=True,
    documented=counted_where_upstream_wrote_minus_one,
    note=(
        "  {side}: rowCount of {count} table(s) other than (c)'s -1, the one documented difference "
        "(tables without statistics, pg_class.reltuples < 0: upstream writes -1, our "
        "count_rows_without_statistics counts the rows)"
    ),
)
WORKLOADS = {workload.name: workload for workload in (HARVEST, PROFILER)}


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
    """The four sides of a :class:`Workload` (default: the harvest) against one stand-in ``om``
    (``workload.reset`` before each run) and ``postgres``.

    Use as a context manager: entering builds the dags folder (the repository's DAGs and the
    workload's), harvests the catalog first if the workload needs its tables, starts Airflow
    for (a), migrates a SQLite home for (b) and writes the task's config for (c)/(d) (nothing
    of that is timed); leaving stops Airflow and removes the files. After :meth:`run`, ``om``
    holds what the last run wrote.
    """

    def __init__(
        self,
        postgres,
        catalog: Catalog,
        om,
        sides: str = "abcd",
        workdir: Path | None = None,
        workload: Workload = HARVEST,
    ):
        from tests.bench import connections_env

        self.postgres, self.catalog, self.om, self.sides = postgres, catalog, om, sides
        self.workload = workload
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="bench-harvest-"))
        self.env = {
            **connections_env(om, postgres.airflow_connection(catalog.database)),
            **catalog.dag_env(),
            "AIRFLOW__OPENMETADATA_LINEAGE__ENABLED": "False",
        }
        self.cluster = None
        self.dags = self.workdir / "dags"
        self.config_file = self.workdir / f"{workload.name}.json"

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
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
            "PYTHONPATH": str(REPO_ROOT),
        }
        workload = self.workload
        try:
            self._link_dags()
            if workload.harvest_first:
                self.om.reset()
                harvest = [sys.executable, "-c", DAG_TASK_PROBE, str(HARVEST.dag_file), HARVEST.task_id]
                run_measured(harvest, self.dev_env)
                # What autovacuum does to a freshly loaded database within a minute or two (the
                # visibility and free space maps count in a table's size; VACUUM sets reltuples,
                # not of a partitioned table's parent), done now rather than between two sides.
                self.postgres.psql("VACUUM", database=self.catalog.database)
            if "b" in self.sides:
                run_measured([sys.executable, "-m", "airflow", "db", "migrate"], self.dev_env)
            if {"c", "d"} & set(self.sides):
                *_, stdout, _ = run_measured(
                    [sys.executable, "-c", DAG_CONFIG_PROBE, str(workload.dag_file), workload.task_id], self.dev_env
                )
                self.config_file.touch(mode=0o600)  # it holds the JWT and the database password
                self.config_file.write_text(stdout.strip().splitlines()[-1])
            if "a" in self.sides:
                self._start_airflow()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _link_dags(self) -> None:
        """The dags folder of (a) and (b): the repository's DAGs, as on the platform, and the
        workload's DAG file when it is not one of them (a bench DAG), as symbolic links."""
        self.dags.mkdir(parents=True, exist_ok=True)
        for source in {*(REPO_ROOT / "dags").glob("*.py"), self.workload.dag_file}:
            (self.dags / source.name).symlink_to(source)

    def _start_airflow(self) -> None:
        from tests.support.airflow_cluster import AirflowCluster

        self.cluster = AirflowCluster(
            home=self.workdir / "airflow", dags_folder=self.dags, postgres=self.postgres, env=self.env
        )
        self.cluster.start(timeout=900)  # 2 loaded cores: the api-server alone can take minutes
        self.cluster.wait_for_dag(self.workload.dag_id, timeout=600)

    def __exit__(self, *exc) -> None:
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- the rounds -------------------------------------------------------------------
    def run(self, rounds: int, progress=print) -> list[Measurement]:
        """``rounds`` rounds of every side in order; ``progress`` gets one line per run.

        With (a), one run of it first that is not counted: on the platform the LocalExecutor's
        workers have been forked long before a scheduled run, and PostgreSQL has the
        catalog in its caches for every side alike."""
        measured = []
        sides = self.workload.sides
        if "a" in self.sides:
            warm = self.measure("a")
            progress(f"  warm-up {sides['a']} (not counted): {warm.wall:.1f} s wall, load {warm.load:.1f}")
        for index in range(1, rounds + 1):
            for side in self.sides:
                result = self.measure(side)
                measured.append(result)
                progress(
                    f"  round {index} {sides[side]}: {result.wall:.1f} s wall, "
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
        """One run of ``side`` on the stand-in emptied by the workload's ``reset``."""
        workload = self.workload
        workload.reset(self.om)
        load = os.getloadavg()[0]
        if side == "a":
            wall, workflow, cpu, rss, latency = self._scheduler_task()
        else:
            latency = None
            if side == "b":
                cmd = [sys.executable, "-m", "airflow", "tasks", "test", workload.dag_id, workload.task_id]
            elif side == "c":
                cmd = [CLI, workload.command, "-c", str(self.config_file)]
            else:
                options = json.dumps({"command": workload.command, "config": str(self.config_file)})
                cmd = [sys.executable, "-m", "tests.workflow_bench_probe", workload.fixes, "cli", options]
            wall, cpu, rss, stdout, stderr = run_measured(cmd, self.dev_env)
            output = stdout + stderr
            workflow = operator_duration(output) if side == "b" else cli_duration(output)
        if self.om.internal_errors:
            raise RuntimeError(f"{workload.sides[side]}: the stand-in failed: {self.om.internal_errors[:3]}")
        requests = list(self.om.requests)
        digests = workload.digests(self)
        return Measurement(
            side=side,
            wall=wall,
            workflow=workflow,
            cpu=cpu,
            rss_mib=rss,
            requests=len(requests),
            writes=sum(1 for r in requests if r.method in WRITES),
            tables=sum(1 for key in digests if key.startswith("table:")),
            load=load,
            digests=digests,
            start_latency=latency,
        )

    def _scheduler_task(self) -> tuple[float, float | None, float | None, float | None, float]:
        """Trigger the DAG, sample the new task process until the task instance ends; return (wall
        from trigger to the task's end, time in the workflow, CPU s, peak RSS MiB, trigger to
        task start)."""
        import psutil

        cluster, dag_id, task_id = self.cluster, self.workload.dag_id, self.workload.task_id
        scheduler = psutil.Process(cluster.processes["scheduler"].pid)
        known = {p.pid for p in scheduler.children(recursive=True)}
        peak: dict[int, tuple[int, float]] = {}  # pid -> (VmHWM KiB, CPU s) at the last sample
        triggered = time.time()
        run_id = cluster.trigger(dag_id)
        checked = 0.0
        while True:
            for process in _new_children(scheduler, known):
                sample = _hwm_and_cpu(process)
                if sample:
                    peak[process.pid] = sample
            if time.monotonic() - checked > 1.0:  # the REST API less often: it costs the api-server CPU
                checked = time.monotonic()
                (task,) = [ti for ti in cluster.task_instances(dag_id, run_id) if ti["task_id"] == task_id]
                if task["state"] == "success":
                    break
                if task["state"] in ("failed", "up_for_retry", "upstream_failed", "skipped"):
                    log = cluster.task_log(dag_id, run_id, task_id)
                    raise RuntimeError(f"{self.workload.sides['a']}: task {task['state']}:\n{log[-4000:]}")
            time.sleep(0.2)
        wall = _epoch(task["end_date"]) - triggered
        latency = _epoch(task["start_date"]) - triggered
        workflow = operator_duration(cluster.task_log(dag_id, run_id, task_id))
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


def report(measured: list[Measurement], catalog: Catalog, workload: Workload = HARVEST) -> str:
    """The table of every side: min/median/max wall, medians of the rest, ratios vs (c) and (d)."""
    by_side: dict[str, list[Measurement]] = {}
    for m in measured:
        by_side.setdefault(m.side, []).append(m)
    reference = (by_side.get("c") or measured)[0]
    medians = {side: statistics.median(m.wall for m in runs) for side, runs in by_side.items()}
    rows = []
    differing = {side: _differences(runs, reference.digests, workload) for side, runs in by_side.items()}
    for side, runs in by_side.items():
        wall = spread(m.wall for m in runs)
        workflow = spread(m.workflow for m in runs)
        outside = spread(m.wall - m.workflow if m.workflow is not None else None for m in runs)
        cpu, rss = spread(m.cpu for m in runs), spread(m.rss_mib for m in runs)
        other, documented = differing[side]
        same = "yes" if not documented else f"yes, {len(documented)} doc."
        rows.append(
            [
                workload.sides[side],
                "/".join(f"{v:.1f}" for v in wall),
                _number(workflow and workflow[1], ".1f"),
                _number(outside and outside[1], ".1f"),
                _number(cpu and cpu[1], ".1f"),
                _number(rss and rss[1], ".0f"),
                f"{statistics.median(m.requests / max(m.tables, 1) for m in runs):.2f}",
                f"{statistics.median(m.writes / max(m.tables, 1) for m in runs):.2f}",
                "reference" if runs[0] is reference else (f"NO: {len(other)}" if other else same),
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
        f"{workload.compared} = (c)",
        "(c) ÷ side",
        "side ÷ (d)",
    ]
    lines = [
        f"{workload.title} of {catalog.database} ({reference.tables} tables), {len(measured) // len(by_side)} round(s) "
        f"interleaved {' '.join(by_side)}; whole processes; 1-min load average before each run "
        f"{loads[0]:.1f}/{loads[1]:.1f}/{loads[2]:.1f} (min/med/max) on {os.cpu_count()} CPUs",
        format_table(headers, rows),
        "  (medians but wall; (c) ÷ side > 1: faster than OpenMetadata's CLI as shipped; peak RSS of (a): "
        "the task process forked from the preloaded forkserver, shared pages included)",
    ]
    for side, (other, documented) in differing.items():
        if documented:
            lines.append(workload.note.format(side=workload.sides[side], count=len(documented)))
        if other:
            lines.append(
                f"  {workload.sides[side]} wrote other {workload.compared} than (c), e.g. {', '.join(other[:5])}"
            )
    return "\n".join(lines)


def _differences(runs: list[Measurement], reference: dict[str, str], workload: Workload) -> tuple[list[str], list[str]]:
    """The keys whose digests differ from ``reference`` in any of ``runs``: (others, documented)."""
    keys = sorted(
        {key for m in runs for key in m.digests.keys() | reference.keys() if m.digests.get(key) != reference.get(key)}
    )
    documented = [key for key in keys if workload.documented(key, reference.get(key))]
    return [key for key in keys if key not in documented], documented


def default_rounds() -> int:
    """``$BENCH_ROUNDS``, else 3."""
    return int(os.environ.get("BENCH_ROUNDS") or 3)


def main() -> None:
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    from tests.openmetadata_standin.server import StandInServer
    from tests.scale_catalog import create_catalog

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workload", choices=[*WORKLOADS, "all"], default="harvest", help="what runs; all: each in turn"
    )
    parser.add_argument("--rounds", type=int, default=default_rounds())
    parser.add_argument("--sides", default="abcd", help="which sides, in the order of each round")
    parser.add_argument("--tables", type=int, default=0, help="a synthetic catalog of this many tables")
    args = parser.parse_args()
    assert set(args.sides) <= set("abcd"), "--sides: letters of abcd"
    workloads = list(WORKLOADS.values()) if args.workload == "all" else [WORKLOADS[args.workload]]
    with ThrowawayPostgres() as postgres, StandInServer() as om:
        if args.tables:
            tables = create_catalog(postgres, "synthetic", 1, args.tables)
            catalog = Catalog("synthetic", ["s1"], tables)
        else:
            load_pagila(postgres)
            catalog = Catalog("pagila", ["public"])
        for workload in workloads:
            with HarvestBench(postgres, catalog, om, args.sides, workload=workload) as bench:
                measured = bench.run(args.rounds, progress=lambda text: print(text, flush=True))
            print(report(measured, catalog, workload), flush=True)


if __name__ == "__main__":
    main()

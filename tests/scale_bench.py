"""`make bench-scale`: the metadata harvest and the profiler on synthetic catalogs of ~1k, 5k and
10k tables (tests/scale_catalog.py), ours vs OpenMetadata's own CLI, printed. Not part of `make test`.

For each size:

- harvest: the four sides of tests/bench_harvest.py, whole processes interleaved per round (a
  task on a real Airflow scheduler, ``airflow tasks test``, ``metadata ingest -c`` as shipped and
  with our upstream fixes), each on an emptied stand-in (every run creates, none updates): wall
  min/median/max, time in the workflow, CPU, peak RSS, requests per table, same entities or not;
- profiler (on the tables the harvest wrote): ``PostgresProfilerOperator`` vs
  ``metadata profile -c``. The profiler as shipped runs a full ``gc.collect()`` per metric query
  (~1.3 s each in this process size), so the CLI is timed on ``--cli-profile-tables`` tables and
  its full time extrapolated (linear: each table is profiled on its own);
- where the time goes: the harvest of the smallest size once more in process under cProfile,
  own time grouped into PostgreSQL round trips, HTTP to the server, pydantic, SQLAlchemy, the
  connector and the rest; and the source's ``threads`` option (1 vs 4).

Usage: ``python -m tests.scale_bench [--sizes 1000,5000,10000] [--profile-sizes 1000,5000]
[--rounds 3] [--sides abcd] [--no-cli] [--no-breakdown]`` (``$BENCH_ROUNDS`` sets the default
rounds).
Runs niced; the stand-in serves in this process (its answer time is printed, so its share shows).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "metadata")
# tables -> (schemas, tables per schema); other sizes: schemas of up to 200 tables
LAYOUT = {1000: (10, 100), 2000: (20, 100), 5000: (25, 200), 10000: (50, 200)}


def run_measured(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Run ``cmd``; return (wall seconds, peak RSS in MiB, stdout). Raises on a non-zero exit."""
    from tests.bench_harvest import run_measured as measured

    seconds, _, rss, stdout, _ = measured(cmd, env)
    return seconds, rss, stdout


def probe_cmd(workflow: str, mode: str, options: dict) -> list[str]:
    return [sys.executable, "-m", "tests.workflow_bench_probe", workflow, mode, json.dumps(options)]


def cli_run(env: dict, workflow: str, command: str, options: dict) -> tuple[float, float]:
    """``metadata <command> -c`` on the operator's config: (wall seconds, peak RSS MB)."""
    _, _, stdout = run_measured(probe_cmd(workflow, "config", options), env)
    (config,) = json.loads(stdout.strip().splitlines()[-1])
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        os.chmod(fh.name, 0o600)  # it holds the JWT and the database password
        json.dump(config, fh)
    try:
        seconds, rss, _ = run_measured([CLI, command, "-c", fh.name], env)
    finally:
        os.unlink(fh.name)
    return seconds, rss


def env_for(om, postgres, database: str) -> dict:
    from tests.bench import connections_env

    pg = postgres.airflow_connection(database)
    return {**os.environ, **connections_env(om, pg), "PYTHONPATH": str(REPO_ROOT)}


def standin_seconds(om, since: int = 0) -> float:
    return sum(r.seconds for r in om.requests[since:])


def line(label: str, seconds: float, requests: int, tables: int, rss: float, om, since: int) -> str:
    return (
        f"    {label}: {seconds:7.1f} s wall, {requests / tables:5.2f} requests/table, peak RSS {rss:5.0f} MB "
        f"(stand-in answered in {standin_seconds(om, since):.1f} s)"
    )


BREAKDOWN_PROBE = r"""
import cProfile, json, pstats, sys, time
import tests.workflow_bench_probe as probe
from metadata.workflow.metadata import MetadataWorkflow
import metadata.ingestion.source.database.postgres.metadata
from openmetadata_platform.ingestion import upstream_fixes
options = json.loads(sys.argv[1])
threads = options.pop("threads", None)
task = probe.operator("metadata", options)
(config,) = probe.configs(task)
if threads:
    config["source"]["sourceConfig"]["config"]["threads"] = threads
upstream_fixes.apply("metadata")
profiler = cProfile.Profile()
started = time.perf_counter()
if not threads:
    profiler.enable()
workflow = MetadataWorkflow.create(config); workflow.execute(); workflow.stop()
profiler.disable()
wall = time.perf_counter() - started
buckets = {}
stats = pstats.Stats(profiler).stats if not threads else {}
for (filename, _, name), (_, _, tottime, _, _) in stats.items():
    where = filename + " " + name
    if "psycopg2" in where or "execute' of 'psycopg2" in where:
        key = "PostgreSQL round trips (psycopg2)"
    elif any(p in where for p in ("requests/", "urllib3", "http/client", "socket", "ssl.py", "ometa/client")):
        key = "HTTP to the server (requests)"
    elif "pydantic" in where:
        key = "pydantic (models, validation, dumps)"
    elif "sqlalchemy" in where:
        key = "SQLAlchemy (reflection, SQL compile)"
    elif "metadata/ingestion/source" in where:
        key = "connector code (postgres source, FK lookups)"
    elif "metadata/ingestion/sink" in where or "ometa/" in where:
        key = "sink and client code"
    elif "sqlfluff" in where or "sqlglot" in where or "sqllineage" in where:
        key = "SQL parsing (view lineage)"
    else:
        key = "other (topology runner, logging, stdlib)"
    buckets[key] = buckets.get(key, 0) + tottime
print(json.dumps({"wall": wall, "buckets": buckets}))
"""


def breakdown(env: dict, options: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", BREAKDOWN_PROBE, json.dumps(options)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    from platform_bootstrap.local_postgres import ThrowawayPostgres

    from tests.bench_harvest import Catalog, HarvestBench, default_rounds, report
    from tests.openmetadata_standin.server import StandInServer
    from tests.scale_catalog import create_catalog

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--profile-sizes", default="1000,5000")
    parser.add_argument("--cli-profile-tables", type=int, default=20)
    parser.add_argument("--no-cli", action="store_true", help="skip OpenMetadata's CLI runs (sides c and d)")
    parser.add_argument(
        "--rounds", type=int, default=default_rounds(), help="harvest rounds (default $BENCH_ROUNDS or 3)"
    )
    parser.add_argument("--sides", default="abcd", help="harvest sides, in the order of each round")
    parser.add_argument(
        "--no-breakdown", action="store_true", help="skip where the time goes and the threads option (in process)"
    )
    args = parser.parse_args()
    sides = args.sides.replace("c", "").replace("d", "") if args.no_cli else args.sides
    sizes = [int(s) for s in args.sizes.split(",") if s]
    profile_sizes = {int(s) for s in args.profile_sizes.split(",") if s}
    os.nice(10)
    from tests.openmetadata_standin.entities import KINDS

    for kind in KINDS.values():  # the stand-in validates with these: import them before any clock runs
        assert kind.create_model and kind.entity_model
    settings = {"max_locks_per_transaction": "256", "shared_buffers": "'256MB'"}
    with ThrowawayPostgres(settings=settings) as postgres:
        print(
            "Scale: synthetic catalogs (10 columns, an FK per table, a view per 10 tables, a partitioned table per 50)"
        )
        for size in sizes:
            schemas, per_schema = LAYOUT.get(size, (1, min(size, 200)))
            database = f"scale_{size}"
            started = time.perf_counter()
            tables = create_catalog(postgres, database, schemas, per_schema)
            print(
                f"  {tables} tables in {schemas} schemas (created in {time.perf_counter() - started:.0f} s):",
                flush=True,
            )
            options = {"service_name": database, "database": database}
            catalog = Catalog(database, [f"s{index}" for index in range(1, schemas + 1)], tables)
            with StandInServer() as om:
                with HarvestBench(postgres, catalog, om, sides) as bench:
                    measured = bench.run(args.rounds, progress=lambda text: print(text, flush=True))
                print(report(measured, catalog), flush=True)
                if size not in profile_sizes:
                    continue
                # The stand-in holds the last side's harvest (the same entities on every side).
                env = env_for(om, postgres, database)
                since = len(om.requests)
                seconds, rss, _ = run_measured(probe_cmd("profiler", "operator", options), env)
                print(line("profiler, ours       ", seconds, len(om.requests) - since, tables, rss, om, since))
                if args.no_cli:
                    continue
                names = [f"t{i}" for i in range(1, args.cli_profile_tables + 1)]
                subset = {**options, "schema_includes": ["^s1$"], "table_includes": [f"^({'|'.join(names)})$"]}
                subset_tables = sum(
                    1 for t in om.entities("table") if t["databaseSchema"]["name"] == "s1" and t["name"] in names
                )
                since = len(om.requests)
                seconds, rss = cli_run(env, "profiler", "profile", subset)
                print(
                    f"    profiler, metadata CLI: {seconds:7.1f} s for {subset_tables} tables "
                    f"-> {seconds / subset_tables * tables / 60:.0f} min extrapolated to {tables}, "
                    f"{(len(om.requests) - since) / subset_tables:.2f} requests/table, peak RSS {rss:.0f} MB",
                    flush=True,
                )
        if args.no_breakdown:
            return
        smallest = min(sizes)
        smallest_tables = LAYOUT.get(smallest, (1, min(smallest, 200)))
        smallest_tables = smallest_tables[0] * smallest_tables[1]
        with StandInServer() as om:
            env = env_for(om, postgres, f"scale_{smallest}")
            options = {"service_name": f"scale_{smallest}", "database": f"scale_{smallest}"}
            found = breakdown(env, options)
            total = sum(found["buckets"].values())
            print(
                f"  Where the harvest's time goes ({smallest_tables} tables, in process, cProfile own time, "
                f"wall {found['wall']:.0f} s):"
            )
            for key, value in sorted(found["buckets"].items(), key=lambda kv: -kv[1]):
                print(f"    {key:46s} {value:6.1f} s ({100 * value / total:4.1f} %)")
        for threads in (1, 4):
            with StandInServer() as om:
                env = env_for(om, postgres, f"scale_{smallest}")
                found = breakdown(env, {**options, "threads": threads})
                print(
                    f"  source threads={threads}: harvest of {smallest_tables} tables {found['wall']:.1f} s", flush=True
                )


if __name__ == "__main__":
    main()

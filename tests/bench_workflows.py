"""`make bench` numbers for the workflows beyond schemas, on pagila (run by tests/bench.py).

For the profiler, data quality and auto-classification, each in its own fresh interpreter with
the imports done before the clock starts (tests/workflow_bench_probe.py), against the stand-in:

- the operator (preflight, summary, our upstream fixes) vs the bare OpenMetadata workflow on the
  same config WITH the same fixes: the operator's own overhead (goal: ratio <= 1.1);
- vs the bare workflow as shipped (no fixes), what ``metadata profile/test/classify`` runs;
- whole processes: ``metadata test/classify -c`` on the same config vs the operator's process
  (import included); the profiler's whole processes, a real Airflow task among them, are
  tests/bench_harvest.py's (``--workload profiler``);
- requests per table (profiler), test cases per second (data quality).

Classification runs with the test suite's stand-in NER model (tests/workflows/spacy_stand_in.py):
the real en_core_web_md is a download the bench machine does not have; Presidio's pattern
recognizers and OpenMetadata's scoring are real. The profiler as shipped takes ~2 min on pagila
(a full gc.collect() per metric query): it is run once, the others three times (median).
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
CLI = str(Path(sys.executable).parent / "metadata")
CASES = REPO_ROOT / "dags" / "pagila_data_quality.yaml"
WORKFLOWS = {
    "profiler": ("profile", {"schema_includes": ["^public$"]}),
    "data_quality": ("test", {"test_cases_file": str(CASES)}),
    "auto_classification": ("classify", {"schema_includes": ["^public$"]}),
}


def probe(env: dict, workflow: str, mode: str, options: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.workflow_bench_probe", workflow, mode, json.dumps(options)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{workflow} {mode} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def cli_seconds(env: dict, workflow: str, command: str, options: dict) -> float:
    """``metadata <command> -c`` once per config the operator builds (data quality: per table)."""
    configs = probe(env, workflow, "config", options)
    started = time.perf_counter()
    for config in configs:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            os.chmod(fh.name, 0o600)  # it holds the JWT and the database password
            json.dump(config, fh)
        try:
            result = subprocess.run([CLI, command, "-c", fh.name], env=env, capture_output=True, text=True, check=False)
        finally:
            os.unlink(fh.name)
        if result.returncode != 0:
            raise RuntimeError(f"metadata {command} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


def timed_process(env: dict, workflow: str, options: dict) -> float:
    started = time.perf_counter()
    probe(env, workflow, "operator", options)
    return time.perf_counter() - started


def main() -> None:
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    from tests.bench import connections_env
    from tests.openmetadata_standin.seeded_pii_tags import seed_pii_classification
    from tests.openmetadata_standin.server import StandInServer
    from tests.workflows.spacy_stand_in import build_model

    model_dir = Path(tempfile.mkdtemp(prefix="bench-spacy-"))
    build_model(model_dir)
    home = Path(tempfile.mkdtemp(prefix="bench-workflows-"))
    with ThrowawayPostgres() as postgres, StandInServer() as om:
        load_pagila(postgres)
        seed_pii_classification(om)
        pg = postgres.airflow_connection("pagila")
        env = {
            **os.environ,
            **connections_env(om, pg),
            "AIRFLOW_HOME": str(home),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(model_dir)]),
        }
        probe(env, "metadata", "operator", {"schema_includes": ["^public$"]})  # the tables to work on
        tables = len([t for t in om.entities("table") if t["tableType"] != "View"])
        print(f"Workflows on pagila ({tables} tables, stand-in server; fresh interpreter each, imports done):")
        for workflow, (command, options) in WORKFLOWS.items():
            runs: dict[str, list[float]] = {"operator": [], "fixed": [], "shipped": []}
            requests_per_table = []
            results = {}
            for _ in range(3):
                before = len(om.requests)
                answer = probe(env, workflow, "operator", options)
                runs["operator"].append(answer["seconds"])
                results = answer["results"]
                requests_per_table.append((len(om.requests) - before) / max(results.get("tables_profiled", tables), 1))
                runs["fixed"].append(probe(env, workflow, "workflow", {**options, "fixes": "on"})["seconds"])
            repeats = 1 if workflow == "profiler" else 3
            runs["shipped"] = [probe(env, workflow, "workflow", options)["seconds"] for _ in range(repeats)]
            op, fixed, shipped = (statistics.median(runs[k]) for k in ("operator", "fixed", "shipped"))
            line = (
                f"  {workflow}: operator {op:.2f} s, bare workflow with the same fixes {fixed:.2f} s "
                f"(ratio {op / fixed:.2f}, goal <= 1.1), bare workflow as shipped {shipped:.2f} s "
                f"(ratio {op / shipped:.2f})"
            )
            if workflow == "profiler":
                line += f"; {statistics.median(requests_per_table):.1f} requests per table profiled"
            if workflow == "data_quality":
                cases = results["tests_passed"] + results["tests_failed"] + results["tests_aborted"]
                line += f"; {cases / op:.1f} test cases/s (operator), {cases / shipped:.1f} (as shipped)"
            print(line, flush=True)
            if workflow == "profiler":  # as users run it, against the CLI: tests/bench_harvest.py's
                continue
            process = timed_process(env, workflow, options)
            cli = cli_seconds(env, workflow, command, options)
            print(
                f"    whole processes: operator {process:.1f} s, `metadata {command} -c` {cli:.1f} s "
                f"(ratio {process / cli:.2f})",
                flush=True,
            )


if __name__ == "__main__":
    main()

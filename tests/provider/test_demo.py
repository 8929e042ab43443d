"""`make demo` (the main job) against the stand-in, and its refusal without a server."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.conftest import REPO_ROOT
from tests.provider.demo_report import held_by, pagila_catalog, plural, report_of, step_counts

DEMO = REPO_ROOT / "platform-bootstrap" / "pagila_demo.py"


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENMETADATA_"))}
    env["PLATFORM_ENV_FILE"] = "/nonexistent/.env"  # a developer's own .env must not leak in
    env["PATH"] = f"{REPO_ROOT / 'tests' / 'support' / 'no_docker'}:{env['PATH']}"  # no engine here either way
    env.update(extra)
    return env


def run_demo(openmetadata, tmp_path, *args, token=None, **env):
    """``pagila_demo.py ARGS`` against the stand-in ``openmetadata`` (its token unless ``token``), in ``tmp_path``."""
    return subprocess.run(
        [sys.executable, str(DEMO), *args],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(
            OPENMETADATA_HOST_PORT=f"http://127.0.0.1:{openmetadata.port}",
            OPENMETADATA_JWT_TOKEN=token or openmetadata.token,
            **env,
        ),
    )


def test_demo_harvests_pagila_into_the_given_server(openmetadata, pagila_postgres, tmp_path):
    result = run_demo(openmetadata, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"http://127.0.0.1:{openmetadata.port}/databaseSchema/pagila.pagila.public" in result.stdout
    assert openmetadata.token not in result.stdout + result.stderr
    report = report_of(result.stdout)

    # The source's counts are OpenMetadata's: partitions are part of their table, the
    # materialized view counts; and the server, counted from its entities, holds the same.
    catalog, held = pagila_catalog(pagila_postgres), held_by(openmetadata)
    assert catalog.partitions > 0 and catalog.materialized_views > 0  # what the old count got wrong
    assert f"{catalog.pg_tables} tables" not in report
    source_line = next(line for line in report.splitlines() if line.startswith("  source (pagila's catalog"))
    assert source_line.endswith(held.describe()), (source_line, held)
    assert catalog.entities() in source_line
    assert f"(the {catalog.partitions} partitions of {catalog.partitioned} are part of it" in report
    server_line = f"  server (OpenMetadata, under pagila.pagila.public, after the run): {held.describe()}"
    assert f"{server_line}: the same as the source\n" in report, report
    assert held.tables + held.views + held.materialized_views == len(
        [t for t in openmetadata.entities("table") if t["fullyQualifiedName"].startswith("pagila.pagila.public.")]
    )
    assert report.rstrip().endswith(
        f"pagila (public) holds {catalog.entities()} (the {catalog.partitions} partitions of {catalog.partitioned} "
        "are part of it), and OpenMetadata holds the same."
    )

    # Each step from its own status: on a fresh server the source reads the service, the
    # database, the schema, every table and view, every stored procedure; its updates are the
    # foreign-key patches of the tables that have foreign keys, which the sink applies.
    entities = held.tables + held.views + held.materialized_views
    source_records, source_updates = step_counts(report, "source", "Postgres")
    sink_records, sink_updates = step_counts(report, "sink", "OpenMetadata")
    assert source_records == 3 + entities + held.stored_procedures, report
    assert source_updates == sink_updates == held.tables_with_foreign_keys > 0, report
    assert sink_records >= source_records, report
    assert "records processed" not in report  # no sum over the steps any more

    # Warnings: the steps' count, and the logged ones, counted as listed.
    header = next(line for line in report.splitlines() if line.startswith("  warnings: "))
    logged = int(header.split("; the run logged ")[1].split()[0])
    assert header.startswith("  warnings: the steps recorded 0; the run logged "), header
    listed = [line for line in report.splitlines() if line.startswith("    - ")]
    assert logged >= 1 and len(listed) == min(logged, 8), report
    assert any("pg_stat_statements" in line for line in listed), report  # upstream's, also in the log above
    assert f"{plural(logged, 'warning')}:" in header


def test_demo_says_clearly_when_there_is_no_server(tmp_path):
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(DEMO)], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=_env()
    )
    assert result.returncode == 2
    assert "No OpenMetadata server" in result.stderr and "OPENMETADATA_HOST_PORT" in result.stderr
    assert "make openmetadata-start" in result.stderr  # both ways out
    assert "Traceback" not in result.stderr and "Loading pagila" not in result.stdout
    assert time.monotonic() - started < 30

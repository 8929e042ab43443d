"""`make demo` with the platform up: the DAG runs on the platform Airflow (the session's real
cluster here), fails fast, and an interrupted local demo leaves nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO_ROOT
from tests.provider.demo_report import held_by, pagila_catalog

DEMO = REPO_ROOT / "platform-bootstrap" / "pagila_demo.py"


@pytest.fixture
def platform_env(tmp_path, om, airflow_cluster, pagila_postgres) -> dict:
    """A platform .env naming the cluster as the platform Airflow and the stand-in as the server."""
    pagila_postgres.psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pagila_reader') "
        "THEN CREATE ROLE pagila_reader LOGIN; END IF; END $$; ALTER ROLE pagila_reader PASSWORD 'reader-pw'"
    )
    pagila_postgres.psql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO pagila_reader", "pagila")
    env_file = tmp_path / ".env"
    env_file.write_text(
        "\n".join(
            [
                f"OPENMETADATA_HOST_PORT=http://127.0.0.1:{om.port}",
                f"OPENMETADATA_JWT_TOKEN={om.token}",
                f"AIRFLOW_BASE_URL={airflow_cluster.base_url}",
                f"AIRFLOW_ADMIN_PASSWORD={airflow_cluster.admin_password}",
                "PAGILA_DB_PASSWORD=reader-pw",
                f"PLATFORM_POSTGRES_PORT={pagila_postgres.port}",
                "",
            ]
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENMETADATA_"))}
    env["PLATFORM_ENV_FILE"] = str(env_file)
    env["PATH"] = f"{REPO_ROOT / 'tests' / 'support' / 'no_docker'}:{env['PATH']}"
    return env


def test_the_demo_runs_the_dag_on_the_platform_airflow(platform_env, om, airflow_cluster, pagila_postgres):
    airflow_cluster.wait_for_dag("pagila_metadata_ingestion")
    result = subprocess.run(
        [sys.executable, str(DEMO)], env=platform_env, capture_output=True, text=True, timeout=600, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    report = result.stdout[result.stdout.index("\nHarvested pagila") :]
    assert report.startswith(
        f"\nHarvested pagila (public) into OpenMetadata from the platform Airflow ({airflow_cluster.base_url})"
    )
    # Counted as OpenMetadata lists pagila (partitions part of their table), as pagila_reader
    # sees the catalog, and the same read back from the server's entities.
    catalog, held = pagila_catalog(pagila_postgres), held_by(om)
    assert f"source (pagila's catalog, counted as OpenMetadata's Postgres connector lists it): {held.describe()}\n" in (
        report
    )
    assert f"server (OpenMetadata, under pagila.pagila.public, after the run): {held.describe()}: the same" in report
    assert "harvest_pagila_schema [success]: metadata ingestion of service 'pagila'" in report
    assert "    source 'Postgres': " in report and "    sink 'OpenMetadata': " in report
    assert "  warnings: the steps recorded 0; the task logs hold " in report
    assert f"{airflow_cluster.base_url}/dags/pagila_metadata_ingestion/runs/" in report
    assert report.rstrip().endswith(
        f"pagila (public) holds {catalog.entities()} (the {catalog.partitions} partitions of {catalog.partitioned} "
        "are part of it), and OpenMetadata holds the same."
    )
    assert "log in as admin@open-metadata.org" in report  # the platform's own server
    assert len(om.entities("table")) > 20
    assert om.token not in output and airflow_cluster.admin_password not in output


def test_a_failing_harvest_on_the_platform_fails_fast_with_the_cause(platform_env, om, airflow_cluster):
    airflow_cluster.wait_for_dag("pagila_metadata_ingestion")
    om.inject(path_prefix="/api/v1/services/databaseServices", status=500)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(DEMO)], env=platform_env, capture_output=True, text=True, timeout=600, check=False
    )
    elapsed = time.monotonic() - started
    om.heal()
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "The pagila harvest FAILED on the platform Airflow" in result.stdout
    assert "harvest_pagila_schema [" in result.stdout
    assert elapsed < 240, elapsed  # the DAG's 5-minute retry delay was not waited out
    runs = airflow_cluster.api("GET", "dags/pagila_metadata_ingestion/dagRuns").json()["dag_runs"]
    assert all(run["state"] in ("success", "failed") for run in runs)


def test_sigterm_stops_the_local_demo_and_its_postgres_without_a_traceback(tmp_path, openmetadata):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENMETADATA_"))}
    env.update(
        PLATFORM_ENV_FILE="/nonexistent/.env",
        OPENMETADATA_HOST_PORT=f"http://127.0.0.1:{openmetadata.port}",
        OPENMETADATA_JWT_TOKEN=openmetadata.token,
        PATH=f"{REPO_ROOT / 'tests' / 'support' / 'no_docker'}:{env['PATH']}",
    )
    process = subprocess.Popen(
        [sys.executable, str(DEMO)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    line = ""
    while "Loading pagila into a throwaway PostgreSQL on" not in line:
        line = process.stdout.readline()
        assert line or process.poll() is None, process.stderr.read()
    port = line.rsplit(":", 1)[1].strip(". \n")
    time.sleep(1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Interrupted" in stderr and "Traceback" not in stderr
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", int(port)), timeout=5):
        pass  # the throwaway PostgreSQL is gone

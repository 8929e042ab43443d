"""``make demo`` with the stack up: it triggers ``pagila_metadata_ingestion`` on the platform
Airflow through REST, follows the run, and prints the harvest that landed in the server container."""

from __future__ import annotations


def test_make_demo_runs_the_dag_on_the_platform_airflow_in_its_containers(stack):
    stack.wait_for_dag("pagila_metadata_ingestion", timeout=180)
    result = stack.make("demo", timeout=900, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    report = result.stdout[result.stdout.index("\nHarvested pagila") :]
    assert report.startswith(
        f"\nHarvested pagila (public) into OpenMetadata from the platform Airflow ({stack.base_url})"
    )
    assert "harvest_pagila_schema [success]" in report, report
    # What it prints is in the server: the harvested tables, read back through the server's API.
    tables = stack.om("GET", "tables", params={"database": "pagila.pagila", "limit": 100}).json()["data"]
    assert {"pagila.pagila.public.rental", "pagila.pagila.public.film"} <= {t["fullyQualifiedName"] for t in tables}
    assert stack.dotenv["OPENMETADATA_JWT_TOKEN"] not in output
    assert stack.dotenv["AIRFLOW_ADMIN_PASSWORD"] not in output

"""From the demo to the kit: after the real pagila harvest into the OpenMetadata stand-in, the
rendered example DAG (``dag.test()``) writes its table into pagila, registers it in the catalog,
and the provider's listener lands its lineage edge on the harvested ``rental`` table."""

from __future__ import annotations

import tempfile
import time

import pytest

from tests.conftest import load_dag

RENTAL = "pagila.pagila.public.rental"
SLUG = "my_datakit"  # the "defaults" combination
DAILY_RENTALS = f"pagila.pagila.{SLUG}.daily_rentals"
COLUMNS_LINEAGE = [
    {"fromColumns": [f"{RENTAL}.rental_date"], "toColumn": f"{DAILY_RENTALS}.rental_day"},
    {"fromColumns": [f"{RENTAL}.rental_id"], "toColumn": f"{DAILY_RENTALS}.rental_count"},
    {"fromColumns": [f"{RENTAL}.customer_id"], "toColumn": f"{DAILY_RENTALS}.customer_count"},
]


def wait_for(predicate, timeout: float = 30.0):
    """Poll ``predicate`` until it returns something truthy (the listener may send in the background)."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


@pytest.fixture
def pagila_scratch_schema(pagila_connection):
    """pagila is shared by the session: drop the schema the example creates in it afterwards."""
    yield pagila_connection
    pagila_connection.psql(f"DROP SCHEMA IF EXISTS {SLUG} CASCADE", database="pagila")


@pytest.fixture
def demo_harvest(openmetadata_connection, pagila_connection, airflow_db, monkeypatch, tmp_path):
    """What `make demo` does: the repository's pagila DAG harvests pagila into the stand-in.

    Returns the harvested tables, FQN -> id.
    """
    # The listener's back-off marker lives in the temp dir: keep other tests' out of this one.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # Its per-event bound (default 3 s) is for production; on a loaded 2-core CI machine the
    # in-process stand-in can be slower than that, and the edge would be dropped with a warning.
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__TIMEOUT", "60")
    harvest = load_dag("pagila_metadata_ingestion.py", "pagila_metadata_ingestion")
    for task in harvest.tasks:
        task.retries = 0
    assert harvest.test().state == "success"
    return {t["fullyQualifiedName"]: t["id"] for t in openmetadata_connection.entities("table")}


@pytest.fixture
def example_dag(demo_harvest, rendered, monkeypatch):
    """The rendered kit's example DAG, parsed after the harvest ran from the repository's dags/."""
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag

    dags_folder = rendered["defaults"] / "dags"
    # dag.test() serialises the DAG from the "dags-folder" bundle, whose path is
    # settings.DAGS_FOLDER (read once at import): make that the datakit's dags/.
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags_folder))
    bag = DagBag(dag_folder=str(dags_folder))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[f"{SLUG}__example_daily_rentals"]
    for task in dag.tasks:
        task.retries = 0  # a failure should show at once
    return dag


def test_the_example_dags_edge_lands_on_the_harvested_pagila_table(
    demo_harvest, example_dag, openmetadata_connection, pagila_scratch_schema
):
    server, pagila, harvested = openmetadata_connection, pagila_scratch_schema, demo_harvest
    assert RENTAL in harvested and DAILY_RENTALS not in harvested

    run = example_dag.test()
    assert run.state == "success"

    tables = {t["fullyQualifiedName"]: t for t in server.entities("table")}
    # The kit registered its table (a real harvest of that one table), and nothing else changed.
    assert set(tables) == {*harvested, DAILY_RENTALS}
    assert {name: tables[name]["id"] for name in harvested} == harvested
    assert not [name for name, t in tables.items() if t.get("deleted")]
    assert [(c["name"], c["dataType"]) for c in tables[DAILY_RENTALS]["columns"]] == [
        ("rental_day", "DATE"),
        ("rental_count", "INT"),
        ("customer_count", "INT"),
    ]

    # The edge lands on the catalog's rental entity, with the pipeline and column lineage.
    key = (harvested[RENTAL], tables[DAILY_RENTALS]["id"])
    edge = wait_for(lambda: server.lineage.edges.get(key))
    assert edge is not None, f"no rental -> daily_rentals edge; edges: {list(server.lineage.edges)}"
    pipelines = {p["name"]: p for p in server.entities("pipeline")}
    assert example_dag.dag_id in pipelines
    details = edge["lineageDetails"]
    assert details["pipeline"]["id"] == pipelines[example_dag.dag_id]["id"]
    assert sorted(details["columnsLineage"], key=lambda c: c["toColumn"]) == sorted(
        COLUMNS_LINEAGE, key=lambda c: c["toColumn"]
    )
    assert [k for k in server.lineage.edges if tables[DAILY_RENTALS]["id"] in k] == [key]
    assert server.unsupported == []

    # And the data is there: one row per rental day, adding up to every rental.
    expected = pagila.psql("SELECT count(DISTINCT rental_date::date), count(*) FROM public.rental", database="pagila")
    written = pagila.psql(f"SELECT count(*), sum(rental_count) FROM {SLUG}.daily_rentals", database="pagila")
    assert written == expected and int(written.split("|")[0]) > 0

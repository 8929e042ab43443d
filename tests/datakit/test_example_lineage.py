"""The example DAG of a rendered datakit runs with ``dag.test()`` against the OpenMetadata
stand-in, and the provider's listener delivers its lineage (no lineage code in the DAG)."""

from __future__ import annotations

import importlib.util
import tempfile

import pytest

from tests.openmetadata_standin.seed import create_tables

LINEAGE_MISSING = importlib.util.find_spec("openmetadata_platform.lineage") is None
pytestmark = pytest.mark.skipif(
    LINEAGE_MISSING, reason="openmetadata_platform.lineage (the lineage listener, issue 5) is not installed yet"
)

ORDERS = "warehouse.sales.public.orders"
DAILY_ORDERS = "warehouse.sales.reporting.daily_orders"
TABLES = {ORDERS: ["order_id", "customer_id", "ordered_at"], DAILY_ORDERS: ["day", "order_count"]}


@pytest.fixture
def example_dag(rendered, airflow_db, monkeypatch):
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag

    dags_folder = rendered["defaults"] / "dags"
    # dag.test() serialises the DAG from the "dags-folder" bundle, whose path is
    # settings.DAGS_FOLDER (read once at import): make that the datakit's dags/.
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags_folder))
    bag = DagBag(dag_folder=str(dags_folder))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["my_datakit__example_daily_orders"]
    for task in dag.tasks:
        task.retries = 0  # a failure should show at once
    return dag


def test_example_dag_lineage_arrives(example_dag, openmetadata_connection, monkeypatch, tmp_path):
    server = openmetadata_connection
    create_tables(server, TABLES)
    # The listener's back-off marker lives in the temp dir: keep other tests' out of this one.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run = example_dag.test()
    assert run.state == "success"
    ids = {t["fullyQualifiedName"]: t["id"] for t in server.entities("table")}
    edge = server.lineage.edges.get((ids[ORDERS], ids[DAILY_ORDERS]))
    assert edge is not None, f"no orders -> daily_orders edge; edges: {list(server.lineage.edges)}"
    details = edge["lineageDetails"]
    (pipeline,) = server.entities("pipeline")
    assert pipeline["name"] == example_dag.dag_id
    assert details["pipeline"]["id"] == pipeline["id"]
    assert details["columnsLineage"] == [
        {"fromColumns": [f"{ORDERS}.order_id"], "toColumn": f"{DAILY_ORDERS}.order_count"}
    ]
    assert len(server.lineage.edges) == 1
    assert server.unsupported == []

"""The explicit operator, hook-reported SQL lineage and the connector DAG's config."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import load_dag
from tests.lineage.conftest import MART, SOURCE, STAGING, run_dag


def test_operator_sends_every_task_edge(om_tables, etl_dag):
    from openmetadata_platform.operators.lineage import OpenMetadataLineageOperator

    op = OpenMetadataLineageOperator(task_id="send_lineage", dag=etl_dag)
    result = op.execute(context={})
    assert result == {"pipeline": "airflow.example_customer_etl", "edges": 2}
    (pipeline,) = om_tables.entities("pipeline")
    assert {e["lineageDetails"]["pipeline"]["id"] for e in om_tables.lineage.edges.values()} == {pipeline["id"]}
    assert om_tables.unsupported == []


def test_operator_fails_visibly_when_server_is_down(etl_dag, airflow_db, monkeypatch):
    from airflow.sdk.exceptions import AirflowException
    from openmetadata_platform.operators.lineage import OpenMetadataLineageOperator
    from platform_bootstrap.local_postgres import free_port

    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT",
        json.dumps(dict(conn_type="openmetadata", host="127.0.0.1", port=free_port(), schema="http", password="t")),
    )
    op = OpenMetadataLineageOperator(task_id="send_lineage", dag=etl_dag)
    with pytest.raises(AirflowException, match="ConnectError"):
        op.execute(context={})


def test_operator_fails_while_the_server_is_backing_off(om_tables, etl_dag):
    """fail_on_error means it: a paused sender is a failed task, not "0 edges"."""
    from airflow.sdk.exceptions import AirflowException
    from openmetadata_platform.operators.lineage import OpenMetadataLineageOperator

    om_tables.inject(status=503)
    op = OpenMetadataLineageOperator(task_id="send_lineage", dag=etl_dag)
    with pytest.raises(AirflowException, match="HTTP 503"):
        op.execute(context={})
    om_tables.heal()
    with pytest.raises(AirflowException, match="paused until"):
        op.execute(context={})  # the server is fine again, but the back-off still holds
    assert om_tables.lineage.edges == {}
    quiet = OpenMetadataLineageOperator(task_id="quiet", dag=etl_dag, fail_on_error=False)
    assert quiet.execute(context={}) == {"pipeline": None, "edges": 0}


def test_sql_tables_reads_and_writes():
    from openmetadata_platform.lineage.hook_lineage import sql_tables

    ((reads, writes),) = sql_tables(
        "WITH active AS (SELECT * FROM customer WHERE activebool) "
        "INSERT INTO staging.stg_customer SELECT a.customer_id FROM active a JOIN public.address d USING (address_id)",
        "postgres",
        "pagila",
        "pagila",
        "public",
    )
    assert writes == ["pagila.pagila.staging.stg_customer"]
    assert sorted(reads) == ["pagila.pagila.public.address", "pagila.pagila.public.customer"]
    assert sql_tables("SELECT 1 FROM customer", "postgres", "s", "d", "public") == [(["s.d.public.customer"], [])]
    # one group per statement: x feeds a, y feeds b, never x -> b
    assert sql_tables("INSERT INTO a SELECT * FROM x; INSERT INTO b SELECT * FROM y", "postgres", "s", "d", "p") == [
        (["s.d.p.x"], ["s.d.p.a"]),
        (["s.d.p.y"], ["s.d.p.b"]),
    ]


def test_sql_hook_lineage_reaches_the_collector(monkeypatch):
    """A real DbApiHook.run reports its SQL to Airflow's collector (active because our plugin
    registers a hook lineage reader); the reader turns it into OpenMetadata FQNs."""
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from openmetadata_platform.lineage import hook_lineage

    monkeypatch.setenv(
        "AIRFLOW_CONN_WAREHOUSE_DB",
        json.dumps(dict(conn_type="generic", schema="analytics", extra={"openmetadata_service": "warehouse"})),
    )
    db = sqlite3.connect(":memory:")

    class SqliteLikeHook(DbApiHook):
        conn_name_attr = "warehouse_conn_id"
        default_conn_name = "warehouse_db"

        def get_conn(self):
            return db

        @property
        def dialect_name(self):
            return "postgresql"  # the SQL below is also valid PostgreSQL

    db.execute("ATTACH ':memory:' AS staging")
    db.execute("ATTACH ':memory:' AS mart")
    db.execute("CREATE TABLE staging.stg_customer (customer_id int, full_name text)")
    db.execute("CREATE TABLE mart.dim_customer (customer_key int, full_name text)")
    start = hook_lineage.snapshot()
    SqliteLikeHook().run("INSERT INTO mart.dim_customer SELECT customer_id, full_name FROM staging.stg_customer")
    tables = hook_lineage.since(start)
    assert (tables.groups, tables.problems) == ([([STAGING], [MART])], [])


def test_hook_lineage_edges_are_sent_unless_only_dag_lineage(om_tables, etl_dag, monkeypatch):
    """Hook-reported tables join the declared ones; only_keep_dag_lineage drops them."""
    from airflow.sdk.lineage import get_hook_lineage_collector
    from openmetadata_platform.lineage import om_table

    task = etl_dag.task_dict["announce"]

    def report():  # what a hook knowing OpenMetadata names would do
        collector = get_hook_lineage_collector()
        collector.add_input_asset(context=task, uri=om_table(MART).uri)
        collector.add_output_asset(context=task, uri=om_table(SOURCE).uri)

    task.python_callable = report
    assert run_dag(etl_dag).state == "success"
    by_id = {t["id"]: t["fullyQualifiedName"] for t in om_tables.entities("table")}
    assert (MART, SOURCE) in {(by_id[a], by_id[b]) for a, b in om_tables.lineage.edges}

    om_tables.lineage.edges.clear()
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__ONLY_KEEP_DAG_LINEAGE", "True")
    assert run_dag(etl_dag).state == "success"
    assert {(by_id[a], by_id[b]) for a, b in om_tables.lineage.edges} == {(SOURCE, STAGING), (STAGING, MART)}


def test_declared_and_hook_lineage_are_not_crossed(om_tables, etl_dag):
    """A task declaring customer -> stg_customer whose hook also reports stg_customer ->
    dim_customer sends exactly those two edges: never customer -> dim_customer."""
    from airflow.sdk.lineage import get_hook_lineage_collector
    from openmetadata_platform.lineage import om_table

    task = etl_dag.task_dict["stage_customers"]

    def load():
        collector = get_hook_lineage_collector()
        collector.add_input_asset(context=task, uri=om_table(STAGING).uri)
        collector.add_output_asset(context=task, uri=om_table(MART).uri)

    task.python_callable = load
    etl_dag.task_dict["build_customer_mart"].outlets = []  # only stage_customers sends lineage
    assert run_dag(etl_dag).state == "success"
    by_id = {t["id"]: t["fullyQualifiedName"] for t in om_tables.entities("table")}
    edges = {(by_id[a], by_id[b]): e["lineageDetails"] for (a, b), e in om_tables.lineage.edges.items()}
    assert set(edges) == {(SOURCE, STAGING), (STAGING, MART)}
    assert "columnsLineage" not in edges[(STAGING, MART)]  # hooks declare no columns here
    assert len(edges[(SOURCE, STAGING)]["columnsLineage"]) == 3


def test_connector_dag_builds_a_valid_workflow(airflow_db):
    from metadata.generated.schema.metadataIngestion.workflow import (
        OpenMetadataWorkflowConfig,
    )
    from openmetadata_platform.ingestion.airflow_pipelines import airflow_api_url, workflow_config

    dag = load_dag("airflow_pipeline_metadata.py", "airflow_pipeline_metadata")
    assert list(dag.task_dict) == ["harvest_pipelines"]
    config = workflow_config(
        "airflow",
        airflow_api_url("localhost", 8080),
        "admin",
        "pw",
        {
            "hostPort": "http://localhost:8585/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": "jwt"},
        },
    )
    parsed = OpenMetadataWorkflowConfig.model_validate(config)
    assert parsed.source.type == "airflow"
    assert str(parsed.source.serviceConnection.root.config.hostPort).rstrip("/") == "http://localhost:8080"
    assert parsed.source.serviceConnection.root.config.connection.type.value == "RestAPI"

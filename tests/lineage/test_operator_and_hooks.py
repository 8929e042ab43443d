"""The explicit operator, hook-reported SQL lineage and the connector DAG's config."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import load_dag
from tests.lineage.conftest import MART, SOURCE, STAGING


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

    from tests.support.postgres import free_port

    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT",
        json.dumps(dict(conn_type="openmetadata", host="127.0.0.1", port=free_port(), schema="http", password="t")),
    )
    op = OpenMetadataLineageOperator(task_id="send_lineage", dag=etl_dag)
    with pytest.raises(AirflowException, match="ConnectError"):
        op.execute(context={})


def test_sql_tables_reads_and_writes():
    from openmetadata_platform.lineage.hook_lineage import sql_tables

    reads, writes = sql_tables(
        "WITH active AS (SELECT * FROM customer WHERE activebool) "
        "INSERT INTO staging.stg_customer SELECT a.customer_id FROM active a JOIN public.address d USING (address_id)",
        "postgres",
        "pagila",
        "pagila",
        "public",
    )
    assert writes == ["pagila.pagila.staging.stg_customer"]
    assert sorted(reads) == ["pagila.pagila.public.address", "pagila.pagila.public.customer"]
    assert sql_tables("SELECT 1 FROM customer", "postgres", "s", "d", "public") == (["s.d.public.customer"], [])


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
    assert (tables.inputs, tables.outputs, tables.problems) == ([STAGING], [MART], [])


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
    assert etl_dag.test().state == "success"
    by_id = {t["id"]: t["fullyQualifiedName"] for t in om_tables.entities("table")}
    assert (MART, SOURCE) in {(by_id[a], by_id[b]) for a, b in om_tables.lineage.edges}

    om_tables.lineage.edges.clear()
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__ONLY_KEEP_DAG_LINEAGE", "True")
    assert etl_dag.test().state == "success"
    assert {(by_id[a], by_id[b]) for a, b in om_tables.lineage.edges} == {(SOURCE, STAGING), (STAGING, MART)}


def test_connector_dag_builds_a_valid_workflow(airflow_db):
    from metadata.generated.schema.metadataIngestion.workflow import (
        OpenMetadataWorkflowConfig,
    )

    dag = load_dag("airflow_pipeline_metadata.py", "airflow_pipeline_metadata")
    assert list(dag.task_dict) == ["harvest_pipelines"]
    from importlib.util import module_from_spec, spec_from_file_location

    from tests.conftest import DAGS_FOLDER

    spec = spec_from_file_location("airflow_pipeline_metadata_dag", DAGS_FOLDER / "airflow_pipeline_metadata.py")
    dag_module = module_from_spec(spec)
    spec.loader.exec_module(dag_module)
    config = dag_module.workflow_config(
        "airflow",
        "http://localhost:8080",
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
    assert parsed.source.serviceConnection.root.config.connection.type.value == "RestAPI"

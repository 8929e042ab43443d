"""Lineage and run status on a real OpenMetadata server (skipped unless one is configured).

Runs ``example_customer_etl`` with the listener, on tables and services of its own (unique
names, hard-deleted afterwards), and reads back what a user would look at: the Pipeline and
its tasks, the run's final status, both edges with their column lineage, the owner and the
DAG tags. ``make test-e2e`` runs it with the server in platform-bootstrap/.env.
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.test_real_openmetadata import HOST_PORT, TOKEN, real_server  # noqa: F401 - the fixture
from tests.lineage.conftest import MART, SOURCE, STAGING, TABLES, run_dag

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (HOST_PORT and TOKEN), reason="needs a real server: set OPENMETADATA_HOST_PORT and OPENMETADATA_JWT_TOKEN"
    ),
]


@pytest.fixture
def unique_etl(real_server, airflow_db, monkeypatch, tmp_path):  # noqa: F811 - pytest fixture by name
    """The example DAG on tables of services named for this run; everything is deleted after."""
    from metadata.generated.schema.api.data.createDatabase import CreateDatabaseRequest
    from metadata.generated.schema.api.data.createDatabaseSchema import CreateDatabaseSchemaRequest
    from metadata.generated.schema.api.data.createTable import CreateTableRequest
    from metadata.generated.schema.api.services.createDatabaseService import CreateDatabaseServiceRequest
    from metadata.generated.schema.entity.data.table import Column, DataType
    from metadata.generated.schema.entity.services.databaseService import DatabaseService, DatabaseServiceType
    from metadata.generated.schema.entity.services.pipelineService import PipelineService
    from openmetadata_platform.lineage import om_table

    from tests.conftest import load_dag

    client, _ = real_server
    suffix = uuid.uuid4().hex[:8]
    rename = {fqn: f"{fqn.split('.')[0]}_e2e_{suffix}.{fqn.split('.', 1)[1]}" for fqn in TABLES}
    for fqn, columns in TABLES.items():
        service, database, schema, table = rename[fqn].split(".")
        client.create_or_update(CreateDatabaseServiceRequest(name=service, serviceType=DatabaseServiceType.Postgres))
        client.create_or_update(CreateDatabaseRequest(name=database, service=service))
        client.create_or_update(CreateDatabaseSchemaRequest(name=schema, database=f"{service}.{database}"))
        client.create_or_update(
            CreateTableRequest(
                name=table,
                databaseSchema=f"{service}.{database}.{schema}",
                columns=[Column(name=c, dataType=DataType.VARCHAR, dataLength=64) for c in columns],
            )
        )
    pipeline_service = f"airflow_e2e_{suffix}"
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__PIPELINE_SERVICE_NAME", pipeline_service)
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__STATE_DIR", str(tmp_path / "lineage-state"))
    monkeypatch.setenv("AIRFLOW__OPENMETADATA_LINEAGE__STATUS_INTERVAL", "0")
    dag = load_dag("example_customer_etl.py", "example_customer_etl")
    for task in dag.tasks:
        task.retries = 0
        task.owner = "ingestion-bot"  # a user every server has
        task.inlets = [
            om_table(rename[a.name], getattr(a, "extra", {}).get("openmetadata", {}).get("columns"))
            for a in task.inlets
        ]
        task.outlets = [
            om_table(
                rename[a.name],
                {
                    k: [_rename_column(c, rename) for c in v]
                    for k, v in (a.extra.get("openmetadata", {}).get("columns") or {}).items()
                },
            )
            for a in task.outlets
        ]
    yield client, dag, rename, pipeline_service
    service = client.get_by_name(PipelineService, pipeline_service)
    if service:
        client.delete(PipelineService, service.id, recursive=True, hard_delete=True)
    for name in {fqn.split(".")[0] for fqn in rename.values()}:
        found = client.get_by_name(DatabaseService, name)
        if found:
            client.delete(DatabaseService, found.id, recursive=True, hard_delete=True)


def _rename_column(column_fqn: str, rename: dict[str, str]) -> str:
    table, _, column = column_fqn.rpartition(".")
    return f"{rename[table]}.{column}"


def test_example_etl_lineage_and_status_on_a_real_server(unique_etl):
    from metadata.generated.schema.entity.data.pipeline import Pipeline
    from metadata.generated.schema.entity.data.table import Table

    client, dag, rename, pipeline_service = unique_etl
    run = run_dag(dag)
    assert run.state == "success"

    fqn = f"{pipeline_service}.example_customer_etl"
    pipeline = client.get_by_name(Pipeline, fqn, fields=["tasks", "owners", "tags"])
    assert pipeline is not None, fqn
    tasks = {t.name: t for t in pipeline.tasks}
    assert {n: sorted(t.downstreamTasks or []) for n, t in tasks.items()} == {
        "stage_customers": ["build_customer_mart"],
        "build_customer_mart": ["announce"],
        "announce": [],
    }
    assert [o.name for o in pipeline.owners.root] == ["ingestion-bot"]
    assert {t.tagFQN.root for t in pipeline.tags} == {"AirflowTags.example", "AirflowTags.openmetadata"}
    assert pipeline.version.root == 0.1  # both sides sent the same Pipeline

    status = client.client.get(f"/pipelines/{fqn}/status", data={"startTs": 0, "endTs": 2**62})["data"][0]
    assert (status["executionId"], status["executionStatus"]) == (run.run_id, "Successful")
    assert {t["name"] for t in status["taskStatus"]} == set(tasks)
    assert all(t["executionStatus"] == "Successful" and t.get("logLink") for t in status["taskStatus"])

    ids = {name: client.get_by_name(Table, rename[name]).id.root for name in (SOURCE, STAGING, MART)}
    for source, target in ((SOURCE, STAGING), (STAGING, MART)):
        edge = client.client.get(f"/lineage/getLineageEdge/{ids[source]}/{ids[target]}")["edge"]
        assert edge["pipeline"]["id"] == str(pipeline.id.root)
        assert edge["source"] == "PipelineLineage"
        assert {c["toColumn"].rsplit(".", 1)[1] for c in edge["columnsLineage"]} == set(
            next(t for t in dag.tasks if rename[target] in {o.name for o in t.outlets})
            .outlets[0]
            .extra["openmetadata"]["columns"]
        )

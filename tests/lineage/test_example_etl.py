"""The example ETL DAG run in-process (``dag.test()``) with the provider's plugin as a user
gets it (loaded through the ``airflow.plugins`` entry point), against the stand-in."""

from __future__ import annotations

import logging
from urllib.parse import quote

from tests.lineage.conftest import MART, SOURCE, STAGING, lineage_warnings, new_process, run_dag


def edges_by_fqn(server) -> dict[tuple[str, str], dict]:
    by_id = {t["id"]: t["fullyQualifiedName"] for t in server.entities("table")}
    return {(by_id[a], by_id[b]): e["lineageDetails"] for (a, b), e in server.lineage.edges.items()}


def pipeline_puts(server) -> int:
    return sum(1 for r in server.requests if (r.method, r.path) == ("PUT", "/api/v1/pipelines"))


def test_plugin_is_loaded_from_the_entry_point():
    from airflow.sdk.listener import get_listener_manager
    from openmetadata_platform.plugins.listener import listener

    assert get_listener_manager().pm.is_registered(listener)


def test_run_reports_pipeline_status_and_lineage(om_tables, etl_dag, caplog):
    caplog.set_level(logging.INFO, logger="openmetadata_platform.lineage")
    run = run_dag(etl_dag)
    assert run.state == "success"
    server = om_tables
    assert server.unsupported == []
    assert lineage_warnings(caplog) == []

    (service,) = server.entities("pipelineService")
    assert (service["name"], service["serviceType"]) == ("airflow", "Airflow")
    (pipeline,) = server.entities("pipeline")
    assert pipeline["fullyQualifiedName"] == "airflow.example_customer_etl"
    tasks = {t["name"]: t for t in pipeline["tasks"]}
    assert {n: t["downstreamTasks"] for n, t in tasks.items()} == {
        "stage_customers": ["build_customer_mart"],
        "build_customer_mart": ["announce"],
        "announce": [],
    }
    assert tasks["stage_customers"]["description"].startswith("Copy active customers")
    assert tasks["announce"]["sourceUrl"] == "http://airflow.example:8080/dags/example_customer_etl/tasks/announce"
    assert pipeline["sourceUrl"] == "http://airflow.example:8080/dags/example_customer_etl"
    assert pipeline["scheduleInterval"] == "0 0 * * *"  # the timetable's summary (cron)
    assert pipeline["version"] == 0.1  # both sides sent the same Pipeline: no update
    assert pipeline["description"].startswith("Customers from pagila")
    assert [(o["type"], o["name"]) for o in pipeline["owners"]] == [("team", "data-platform")]  # default_args owner
    assert [t["tagFQN"] for t in pipeline["tags"]] == ["AirflowTags.example", "AirflowTags.openmetadata"]

    statuses = server.pipeline_statuses.statuses["airflow.example_customer_etl"]
    (status,) = statuses.values()
    assert status["executionId"] == run.run_id
    assert status["timestamp"] == int(run.logical_date.timestamp() * 1000)
    assert status["executionStatus"] == "Successful"
    assert status["endTime"] >= status["timestamp"]
    by_task = {t["name"]: t for t in status["taskStatus"]}
    assert set(by_task) == {"stage_customers", "build_customer_mart", "announce"}
    for name, task in by_task.items():
        assert task["executionStatus"] == "Successful"
        assert task["startTime"] <= task["endTime"]
        assert task["logLink"] == (
            f"http://airflow.example:8080/dags/example_customer_etl/runs/{quote(run.run_id)}/tasks/{name}?try_number=1"
        )
    assert by_task["stage_customers"]["endTime"] <= by_task["build_customer_mart"]["startTime"]
    # one writer per run, the scheduler side: dag.test() creates the run already running (no
    # on_dag_run_running), so its one status is the final one; the task processes sent none
    assert server.count("PUT", "/api/v1/pipelines/airflow.example_customer_etl/status") == 1
    assert pipeline_puts(server) == 2  # the 404 (no service yet), then the Pipeline

    edges = edges_by_fqn(server)
    assert set(edges) == {(SOURCE, STAGING), (STAGING, MART)}
    for details in edges.values():
        assert details["pipeline"]["id"] == pipeline["id"]
        assert details["pipeline"]["type"] == "pipeline"
        assert details["source"] == "PipelineLineage"
    assert sorted((c["toColumn"], c["fromColumns"]) for c in edges[(SOURCE, STAGING)]["columnsLineage"]) == [
        (f"{STAGING}.customer_id", [f"{SOURCE}.customer_id"]),
        (f"{STAGING}.email", [f"{SOURCE}.email"]),
        (f"{STAGING}.full_name", [f"{SOURCE}.first_name", f"{SOURCE}.last_name"]),
    ]
    assert {c["toColumn"] for c in edges[(STAGING, MART)]["columnsLineage"]} == {
        f"{MART}.customer_key",
        f"{MART}.full_name",
    }


def test_a_second_run_changes_no_version(om_tables, etl_dag):
    assert run_dag(etl_dag).state == "success"
    new_process()  # a new scheduler: no memory of what it sent, the host cache stays
    assert run_dag(etl_dag).state == "success"
    (pipeline,) = om_tables.entities("pipeline")
    assert pipeline["version"] == 0.1
    assert len(om_tables.pipeline_statuses.statuses["airflow.example_customer_etl"]) == 2  # one per run
    assert pipeline_puts(om_tables) == 2  # only the first run's (404 + create)


def test_changing_the_dag_updates_the_pipeline(om_tables, etl_dag):
    """Tasks and links follow the DAG; a curated description stays, as the server keeps a
    non-empty description against a bot's PUT (EntityUpdater.updateDescription)."""
    from airflow.providers.standard.operators.empty import EmptyOperator

    assert run_dag(etl_dag).state == "success"
    (before,) = [dict(p) for p in om_tables.entities("pipeline")]
    etl_dag.description = "Customers, now with a quality check."
    check = EmptyOperator(task_id="quality_check", dag=etl_dag)
    etl_dag.task_dict["announce"] >> check
    assert run_dag(etl_dag).state == "success"
    (after,) = om_tables.entities("pipeline")
    assert after["id"] == before["id"]
    assert after["version"] == round(before["version"] + 0.1, 1)
    assert after["description"] == before["description"]  # a bot cannot overwrite it
    tasks = {t["name"]: t["downstreamTasks"] for t in after["tasks"]}
    assert tasks["announce"] == ["quality_check"] and tasks["quality_check"] == []
    assert om_tables.unsupported == []

"""The OpenMetadata server's pipeline service client against the real Airflow: deploy, run,
status, logs, enable/disable, kill, delete; the pagila metadata pipeline harvests for real.

The "server" is the stand-in: its ``/v1/services/ingestionPipelines/deploy|trigger|...``
endpoints call the managed APIs through the Python port of ``AirflowRESTClient``
(tests/support/airflow_rest_client.py), as the OpenMetadata UI's buttons make the server do.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.platform_airflow.conftest import (
    MANAGED_API,
    create,
    metadata_pipeline_request,
    pagila_service_request,
    wait_for,
)
from tests.support.airflow_rest_client import AirflowRESTClient, PipelineServiceClientError


def _server_post(om, path: str) -> dict:
    status, answer = om.call("POST", path)
    assert status == 200, answer
    return answer


def _run_ids(cluster) -> set[str]:
    response = cluster.api("GET", "dags/pagila_metadata/dagRuns")
    if response.status_code == 404:  # deployed, not parsed yet
        return set()
    return {r["dag_run_id"] for r in response.json()["dag_runs"]}


def _trigger(om, cluster, pipeline) -> tuple[str, str]:
    """Trigger through the server as the UI's "Run" does, right after the deploy; return (run id,
    final state). The run must have run its task: an empty run (upstream's ``start_date = utcnow()``
    race, platform-bootstrap/airflow/config/airflow_local_settings.py) fails the test."""
    before = _run_ids(cluster)
    answer = _server_post(om, f"/services/ingestionPipelines/trigger/{pipeline['id']}")
    assert answer["code"] == 200, answer
    run_id = wait_for(lambda: next(iter(_run_ids(cluster) - before), None), 30, "the trigger created no run")
    state = cluster.wait_for_run("pagila_metadata", run_id, timeout=240)
    ran = [ti for ti in cluster.task_instances("pagila_metadata", run_id) if ti.get("start_date")]
    assert ran, f"run {run_id} ended {state} without running a task"
    return run_id, state


def test_the_client_detects_airflow_3_and_posts_with_csrf_token_and_session_cookie(airflow_cluster):
    client = AirflowRESTClient(airflow_cluster.base_url, airflow_cluster.admin_user, airflow_cluster.admin_password)
    try:
        status = client.service_status()
        assert status == {"code": 200, "version": client.detected_version, "platform": "Airflow"}
        assert client.build_uri("deploy").endswith("/pluginsv2/api/v2/openmetadata/deploy")
        assert client.requests[0] == ("GET", f"{MANAGED_API}/health-auth", 200)  # the first try is Airflow 3's
        answer = client.run_pipeline("cluster_probe")  # any POST: fetches the token first
        assert answer["code"] == 200 and "has been triggered" in answer["reason"]
        assert ("GET", f"{MANAGED_API}/csrf-token", 200) in client.requests
        assert client.csrf_token and client.session_cookies and client.session_cookies[0].startswith("session=")
    finally:
        client.close()


def test_a_wrong_airflow_password_is_an_authentication_failure_the_server_reports(om, airflow_cluster):
    client = AirflowRESTClient(airflow_cluster.base_url, airflow_cluster.admin_user, "not-the-password")
    try:
        # health-auth answers 401 to every detection probe, so no API version is found
        assert client.service_status()["code"] == 500
        response = httpx.get(f"{airflow_cluster.base_url}{MANAGED_API}/health-auth", auth=("admin", "nope"), timeout=60)
        assert response.status_code == 401
        client._segments = ("pluginsv2", "api", "v2", "openmetadata")  # as after an earlier good detection
        status = client.service_status()
        assert status["code"] == 500
        assert status["reason"].startswith("Authentication failed for user [admin]")
    finally:
        client.close()
    # the stand-in's GET /services/ingestionPipelines/status shows the server's view the same way
    good = om.pipeline_service_client
    om.pipeline_service_client = AirflowRESTClient(airflow_cluster.base_url, "admin", "not-the-password")
    try:
        om.pipeline_service_client._segments = ("pluginsv2", "api", "v2", "openmetadata")
        status, answer = om.call("GET", "/services/ingestionPipelines/status")
        assert status == 200 and answer["code"] == 500 and "Authentication failed" in answer["reason"]
    finally:
        om.pipeline_service_client.close()
        om.pipeline_service_client = good
    status, answer = om.call("GET", "/services/ingestionPipelines/status")
    assert answer["code"] == 200 and answer["platform"] == "Airflow"


def test_an_invalid_ingestion_pipeline_is_a_400_naming_the_field_and_deploys_nothing(
    om, airflow_cluster, pagila_postgres
):
    from tests.openmetadata_standin.ingestion_pipelines import deployable

    service = create(om, "services/databaseServices", pagila_service_request(pagila_postgres))
    pipeline = create(om, "services/ingestionPipelines", metadata_pipeline_request(service, "invalid_probe"))
    body = json.loads(deployable(om, pipeline))
    body["airflowConfig"] = {"scheduleInterval": 5}  # a number where the schema wants a cron string
    response = httpx.post(
        f"{airflow_cluster.base_url}{MANAGED_API}/deploy",
        json=body,
        auth=(airflow_cluster.admin_user, airflow_cluster.admin_password),
        timeout=60,
    )
    assert response.status_code == 400, response.text
    assert "Invalid IngestionPipeline: airflowConfig.scheduleInterval" in response.json()["error"]
    del body["pipelineType"]
    response = httpx.post(
        f"{airflow_cluster.base_url}{MANAGED_API}/deploy",
        json=body,
        auth=(airflow_cluster.admin_user, airflow_cluster.admin_password),
        timeout=60,
    )
    assert response.status_code == 400 and "pipelineType" in response.json()["error"], response.text
    assert not (airflow_cluster.dags_folder / "invalid_probe.py").exists()
    assert not (airflow_cluster.home / "dag_generated_configs" / "invalid_probe.json").exists()


def test_the_pagila_pipeline_is_deployed_run_reported_and_managed_like_the_ui_does(
    om, airflow_cluster, pagila_postgres
):
    cluster = airflow_cluster
    service = create(om, "services/databaseServices", pagila_service_request(pagila_postgres))
    pipeline = create(om, "services/ingestionPipelines", metadata_pipeline_request(service))
    assert pipeline["fullyQualifiedName"] == "pagila.pagila_metadata" and pipeline["deployed"] is False

    # Deploy: the DAG file and its config are written; the scheduler knows the DAG.
    answer = _server_post(om, f"/services/ingestionPipelines/deploy/{pipeline['id']}")
    assert answer["code"] == 200 and "has been created" in answer["reason"], answer
    config = json.loads((cluster.home / "dag_generated_configs" / "pagila_metadata.json").read_text())
    assert config["fullyQualifiedName"] == "pagila.pagila_metadata"
    assert om.store.get_by_id("ingestionPipeline", pipeline["id"])["deployed"] is True

    # Run it at once, as the UI's Deploy-then-Run does; it harvests pagila and reports its status.
    run_id, state = _trigger(om, cluster, pipeline)
    assert state == "success", cluster.task_log("pagila_metadata", run_id, "ingestion_task")[-4000:]
    tables = {t["fullyQualifiedName"] for t in om.entities("table")}
    assert "pagila.pagila.public.customer" in tables and len(tables) > 20, cluster.task_log(
        "pagila_metadata", run_id, "ingestion_task"
    )[-6000:]
    statuses = om.extensions.all_rows("ingestionPipeline.pipelineStatus")["pagila.pagila_metadata"]
    assert [s["pipelineState"] for s in statuses] == ["success"]
    assert {step["name"] for step in statuses[0]["status"]} >= {"Postgres", "OpenMetadata"}
    status, listed = om.call(
        "GET",
        "/services/ingestionPipelines/pagila.pagila_metadata/pipelineStatus",
        query={"startTs": 0, "endTs": 2**62},
    )
    assert status == 200 and listed["data"][-1]["runId"] == statuses[0]["runId"]

    # Logs of the last run, as the UI's "Logs" shows them.
    status, logs = om.call("GET", f"/services/ingestionPipelines/logs/{pipeline['id']}/last")
    assert status == 200 and "ingestion_task" in logs and "Postgres" in logs["ingestion_task"], logs

    # Disable: the DAG is paused, so a run triggered now stays queued; Kill marks it failed;
    # Enable unpauses the DAG again.
    toggled = _server_post(om, f"/services/ingestionPipelines/toggleIngestion/{pipeline['id']}")
    assert toggled["enabled"] is False and cluster.api("GET", "dags/pagila_metadata").json()["is_paused"] is True
    _server_post(om, f"/services/ingestionPipelines/trigger/{pipeline['id']}")
    answer = _server_post(om, f"/services/ingestionPipelines/kill/{pipeline['id']}")
    assert answer["code"] == 200 and "has been killed" in answer["reason"], answer
    runs = cluster.api("GET", "dags/pagila_metadata/dagRuns").json()["dag_runs"]
    assert sorted(r["state"] for r in runs) == ["failed", "success"]
    toggled = _server_post(om, f"/services/ingestionPipelines/toggleIngestion/{pipeline['id']}")
    assert toggled["enabled"] is True and cluster.api("GET", "dags/pagila_metadata").json()["is_paused"] is False
    with pytest.raises(PipelineServiceClientError, match="no running or pending runs"):
        om.pipeline_service_client.kill_ingestion("pagila_metadata")  # nothing left to kill: 404 from Airflow

    # Delete: the server deletes the DAG with the entity.
    status, _ = om.call("DELETE", f"/services/ingestionPipelines/{pipeline['id']}", query={"hardDelete": "true"})
    assert status == 200
    deletes = [r for r in om.pipeline_service_client.requests if r[0] == "DELETE"]
    assert deletes[-1] == ("DELETE", f"{MANAGED_API}/delete", 200), deletes
    assert not (cluster.dags_folder / "pagila_metadata.py").exists()
    assert not (cluster.home / "dag_generated_configs" / "pagila_metadata.json").exists()

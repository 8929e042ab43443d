"""Deploy-then-Run, as the UI does it, is always a real run; a re-parse stores no new DAG version.

Upstream gives every generated DAG ``start_date = utcnow()`` at each parse, so a run triggered
around a (re)deploy could get no task instances and "succeed" doing nothing, and a trigger before
the first parse answered 500. The platform's cluster policy
(platform-bootstrap/airflow/config/airflow_local_settings.py) and the guard's trigger
(platform_guard/dags.py) are what these tests hold to, on the session cluster with the
platform's dag-processor settings.
"""

from __future__ import annotations

import json
import time

import httpx

from tests.platform_airflow.conftest import (
    MANAGED_API,
    create,
    metadata_pipeline_request,
    pagila_service_request,
    wait_for,
)

ROUNDS = 50


def _managed(cluster, method: str, route: str, body: dict) -> httpx.Response:
    return httpx.request(
        method,
        f"{cluster.base_url}{MANAGED_API}/{route}",
        json=body,
        auth=(cluster.admin_user, cluster.admin_password),
        timeout=120,
    )


def _pipeline_body(om, pagila_postgres, name: str, paused: bool, max_active_runs: int = 1) -> dict:
    """A metadata pipeline that harvests nothing (no schema matches): its runs are real and short."""
    from tests.openmetadata_standin.ingestion_pipelines import deployable

    service = create(om, "services/databaseServices", pagila_service_request(pagila_postgres))
    request = metadata_pipeline_request(service, name)
    request["airflowConfig"] |= {"pausePipeline": paused, "maxActiveRuns": max_active_runs}
    request["sourceConfig"]["config"]["schemaFilterPattern"] = {"includes": ["^no_such_schema$"]}
    return json.loads(deployable(om, create(om, "services/ingestionPipelines", request)))


def _ran(cluster, dag_id: str, run_id: str) -> bool:
    return any(ti.get("start_date") for ti in cluster.task_instances(dag_id, run_id))


def test_deploy_and_trigger_at_once_fifty_times_gives_fifty_real_runs(om, airflow_cluster, pagila_postgres):
    """Each round redeploys (the pipeline edited: a new ``updatedAt``) and triggers at once, as
    the UI's Deploy-then-Run does. Every run must end having run its task: an empty run is one the
    scheduler found without task instances to run (their ``start_date`` after the run's logical
    date) and marked success in milliseconds. The runs run side by side (``maxActiveRuns``)."""
    cluster = airflow_cluster
    body = _pipeline_body(om, pagila_postgres, "deploy_run_probe", paused=False, max_active_runs=ROUNDS)
    answers: list[tuple[int, int]] = []  # (deploy status, trigger status)
    try:
        for round_ in range(ROUNDS):
            body["updatedAt"] = int(time.time() * 1000)
            body["description"] = f"round {round_}"
            deployed = _managed(cluster, "POST", "deploy", body)
            triggered = _managed(
                cluster, "POST", "trigger", {"dag_id": "deploy_run_probe", "run_id": f"round_{round_}"}
            )
            answers.append((deployed.status_code, triggered.status_code))
        assert [a for a in answers if a != (200, 200)] == [], answers
        states = {
            f"round_{round_}": cluster.wait_for_run("deploy_run_probe", f"round_{round_}", timeout=600)
            for round_ in range(ROUNDS)
        }
        empty = [run_id for run_id in states if not _ran(cluster, "deploy_run_probe", run_id)]
        assert empty == [], f"{len(empty)} of {ROUNDS} runs ran no task: {empty}"
        assert set(states.values()) == {"success"}, states
    finally:
        _managed(cluster, "DELETE", "delete?dag_id=deploy_run_probe", {})


def _reparse(cluster, dag_id: str) -> None:
    """Ask the dag-processor to parse the DAG's file now (``PUT /api/v2/parseDagFile/{file_token}``)
    and wait until it has."""
    dag = cluster.api("GET", f"dags/{dag_id}").json()
    before = dag["last_parsed_time"]
    response = cluster.api("PUT", f"parseDagFile/{dag['file_token']}")
    assert response.status_code in (200, 201), response.text
    wait_for(
        lambda: cluster.api("GET", f"dags/{dag_id}").json()["last_parsed_time"] != before,
        90,
        f"{dag_id} was not parsed again",
    )


def test_re_parses_and_unchanged_re_deploys_store_one_dag_version(om, airflow_cluster, pagila_postgres):
    """After a real run (a version with task instances is kept: Airflow rewrites a version in
    place only while no task instance points at it, ``SerializedDagModel.write_dag``), five
    re-parses and five re-deploys of the unchanged pipeline (the UI's Re-deploy) store no new
    version."""
    cluster = airflow_cluster
    body = _pipeline_body(om, pagila_postgres, "version_probe", paused=False)
    try:
        assert _managed(cluster, "POST", "deploy", body).status_code == 200
        assert _managed(cluster, "POST", "trigger", {"dag_id": "version_probe", "run_id": "first"}).status_code == 200
        assert cluster.wait_for_run("version_probe", "first", timeout=300) == "success"
        assert _ran(cluster, "version_probe", "first")
        for _ in range(5):
            _reparse(cluster, "version_probe")
        for _ in range(5):
            assert _managed(cluster, "POST", "deploy", body).status_code == 200
            _reparse(cluster, "version_probe")
        versions = cluster.api("GET", "dags/version_probe/dagVersions").json()
        assert versions["total_entries"] == 1, [v["version_number"] for v in versions["dag_versions"]]
    finally:
        _managed(cluster, "DELETE", "delete?dag_id=version_probe", {})

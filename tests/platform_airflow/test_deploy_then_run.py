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


def _pipeline_body(om, pagila_postgres, name: str, paused: bool) -> dict:
    from tests.openmetadata_standin.ingestion_pipelines import deployable

    service = create(om, "services/databaseServices", pagila_service_request(pagila_postgres))
    request = metadata_pipeline_request(service, name)
    request["airflowConfig"]["pausePipeline"] = paused
    return json.loads(deployable(om, create(om, "services/ingestionPipelines", request)))


def test_deploy_and_trigger_at_once_fifty_times_gives_fifty_real_runs(om, airflow_cluster, pagila_postgres):
    """Each round redeploys (the pipeline edited: a new ``updatedAt``) and triggers at once.

    The DAG is paused (``pausePipeline``), so no harvest runs: a run's task instances are made
    when the run is created (``DagRun.verify_integrity``), which is where an empty run came from.
    """
    cluster = airflow_cluster
    body = _pipeline_body(om, pagila_postgres, "deploy_run_probe", paused=True)
    outcomes: list[tuple[int, int, int]] = []  # (deploy status, trigger status, task instances)
    try:
        for round_ in range(ROUNDS):
            body["updatedAt"] = int(time.time() * 1000)
            body["description"] = f"round {round_}"
            deployed = _managed(cluster, "POST", "deploy", body)
            triggered = _managed(
                cluster, "POST", "trigger", {"dag_id": "deploy_run_probe", "run_id": f"round_{round_}"}
            )
            tasks = -1
            if triggered.status_code == 200:
                tasks = len(cluster.task_instances("deploy_run_probe", f"round_{round_}"))
            outcomes.append((deployed.status_code, triggered.status_code, tasks))
        bad = [(i, outcome) for i, outcome in enumerate(outcomes) if outcome[:2] != (200, 200) or outcome[2] < 1]
        assert bad == [], f"{len(bad)} of {ROUNDS} rounds failed or gave an empty run: {bad[:10]}"
        runs = cluster.api("GET", "dags/deploy_run_probe/dagRuns", params={"limit": 100}).json()
        assert runs["total_entries"] == ROUNDS
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


def test_five_re_parses_store_one_dag_version(om, airflow_cluster, pagila_postgres):
    cluster = airflow_cluster
    body = _pipeline_body(om, pagila_postgres, "version_probe", paused=True)
    try:
        assert _managed(cluster, "POST", "deploy", body).status_code == 200
        cluster.wait_for_dag("version_probe", timeout=90)
        for _ in range(5):
            _reparse(cluster, "version_probe")
        versions = cluster.api("GET", "dags/version_probe/dagVersions").json()
        assert versions["total_entries"] == 1, [v["version_number"] for v in versions["dag_versions"]]
    finally:
        _managed(cluster, "DELETE", "delete?dag_id=version_probe", {})

"""The platform's authentication layer on openmetadata-managed-apis (platform-bootstrap/airflow/plugins).

openmetadata-managed-apis enforces nothing on Airflow 3; without our plugin every call below
would run. These tests go through the real api-server and FAB users.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.platform_airflow.conftest import MANAGED_API, create, metadata_pipeline_request, pagila_service_request

# Every route the managed APIs register (openmetadata_managed_apis/api/routes/*.py) but health,
# with the method it answers and a body that would do something if it ran.
PROTECTED = [
    ("GET", "health-auth", None),
    ("GET", "csrf-token", None),
    ("GET", "status?dag_id=cluster_probe", None),
    ("GET", "last_dag_logs?dag_id=cluster_probe&task_id=probe", None),
    ("GET", "ip", None),
    ("POST", "trigger", {"dag_id": "cluster_probe"}),
    ("POST", "enable", {"dag_id": "cluster_probe"}),
    ("POST", "disable", {"dag_id": "cluster_probe"}),
    ("POST", "kill", {"dag_id": "cluster_probe"}),
    ("POST", "deploy", "PIPELINE"),
    ("POST", "run_automation", {"name": "x"}),
    ("DELETE", "delete?dag_id=cluster_probe", None),
]


def _runs(cluster, dag_id: str) -> int:
    return cluster.api("GET", f"dags/{dag_id}/dagRuns").json()["total_entries"]


@pytest.fixture
def deploy_body(om, pagila_postgres):
    """A valid IngestionPipeline (with the server connection), as the server would deploy it."""
    from tests.openmetadata_standin.ingestion_pipelines import deployable

    service = create(om, "services/databaseServices", pagila_service_request(pagila_postgres))
    pipeline = create(om, "services/ingestionPipelines", metadata_pipeline_request(service, "auth_probe"))
    return json.loads(deployable(om, pipeline))


@pytest.mark.parametrize(
    "credentials", [None, ("admin", "wrong-password"), ("nobody", "x")], ids=["none", "wrong", "unknown"]
)
def test_every_route_but_health_refuses_bad_credentials_and_runs_nothing(airflow_cluster, deploy_body, credentials):
    cluster = airflow_cluster
    cluster.wait_for_dag("cluster_probe")
    runs_before = _runs(cluster, "cluster_probe")
    paused_before = cluster.api("GET", "dags/cluster_probe").json()["is_paused"]
    for method, route, body in PROTECTED:
        payload = deploy_body if body == "PIPELINE" else body
        response = httpx.request(
            method, f"{cluster.base_url}{MANAGED_API}/{route}", json=payload, auth=credentials, timeout=60
        )
        assert response.status_code == 401, (route, response.status_code, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    # nothing ran: no run triggered, no pause flipped, no DAG deleted or deployed
    assert _runs(cluster, "cluster_probe") == runs_before
    assert cluster.api("GET", "dags/cluster_probe").json()["is_paused"] == paused_before
    assert not (cluster.dags_folder / "auth_probe.py").exists()
    assert not (cluster.home / "dag_generated_configs" / "auth_probe.json").exists()
    health = httpx.get(f"{cluster.base_url}{MANAGED_API}/health", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "healthy"


def test_a_user_without_the_role_gets_403_and_the_admin_gets_through(airflow_cluster):
    cluster = airflow_cluster
    viewer = cluster.create_user("platform-viewer", role="Viewer")
    read = httpx.get(f"{cluster.base_url}{MANAGED_API}/status?dag_id=cluster_probe", auth=viewer, timeout=60)
    assert read.status_code == 200, read.text  # a Viewer may read DAG runs
    for method, route in (("GET", "health-auth"), ("POST", "trigger"), ("DELETE", "delete?dag_id=cluster_probe")):
        response = httpx.request(
            method,
            f"{cluster.base_url}{MANAGED_API}/{route}",
            json={"dag_id": "cluster_probe"},
            auth=viewer,
            timeout=60,
        )
        assert response.status_code == 403, (route, response.text)
        assert "platform-viewer" in response.json()["error"]
    admin = httpx.get(
        f"{cluster.base_url}{MANAGED_API}/health-auth", auth=(cluster.admin_user, cluster.admin_password), timeout=60
    )
    assert admin.status_code == 200 and admin.json()["version"].startswith("2.0.")

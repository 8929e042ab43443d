"""The guard in front of openmetadata-managed-apis: 4xx instead of 500, nothing left behind, no
secret in any log, the triggering user recorded, ``ip`` answered locally, and the role model.

Through the real api-server of the session cluster, with FAB users, as the server's client calls it.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.platform_airflow.conftest import MANAGED_API, create, metadata_pipeline_request, pagila_service_request


def _call(cluster, method: str, route: str, body=None, auth=None, content: str | None = None) -> httpx.Response:
    auth = auth or (cluster.admin_user, cluster.admin_password)
    return httpx.request(
        method,
        f"{cluster.base_url}{MANAGED_API}/{route}",
        json=body if content is None else None,
        content=content,
        headers={"Content-Type": "application/json"} if content is not None else None,
        auth=auth,
        timeout=120,
    )


def _deploy_body(om, pagila_postgres, name: str) -> dict:
    from tests.openmetadata_standin.ingestion_pipelines import deployable

    service = create(om, "services/databaseServices", pagila_service_request(pagila_postgres))
    pipeline = create(om, "services/ingestionPipelines", metadata_pipeline_request(service, name))
    return json.loads(deployable(om, pipeline))


def _files(cluster, dag_id: str):
    return cluster.dags_folder / f"{dag_id}.py", cluster.home / "dag_generated_configs" / f"{dag_id}.json"


# (method, route, body or None) -> the field the 400 must name. Each ran to a 500 before.
BAD_ARGUMENTS = [
    ("POST", "trigger", {}, "dag_id"),
    ("POST", "trigger", {"dag_id": 5}, "dag_id"),
    ("POST", "trigger", {"dag_id": "cluster_probe", "conf": "x=1"}, "conf"),
    ("POST", "enable", {"dag_id": ""}, "dag_id"),
    ("POST", "disable", None, "dag_id"),
    ("POST", "kill", {"dag": "cluster_probe"}, "dag_id"),
    ("DELETE", "delete", None, "dag_id"),
    ("GET", "status", None, "dag_id"),
    ("GET", "last_dag_logs?dag_id=cluster_probe", None, "task_id"),
    ("GET", "last_dag_logs?dag_id=cluster_probe&task_id=probe&after=x", None, "after"),
]


@pytest.mark.parametrize(
    ("method", "route", "body", "field"), BAD_ARGUMENTS, ids=[f"{r}-{f}" for _, r, _, f in BAD_ARGUMENTS]
)
def test_a_missing_or_mistyped_argument_is_a_400_naming_it(airflow_cluster, method, route, body, field):
    cluster = airflow_cluster
    cluster.wait_for_dag("cluster_probe")
    runs_before = cluster.api("GET", "dags/cluster_probe/dagRuns").json()["total_entries"]
    response = _call(cluster, method, route, body, content="not json" if body is None and method == "POST" else None)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"].startswith(field) or f" {field} " in response.json()["error"], response.json()
    assert cluster.api("GET", "dags/cluster_probe/dagRuns").json()["total_entries"] == runs_before


@pytest.mark.parametrize(
    "missing",
    ["openMetadataServerConnection", "openMetadataServerConnection.securityConfig", "service", "service.name"],
)
def test_a_deploy_without_what_upstream_needs_is_a_400_and_leaves_no_file(
    om, airflow_cluster, pagila_postgres, missing
):
    cluster = airflow_cluster
    body = _deploy_body(om, pagila_postgres, "incomplete_probe")
    *parents, leaf = missing.split(".")
    holder = body
    for part in parents:
        holder = holder[part]
    del holder[leaf]
    response = _call(cluster, "POST", "deploy", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(missing), response.json()
    assert not any(path.exists() for path in _files(cluster, "incomplete_probe"))


def test_run_automation_without_the_server_connection_is_a_400(airflow_cluster):
    from metadata.generated.schema.entity.automations.workflow import Workflow

    body = {
        "id": "3f7d1c52-2d6a-4b7e-9a55-0c8e7f1e2a10",
        "name": "test-connection-probe",
        "workflowType": "TEST_CONNECTION",
        "request": {
            "connection": {"config": {"type": "Postgres", "username": "u", "hostPort": "h:5432", "database": "d"}},
            "serviceType": "Database",
            "connectionType": "Postgres",
        },
    }
    Workflow.model_validate(body)  # valid for the model: only the guard's check refuses it
    response = _call(airflow_cluster, "POST", "run_automation", body)
    assert response.status_code == 400 and response.json()["error"].startswith("openMetadataServerConnection")


def test_a_failing_deploy_puts_back_the_previous_files_and_logs_no_secret(om, airflow_cluster, pagila_postgres):
    cluster = airflow_cluster
    body = _deploy_body(om, pagila_postgres, "redaction_probe")
    token = body["openMetadataServerConnection"]["securityConfig"]["jwtToken"]
    assert _call(cluster, "POST", "deploy", body).status_code == 200
    dag_file, config = _files(cluster, "redaction_probe")
    deployed = (dag_file.read_bytes(), config.read_bytes())

    # Passes the model and the guard, then fails inside upstream's deploy after writing the files
    # (the DAG does not import: the workflow asks the server for a service that is not there),
    # which logs the whole body, token and all.
    failing = json.loads(json.dumps(body))
    failing["service"]["name"] = "no_such_service"
    response = _call(cluster, "POST", "deploy", failing)
    assert response.status_code >= 400, response.text
    assert (dag_file.read_bytes(), config.read_bytes()) == deployed  # the working deploy is back
    assert token not in response.text

    logs = [path for path in cluster.home.rglob("*") if path.is_file() and path.suffix in (".log", "")]
    logs += list(cluster.process_log_dir.glob("*.log"))
    api_log = cluster.task_log_dir / "openmetadata_airflow_api.log"
    assert api_log.exists() and "redaction_probe" in api_log.read_text(errors="replace")
    leaked = [str(path) for path in set(logs) if token in path.read_text(errors="replace")]
    assert leaked == [], leaked
    assert "***" in api_log.read_text(errors="replace")

    # A first deploy that fails leaves nothing at all.
    new = json.loads(json.dumps(failing))
    new["name"] = "redaction_probe_new"
    assert _call(cluster, "POST", "deploy", new).status_code >= 400
    assert not any(path.exists() for path in _files(cluster, "redaction_probe_new"))


def test_delete_or_trigger_of_a_dag_that_is_not_there_is_a_404(om, airflow_cluster, pagila_postgres):
    cluster = airflow_cluster
    body = _deploy_body(om, pagila_postgres, "deleted_probe")
    assert _call(cluster, "POST", "deploy", body).status_code == 200
    assert _call(cluster, "DELETE", "delete?dag_id=deleted_probe").status_code == 200
    for method, route, payload in (
        ("DELETE", "delete?dag_id=deleted_probe", None),
        ("POST", "trigger", {"dag_id": "deleted_probe"}),
    ):
        response = _call(cluster, method, route, payload)
        assert response.status_code == 404, (route, response.text)
        assert "deleted_probe" in response.json()["error"]


def test_a_trigger_records_the_airflow_user_who_sent_it(airflow_cluster):
    cluster = airflow_cluster
    cluster.wait_for_dag("cluster_probe")
    operator = cluster.create_user("platform-user", role="User")
    response = _call(cluster, "POST", "trigger", {"dag_id": "cluster_probe", "conf": {"probe": "user"}}, auth=operator)
    assert response.status_code == 200 and "has been triggered" in response.json()["message"], response.text
    runs = cluster.api("GET", "dags/cluster_probe/dagRuns", params={"order_by": "-run_after"}).json()["dag_runs"]
    assert runs[0]["conf"] == {"probe": "user"} and runs[0]["triggering_user_name"] == "platform-user", runs[0]


def test_two_triggers_within_a_second_are_two_runs(airflow_cluster):
    """A run's logical date is unique per DAG: upstream cut it to the second, so a second trigger
    within that second was a 500."""
    cluster = airflow_cluster
    cluster.wait_for_dag("cluster_probe")
    before = cluster.api("GET", "dags/cluster_probe/dagRuns").json()["total_entries"]
    answers = [_call(cluster, "POST", "trigger", {"dag_id": "cluster_probe"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert cluster.api("GET", "dags/cluster_probe/dagRuns").json()["total_entries"] == before + 3


def test_ip_answers_this_machines_address_without_asking_the_internet(airflow_cluster, monkeypatch):
    import ipaddress

    response = _call(airflow_cluster, "GET", "ip")
    assert response.status_code == 200, response.text
    ipaddress.ip_address(response.json()["ip"])  # an address, not "unknown"
    log = airflow_cluster.process_log("api-server").read_text(errors="replace")
    assert "ipify" not in log and "my-ip.io" not in log


# The role model (platform-bootstrap/README.md): route -> the least FAB role that may call it.
ROLE_ORDER = ("Viewer", "User", "Op", "Admin")
LEAST_ROLE = {
    "status": "Viewer",
    "last_dag_logs": "Viewer",
    "csrf-token": "Viewer",
    "trigger": "User",
    "enable": "User",
    "disable": "User",
    "kill": "User",
    "ip": "User",
    "deploy": "Op",
    "delete": "Op",
    "run_automation": "Op",
    "health-auth": "Op",
}


def test_each_route_admits_exactly_the_roles_the_role_model_gives_it(airflow_cluster):
    """403 below the route's least role; at and above it the guard lets the call through (its
    answer is then upstream's or a 400/404 for the deliberately empty arguments, never 403)."""
    cluster = airflow_cluster
    users = {role: cluster.create_user(f"role-{role.lower()}", role=role) for role in ROLE_ORDER}
    methods = {"deploy": "POST", "run_automation": "POST", "trigger": "POST", "enable": "POST", "disable": "POST"}
    methods |= {"kill": "POST", "delete": "DELETE"}
    wrong = {}
    for route, least in LEAST_ROLE.items():
        for role, auth in users.items():
            # Arguments that name no DAG: nothing can run, whoever gets through.
            response = _call(cluster, methods.get(route, "GET"), route, {"dag_id": "no_such_dag"}, auth=auth)
            allowed = ROLE_ORDER.index(role) >= ROLE_ORDER.index(least)
            if (response.status_code == 403) == allowed:
                wrong[(route, role)] = (response.status_code, response.text[:200])
    assert wrong == {}

"""The platform Airflow in its containers, driven as the OpenMetadata server drives it.

Through the published port: the managed APIs' guard (401 without credentials, 403 for a
Viewer). Through the server container's REST API, as the UI's buttons make the server call
the managed APIs by service name (``AirflowRESTClient``: Basic auth on every call, the CSRF
token and cookie on POST/DELETE): the pipeline service status (health-auth with the version
check), deploy of the pagila metadata pipeline, trigger, status, last logs, Test Connection
(``run_automation``), disable/enable and delete. The run executes in the scheduler's
container and harvests pagila from the platform-postgres container into the server container.
"""

from __future__ import annotations

import time
import uuid

import httpx

from tests.platform_airflow.conftest import metadata_pipeline_request, postgres_service_request

MANAGED_API = "/pluginsv2/api/v2/openmetadata"
PIPELINE = "pagila_metadata"


def _ok(response: httpx.Response, *codes: int) -> dict:
    assert response.status_code in (codes or (200,)), (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return response.json() if response.content else {}


def _pagila_service(stack, password: str | None = None) -> dict:
    """pagila on platform-postgres as the platform Airflow reaches it, read-only role."""
    return postgres_service_request(
        "platform-postgres:5432", "pagila_reader", password or stack.dotenv["PAGILA_DB_PASSWORD"]
    )


def _server_action(stack, path: str) -> dict:
    return _ok(stack.om("POST", f"services/ingestionPipelines/{path}", timeout=300))


def test_the_guard_answers_401_without_credentials_and_403_for_a_viewer(stack):
    base = f"{stack.base_url}{MANAGED_API}"
    for method, route in (
        ("GET", "health-auth"),
        ("POST", "trigger"),
        ("POST", "deploy"),
        ("DELETE", "delete?dag_id=x"),
    ):
        response = httpx.request(method, f"{base}/{route}", json={"dag_id": "x"}, timeout=60)
        assert response.status_code == 401, (route, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    name = f"viewer-{uuid.uuid4().hex[:6]}"
    viewer = stack.create_user(name, role="Viewer")
    response = httpx.get(f"{base}/health-auth", auth=viewer, timeout=60)
    assert response.status_code == 403 and name in response.json()["error"], response.text
    admin = httpx.get(f"{base}/health-auth", auth=(stack.admin_user, stack.admin_password), timeout=60)
    assert admin.status_code == 200 and admin.json()["version"].startswith("2.0."), admin.text
    assert httpx.get(f"{base}/health", timeout=30).json()["status"] == "healthy"


def test_the_server_reaches_the_platform_airflow_by_service_name(stack):
    status = _ok(stack.om("GET", "services/ingestionPipelines/status"))
    assert status["code"] == 200 and status["platform"] == "Airflow", status


def test_test_connection_runs_on_the_platform_airflow(stack):
    from metadata.generated.schema.api.automations.createWorkflow import CreateWorkflowRequest
    from metadata.generated.schema.entity.automations.testServiceConnection import TestServiceConnectionRequest
    from metadata.generated.schema.entity.automations.workflow import WorkflowType

    results = {}
    for label, password in (("right", None), ("wrong", "not-the-password")):
        request = CreateWorkflowRequest(
            name=f"test-connection-Postgres-{uuid.uuid4().hex[:8]}",
            workflowType=WorkflowType.TEST_CONNECTION,
            request=TestServiceConnectionRequest(
                connection=_pagila_service(stack, password)["connection"],
                serviceType="Database",
                connectionType="Postgres",
                serviceName="pagila",
            ),
        )
        workflow = _ok(
            stack.om("POST", "automations/workflows", json=request.model_dump(mode="json", exclude_none=True)), 201
        )
        answer = _ok(stack.om("POST", f"automations/workflows/trigger/{workflow['id']}", timeout=300))
        assert answer["code"] == 200, answer
        results[label] = _ok(stack.om("GET", f"automations/workflows/{workflow['id']}"))
    assert results["right"]["status"] == "Successful", results["right"]
    steps = {s["name"]: s["passed"] for s in results["right"]["response"]["steps"]}
    assert steps["CheckAccess"] and steps["GetTables"], steps
    failed = next(s for s in results["wrong"]["response"]["steps"] if s["name"] == "CheckAccess")
    assert failed["passed"] is False and "password authentication failed" in failed["errorLog"], failed
    assert "not-the-password" not in failed["errorLog"]


def _run_ids(stack) -> set[str]:
    response = stack.api("GET", f"dags/{PIPELINE}/dagRuns")
    return set() if response.status_code == 404 else {r["dag_run_id"] for r in response.json()["dag_runs"]}


def _trigger(stack, pipeline: dict) -> tuple[str, str]:
    """Trigger through the server right after the deploy, as the UI's Deploy-then-Run does; the
    run must run its task (no empty run: platform-bootstrap/airflow/config/airflow_local_settings.py)."""
    before = _run_ids(stack)
    answer = _server_action(stack, f"trigger/{pipeline['id']}")
    assert answer["code"] == 200, answer
    deadline = time.monotonic() + 60
    while not (new := _run_ids(stack) - before):
        assert time.monotonic() < deadline, "the trigger created no run"
        time.sleep(0.5)
    run_id = new.pop()
    state = stack.wait_for_run(PIPELINE, run_id, timeout=300)
    assert [ti for ti in stack.task_instances(PIPELINE, run_id) if ti.get("start_date")], f"run {run_id} ran no task"
    return run_id, state


def test_the_pagila_pipeline_is_deployed_run_and_managed_like_the_ui_does(stack):
    service = _ok(stack.om("PUT", "services/databaseServices", json=_pagila_service(stack)), 200, 201)
    pipeline = _ok(stack.om("PUT", "services/ingestionPipelines", json=metadata_pipeline_request(service)), 200, 201)

    answer = _server_action(stack, f"deploy/{pipeline['id']}")
    assert answer["code"] == 200 and "has been created" in answer["reason"], answer
    config = stack.exec("airflow-scheduler", "cat", f"/opt/airflow/dag_generated_configs/{PIPELINE}.json").stdout
    assert '"fullyQualifiedName": "pagila.pagila_metadata"' in config.replace('":"', '": "')

    run_id, state = _trigger(stack, pipeline)
    assert state == "success", stack.log_tails()
    tables = _ok(stack.om("GET", "tables", params={"database": "pagila.pagila", "limit": 100}))["data"]
    names = {t["fullyQualifiedName"] for t in tables}
    assert "pagila.pagila.public.customer" in names and len(names) > 20, sorted(names)
    statuses = _ok(
        stack.om(
            "GET",
            f"services/ingestionPipelines/{pipeline['fullyQualifiedName']}/pipelineStatus",
            params={"startTs": 0, "endTs": 2**62},
        )
    )["data"]
    assert statuses and statuses[-1]["pipelineState"] == "success", statuses

    logs = _ok(stack.om("GET", f"services/ingestionPipelines/logs/{pipeline['id']}/last"))
    assert "ingestion_task" in logs and "Postgres" in logs["ingestion_task"], list(logs)

    toggled = _server_action(stack, f"toggleIngestion/{pipeline['id']}")
    assert toggled["enabled"] is False and stack.api("GET", f"dags/{PIPELINE}").json()["is_paused"] is True
    toggled = _server_action(stack, f"toggleIngestion/{pipeline['id']}")
    assert toggled["enabled"] is True and stack.api("GET", f"dags/{PIPELINE}").json()["is_paused"] is False

    _ok(stack.om("DELETE", f"services/ingestionPipelines/{pipeline['id']}", params={"hardDelete": "true"}))
    gone = stack.exec("airflow-scheduler", "ls", "/opt/airflow/dags", "/opt/airflow/dag_generated_configs").stdout
    assert f"{PIPELINE}.py" not in gone and f"{PIPELINE}.json" not in gone, gone
    unsupported = [
        line for line in stack.logs("openmetadata-server", 2000).splitlines() if "does not implement" in line
    ]
    assert unsupported == []

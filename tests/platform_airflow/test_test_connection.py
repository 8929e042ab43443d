"""The UI's "Test Connection" for pagila: the server runs it on the platform Airflow.

As the UI does: create an automations Workflow (``POST /v1/automations/workflows``), trigger
it (``POST /v1/automations/workflows/trigger/{id}``: the server calls the managed APIs'
``run_automation``), read the result the run PATCHed onto the workflow, store it on the service
(``PUT /v1/services/databaseServices/{id}/testConnectionResult``).
"""

from __future__ import annotations

import uuid

from tests.platform_airflow.conftest import create, pagila_service_request


def _test_connection(om, pagila_postgres, password: str) -> dict:
    from metadata.generated.schema.api.automations.createWorkflow import CreateWorkflowRequest
    from metadata.generated.schema.entity.automations.testServiceConnection import TestServiceConnectionRequest
    from metadata.generated.schema.entity.automations.workflow import WorkflowType

    connection = pagila_service_request(pagila_postgres, password=password)["connection"]
    request = CreateWorkflowRequest(
        name=f"test-connection-Postgres-{uuid.uuid4().hex[:8]}",
        workflowType=WorkflowType.TEST_CONNECTION,
        request=TestServiceConnectionRequest(
            connection=connection, serviceType="Database", connectionType="Postgres", serviceName="pagila"
        ),
    )
    status, workflow = om.call("POST", "/automations/workflows", request.model_dump(mode="json", exclude_none=True))
    assert status == 201, workflow
    status, answer = om.call("POST", f"/automations/workflows/trigger/{workflow['id']}")
    assert status == 200 and answer["code"] == 200, answer
    # run_automation runs the test in the request: the result is on the workflow already.
    status, result = om.call("GET", f"/automations/workflows/{workflow['id']}")
    assert status == 200
    return result


def test_test_connection_succeeds_and_is_stored_on_the_service(om, airflow_cluster, pagila_postgres):
    service = create(om, "services/databaseServices", pagila_service_request(pagila_postgres))
    workflow = _test_connection(om, pagila_postgres, pagila_postgres.password)
    assert workflow["status"] == "Successful", workflow
    response = workflow["response"]
    assert response["status"] == "Successful"
    steps = {step["name"]: step["passed"] for step in response["steps"]}
    assert steps["CheckAccess"] and steps["GetDatabases"] and steps["GetSchemas"] and steps["GetTables"], steps
    # the workflow was read back and patched by Airflow as the ingestion bot
    patches = [r for r in om.requests if r.method == "PATCH" and r.path.startswith("/api/v1/automations/workflows/")]
    assert len(patches) >= len(response["steps"])
    status, stored = om.call("PUT", f"/services/databaseServices/{service['id']}/testConnectionResult", response)
    assert status == 200 and stored["testConnectionResult"]["status"] == "Successful"
    assert stored["version"] == service["version"]


def test_test_connection_with_a_wrong_password_fails_with_the_cause(om, airflow_cluster, pagila_postgres):
    workflow = _test_connection(om, pagila_postgres, "not-the-password")
    response = workflow["response"]
    assert response["status"] == "Failed", workflow
    check_access = next(step for step in response["steps"] if step["name"] == "CheckAccess")
    assert check_access["passed"] is False
    assert "password authentication failed" in check_access["errorLog"], check_access
    assert "not-the-password" not in check_access["errorLog"]

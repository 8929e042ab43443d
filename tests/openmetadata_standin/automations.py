"""The UI's Test Connection for the stand-in: automations workflows and a service's result.

Mirrors open-metadata/OpenMetadata 2.0 (``openmetadata-service/src/main/java/org/openmetadata/
service/``):

- ``resources/automations/WorkflowResource``: the ``workflow`` entity
  (``/v1/automations/workflows``: POST/PUT ``CreateWorkflow``, GET by id or ``/name/{name}``,
  PATCH, DELETE) is a generic kind (entities.py); ``runAutomationsWorkflow``
  (``POST /trigger/{id}``) sets the workflow's ``openMetadataServerConnection``
  (``OpenMetadataConnectionBuilder``: the server's URL and the ingestion bot's JWT) and answers
  what ``pipelineServiceClient.runAutomationsWorkflow`` answers. The Test Connection itself runs
  in Airflow (openmetadata-managed-apis ``run_automation``), which reads the workflow back by
  name and PATCHes its ``response`` and ``status`` after every step
  (``metadata.ingestion.connections.test_connections``); the UI polls the workflow.
- ``resources/services/*/...ServiceResource.addTestConnectionResult``
  (``PUT /v1/services/<type>Services/{id}/testConnectionResult``, a ``@Valid
  TestConnectionResult``): what the UI stores on the service once the workflow succeeded;
  answers the service with ``testConnectionResult``. The stand-in keeps it without a version
  change (``ServiceEntityRepository.addTestConnectionResult`` was not read).
"""

from __future__ import annotations

import json

from tests.openmetadata_standin.entities import BY_COLLECTION
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.ingestion_pipelines import DISABLED, server_connection
from tests.openmetadata_standin.routes import Call, Route

SERVICE_COLLECTIONS = "|".join(c for c in BY_COLLECTION if c.startswith("services/") and c.endswith("Services"))


def trigger(server, call: Call):
    from metadata.generated.schema.entity.automations.workflow import Workflow

    from tests.support.airflow_rest_client import PipelineServiceClientError

    workflow = server.store.get_by_id("workflow", call.groups["id"])
    client = getattr(server, "pipeline_service_client", None)
    if client is None:
        return 200, {"code": 200, "reason": DISABLED}
    body = {**workflow, "openMetadataServerConnection": server_connection(server)}
    Workflow.model_validate(body)
    try:
        return 200, client.run_automations_workflow(json.dumps(body), workflow["name"])
    except PipelineServiceClientError as exc:
        raise ApiError(500, str(exc)) from None


def add_test_connection_result(server, call: Call):
    from metadata.generated.schema.entity.services.connections.testConnectionResult import TestConnectionResult
    from pydantic import ValidationError

    kind = BY_COLLECTION[call.groups["collection"]]
    server.store.get_by_id(kind.type_name, call.groups["id"])
    try:
        result = TestConnectionResult.model_validate(call.body)
    except ValidationError as exc:
        raise ApiError(400, f"Invalid TestConnectionResult: {exc.errors()[:3]}") from None
    value = result.model_dump(mode="json", exclude_none=True)
    return 200, server.store.replace_fields(kind, call.groups["id"], {"testConnectionResult": value})


ROUTES = [
    Route("POST", r"automations/workflows/trigger/(?P<id>[^/]+)", trigger),
    Route(
        "PUT", rf"(?P<collection>{SERVICE_COLLECTIONS})/(?P<id>[^/]+)/testConnectionResult", add_test_connection_result
    ),
]

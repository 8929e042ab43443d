"""Ingestion pipelines for the stand-in: run statuses, progress, and what the server's UI
buttons do through its pipeline service client (deploy, run, enable/disable, kill, logs).

The entity itself (``PUT``/``POST``/``GET``/``PATCH`` ``/v1/services/ingestionPipelines``) is a
generic kind (entities.py). This module mirrors open-metadata/OpenMetadata 2.0
(``openmetadata-service/src/main/java/org/openmetadata/service/``; read in the 2.0 mirror, see
/work/notes/server-rules.md):

- ``resources/services/ingestionpipelines/IngestionPipelineResource.addPipelineStatus`` ->
  ``jdbi3/IngestionPipelineRepository.addPipelineStatus``: ``PUT /{fqn}/pipelineStatus`` with a
  valid ``PipelineStatus`` (400 otherwise); the pipeline must exist (404); a status with the
  ``runId`` of a stored one REPLACES it (``updateExtensionByKey(runId)``), any other is
  inserted; the answer is ``201`` with a ``ChangeEvent`` (``entityFieldsChanged``) whose
  ``changeDescription.fieldsUpdated`` is ``pipelineStatus``; the pipeline's version stays.
- ``getPipelineStatus`` (``GET /{fqn}/pipelineStatus/{runId}``): the status of that run; none
  stored -> ``null``, which JAX-RS answers ``204``; ``runId`` is a ``UUID`` path parameter
  (not a UUID: 404, JAX-RS cannot bind it).
- ``listPipelineStatus`` (``GET /{fqn}/pipelineStatus?startTs&endTs``, both ``@NonNull``): the
  queued runs the pipeline service client reports (``getQueuedPipelineStatus``) followed by
  the stored statuses in the range, as ``ResultList(data, startTs, endTs, size)``.
- ``fields=pipelineStatuses`` on a GET: the latest status (``getLatestPipelineStatus``); the
  2.0.6 generated model makes the field a list, so the stand-in answers ``[latest]``.
- ``deployIngestion`` (``POST /deploy/{id}``): the pipeline with ``openMetadataServerConnection``
  (the server's own URL and the ingestion bot's JWT, ``OpenMetadataConnectionBuilder``) goes to
  ``pipelineServiceClient.deployPipeline``; on 200 the pipeline is stored with
  ``deployed: true`` (``ingestionPipeline.setDeployed(true)`` then ``createOrUpdate``).
- ``triggerIngestion`` (``POST /trigger/{id}``) -> ``runPipeline``; ``toggleIngestion``
  (``POST /toggleIngestion/{id}``) -> ``toggleIngestion``, then the new ``enabled`` (or
  ``deployed: false`` on a 404) is stored; ``killIngestion`` (``POST /kill/{id}``);
  ``getLastIngestionLogs`` (``GET /logs/{id}/last[?after=]``); ``getRESTStatus``
  (``GET /status``); a DELETE also deletes the DAG (``IngestionPipelineRepository.postDelete``
  -> ``pipelineServiceClient.deletePipeline``) and the statuses.
- Without a pipeline service client those endpoints answer as the resource does when
  ``pipelineServiceClient == null``: ``200`` with "Pipeline Client Disabled".
- ``PUT /progress/{fqn}/{runId}`` (``ProgressSseManager``; what ``OpenMetadata
  .send_progress_update`` calls during a run): validated as ``ProgressUpdate``, answered 200
  and kept in :attr:`IngestionPipelines.progress` for tests (the server streams it to the UI).

The pipeline service client is ``server.pipeline_service_client`` (None by default): a
:class:`tests.support.airflow_rest_client.AirflowRESTClient`, the Python port of the server's.
"""

from __future__ import annotations

import time
import uuid

from tests.openmetadata_standin import entity_routes
from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.errors import ApiError, validated
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.timeseries import result_list, time_range

STATUS_EXTENSION = "ingestionPipeline.pipelineStatus"  # IngestionPipelineRepository.PIPELINE_STATUS_EXTENSION
DISABLED = "Pipeline Client Disabled"
BASE = "services/ingestionPipelines"


def _kind():
    return KINDS["ingestionPipeline"]


def _client(server):
    return getattr(server, "pipeline_service_client", None)


def _same_run(a: dict, b: dict) -> bool:
    return a.get("runId") == b.get("runId")


# -- statuses ----------------------------------------------------------------------------
def add_status(server, call: Call):
    from metadata.generated.schema.entity.services.ingestionPipelines.ingestionPipeline import PipelineStatus
    from metadata.generated.schema.type.changeEvent import ChangeEvent

    pipeline = server.store.get_by_fqn("ingestionPipeline", call.groups["fqn"])
    status = validated(PipelineStatus, call.body, "PipelineStatus").model_dump(mode="json", exclude_none=True)
    fqn = pipeline["fullyQualifiedName"]
    stored = next((s for s in server.extensions.between(fqn, STATUS_EXTENSION, 0, 2**63) if _same_run(s, status)), None)
    server.extensions.upsert(fqn, STATUS_EXTENSION, {"timestamp": status.get("timestamp", 0), **status}, _same_run)
    change = {
        "fieldsAdded": [],
        "fieldsUpdated": [{"name": "pipelineStatus", "newValue": status, **({"oldValue": stored} if stored else {})}],
        "fieldsDeleted": [],
        "previousVersion": pipeline["version"],
    }
    event = {
        "id": str(uuid.uuid4()),
        "eventType": "entityUpdated",
        "entityType": "ingestionPipeline",
        "entityId": pipeline["id"],
        "entityFullyQualifiedName": fqn,
        "previousVersion": pipeline["version"],
        "currentVersion": pipeline["version"],
        "userName": pipeline.get("updatedBy"),
        "timestamp": int(time.time() * 1000),
        "changeDescription": change,
        "entity": {**pipeline, "pipelineStatuses": [status], "changeDescription": change},
    }
    ChangeEvent.model_validate(event)
    return 201, event


def get_status(server, call: Call):
    try:
        run_id = str(uuid.UUID(call.groups["run_id"]))
    except ValueError:
        raise ApiError(404, f"HTTP 404 Not Found: {call.path}") from None
    pipeline = server.store.get_by_fqn("ingestionPipeline", call.groups["fqn"])
    for row in server.extensions.between(pipeline["fullyQualifiedName"], STATUS_EXTENSION, 0, 2**63):
        if row.get("runId") == run_id:
            return 200, row
    return 204, None


def list_statuses(server, call: Call):
    start, end = time_range(call.query)
    pipeline = server.store.get_by_fqn("ingestionPipeline", call.groups["fqn"])
    queued = _client(server).queued_statuses(pipeline["name"]) if _client(server) else []
    stored = server.extensions.between(pipeline["fullyQualifiedName"], STATUS_EXTENSION, start, end)
    return 200, result_list([*queued, *stored], start, end)


def latest_status(server, fqn: str) -> dict | None:
    """The newest stored status of an ingestion pipeline (``getLatestPipelineStatus``)."""
    return server.extensions.latest(fqn, STATUS_EXTENSION)


def put_progress(server, call: Call):
    from metadata.generated.schema.entity.services.ingestionPipelines.progressUpdate import ProgressUpdate

    fqn = call.groups["fqn"].replace("%2F", "/")
    server.store.get_by_fqn("ingestionPipeline", fqn)
    update = validated(ProgressUpdate, call.body, "ProgressUpdate")
    state = server.extensions.get_value(fqn, "ingestionPipeline.progress") or {"updates": []}
    state["updates"].append(update.model_dump(mode="json", exclude_none=True))
    server.extensions.put_value(fqn, "ingestionPipeline.progress", state)
    return 200, {}


# -- GET with fields=pipelineStatuses --------------------------------------------------------
def _with_statuses(server, call: Call, entity: dict) -> dict:
    from tests.openmetadata_standin import views

    fields = views.requested_fields(_kind(), call.query.get("fields"))
    answer = views.view(_kind(), entity, fields)
    if "pipelineStatuses" in fields:
        latest = latest_status(server, entity["fullyQualifiedName"])
        answer["pipelineStatuses"] = [latest] if latest else None
        if answer["pipelineStatuses"] is None:
            del answer["pipelineStatuses"]
    return answer


def get_by_name(server, call: Call):
    from tests.openmetadata_standin.store import check_include

    entity = server.store.get_by_fqn("ingestionPipeline", call.groups["fqn"], check_include(call.query.get("include")))
    return 200, _with_statuses(server, call, entity)


def get_by_id(server, call: Call):
    from tests.openmetadata_standin.store import check_include

    entity = server.store.get_by_id("ingestionPipeline", call.groups["id"], check_include(call.query.get("include")))
    return 200, _with_statuses(server, call, entity)


# -- through the pipeline service client ---------------------------------------------------
def server_connection(server) -> dict:
    """``OpenMetadataConnectionBuilder(config).build()``: the server's URL and the ingestion bot's JWT."""
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )

    connection = {
        "hostPort": server.host_port,
        "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": server.token},
    }
    OpenMetadataConnection.model_validate(connection)
    return connection


def deployable(server, pipeline: dict) -> str:
    """The IngestionPipeline JSON the server posts to ``deploy`` (``JsonUtils.pojoToJson``)."""
    import json

    from metadata.generated.schema.entity.services.ingestionPipelines.ingestionPipeline import IngestionPipeline

    body = {**pipeline, "openMetadataServerConnection": server_connection(server)}
    IngestionPipeline.model_validate(body)
    return json.dumps(body)


def _client_call(server, fn):
    from tests.support.airflow_rest_client import PipelineServiceClientError

    try:
        return fn()
    except PipelineServiceClientError as exc:
        # PipelineServiceClientException -> 500 with its message (WebServiceException mapping).
        raise ApiError(500, str(exc)) from None


def deploy(server, call: Call):
    client = _client(server)
    if client is None:
        return 200, {"code": 200, "reason": DISABLED}
    pipeline = server.store.get_by_id("ingestionPipeline", call.groups["id"])
    answer = _client_call(server, lambda: client.deploy_pipeline(deployable(server, pipeline), pipeline["name"]))
    if answer["code"] == 200 and not pipeline.get("deployed"):
        # deployed false -> true is a recorded change of createOrUpdate (IngestionPipelineUpdater.updateDeployed).
        server.store.patch(_kind(), pipeline["id"], [{"op": "replace", "path": "/deployed", "value": True}], call.user)
    return 200, answer


def trigger(server, call: Call):
    client = _client(server)
    if client is None:
        return 200, {"code": 200, "reason": DISABLED}
    pipeline = server.store.get_by_id("ingestionPipeline", call.groups["id"])
    return 200, _client_call(server, lambda: client.run_pipeline(pipeline["name"]))


def toggle(server, call: Call):
    client = _client(server)
    if client is None:
        return 200, DISABLED
    pipeline = server.store.get_by_id("ingestionPipeline", call.groups["id"])
    _, enabled, deployed = _client_call(server, lambda: client.toggle_ingestion(pipeline["name"], pipeline["enabled"]))
    changes = {"enabled": enabled} if enabled is not None else {"deployed": deployed}
    ops = [{"op": "replace", "path": f"/{name}", "value": value} for name, value in changes.items()]
    return 200, server.store.patch(_kind(), pipeline["id"], ops, call.user)


def kill(server, call: Call):
    client = _client(server)
    if client is None:
        return 200, {"code": 200, "reason": DISABLED}
    pipeline = server.store.get_by_id("ingestionPipeline", call.groups["id"])
    return 200, _client_call(server, lambda: client.kill_ingestion(pipeline["name"]))


def last_logs(server, call: Call):
    client = _client(server)
    if client is None:
        return 200, DISABLED
    pipeline = server.store.get_by_id("ingestionPipeline", call.groups["id"])
    return 200, _client_call(
        server, lambda: client.last_ingestion_logs(pipeline["name"], pipeline["pipelineType"], call.query.get("after"))
    )


def service_status(server, call: Call):
    client = _client(server)
    if client is None:
        return 200, {"code": 200, "reason": DISABLED}
    return 200, client.service_status()


def delete_by_id(server, call: Call):
    pipeline = server.store.get_by_id("ingestionPipeline", call.groups["id"], "all")
    call.groups["collection"] = BASE
    status, answer = entity_routes.delete_by_id(server, call)
    if _client(server) is not None:
        _client(server).delete_pipeline(pipeline["name"])  # postDelete: a failure is only logged there
    fqn = pipeline["fullyQualifiedName"]
    for row in server.extensions.between(fqn, STATUS_EXTENSION, 0, 2**63):
        server.extensions.delete_at(fqn, STATUS_EXTENSION, row["timestamp"])
    return status, answer


ROUTES = [
    Route("GET", rf"{BASE}/status", service_status),
    Route("POST", rf"{BASE}/deploy/(?P<id>[^/]+)", deploy),
    Route("POST", rf"{BASE}/trigger/(?P<id>[^/]+)", trigger),
    Route("POST", rf"{BASE}/toggleIngestion/(?P<id>[^/]+)", toggle),
    Route("POST", rf"{BASE}/kill/(?P<id>[^/]+)", kill),
    Route("GET", rf"{BASE}/logs/(?P<id>[^/]+)/last", last_logs),
    Route("PUT", rf"{BASE}/progress/(?P<fqn>[^/]+)/(?P<run_id>[^/]+)", put_progress),
    Route("PUT", rf"{BASE}/(?P<fqn>.+)/pipelineStatus", add_status),
    Route("GET", rf"{BASE}/(?P<fqn>.+)/pipelineStatus/(?P<run_id>[^/]+)", get_status),
    Route("GET", rf"{BASE}/(?P<fqn>.+)/pipelineStatus", list_statuses),
    Route("GET", rf"{BASE}/name/(?P<fqn>.+)", get_by_name),
    Route("GET", rf"{BASE}/(?P<id>[0-9a-fA-F-]{{36}})", get_by_id),
    Route("DELETE", rf"{BASE}/(?P<id>[0-9a-fA-F-]{{36}})", delete_by_id),
]

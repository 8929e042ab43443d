"""Pipeline run status for the stand-in: ``PUT``/``GET /v1/pipelines/{fqn}/status``.

Mirrors ``PipelineRepository.addPipelineStatus`` / ``getPipelineStatuses`` of
open-metadata/OpenMetadata (openmetadata-service/.../jdbi3/PipelineRepository.java):

- the body must parse as ``PipelineStatus`` (400 otherwise), the pipeline must exist
  (404) and every ``taskStatus[].name`` must be one of its tasks (400 "Invalid task name");
- a status with the timestamp of a stored one REPLACES it (no merge of task statuses);
- PUT answers the pipeline's stored JSON (no owners or tags, tasks without them) with
  ``pipelineStatus`` set, ``changeDescription.fieldsUpdated = [pipelineStatus]`` and
  ``updatedAt`` now; the pipeline's version does not change;
- GET answers a ResultList of the statuses with ``startTs <= timestamp <= endTs`` (both
  parameters required), newest first; paging cursors (base64 timestamps of the first and
  last status) only when ``limit`` is given (``PipelineResource.list``, 2.0).
"""

from __future__ import annotations

import base64
import copy
import threading
import time

from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route


class PipelineStatusStore:
    """Statuses by pipeline FQN and timestamp, over the stand-in's EntityStore."""

    def __init__(self, store):
        self.store = store
        self.statuses: dict[str, dict[int, dict]] = {}
        self._lock = threading.Lock()

    def add(self, fqn: str, body) -> dict:
        """Validate and store one PipelineStatus; return the pipeline with it.

        Raises:
            ApiError: 400 invalid body or unknown task, 404 unknown pipeline.
        """
        from metadata.generated.schema.entity.data.pipeline import (
            Pipeline,
            PipelineStatus,
        )
        from pydantic import ValidationError

        pipeline = self.store.get_by_fqn("pipeline", fqn)
        try:
            status = PipelineStatus.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, f"Invalid PipelineStatus: {exc.errors()[:3]}") from None
        data = status.model_dump(mode="json", exclude_none=True)
        names = {task["name"] for task in pipeline.get("tasks") or []}
        for task in data.get("taskStatus") or []:
            if task["name"] not in names:
                raise ApiError(400, f"Invalid task name {task['name']}")
        with self._lock:
            self.statuses.setdefault(pipeline["fullyQualifiedName"], {})[data["timestamp"]] = data
        answer = {k: copy.deepcopy(v) for k, v in pipeline.items() if k not in ("owners", "tags", "followers")}
        answer["tasks"] = [{k: v for k, v in t.items() if k not in ("owners", "tags")} for t in answer.get("tasks", [])]
        answer.update(
            pipelineStatus=data,
            updatedAt=int(time.time() * 1000),
            changeDescription={
                "fieldsAdded": [],
                "fieldsUpdated": [{"name": "pipelineStatus", "newValue": data}],
                "fieldsDeleted": [],
                "previousVersion": pipeline["version"],
            },
        )
        Pipeline.model_validate(answer)
        return answer

    def list(self, fqn: str, query: dict) -> dict:
        """ResultList of the statuses in [startTs, endTs].

        Raises:
            ApiError: 400 missing/invalid range, 404 unknown pipeline.
        """
        from metadata.generated.schema.entity.data.pipeline import PipelineStatus

        pipeline = self.store.get_by_fqn("pipeline", fqn)
        try:
            start, end = int(query["startTs"]), int(query["endTs"])
        except (KeyError, ValueError):
            raise ApiError(400, "query param startTs and endTs must be epoch milliseconds") from None
        stored = dict(self.statuses.get(pipeline["fullyQualifiedName"], {}))
        found = [s for ts, s in sorted(stored.items(), reverse=True) if start <= ts <= end]
        for status in found:
            PipelineStatus.model_validate(status)
        paging: dict = {"total": len(found)}
        if query.get("limit"):
            found = found[: int(query["limit"])]
            if found:
                paging["before"] = base64.b64encode(str(found[0]["timestamp"]).encode()).decode()
                paging["after"] = base64.b64encode(str(found[-1]["timestamp"]).encode()).decode()
        return {"data": found, "paging": paging}

    def latest(self, fqn: str) -> dict | None:
        """The status with the highest timestamp (what ``fields=pipelineStatus`` shows)."""
        by_ts = self.statuses.get(fqn) or {}
        return by_ts[max(by_ts)] if by_ts else None


def put_status(server, call: Call):
    return 200, server.pipeline_statuses.add(call.groups["fqn"], call.body)


def get_statuses(server, call: Call):
    return 200, server.pipeline_statuses.list(call.groups["fqn"], call.query)


ROUTES = [
    Route("PUT", r"pipelines/(?P<fqn>.+)/status", put_status),
    Route("GET", r"pipelines/(?P<fqn>.+)/status", get_statuses),
]

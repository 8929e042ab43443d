"""Pipeline run status for the stand-in: ``PUT``/``GET /v1/pipelines/{fqn}/status``.

Mirrors ``PipelineRepository.addPipelineStatus`` / ``getPipelineStatuses`` of
open-metadata/OpenMetadata (openmetadata-service/.../jdbi3/PipelineRepository.java):

- the body must parse as ``PipelineStatus`` (400 otherwise), the pipeline must exist
  (404) and every ``taskStatus[].name`` must be one of its tasks (400 "Invalid task name");
- a status with the timestamp of a stored one REPLACES it (no merge of task statuses);
- PUT answers the Pipeline with ``pipelineStatus`` set; GET answers a ResultList of the
  statuses with ``startTs <= timestamp <= endTs`` (both parameters required).
"""

from __future__ import annotations

import copy


class PipelineStatusStore:
    """Statuses by pipeline FQN and timestamp, over the stand-in's EntityStore."""

    def __init__(self, store):
        self.store = store
        self.statuses: dict[str, dict[int, dict]] = {}

    def handle(self, method: str, fqn: str, query: dict, body) -> tuple[int, object]:
        if method == "PUT":
            return 200, self.add(fqn, body)
        if method == "GET":
            return 200, self.list(fqn, query)
        return None

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

        from tests.openmetadata_standin.server import ApiError

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
        self.statuses.setdefault(pipeline["fullyQualifiedName"], {})[data["timestamp"]] = data
        answer = {**copy.deepcopy(pipeline), "pipelineStatus": data}
        Pipeline.model_validate(answer)
        return answer

    def list(self, fqn: str, query: dict) -> dict:
        """ResultList of the statuses in [startTs, endTs].

        Raises:
            ApiError: 400 missing/invalid range, 404 unknown pipeline.
        """
        from metadata.generated.schema.entity.data.pipeline import PipelineStatus

        from tests.openmetadata_standin.server import ApiError

        pipeline = self.store.get_by_fqn("pipeline", fqn)
        try:
            start, end = int(query["startTs"]), int(query["endTs"])
        except (KeyError, ValueError):
            raise ApiError(400, "query param startTs and endTs must be epoch milliseconds") from None
        found = [
            s for ts, s in sorted(self.statuses.get(pipeline["fullyQualifiedName"], {}).items()) if start <= ts <= end
        ]
        for status in found:
            PipelineStatus.model_validate(status)
        return {"data": found, "paging": {"before": str(start), "after": str(end), "total": len(found)}}

    def latest(self, fqn: str) -> dict | None:
        """The status with the highest timestamp (what ``fields=pipelineStatus`` shows)."""
        by_ts = self.statuses.get(fqn) or {}
        return by_ts[max(by_ts)] if by_ts else None

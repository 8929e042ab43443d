"""Lineage edges for the stand-in: ``PUT /v1/lineage`` (AddLineageRequest), the GETs and DELETE.

Mirrors ``jdbi3/LineageRepository`` of OpenMetadata 2.0 (``addLineage``,
``validateLineageDetails``, ``getLineageEdge``, ``deleteLineage``):

- an edge whose ends or ``lineageDetails.pipeline`` do not exist (or are soft-deleted) is a
  404; the pipeline reference is replaced by the full reference of the stored pipeline;
- a column lineage entry naming a column its table does not have is DROPPED, not rejected
  (a bad ``toColumn`` drops the entry, bad ``fromColumns`` are removed and the entry goes
  when none is left); older servers answered 400;
- edges are keyed by (from id, to id); a second PUT replaces the whole lineage details,
  ``createdAt``/``createdBy`` included;
- ``GET /lineage/getLineageEdge/{fromId}/{toId}`` answers ``{"edge": <LineageDetails>}``;
  ``DELETE /lineage/{fromType}/{fromId}/{toType}/{toId}`` answers 200, or 404
  ``Lineage edge not found``.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route


class LineageStore:
    """Lineage edges over an :class:`~tests.openmetadata_standin.server.EntityStore`."""

    def __init__(self, store):
        self.store = store
        self.edges: dict[tuple[str, str], dict] = {}
        self._lock = threading.Lock()  # one edge map; a PUT replaces one key atomically

    def _entity(self, ref: dict) -> dict:
        type_name = ref.get("type")
        if type_name not in KINDS:
            raise ApiError(400, f"Entity type {type_name!r} is not supported in lineage")
        return self.store.get_by_id(type_name, ref["id"])

    def add(self, body: object, user: str = "ingestion-bot") -> None:
        """Validate an AddLineageRequest and store its edge.

        Raises:
            ApiError: 400 invalid body, 404 missing entity or pipeline.
        """
        from metadata.generated.schema.api.lineage.addLineage import AddLineageRequest
        from pydantic import ValidationError

        try:
            request = AddLineageRequest.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, f"Invalid AddLineageRequest: {exc.errors()[:3]}") from None
        data = request.model_dump(mode="json", exclude_none=True)
        edge = data["edge"]
        source = self._entity(edge["fromEntity"])
        target = self._entity(edge["toEntity"])
        details = dict(edge.get("lineageDetails") or {})
        if details.get("pipeline"):
            pipeline = self._entity(details["pipeline"])
            details["pipeline"] = self.store.reference(details["pipeline"]["type"], pipeline)
        if "columnsLineage" in details:
            details["columnsLineage"] = _valid_column_lineage(source, target, details["columnsLineage"])
        now = int(time.time() * 1000)
        details.setdefault("source", "Manual")
        details.update(createdAt=now, createdBy=user, updatedAt=now, updatedBy=user)
        key = (source["id"], target["id"])
        with self._lock:
            self.edges[key] = {
                "fromEntity": {"id": source["id"], "type": edge["fromEntity"]["type"]},
                "toEntity": {"id": target["id"], "type": edge["toEntity"]["type"]},
                "lineageDetails": details,
            }

    def delete(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """Remove one edge.

        Raises:
            ApiError: 404 ``Lineage edge not found``.
        """
        with self._lock:
            if self.edges.pop((from_id, to_id), None) is None:
                raise ApiError(404, "Lineage edge not found")

    def get(self, sub: str, query: dict) -> dict:
        """Answer ``GET /v1/lineage/...``: an entity's lineage, or one edge.

        Raises:
            ApiError: 404 unknown entity or edge.
        """
        parts = sub.split("/", 2)
        if parts[0] == "getLineageEdge" and len(parts) == 3:
            stored = self.edges.get((parts[1], parts[2]))
            if stored is None:
                raise ApiError(404, f"Lineage edge not found between {parts[1]} and  {parts[2]}")
            return {"edge": stored["lineageDetails"]}
        type_name = parts[0]
        if type_name not in KINDS or len(parts) < 2:
            raise ApiError(404, f"Unknown lineage path {sub}")
        if parts[1] == "name" and len(parts) == 3:
            entity = self.store.get_by_fqn(type_name, parts[2])
        else:
            entity = self.store.get_by_id(type_name, "/".join(parts[1:]))
        return self.entity_lineage(
            type_name, entity, int(query.get("upstreamDepth", 1)), int(query.get("downstreamDepth", 1))
        )

    def entity_lineage(self, type_name: str, entity: dict, up_depth: int, down_depth: int) -> dict:
        """EntityLineage of ``entity`` to the given depths (the server's response shape)."""
        from metadata.generated.schema.type.entityLineage import EntityLineage

        upstream = self._walk(entity["id"], up_depth, upstream=True)
        downstream = self._walk(entity["id"], down_depth, upstream=False)
        node_ids = {e["fromEntity"]["id"] for e in upstream + downstream} | {
            e["toEntity"]["id"] for e in upstream + downstream
        }
        node_ids.discard(entity["id"])
        nodes = [self._reference_by_id(node_id) for node_id in sorted(node_ids)]
        result = {
            "entity": self.store.reference(type_name, entity),
            "nodes": nodes,
            "upstreamEdges": [_edge_view(e) for e in upstream],
            "downstreamEdges": [_edge_view(e) for e in downstream],
        }
        EntityLineage.model_validate(result)
        return result

    def _walk(self, start: str, depth: int, upstream: bool) -> list[dict]:
        found, queue, seen = [], deque([(start, 0)]), {start}
        while queue:
            node, level = queue.popleft()
            if level >= depth:
                continue
            for (from_id, to_id), edge in list(self.edges.items()):
                here, there = (to_id, from_id) if upstream else (from_id, to_id)
                if here == node:
                    found.append(edge)
                    if there not in seen:
                        seen.add(there)
                        queue.append((there, level + 1))
        return found

    def _reference_by_id(self, entity_id: str) -> dict:
        for type_name, entities in self.store.by_id.items():
            if entity_id in entities:
                return self.store.reference(type_name, entities[entity_id])
        raise KeyError(entity_id)


def _edge_view(edge: dict) -> dict:
    return {
        "fromEntity": edge["fromEntity"]["id"],
        "toEntity": edge["toEntity"]["id"],
        "lineageDetails": edge["lineageDetails"],
    }


def _valid_column_lineage(source: dict, target: dict, entries: list[dict]) -> list[dict]:
    """The column lineage entries whose columns exist (LineageRepository.validateLineageDetails)."""
    from_names = {c["fullyQualifiedName"] for c in _flatten(source.get("columns", []))}
    to_names = {c["fullyQualifiedName"] for c in _flatten(target.get("columns", []))}
    kept = []
    for entry in entries:
        if entry.get("toColumn") not in to_names:
            continue
        from_columns = [c for c in entry.get("fromColumns", []) if c in from_names]
        if from_columns:
            kept.append({**entry, "fromColumns": from_columns})
    return kept


def _flatten(columns: list[dict]) -> list[dict]:
    result = []
    for column in columns:
        result.append(column)
        result.extend(_flatten(column.get("children") or []))
    return result


def put_lineage(server, call: Call):
    server.lineage.add(call.body, call.user)
    return 200, None


def delete_lineage(server, call: Call):
    server.lineage.delete(*(call.groups[k] for k in ("from_type", "from_id", "to_type", "to_id")))
    return 200, None


def get_lineage(server, call: Call):
    return 200, server.lineage.get(call.groups["sub"], call.query)


ROUTES = [
    Route("PUT", r"lineage", put_lineage),
    Route("GET", r"lineage/(?P<sub>.+)", get_lineage),
    Route(
        "DELETE", r"lineage/(?P<from_type>[^/]+)/(?P<from_id>[^/]+)/(?P<to_type>[^/]+)/(?P<to_id>[^/]+)", delete_lineage
    ),
]

"""Lineage edges for the stand-in: ``PUT /v1/lineage`` (AddLineageRequest) and the GETs.

Like the server, an edge is rejected when either end, the pipeline in its lineage details,
or a column named in its column lineage does not exist. Edges are keyed by (from id, to
id); a second PUT for the same pair replaces its lineage details.
"""

from __future__ import annotations

import time
from collections import deque

from tests.openmetadata_standin.entities import KINDS


class LineageStore:
    """Lineage edges over an :class:`~tests.openmetadata_standin.server.EntityStore`."""

    def __init__(self, store):
        self.store = store
        self.edges: dict[tuple[str, str], dict] = {}

    def _entity(self, ref: dict) -> dict:
        from tests.openmetadata_standin.server import ApiError

        type_name = ref.get("type")
        if type_name not in KINDS:
            raise ApiError(400, f"Entity type {type_name!r} is not supported in lineage")
        return self.store.get_by_id(type_name, ref["id"])

    def add(self, body: object) -> None:
        """Validate an AddLineageRequest and store its edge.

        Raises:
            ApiError: 400 invalid body or unknown column, 404 missing entity or pipeline.
        """
        from metadata.generated.schema.api.lineage.addLineage import AddLineageRequest
        from pydantic import ValidationError

        from tests.openmetadata_standin.server import ApiError

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
        for column_lineage in details.get("columnsLineage", []):
            for column in column_lineage.get("fromColumns", []):
                self._check_column(source, column)
            if column_lineage.get("toColumn"):
                self._check_column(target, column_lineage["toColumn"])
        now = int(time.time() * 1000)
        details.setdefault("source", "Manual")
        details.update(updatedAt=now, updatedBy="ingestion-bot")
        key = (source["id"], target["id"])
        details.setdefault("createdAt", self.edges.get(key, {}).get("lineageDetails", {}).get("createdAt", now))
        details.setdefault("createdBy", "ingestion-bot")
        self.edges[key] = {
            "fromEntity": {"id": source["id"], "type": edge["fromEntity"]["type"]},
            "toEntity": {"id": target["id"], "type": edge["toEntity"]["type"]},
            "lineageDetails": details,
        }

    def _check_column(self, entity: dict, column_fqn: str) -> None:
        from tests.openmetadata_standin.server import ApiError

        names = {c["fullyQualifiedName"] for c in _flatten(entity.get("columns", []))}
        if column_fqn not in names:
            raise ApiError(400, f"Invalid column name {column_fqn} for {entity['fullyQualifiedName']}")

    def get(self, sub: str, query: dict) -> dict:
        """Answer ``GET /v1/lineage/...``: an entity's lineage, or one edge.

        Raises:
            ApiError: 404 unknown entity or edge.
        """
        from tests.openmetadata_standin.server import ApiError

        parts = sub.split("/", 2)
        if parts[0] == "getLineageEdge" and len(parts) == 3:
            key = (parts[1], parts[2])
            if key not in self.edges:
                raise ApiError(404, f"Lineage edge {parts[1]} -> {parts[2]} not found")
            stored = self.edges[key]
            return {
                "edge": {**stored["lineageDetails"], "fromEntity": stored["fromEntity"], "toEntity": stored["toEntity"]}
            }
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
            for (from_id, to_id), edge in self.edges.items():
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


def _flatten(columns: list[dict]) -> list[dict]:
    result = []
    for column in columns:
        result.append(column)
        result.extend(_flatten(column.get("children") or []))
    return result

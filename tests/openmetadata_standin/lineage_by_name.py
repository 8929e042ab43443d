"""Lineage edges addressed by entity FQN: ``PUT``/``PATCH``/``GET getLineageEdge`` on
``/lineage/{fromType}/name/{fromFQN}/{toType}/name/{toFQN}``, what the 2.0.6 client's query-log
lineage calls (``OMetaLineageMixin.add_lineage_by_name``, ``get_lineage_edge_by_name``,
``patch_lineage_edge_by_name``).

Each resolves both FQNs (404 ``<type> instance for <fqn> not found``, non-deleted only) and then
does exactly what the by-id route of :mod:`.lineage` does (``LineageRepository.addLineage``,
``getLineageEdge``, ``patchLineageEdge``): the body of the PUT is the ``LineageDetails`` of the
edge. Citation: ``resources/lineage/LineageResource`` of open-metadata/OpenMetadata 2.0; the stored
version read (see /work/notes/server-rules.md) shows the by-name DELETE
(``deleteLineageByName``) next to the by-id routes; the by-name PUT/GET/PATCH the client uses
are taken to share the by-id repository methods.
"""

from __future__ import annotations

import time

from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route

_EDGE = r"(?P<from_type>[^/]+)/name/(?P<from_fqn>.+)/(?P<to_type>[^/]+)/name/(?P<to_fqn>.+)"


def _ends(server, call: Call) -> tuple[dict, dict]:
    ends = []
    for side in ("from", "to"):
        type_name = call.groups[f"{side}_type"]
        if type_name not in KINDS:
            raise ApiError(400, f"Entity type {type_name!r} is not supported in lineage")
        ends.append(server.store.get_by_fqn(type_name, call.groups[f"{side}_fqn"]))
    return ends[0], ends[1]


def _request(call: Call, source: dict, target: dict, details: dict | None) -> dict:
    edge = {
        "fromEntity": {"id": source["id"], "type": call.groups["from_type"]},
        "toEntity": {"id": target["id"], "type": call.groups["to_type"]},
    }
    if details:
        edge["lineageDetails"] = details
    return {"edge": edge}


def put_edge(server, call: Call):
    source, target = _ends(server, call)
    if call.body is not None and not isinstance(call.body, dict):
        raise ApiError(400, "LineageDetails must be a JSON object")
    server.lineage.add(_request(call, source, target, call.body), call.user)  # validates as AddLineageRequest
    return 200, None


def get_edge(server, call: Call):
    source, target = _ends(server, call)
    stored = server.lineage.edges.get((source["id"], target["id"]))
    if stored is None:
        raise ApiError(404, f"Lineage edge not found between {source['id']} and  {target['id']}")
    return 200, {"edge": stored["lineageDetails"]}


def patch_edge(server, call: Call):
    import jsonpatch

    source, target = _ends(server, call)
    stored = server.lineage.edges.get((source["id"], target["id"]))
    if stored is None:
        raise ApiError(404, "Lineage edge not found")
    if not isinstance(call.body, list):
        raise ApiError(400, "JSON Patch body must be an array of operations")
    try:
        details = jsonpatch.apply_patch(stored["lineageDetails"], call.body)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise ApiError(400, f"Invalid JSON Patch: {exc}") from None
    created = {k: details.get(k) for k in ("createdAt", "createdBy")}
    details = {k: v for k, v in details.items() if k not in ("createdAt", "createdBy", "updatedAt", "updatedBy")}
    server.lineage.add(_request(call, source, target, details), call.user)
    # patchLineageEdge keeps the creation stamp and sets updatedAt/By (addLineage resets both);
    # the edge is replaced by a new dict (one atomic assignment, like LineageStore.add).
    key = (source["id"], target["id"])
    edge = server.lineage.edges[key]
    kept = {k: v for k, v in created.items() if v is not None}
    server.lineage.edges[key] = {
        **edge,
        "lineageDetails": {**edge["lineageDetails"], **kept, "updatedAt": int(time.time() * 1000)},
    }
    return 200, None


ROUTES = [
    Route("GET", rf"lineage/getLineageEdge/{_EDGE}", get_edge),
    Route("PUT", rf"lineage/{_EDGE}", put_edge),
    Route("PATCH", rf"lineage/{_EDGE}", patch_edge),
]

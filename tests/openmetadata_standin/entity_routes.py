"""The generic entity routes, for every kind in :data:`~tests.openmetadata_standin.entities.KINDS`:

``PUT``/``POST /{collection}``, ``PUT /{collection}/bulk``, ``PATCH /{collection}/{id}``,
``GET /{collection}[/{id}|/name/{fqn}]``, ``DELETE /{collection}/{id}|/name/{fqn}`` and
``DELETE /{collection}/deleteStale``, as ``EntityResource`` of the server serves them.
They come last in the route table: area modules claim their specific paths first.
"""

from __future__ import annotations

import re

from tests.openmetadata_standin import owners_tags, views
from tests.openmetadata_standin.entities import BY_COLLECTION, EntityKind
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.store import API, check_include

_COLLECTIONS = "|".join(re.escape(c) for c in sorted(BY_COLLECTION, key=len, reverse=True))
_C = rf"(?P<collection>{_COLLECTIONS})"


def _kind(call: Call) -> EntityKind:
    return BY_COLLECTION[call.groups["collection"]]


def create(server, call: Call):
    kind = _kind(call)
    request = server.store.validate_request(kind, call.body)
    entity, status = server.store.create_or_update(kind, request, user=call.user, create_only=call.method == "POST")
    return status, entity


def bulk(server, call: Call):
    kind = _kind(call)
    body = call.body
    if not kind.has_bulk:
        raise ApiError(404, f"HTTP 404 Not Found: no bulk endpoint for {kind.collection}")
    if not isinstance(body, list):
        raise ApiError(400, "Bulk request body must be a JSON array")
    # Jackson parses the whole array before any entity is written: one bad item is a 400.
    requests = [server.store.validate_request(kind, item) for item in body]
    return bulk_result(requests, lambda item: server.store.create_or_update(kind, item, user=call.user))


def bulk_result(requests: list, write) -> tuple[int, dict]:
    """Write each parsed request with ``write(request) -> (entity, status)``; answer the server's
    ``BulkOperationResult``: an item that fails (``ApiError``) fails alone, the others are written."""
    passed, failed = [], []
    for item in requests:
        try:
            entity, status = write(item)
            passed.append({"request": entity["fullyQualifiedName"], "status": status})
        except ApiError as exc:
            failed.append({"request": item.name.root, "message": exc.message, "status": exc.status})
    return 200, {
        "dryRun": False,
        "status": "success" if not failed else ("failure" if not passed else "partialSuccess"),
        "numberOfRowsProcessed": len(requests),
        "numberOfRowsPassed": len(passed),
        "numberOfRowsFailed": len(failed),
        "successRequest": passed,
        "failedRequest": failed,
    }


def delete_stale(server, call: Call):
    return 200, server.store.delete_stale(_kind(call), call.body, user=call.user)


def patch(server, call: Call):
    return 200, server.store.patch(_kind(call), call.groups["id"], call.body, user=call.user)


def _view(server, kind: EntityKind, entity: dict, fields: set[str]) -> dict:
    latest = server.pipeline_statuses.latest(entity["fullyQualifiedName"]) if kind.type_name == "pipeline" else None
    return views.view(kind, entity, fields, latest)


def get_by_name(server, call: Call):
    kind = _kind(call)
    fields = views.requested_fields(kind, call.query.get("fields"))
    fqn = owners_tags.lookup_name(kind.type_name, call.groups["fqn"])
    entity = server.store.get_by_fqn(kind.type_name, fqn, check_include(call.query.get("include")))
    return 200, _view(server, kind, entity, fields)


def get_by_id(server, call: Call):
    kind = _kind(call)
    fields = views.requested_fields(kind, call.query.get("fields"))
    entity = server.store.get_by_id(kind.type_name, call.groups["id"], check_include(call.query.get("include")))
    return 200, _view(server, kind, entity, fields)


def list_entities(server, call: Call):
    kind = _kind(call)
    query = call.query
    ancestors = {kind.parent_field, *kind.inherited} - {None}
    filters = {name: query[name] for name in ancestors if name in query}
    fields = views.requested_fields(kind, query.get("fields"))
    items = server.store.list(kind, filters, check_include(query.get("include")))
    return 200, views.page(items, query, lambda entity: _view(server, kind, entity, fields))


def _delete(server, call: Call, entity: dict):
    kind = _kind(call)
    hard = call.query.get("hardDelete", "false") == "true"
    recursive = call.query.get("recursive", "false") == "true"
    return 200, server.store.delete(kind, entity, user=call.user, hard=hard, recursive=recursive)


def delete_by_id(server, call: Call):
    # A hard delete also removes soft-deleted entities (EntityResource.delete: Include.ALL).
    entity = server.store.get_by_id(_kind(call).type_name, call.groups["id"], "all")
    return _delete(server, call, entity)


def delete_by_name(server, call: Call):
    kind = _kind(call)
    fqn = owners_tags.lookup_name(kind.type_name, call.groups["fqn"])
    return _delete(server, call, server.store.get_by_fqn(kind.type_name, fqn, "all"))


ROUTES = [
    Route("PUT", rf"{_C}", create),
    Route("POST", rf"{_C}", create),
    Route("PUT", rf"{_C}/bulk", bulk),
    Route("DELETE", rf"{_C}/deleteStale", delete_stale),
    Route("PATCH", rf"{_C}/(?P<id>[^/]+)", patch),
    Route("GET", rf"{_C}/name/(?P<fqn>.+)", get_by_name),
    Route("GET", rf"{_C}", list_entities),
    Route("GET", rf"{_C}/(?P<id>[^/]+)", get_by_id),
    Route("DELETE", rf"{_C}/name/(?P<fqn>.+)", delete_by_name),
    Route("DELETE", rf"{_C}/(?P<id>[^/]+)", delete_by_id),
]

__all__ = ["API", "ROUTES"]

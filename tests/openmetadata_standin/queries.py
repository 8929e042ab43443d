"""Query entities (``/queries``): what the query-log lineage and usage workflows write.

Mirrors open-metadata/OpenMetadata 2.0 (``openmetadata-service/src/main/java/org/openmetadata/
service/``; ``resources/query/QueryResource``, ``QueryMapper``, ``jdbi3/QueryRepository``),
with the naming the 2.0.6 client relies on:

- A ``CreateQuery`` without ``name`` is named by the MD5 checksum of its SQL
  (``QueryMapper.createToEntity``; the client looks queries up by
  ``<service>.<checksum>``: ``OMetaQueryMixin.__get_query_by_hash``,
  ``fqn.get_query_checksum``); ``checksum`` is stored with it; ``service`` names an existing
  DatabaseService (404 otherwise) and the FQN is ``<service>.<name>``
  (``QueryRepository.setFullyQualifiedName``).
- ``queryUsedIn`` references must exist (404 ``<type> instance for <id> not found``).
- ``PUT /queries/bulk`` (``EntityResource.bulkCreateOrUpdate``): the whole array is parsed
  first (one bad item: 400), then each is created or updated; the answer is a
  ``BulkOperationResult``.
- ``PUT /queries/{id}/usage`` (``QueryResource.addQueryUsage``): a list of entity references
  added to ``queryUsedIn`` (each must exist); ``PATCH /queries/name/{fqn}`` patches like the
  by-id route (the lineage workflow sets ``processedLineage`` that way).
- ``QueryMapper.createToEntity`` copies the entity's own fields: ``query_type``,
  ``exclude_usage`` and ``dialect`` of the request (client-side usage processing) are not
  stored; ``Query`` has no ``deleted`` field in the 2.0 schema either.
- Updates keep the server's PUT rules (:mod:`.entity_writes`).
"""

from __future__ import annotations

import hashlib
import time
import uuid

from tests.openmetadata_standin import entity_routes
from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.entity_writes import write_entity
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route

KIND = KINDS["query"]


def checksum(sql: str) -> str:
    """``QueryUtil.getCheckSum``: the MD5 hex digest of the SQL text."""
    return hashlib.md5(sql.encode(), usedforsecurity=False).hexdigest()


def _named(server, body):
    """The validated create request, named by its checksum when it has no name."""
    from metadata.generated.schema.type.basic import EntityName

    request = server.store.validate_request(KIND, body)
    updates = {}
    if request.name is None:
        updates["name"] = EntityName(checksum(request.query.root))
    return request.model_copy(update=updates) if updates else request


def _resolve_used_in(server, request):
    """``EntityUtil.populateEntityReferences``: each reference must exist; stored in full."""
    from metadata.generated.schema.type.entityReference import EntityReference
    from metadata.generated.schema.type.entityReferenceList import EntityReferenceList

    if request.queryUsedIn is None:
        return request
    resolved = []
    for reference in request.queryUsedIn.root:
        if reference.type not in KINDS:
            raise ApiError(400, f"Entity type {reference.type!r} cannot use a query")
        entity = server.store.get_by_id(reference.type, str(reference.id.root))
        resolved.append(EntityReference.model_validate(server.store.reference(reference.type, entity)))
    return request.model_copy(update={"queryUsedIn": EntityReferenceList(root=resolved)})


def _write(server, request, user: str, create_only: bool = False) -> tuple[dict, int]:
    """Build the Query entity (``QueryMapper``/``QueryRepository.prepare``) and store it."""
    request = _resolve_used_in(server, request)
    data = request.model_dump(mode="json", exclude_none=True, by_alias=True)
    service = server.store.get_by_fqn("databaseService", data.pop("service"))
    fqn = f"{service['fullyQualifiedName']}.{data['name']}"
    if create_only and fqn in server.store.fqn_index["query"]:
        raise ApiError(409, f"Entity already exists: {fqn}")
    entity = {
        **{k: v for k, v in data.items() if k in KIND.field_names},  # QueryMapper: the entity's fields
        "fullyQualifiedName": fqn,
        "checksum": checksum(data["query"]),
        "service": server.store.reference("databaseService", service),
    }
    return write_entity(server, "query", entity, user)


def create(server, call: Call):
    return tuple(reversed(_write(server, _named(server, call.body), call.user, call.method == "POST")))


def bulk(server, call: Call):
    if not isinstance(call.body, list):
        raise ApiError(400, "Bulk request body must be a JSON array")
    requests = [_named(server, item) for item in call.body]  # the whole array parses first
    return entity_routes.bulk_result(requests, lambda request: _write(server, request, call.user))


def add_usage(server, call: Call):
    query = server.store.get_by_id("query", call.groups["id"])
    if not isinstance(call.body, list):
        raise ApiError(400, "Query usage must be a JSON array of entity references")
    references = [dict(r) for r in query.get("queryUsedIn") or []]
    for ref in call.body:
        if not isinstance(ref, dict) or ref.get("type") not in KINDS or not ref.get("id"):
            raise ApiError(400, f"Invalid entity reference {ref!r}")
        entity = server.store.get_by_id(ref["type"], ref["id"])
        if all(r["id"] != entity["id"] for r in references):
            references.append(server.store.reference(ref["type"], entity))
    operations = [{"op": "add", "path": "/queryUsedIn", "value": references}]
    return 200, server.store.patch(KIND, query["id"], operations, user=call.user)


def _string_list(body, what: str) -> list[str]:
    if not isinstance(body, list) or not all(isinstance(item, str) for item in body):
        raise ApiError(400, f"{what} must be a JSON array of strings")
    return body


def add_used_by(server, call: Call):
    """``PUT /queries/{id}/usedBy``: names of people (not OpenMetadata users) added to ``usedBy``."""
    query = server.store.get_by_id("query", call.groups["id"])
    names = sorted({*(query.get("usedBy") or []), *_string_list(call.body, "usedBy")})
    return 200, server.store.patch(KIND, query["id"], [{"op": "add", "path": "/usedBy", "value": names}], call.user)


def add_users(server, call: Call):
    """``PUT /queries/{id}/users``: OpenMetadata users (by name; each must exist: 404) added to ``users``."""
    query = server.store.get_by_id("query", call.groups["id"])
    users = [dict(u) for u in query.get("users") or []]
    for name in _string_list(call.body, "users"):
        user = server.store.get_by_fqn("user", name)
        if all(u["id"] != user["id"] for u in users):
            users.append(server.store.reference("user", user))
    return 200, server.store.patch(KIND, query["id"], [{"op": "add", "path": "/users", "value": users}], call.user)


def add_cost_record(server, call: Call):
    """``POST /queryCostRecord``: one cost record of an existing query (``queryReference``: 404
    otherwise), kept in the query's time series. Validated with ``CreateQueryCostRecordRequest``;
    the repository (``QueryCostRepository``) was not read: no other rule is applied."""
    from metadata.generated.schema.api.data.createQueryCostRecord import CreateQueryCostRecordRequest
    from metadata.generated.schema.entity.data.queryCostRecord import QueryCostRecord
    from pydantic import ValidationError

    try:
        data = CreateQueryCostRecordRequest.model_validate(call.body).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise ApiError(400, f"Invalid CreateQueryCostRecord: {exc.errors()[:3]}") from None
    query = server.store.get_by_id("query", data["queryReference"]["id"])
    record = {
        **data,
        "id": str(uuid.uuid4()),
        "queryReference": server.store.reference("query", query),
        "updatedAt": int(time.time() * 1000),
    }
    QueryCostRecord.model_validate(record)
    server.extensions.insert(query["fullyQualifiedName"], "query.queryCostRecord", record)
    return 200, record


def patch_by_name(server, call: Call):
    query = server.store.get_by_fqn("query", call.groups["fqn"])
    return 200, server.store.patch(KIND, query["id"], call.body, user=call.user)


ROUTES = [
    Route("PUT", r"queries/bulk", bulk),
    Route("PUT", r"queries", create),
    Route("POST", r"queries", create),
    Route("PUT", r"queries/(?P<id>[^/]+)/usage", add_usage),
    Route("PUT", r"queries/(?P<id>[^/]+)/usedBy", add_used_by),
    Route("PUT", r"queries/(?P<id>[^/]+)/users", add_users),
    Route("POST", r"queryCostRecord", add_cost_record),
    Route("PATCH", r"queries/name/(?P<fqn>.+)", patch_by_name),
]

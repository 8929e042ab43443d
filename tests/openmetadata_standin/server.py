"""A stand-in for the OpenMetadata REST API, for tests only (127.0.0.1, in-process).

The real server cannot run here (no Docker engine). This stand-in is strict where the
server is strict: every request body is parsed with the matching generated model from
``metadata.generated.schema`` (``extra='forbid'``, so unknown fields are rejected like the
server's Jackson parser does), parents and tags named by fullyQualifiedName must exist,
and every answer is validated against the generated entity model before it is sent, so a
client never sees a shape the real server would not produce. Anything it does not
implement answers 501 and is recorded in :attr:`StandInServer.unsupported`, so tests fail
loudly instead of passing on a silent gap.

Start it with ``with StandInServer() as server:``; ``server.host_port`` is the
``hostPort`` for ``OpenMetadataConnection`` and ``server.token`` the bearer token it
accepts. ``server.requests`` records every request (method, path, query, status).
"""

from __future__ import annotations

import base64
import copy
import importlib.metadata
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field

from tests.openmetadata_standin import owners_tags
from tests.openmetadata_standin.entities import BY_COLLECTION, KINDS, TEST_CONNECTION_STEPS, EntityKind
from tests.openmetadata_standin.lineage import LineageStore
from tests.openmetadata_standin.pipelines import PipelineStatusStore
from tests.support.postgres import free_port

API = "/api/v1"
# Fields that change on every write and do not count as a change of the entity.
VOLATILE_FIELDS = {
    "id",
    "version",
    "updatedAt",
    "updatedBy",
    "href",
    "changeDescription",
    "incrementalChangeDescription",
}
# Endpoints the real server answers without a token (JwtFilter.EXCLUDED_ENDPOINTS).
UNAUTHENTICATED = {f"{API}/system/version", f"{API}/system/health"}


def server_version() -> str:
    """The version to report: the installed client's major.minor.patch (client refuses a mismatch)."""
    return ".".join(importlib.metadata.version("openmetadata-ingestion").split(".")[:3])


class ApiError(Exception):
    """An error answered in the server's JSON shape ``{"code": .., "message": ..}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    status: int
    body: object = None


@dataclass
class EntityStore:
    """In-memory entities by type and id, with an FQN index; answers like the server."""

    base_url: str = ""
    by_id: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in KINDS})
    fqn_index: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})

    # -- lookups ------------------------------------------------------------------------
    def get_by_fqn(self, type_name: str, fqn: str) -> dict:
        entity_id = self.fqn_index[type_name].get(fqn)
        if entity_id is None:
            raise ApiError(404, f"{type_name} instance for {fqn} not found")
        return self.by_id[type_name][entity_id]

    def get_by_id(self, type_name: str, entity_id: str) -> dict:
        try:
            return self.by_id[type_name][entity_id]
        except KeyError:
            raise ApiError(404, f"{type_name} instance for {entity_id} not found") from None

    def reference(self, type_name: str, entity: dict) -> dict:
        """An EntityReference to ``entity`` as the server writes it."""
        ref = {
            "id": entity["id"],
            "type": type_name,
            "name": entity["name"],
            "fullyQualifiedName": entity["fullyQualifiedName"],
            "deleted": entity.get("deleted", False),
            "href": entity["href"],
        }
        if entity.get("displayName"):
            ref["displayName"] = entity["displayName"]
        return ref

    def list(self, kind: EntityKind, filters: dict[str, str]) -> list[dict]:
        """Entities of ``kind`` whose ancestor reference fields match ``filters`` (by FQN)."""
        result = []
        for entity in self.by_id[kind.type_name].values():
            if all((entity.get(name) or {}).get("fullyQualifiedName") == value for name, value in filters.items()):
                result.append(entity)
        return sorted(result, key=lambda e: e["fullyQualifiedName"])

    # -- writes -------------------------------------------------------------------------
    def validate_request(self, kind: EntityKind, body: object):
        """Parse ``body`` with the kind's Create*Request model (400 naming the fields)."""
        from pydantic import ValidationError

        # Checked on the raw body: the generated models rewrite '::' and '"' in names
        # (metadata.ingestion.models.custom_basemodel_validation) where the server rejects them.
        name = body.get("name") if isinstance(body, dict) else None
        if isinstance(name, str) and "::" in name:  # basic.json entityName pattern
            raise ApiError(400, 'name must match "^((?!::).)*$"')
        if isinstance(name, str) and '"' in name.strip('"'):  # FullyQualifiedName.quoteName
            raise ApiError(400, f"Invalid name {name}")
        try:
            return kind.create_model.model_validate(body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}" for err in exc.errors()
            )
            raise ApiError(400, f"Invalid {kind.create_model.__name__}: {problems}") from None

    def create_or_update(self, kind: EntityKind, request, user: str, create_only: bool = False) -> tuple[dict, int]:
        """PUT semantics: create (201) or update in place (200), bumping version on change.

        ``create_only`` is POST: an existing entity is a 409 instead of an update.
        """
        from metadata.utils import fqn as fqn_utils

        data = request.model_dump(mode="json", exclude_none=True, by_alias=True)
        owners_tags.reject_unsupported(kind.type_name, data)
        if kind.type_name == "user":
            data = owners_tags.prepare_user(self, data)
        name = data["name"]
        entity: dict = dict(data)
        try:
            quoted = fqn_utils.quote_name(name)
        except ValueError:  # FullyQualifiedName.quoteName: IllegalArgumentException
            raise ApiError(400, f"Invalid name {name}") from None
        if kind.type_name == "tag":
            prefix, references = owners_tags.tag_parent(self, data)
            entity.update(references)
            fqn = f"{prefix}.{quoted}"
        elif kind.parent_field:
            parent = self.get_by_fqn(kind.parent_type, data[kind.parent_field])
            fqn = f"{parent['fullyQualifiedName']}.{quoted}"
            entity[kind.parent_field] = self.reference(kind.parent_type, parent)
            for inherited in kind.inherited:
                entity[inherited] = copy.deepcopy(parent[inherited])
            if "serviceType" in parent:
                entity["serviceType"] = parent["serviceType"]
        else:
            fqn = quoted
        self._check_owners_and_tags(entity)
        if kind.type_name == "table":
            self._check_table(fqn, data)
            entity["columns"] = _columns_with_fqn(fqn, entity.get("columns", []))
        elif kind.type_name == "pipeline":
            entity["tasks"] = [
                {**task, "fullyQualifiedName": f"{fqn}.{fqn_utils.quote_name(task['name'])}"}
                for task in entity.get("tasks", [])
            ]

        existing_id = self.fqn_index[kind.type_name].get(fqn)
        if existing_id and create_only:
            raise ApiError(409, f"Entity already exists: {fqn}")
        existing = self.by_id[kind.type_name].get(existing_id) if existing_id else None
        entity_id = existing["id"] if existing else str(uuid.uuid4())
        entity.update(
            {
                "id": entity_id,
                "fullyQualifiedName": fqn,
                "href": f"{self.base_url}{API}/{kind.collection}/{entity_id}",
                "deleted": False,
            }
        )
        if existing and _content(existing) == _content(entity):
            return existing, 200
        entity["version"] = round(existing["version"] + 0.1, 1) if existing else 0.1
        entity["updatedAt"] = int(time.time() * 1000)
        entity["updatedBy"] = user
        # The answer must parse as the server's entity: guards the stand-in itself.
        kind.entity_model.model_validate(entity)
        self.by_id[kind.type_name][entity_id] = entity
        self.fqn_index[kind.type_name][fqn] = entity_id
        return entity, (200 if existing else 201)

    def patch(self, kind: EntityKind, entity_id: str, operations: object, user: str) -> dict:
        """Apply an RFC 6902 JSON Patch the way the server does; bump the version on change.

        Raises:
            ApiError: 404 unknown id, 400 malformed patch or a result the entity model rejects.
        """
        import jsonpatch
        from pydantic import ValidationError

        original = self.get_by_id(kind.type_name, entity_id)
        if not isinstance(operations, list):
            raise ApiError(400, "JSON Patch body must be an array of operations")
        try:
            patched = jsonpatch.apply_patch(original, operations)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise ApiError(400, f"Invalid JSON Patch: {exc}") from None
        # Identity and bookkeeping fields are the server's: a patch cannot change them.
        for name in ("id", "fullyQualifiedName", "href", "version", "updatedAt", "updatedBy", "deleted"):
            if name in original:
                patched[name] = original[name]
        self._check_owners_and_tags(patched)
        if kind.type_name == "table":
            self._check_table(original["fullyQualifiedName"], patched)
            patched["columns"] = _columns_with_fqn(original["fullyQualifiedName"], patched.get("columns", []))
        if _content(patched) == _content(original):
            return original
        patched["version"] = round(original["version"] + 0.1, 1)
        patched["updatedAt"] = int(time.time() * 1000)
        patched["updatedBy"] = user
        try:
            kind.entity_model.model_validate(patched)
        except ValidationError as exc:
            raise ApiError(400, f"Patched {kind.type_name} is invalid: {exc.errors()[:3]}") from None
        self.by_id[kind.type_name][entity_id] = patched
        return patched

    def delete_stale(self, kind: EntityKind, body: object) -> dict:
        """``DELETE /{collection}/deleteStale``: soft-delete in-scope entities not in seenFqns."""
        from metadata.generated.schema.type.bulkDeleteStaleRequest import BulkDeleteStaleRequest
        from pydantic import ValidationError

        try:
            request = BulkDeleteStaleRequest.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, f"Invalid BulkDeleteStaleRequest: {exc.errors()[:3]}") from None
        scope_field = request.scopeEntityType
        if scope_field not in {kind.parent_field, *kind.inherited}:
            raise ApiError(400, f"scopeEntityType {scope_field!r} is not a scope of {kind.type_name}")
        seen = set(request.seenFqns)
        deleted = []
        for entity in list(self.by_id[kind.type_name].values()):
            in_scope = (entity.get(scope_field) or {}).get("fullyQualifiedName") == request.scopeFqn
            if in_scope and not entity.get("deleted") and entity["fullyQualifiedName"] not in seen:
                if not request.dryRun:
                    entity["deleted"] = True
                    entity["version"] = round(entity["version"] + 0.1, 1)
                deleted.append({"request": entity["fullyQualifiedName"], "status": 200})
        return {
            "dryRun": bool(request.dryRun),
            "status": "success",
            "numberOfRowsProcessed": len(deleted),
            "numberOfRowsPassed": len(deleted),
            "numberOfRowsFailed": 0,
            "successRequest": deleted,
            "failedRequest": [],
        }

    def search_field(self, query: dict) -> dict:
        """``GET /search/fieldQuery``: exact match on one field, in Elasticsearch's hit shape."""
        index = query.get("index", "")
        kind = SEARCH_INDEXES.get(index)
        if kind is None:
            raise ApiError(400, f"Unknown search index {index!r}")
        field_name, value = query.get("fieldName"), query.get("fieldValue")
        include_deleted = query.get("deleted", "false") == "true"
        hits = [
            {"_index": index, "_id": e["id"], "_source": e}
            for e in self.by_id[kind].values()
            if e.get(field_name) == value and e.get("deleted", False) == include_deleted
        ]
        start, size = int(query.get("from", 0)), int(query.get("size", 10))
        return {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits[start : start + size]}}

    def _check_tags(self, tags: list[dict] | None) -> list[dict]:
        """Tag labels must name existing tags (404 otherwise); returns them as stored."""
        return owners_tags.check_tags(self, tags)

    def _check_owners_and_tags(self, entity: dict) -> None:
        """Validate and normalise ``owners``/``tags`` of an entity (and of a pipeline's tasks)."""
        for item in [entity, *(entity.get("tasks") or [])]:
            if "owners" in item:
                item["owners"] = owners_tags.check_owners(self, item["owners"])
            if "tags" in item:
                item["tags"] = self._check_tags(item["tags"])

    def _check_table(self, fqn: str, data: dict) -> None:
        # TableRepository.validateTableConstraints: constraint columns must be the table's,
        # referred columns must belong to tables that already exist.
        from metadata.utils import fqn as fqn_utils

        names = {column["name"] for column in data.get("columns", [])}
        for constraint in data.get("tableConstraints", []) or []:
            for column in constraint.get("columns", []) or []:
                if column not in names:
                    raise ApiError(400, f"Invalid column name found in table constraint: {column} (table {fqn})")
            for referred in constraint.get("referredColumns", []) or []:
                *table_parts, column = fqn_utils.split(referred)
                table_fqn = ".".join(fqn_utils.quote_name(p) for p in table_parts)
                table_id = self.fqn_index["table"].get(table_fqn)
                if table_id is None and table_fqn != fqn:
                    raise ApiError(400, f"Table not found: {table_fqn}")
                referred_columns = (
                    names if table_id is None else {c["name"] for c in self.by_id["table"][table_id].get("columns", [])}
                )
                if column not in referred_columns:
                    raise ApiError(400, f"Invalid column name {column} in table {table_fqn}")


# Search index name -> entity type (the server's indexMapping.json names).
SEARCH_INDEXES = {
    "table_search_index": "table",
    "database_search_index": "database",
    "database_schema_search_index": "databaseSchema",
    "database_service_search_index": "databaseService",
    "stored_procedure_search_index": "storedProcedure",
    "pipeline_search_index": "pipeline",
}


def _columns_with_fqn(parent_fqn: str, columns: list[dict]) -> list[dict]:
    from metadata.utils import fqn as fqn_utils

    result = []
    for column in columns:
        column_fqn = f"{parent_fqn}.{fqn_utils.quote_name(column['name'])}"
        column = {**column, "fullyQualifiedName": column_fqn}
        if column.get("children"):
            column["children"] = _columns_with_fqn(column_fqn, column["children"])
        result.append(column)
    return result


def _content(entity: dict) -> dict:
    return {k: v for k, v in entity.items() if k not in VOLATILE_FIELDS}


class StandInServer:
    """Runs the stand-in on 127.0.0.1:<free port> in a background thread (uvicorn).

    Attributes:
        token: the bearer token accepted (a random string; the real server wants a JWT).
        requests: every request as :class:`RecordedRequest`, in arrival order.
        unsupported: "METHOD path" of every request the stand-in does not implement.
        delay_seconds: sleep before answering each request (fault injection).
        fail_with: if set, answer every authenticated request with this HTTP status
            (only ``fail_method`` requests under ``fail_path_prefix`` when those are set).
    """

    def __init__(self, token: str | None = None):
        self.token = token or base64.urlsafe_b64encode(os.urandom(24)).decode()
        self.port = free_port()
        self.store = EntityStore(base_url=f"http://127.0.0.1:{self.port}")
        self.lineage = LineageStore(self.store)
        self.pipeline_statuses = PipelineStatusStore(self.store)
        self.requests: list[RecordedRequest] = []
        self.unsupported: list[str] = []
        self.delay_seconds = 0.0
        self.fail_with: int | None = None
        self.fail_method: str | None = None
        self.fail_path_prefix: str | None = None
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    @property
    def host_port(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    # -- request accounting helpers for tests --------------------------------------------
    def count(self, method: str, path_prefix: str) -> int:
        """Number of recorded requests with ``method`` whose path starts with ``path_prefix``."""
        return sum(1 for r in self.requests if r.method == method and r.path.startswith(path_prefix))

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        """Answer one authenticated request in-process (seeding helpers; not recorded).

        ``path`` is relative to ``/api/v1``, e.g. ``"/users"``. Returns (status, JSON body).
        """
        try:
            with self._lock:
                return self._dispatch(method, f"{API}{path}", {}, body)
        except ApiError as exc:
            return exc.status, {"code": exc.status, "message": exc.message}

    def entities(self, type_name: str) -> list[dict]:
        """All stored entities of an OpenMetadata entity type, e.g. ``"table"``."""
        return list(self.store.by_id[type_name].values())

    # -- ASGI application -------------------------------------------------------------
    def _app(self):
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def handle(request: Request):
            path = request.url.path
            raw = await request.body()
            body = None
            status = 500
            try:
                if self.delay_seconds:
                    time.sleep(self.delay_seconds)  # blocks like a slow server would
                if raw:
                    try:
                        body = json.loads(raw)
                    except json.JSONDecodeError as exc:
                        raise ApiError(400, f"Malformed JSON body: {exc}") from None
                if path not in UNAUTHENTICATED:
                    if request.headers.get("authorization") != f"Bearer {self.token}":
                        raise ApiError(401, "Not Authorized! Token verification failed")
                    if (
                        self.fail_with
                        and (self.fail_method in (None, request.method))
                        and path.startswith(self.fail_path_prefix or "")
                    ):
                        raise ApiError(self.fail_with, "Injected failure")
                with self._lock:
                    status, payload = self._dispatch(request.method, path, dict(request.query_params), body)
            except ApiError as exc:
                status, payload = exc.status, {"code": exc.status, "message": exc.message}
            self.requests.append(RecordedRequest(request.method, path, request.url.query, status, body))
            return JSONResponse(payload, status_code=status)

        methods = ["GET", "PUT", "POST", "PATCH", "DELETE"]
        return Starlette(routes=[Route("/{path:path}", handle, methods=methods)])

    def _dispatch(self, method: str, path: str, query: dict, body) -> tuple[int, object]:
        if not path.startswith(API + "/"):
            return self._unsupported(method, path)
        rest = path[len(API) + 1 :]
        if method == "GET" and rest == "system/version":
            return 200, {"version": server_version(), "revision": "stand-in", "timestamp": 0}
        if method == "GET" and rest == "users/loggedInUser":
            return 200, self._bot_user()
        if method == "GET" and rest.startswith("services/testConnectionDefinitions/name/"):
            return 200, self._test_connection_definition(rest.rsplit("/", 1)[1])
        if method == "GET" and rest == "search/fieldQuery":
            return 200, self.store.search_field(query)
        if method == "PUT" and rest == "lineage":
            return 200, self.lineage.add(body)
        if method == "GET" and rest.startswith("lineage/"):
            return 200, self.lineage.get(rest[len("lineage/") :], query)
        if rest.startswith("pipelines/") and rest.endswith("/status"):
            answer = self.pipeline_statuses.handle(method, rest[len("pipelines/") : -len("/status")], query, body)
            if answer is not None:
                return answer
        for collection, kind in BY_COLLECTION.items():
            if rest == collection or rest.startswith(collection + "/"):
                return self._entity_route(kind, method, rest[len(collection) :].lstrip("/"), query, body)
        return self._unsupported(method, path)

    def _unsupported(self, method: str, path: str) -> tuple[int, object]:
        self.unsupported.append(f"{method} {path}")
        return 501, {"code": 501, "message": f"stand-in does not implement {method} {path}"}

    def _entity_route(self, kind: EntityKind, method: str, sub: str, query: dict, body) -> tuple[int, object]:
        store = self.store
        if method in ("PUT", "POST") and sub == "":
            request = store.validate_request(kind, body)
            entity, status = store.create_or_update(kind, request, user="ingestion-bot", create_only=method == "POST")
            return status, entity
        if method == "PUT" and sub == "bulk":
            return 200, self._bulk(kind, body)
        if method == "DELETE" and sub == "deleteStale":
            return 200, store.delete_stale(kind, body)
        if method == "PATCH" and sub and "/" not in sub:
            return 200, store.patch(kind, sub, body, user="ingestion-bot")
        if method == "GET" and sub.startswith("name/"):
            return 200, store.get_by_fqn(kind.type_name, owners_tags.lookup_name(kind.type_name, sub[len("name/") :]))
        if method == "GET" and sub == "":
            return 200, self._list(kind, query)
        if method == "GET" and "/" not in sub:
            return 200, store.get_by_id(kind.type_name, sub)
        return self._unsupported(method, f"{API}/{kind.collection}/{sub}")

    def _bulk(self, kind: EntityKind, body) -> dict:
        if not kind.has_bulk:
            raise ApiError(404, f"HTTP 404 Not Found: no bulk endpoint for {kind.collection}")
        if not isinstance(body, list):
            raise ApiError(400, "Bulk request body must be a JSON array")
        # Jackson parses the whole array before any entity is written: one bad item is a 400.
        requests = [self.store.validate_request(kind, item) for item in body]
        passed, failed = [], []
        for item in requests:
            try:
                entity, status = self.store.create_or_update(kind, item, user="ingestion-bot")
                passed.append({"request": entity["fullyQualifiedName"], "status": status})
            except ApiError as exc:
                failed.append({"request": item.name.root, "message": exc.message, "status": exc.status})
        return {
            "dryRun": False,
            "status": "success" if not failed else ("failure" if not passed else "partialSuccess"),
            "numberOfRowsProcessed": len(requests),
            "numberOfRowsPassed": len(passed),
            "numberOfRowsFailed": len(failed),
            "successRequest": passed,
            "failedRequest": failed,
        }

    def _list(self, kind: EntityKind, query: dict) -> dict:
        ancestors = {kind.parent_field, *kind.inherited} - {None}
        filters = {name: query[name] for name in ancestors if name in query}
        if "service" in query and "service" not in filters and kind.parent_field == "service":
            filters["service"] = query["service"]
        items = self.store.list(kind, filters)
        limit = int(query.get("limit", 10))
        offset = int(base64.b64decode(query["after"]).decode()) if query.get("after") else 0
        page = items[offset : offset + limit]
        paging = {"total": len(items)}
        if offset + limit < len(items):
            paging["after"] = base64.b64encode(str(offset + limit).encode()).decode()
        if offset:
            paging["before"] = base64.b64encode(str(max(offset - limit, 0)).encode()).decode()
        return {"data": page, "paging": paging}

    def _bot_user(self) -> dict:
        from metadata.generated.schema.entity.teams.user import User

        user = {
            "id": str(uuid.UUID(int=0xB07)),
            "name": "ingestion-bot",
            "fullyQualifiedName": "ingestion-bot",
            "email": "ingestion-bot@open-metadata.org",
            "isBot": True,
            "isAdmin": False,
            "version": 0.1,
            "updatedAt": 0,
            "updatedBy": "admin",
            "href": f"{self.store.base_url}{API}/users/{uuid.UUID(int=0xB07)}",
            "deleted": False,
        }
        User.model_validate(user)
        return user

    def _test_connection_definition(self, fqn: str) -> dict:
        from metadata.generated.schema.entity.services.connections.testConnectionDefinition import (
            TestConnectionDefinition,
        )

        service_type = fqn.split(".")[0]
        if fqn != f"{service_type}.testConnectionDefinition" or service_type not in TEST_CONNECTION_STEPS:
            raise ApiError(404, f"testConnectionDefinition instance for {fqn} not found")
        definition = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, fqn)),
            "name": service_type,
            "fullyQualifiedName": service_type,
            "steps": [
                {"name": name, "description": f"{name} step", "mandatory": mandatory}
                for name, mandatory in TEST_CONNECTION_STEPS[service_type]
            ],
            "version": 0.1,
            "updatedAt": 0,
            "updatedBy": "admin",
            "deleted": False,
        }
        TestConnectionDefinition.model_validate(definition)
        return definition

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> StandInServer:
        """Start uvicorn in a daemon thread and wait until it listens.

        Raises:
            RuntimeError: the server did not start within 10 s.
        """
        import uvicorn

        config = uvicorn.Config(
            self._app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="openmetadata-standin", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("OpenMetadata stand-in did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> StandInServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":  # python -m tests.openmetadata_standin.server: serve until Ctrl-C
    with StandInServer() as standin:
        print(f"OPENMETADATA_HOST_PORT=http://127.0.0.1:{standin.port}", flush=True)
        print(f"OPENMETADATA_JWT_TOKEN={standin.token}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass

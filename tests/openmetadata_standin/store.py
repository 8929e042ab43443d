"""The stand-in's entity store: entities by type and id, an FQN index, and the server's
rules for creating, updating, patching and deleting them.

Concurrency: the real server serves requests in parallel, so the stand-in does too (its
handlers run in a thread pool). A write holds the lock of the ONE entity it changes (keyed
by type and fullyQualifiedName) for its read-modify-write; stored entity dicts are never
mutated in place (a write stores a new dict), so readers need no lock and always see a
whole entity. Two writes to different entities never wait for each other, which keeps
races between clients (e.g. parallel task processes) visible in tests.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from dataclasses import dataclass, field

from tests.openmetadata_standin import owners_tags, update_rules
from tests.openmetadata_standin.entities import KINDS, EntityKind
from tests.openmetadata_standin.errors import ApiError

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


@dataclass
class EntityStore:
    """In-memory entities by type and id, with an FQN index; answers like the server."""

    base_url: str = ""
    by_id: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in KINDS})
    fqn_index: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in KINDS})
    _locks: dict[tuple[str, str], threading.RLock] = field(default_factory=dict, repr=False)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def lock(self, type_name: str, fqn: str) -> threading.RLock:
        """The lock serialising writes to one entity (created on first use)."""
        key = (type_name, fqn)
        with self._locks_guard:
            return self._locks.setdefault(key, threading.RLock())

    # -- lookups ------------------------------------------------------------------------
    def get_by_fqn(self, type_name: str, fqn: str, include: str = "non-deleted") -> dict:
        """The entity named ``fqn``.

        Raises:
            ApiError: 404 unknown, or soft-deleted while ``include`` is ``non-deleted``.
        """
        entity_id = self.fqn_index[type_name].get(fqn)
        entity = self.by_id[type_name].get(entity_id) if entity_id else None
        if entity is None or not _included(entity, include):
            raise ApiError(404, f"{type_name} instance for {fqn} not found")
        return entity

    def get_by_id(self, type_name: str, entity_id: str, include: str = "non-deleted") -> dict:
        """The entity with ``entity_id``.

        Raises:
            ApiError: 404 unknown, or soft-deleted while ``include`` is ``non-deleted``.
        """
        entity = self.by_id[type_name].get(entity_id)
        if entity is None or not _included(entity, include):
            raise ApiError(404, f"{type_name} instance for {entity_id} not found")
        return entity

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

    def list(self, kind: EntityKind, filters: dict[str, str], include: str = "non-deleted") -> list[dict]:
        """Entities of ``kind`` whose ancestor reference fields match ``filters`` (by FQN)."""
        result = []
        for entity in list(self.by_id[kind.type_name].values()):
            if not _included(entity, include):
                continue
            if all((entity.get(name) or {}).get("fullyQualifiedName") == value for name, value in filters.items()):
                result.append(entity)
        return sorted(result, key=lambda e: e["fullyQualifiedName"])

    def children(self, entity_id: str) -> list[tuple[str, dict]]:
        """(type, entity) of every stored entity whose parent or ancestor reference is ``entity_id``."""
        found = []
        for kind in KINDS.values():
            refs = [kind.parent_field, *kind.inherited] if kind.parent_type else []
            for child in list(self.by_id[kind.type_name].values()):
                if any((child.get(name) or {}).get("id") == entity_id for name in refs if name):
                    found.append((kind.type_name, child))
        return found

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
        """PUT semantics: create (201) or update in place (200), as ``EntityRepository.createOrUpdate``.

        The stored entity is found including soft-deleted ones (``Include.ALL``), and a PUT
        restores it with its children (``restoreEntity``). An update keeps what the server's
        updater keeps (:func:`.update_rules.apply_put_rules`: bot descriptions, merged tags,
        owners); no recorded change keeps version, ``updatedAt`` and ``updatedBy``; a removed
        column is +1.0, any other change +0.1. ``create_only`` is POST: an existing entity is
        a 409 instead of an update.
        """
        entity, fqn = self._build(kind, request)
        with self.lock(kind.type_name, fqn):
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
            if existing is None:
                entity["version"] = 0.1
                return self._store(kind, entity, user), 201
            update_rules.apply_put_rules(kind.type_name, existing, entity, user)
            if _content(existing, kind.unrecorded) == _content(entity, kind.unrecorded):
                return existing, 200
            step = 1.0 if update_rules.is_major_change(kind.type_name, existing, entity) else 0.1
            entity["version"] = round(existing["version"] + step, 1)
            stored = self._store(kind, entity, user)
        if existing.get("deleted"):
            self._restore_children(entity_id, user)
        return stored, 200

    def _restore_children(self, entity_id: str, user: str) -> None:
        """``EntityRepository.restoreChildren``: soft-deleted children come back with their parent."""
        for child_type, child in self.children(entity_id):
            if child.get("deleted"):
                with self.lock(child_type, child["fullyQualifiedName"]):
                    restored = {**child, "deleted": False, "version": round(child["version"] + 0.1, 1)}
                    self._store(KINDS[child_type], restored, user)

    def _build(self, kind: EntityKind, request) -> tuple[dict, str]:
        """The entity a create request describes (before ids and versions) and its FQN."""
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
            parent_type, parent = self._parent(kind, data[kind.parent_field])
            fqn = f"{parent['fullyQualifiedName']}.{quoted}"
            entity[kind.parent_field] = self.reference(parent_type, parent)
            for inherited in kind.inherited:
                entity[inherited] = copy.deepcopy(parent[inherited])
            if "serviceType" in parent and "serviceType" in kind.field_names:
                entity["serviceType"] = parent["serviceType"]
        else:
            fqn = quoted
        for field_name, value in kind.defaults:
            entity.setdefault(field_name, copy.deepcopy(value))
        self._check_owners_and_tags(entity)
        if kind.type_name == "table":
            self._check_table(fqn, data)
            entity["columns"] = _columns_with_fqn(fqn, entity.get("columns", []))
        elif kind.type_name == "pipeline":
            entity["tasks"] = [
                {**task, "fullyQualifiedName": f"{fqn}.{fqn_utils.quote_name(task['name'])}"}
                for task in entity.get("tasks", [])
            ]
        return entity, fqn

    def _parent(self, kind: EntityKind, value) -> tuple[str, dict]:
        """The parent a create request names: an FQN of ``kind.parent_type``, or an
        EntityReference (``CreateIngestionPipeline.service``), resolved by its ``type`` and ``id``
        (``IngestionPipelineRepository.prepare``: ``Entity.getEntityReference(service, NON_DELETED)``).

        Raises:
            ApiError: 404 the parent does not exist or is deleted; 400 an unknown reference type.
        """
        if not isinstance(value, dict):
            return kind.parent_type, self.get_by_fqn(kind.parent_type, value)
        parent_type = value.get("type")
        if parent_type not in self.by_id:
            raise ApiError(400, f"Invalid entity type {parent_type}")
        if value.get("id"):
            return parent_type, self.get_by_id(parent_type, str(value["id"]))
        return parent_type, self.get_by_fqn(parent_type, value.get("fullyQualifiedName") or value.get("name"))

    def replace_fields(self, kind: EntityKind, entity_id: str, fields: dict, user: str | None = None) -> dict:
        """Store ``fields`` on an entity without a version change, for what the server writes
        outside ``EntityUpdater`` (a service's test-connection result, a pipeline's usage
        summary, an ingestion pipeline's ``deployed`` flag after a deploy).

        Raises:
            ApiError: 404 unknown id.
        """
        fqn = self.get_by_id(kind.type_name, entity_id, "all")["fullyQualifiedName"]
        with self.lock(kind.type_name, fqn):
            current = self.get_by_id(kind.type_name, entity_id, "all")
            updated = {**current, **copy.deepcopy(fields)}
            kind.entity_model.model_validate(updated)
            if user is not None:
                updated["updatedBy"], updated["updatedAt"] = user, int(time.time() * 1000)
            self.by_id[kind.type_name][entity_id] = updated
            return updated

    def _store(self, kind: EntityKind, entity: dict, user: str) -> dict:
        """Stamp, validate against the entity model and store (caller holds the entity lock)."""
        entity["updatedAt"] = int(time.time() * 1000)
        entity["updatedBy"] = user
        # The answer must parse as the server's entity: guards the stand-in itself.
        kind.entity_model.model_validate(entity)
        self.by_id[kind.type_name][entity["id"]] = entity
        self.fqn_index[kind.type_name][entity["fullyQualifiedName"]] = entity["id"]
        return entity

    def patch(self, kind: EntityKind, entity_id: str, operations: object, user: str) -> dict:
        """Apply an RFC 6902 JSON Patch the way the server does; bump the version on change.

        Raises:
            ApiError: 404 unknown id, 400 malformed patch or a result the entity model rejects.
        """
        import jsonpatch
        from pydantic import ValidationError

        fqn = self.get_by_id(kind.type_name, entity_id)["fullyQualifiedName"]
        with self.lock(kind.type_name, fqn):
            original = self.get_by_id(kind.type_name, entity_id)
            if not isinstance(operations, list):
                raise ApiError(400, "JSON Patch body must be an array of operations")
            # The server patches the entity as read with the patch fields: a table's columns carry
            # their tags, an empty list when they have none (populateEntityFieldTags).
            base = (
                {**original, "columns": _column_tags(original.get("columns", []), True)}
                if kind.type_name == "table"
                else original
            )
            try:
                patched = jsonpatch.apply_patch(base, operations)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                raise ApiError(400, f"Invalid JSON Patch: {exc}") from None
            if patched.get("deleted", False) != original.get("deleted", False):
                # CatalogExceptionMessage.readOnlyAttribute
                raise ApiError(400, f"{kind.type_name} attribute deleted can't be modified")
            # Identity and bookkeeping fields are the server's: a patch cannot change them.
            for name in ("id", "fullyQualifiedName", "href", "version", "updatedAt", "updatedBy"):
                if name in original:
                    patched[name] = original[name]
            self._check_owners_and_tags(patched)
            if kind.type_name == "table":
                self._check_table(original["fullyQualifiedName"], patched)
                columns = _column_tags(patched.get("columns", []), False)  # stored as before: no empty lists
                patched["columns"] = _columns_with_fqn(original["fullyQualifiedName"], columns)
            if _content(patched) == _content(original):
                return original
            patched["version"] = round(original["version"] + 0.1, 1)
            try:
                return self._store(kind, patched, user)
            except ValidationError as exc:
                raise ApiError(400, f"Patched {kind.type_name} is invalid: {exc.errors()[:3]}") from None

    def delete(self, kind: EntityKind, entity: dict, user: str, hard: bool, recursive: bool) -> dict:
        """``DELETE /{collection}/{id}``: soft-delete (``deleted``, version +0.1) or remove.

        Mirrors ``EntityRepository.delete``/``deleteChildren``: an entity with children is a
        400 unless ``recursive``; then its children are deleted the same way.

        Raises:
            ApiError: 400 the entity has children and ``recursive`` is false.
        """
        children = [(t, c) for t, c in self.children(entity["id"]) if hard or not c.get("deleted")]
        if children and not recursive:
            raise ApiError(400, f"Entity {entity['fullyQualifiedName']} is not empty")
        for child_type, child in children:
            if child_type in KINDS and child["id"] in self.by_id[child_type]:
                self._delete_one(KINDS[child_type], child, user, hard)
        return self._delete_one(kind, entity, user, hard)

    def _delete_one(self, kind: EntityKind, entity: dict, user: str, hard: bool) -> dict:
        with self.lock(kind.type_name, entity["fullyQualifiedName"]):
            current = self.by_id[kind.type_name].get(entity["id"])
            if current is None:
                return entity
            if hard:
                del self.by_id[kind.type_name][entity["id"]]
                if self.fqn_index[kind.type_name].get(entity["fullyQualifiedName"]) == entity["id"]:
                    del self.fqn_index[kind.type_name][entity["fullyQualifiedName"]]
                return {**current, "deleted": True}
            if current.get("deleted"):
                return current
            deleted = {**current, "deleted": True, "version": round(current["version"] + 0.1, 1)}
            return self._store(kind, deleted, user)

    def delete_stale(self, kind: EntityKind, body: object, user: str = "ingestion-bot") -> dict:
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
                    self._delete_one(kind, entity, user, hard=False)
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
        """``GET /search/fieldQuery``: one field matched by a wildcard pattern (``*``, ``?``), in
        Elasticsearch's hit shape (``ElasticSearchClient.searchByField``: ``wildcardQuery``)."""
        index = query.get("index", "")
        kind = SEARCH_INDEXES.get(index)
        if kind is None:
            raise ApiError(400, f"Unknown search index {index!r}")
        field_name, value = query.get("fieldName"), query.get("fieldValue")
        include_deleted = query.get("deleted", "false") == "true"
        matches = _wildcard(value)
        if field_name == "fullyQualifiedName" and isinstance(value, str) and not {"*", "?"} & set(value):
            # An exact FQN: the index answers it (a scan per FK lookup made big harvests quadratic).
            found = self.by_id[kind].get(self.fqn_index[kind].get(value, ""))
            candidates = [found] if found else []
        else:
            candidates = list(self.by_id[kind].values())
        hits = [
            {"_index": index, "_id": e["id"], "_source": e}
            for e in candidates
            if matches(e.get(field_name)) and e.get("deleted", False) == include_deleted
        ]
        start, size = int(query.get("from", 0)), int(query.get("size", 10))
        return {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits[start : start + size]}}

    def _check_owners_and_tags(self, entity: dict) -> None:
        """Validate and normalise ``owners``/``tags`` of an entity (and of a pipeline's tasks)."""
        for item in [entity, *(entity.get("tasks") or [])]:
            if "owners" in item:
                item["owners"] = owners_tags.check_owners(self, item["owners"])
            if "tags" in item:
                item["tags"] = owners_tags.check_tags(self, item["tags"])
        # TableRepository.validateColumnTags / applyColumnTags: column labels are checked the same way.
        pending = list(entity.get("columns") or [])
        while pending:
            column = pending.pop()
            if column.get("tags"):
                column["tags"] = owners_tags.check_tags(self, column["tags"])
            pending.extend(column.get("children") or [])

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

INCLUDE_VALUES = ("non-deleted", "deleted", "all")


def check_include(value: str | None) -> str:
    """The ``include`` query parameter (``Include`` enum of the server), default ``non-deleted``.

    Raises:
        ApiError: 400 for a value outside the enum.
    """
    value = value or "non-deleted"
    if value not in INCLUDE_VALUES:
        raise ApiError(400, f"query param include must be one of {list(INCLUDE_VALUES)}")
    return value


def _included(entity: dict, include: str) -> bool:
    deleted = bool(entity.get("deleted"))
    return include == "all" or (include == "deleted") == deleted


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


def _wildcard(pattern: str | None):
    """Elasticsearch's wildcard query on a keyword field (``*`` any run, ``?`` one character), as
    a predicate on the field's value (the pattern compiled once per search)."""
    import re

    if pattern is None:
        return lambda value: value is None
    regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)
    return lambda value: isinstance(value, str) and regex.fullmatch(value) is not None


def _column_tags(columns: list[dict], fill: bool) -> list[dict]:
    """Columns with ``tags`` set to ``[]`` where missing (``fill``), or without empty ``tags``."""
    result = []
    for column in columns:
        column = dict(column)
        if fill:
            column["tags"] = column.get("tags") or []
        elif column.get("tags") == []:
            del column["tags"]
        if column.get("children"):
            column["children"] = _column_tags(column["children"], fill)
        result.append(column)
    return result


def _content(entity: dict, ignored: tuple[str, ...] = ()) -> dict:
    return {k: v for k, v in entity.items() if k not in VOLATILE_FIELDS and k not in ignored}

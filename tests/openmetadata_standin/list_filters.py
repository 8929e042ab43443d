"""Regex filters of the database, schema and table listings (``GET /databases``, ``/databaseSchemas``,
``/tables``), which the profiler, classification and data quality sources use to pick what to read.

Mirrors ``jdbi3/ListFilter`` of open-metadata/OpenMetadata 2.0 (``openmetadata-service/src/main/
java/org/openmetadata/service/``): ``getDatabaseCondition``/``getDatabaseSchemaCondition`` and
``getFqnRegexCondition``: ``databaseRegex``, ``databaseSchemaRegex`` and ``tableRegex`` match
the entity's own ``name`` when the parameter names its own type, else the name of the
ancestor reference (``database.name``, ``databaseSchema.name``); ``regexFilterByFqn=true``
matches ``fullyQualifiedName`` instead; ``regexMode=exclude`` keeps what does NOT match (one
mode for the whole request). The database runs a regex search (PostgreSQL ``~``, MySQL
``REGEXP``: unanchored), as :func:`re.search` does. Without these parameters the listing is
the generic one (:func:`.entity_routes.list_entities`).

``getParentCondition``: ``parent=<FQN>`` (tags: a classification or a parent tag) keeps the
entities whose FQN is below it (``fqnHash LIKE hash(parent).%``).
"""

from __future__ import annotations

import re

from tests.openmetadata_standin import entity_routes, views
from tests.openmetadata_standin.entities import BY_COLLECTION
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.store import check_include

REGEX_PARAMS = (("databaseRegex", "database"), ("databaseSchemaRegex", "databaseSchema"), ("tableRegex", "table"))


def regex_filter(type_name: str, items: list[dict], query: dict) -> list[dict]:
    """``items`` of ``type_name`` kept by the request's regex parameters."""
    exclude = (query.get("regexMode") or "include").lower() == "exclude"
    by_fqn = (query.get("regexFilterByFqn") or "").lower() == "true"
    key = "fullyQualifiedName" if by_fqn else "name"
    for param, param_type in REGEX_PARAMS:
        regex = query.get(param)
        if not regex:
            continue
        try:
            pattern = re.compile(regex)
        except re.error as exc:
            raise ApiError(400, f"Invalid regex {regex!r} for {param}: {exc}") from None

        def value(entity: dict, param_type: str = param_type) -> str:
            target = entity if param_type == type_name else (entity.get(param_type) or {})
            return target.get(key) or ""

        items = [e for e in items if bool(pattern.search(value(e))) != exclude]
    return items


def parent_filter(items: list[dict], query: dict) -> list[dict]:
    """``items`` below ``parent`` (when given)."""
    parent = query.get("parent")
    if not parent:
        return items
    return [e for e in items if e["fullyQualifiedName"].startswith(parent + ".")]


def list_entities(server, call: Call):
    """The generic listing, with the regex and parent filters applied before paging."""
    if not any(call.query.get(param) for param, _ in (*REGEX_PARAMS, ("parent", None))):
        return entity_routes.list_entities(server, call)
    kind = BY_COLLECTION[call.groups["collection"]]
    query = call.query
    ancestors = {kind.parent_field, *kind.inherited} - {None}
    filters = {name: query[name] for name in ancestors if name in query}
    fields = views.requested_fields(kind, query.get("fields"))
    items = server.store.list(kind, filters, check_include(query.get("include")))
    items = parent_filter(regex_filter(kind.type_name, items, query), query)
    return 200, views.page(items, query, lambda entity: views.view(kind, entity, fields))  # paged once filtered


def _with_collection(collection: str):
    def handler(server, call: Call):
        call.groups["collection"] = collection
        return list_entities(server, call)

    return handler


ROUTES = [
    Route("GET", r"databases", _with_collection("databases")),
    Route("GET", r"databaseSchemas", _with_collection("databaseSchemas")),
    Route("GET", r"tags", _with_collection("tags")),
]

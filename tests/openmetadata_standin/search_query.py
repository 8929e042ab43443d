"""``GET /search/query`` with an Elasticsearch ``query_filter``, over the stand-in's entities.

The server forwards the request to Elasticsearch/OpenSearch (``resources/search/SearchResource
.search`` -> ``SearchRepository.search``): ``index`` names the index (``indexMapping.json``:
``table_search_index``, ``query_search_index``, ...), ``q`` is a query string, ``query_filter``
a JSON query combined with it, ``from``/``size`` page the hits, ``deleted`` (default false)
keeps soft-deleted documents out, ``sort_field``/``sort_order`` sort, and the answer is the
search engine's ``{"hits": {"total": {"value": n}, "hits": [{"_index", "_id", "_source"}]}}``
(``include_source_fields`` trims ``_source``).

The stand-in evaluates the filters the ingestion client sends (``bool`` with ``must`` /
``should`` / ``must_not``, ``term``, ``terms``, ``exists``) on the entity JSON, reading
``a.b.keyword`` as the field ``a.b``. A non-empty ``q`` other than ``*`` and any other query
clause answer 501 (recorded as unsupported by the test that hits it): the stand-in never
guesses what the search engine would have matched.
"""

from __future__ import annotations

import json

from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route

INDEXES = {
    "table_search_index": "table",
    "database_search_index": "database",
    "database_schema_search_index": "databaseSchema",
    "database_service_search_index": "databaseService",
    "stored_procedure_search_index": "storedProcedure",
    "pipeline_search_index": "pipeline",
    "query_search_index": "query",
    "test_case_search_index": "testCase",
}


def _values(document, path: str) -> list:
    """Every value at dotted ``path`` (lists are flattened, as Elasticsearch indexes them)."""
    current = [document]
    for part in path.removesuffix(".keyword").split("."):
        found = []
        for item in current:
            if isinstance(item, dict) and part in item:
                value = item[part]
                found.extend(value if isinstance(value, list) else [value])
        current = found
    return current


def _matches(document: dict, clause: dict) -> bool:
    if len(clause) != 1:
        raise ApiError(501, f"stand-in search does not implement the clause {sorted(clause)}")
    ((kind, body),) = clause.items()
    if kind == "bool":
        must = all(_matches(document, c) for c in _list(body.get("must")) + _list(body.get("filter")))
        should = _list(body.get("should"))
        any_should = not should or any(_matches(document, c) for c in should)
        must_not = not any(_matches(document, c) for c in _list(body.get("must_not")))
        return must and any_should and must_not
    if kind == "term":
        ((field, expected),) = body.items()
        expected = expected.get("value") if isinstance(expected, dict) else expected
        return any(_same(value, expected) for value in _values(document, field))
    if kind == "terms":
        ((field, expected),) = body.items()
        return any(_same(value, e) for value in _values(document, field) for e in expected)
    if kind == "exists":
        return any(value not in (None, "", []) for value in _values(document, body["field"]))
    if kind == "match_all":
        return True
    raise ApiError(501, f"stand-in search does not implement the {kind!r} query")


def _same(value, expected) -> bool:
    if isinstance(value, bool) or isinstance(expected, bool):
        return str(value).lower() == str(expected).lower()
    return value == expected


def _list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def search(server, call: Call):
    query = call.query
    type_name = INDEXES.get(query.get("index", ""))
    if type_name is None:
        raise ApiError(400, f"Unknown search index {query.get('index')!r}")
    if (query.get("q") or "").strip() not in ("", "*"):
        raise ApiError(501, "stand-in search does not implement query strings (q)")
    try:
        query_filter = json.loads(query["query_filter"]) if query.get("query_filter") else {}
    except json.JSONDecodeError:
        raise ApiError(400, "query_filter is not valid JSON") from None
    clause = query_filter.get("query") if query_filter else None
    include_deleted = (query.get("deleted") or "false").lower() == "true"
    documents = [
        entity
        for entity in list(server.store.by_id[type_name].values())
        if bool(entity.get("deleted", False)) == include_deleted and (clause is None or _matches(entity, clause))
    ]
    if query.get("sort_field"):
        field = query["sort_field"].removesuffix(".keyword")
        documents.sort(key=lambda e: str((_values(e, field) or [""])[0]), reverse=query.get("sort_order") == "desc")
    start, size = int(query.get("from", 0)), int(query.get("size", 10))
    fields = [f for f in (query.get("include_source_fields") or "").split(",") if f]
    hits = []
    for entity in documents[start : start + size]:
        source = {k: v for k, v in entity.items() if not fields or k in fields or k in ("id", "fullyQualifiedName")}
        hits.append({"_index": query["index"], "_id": entity["id"], "_source": source})
    return 200, {"hits": {"total": {"value": len(documents), "relation": "eq"}, "hits": hits}}


ROUTES = [Route("GET", r"search/query", search)]

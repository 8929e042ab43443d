"""Table fields the server derives from other areas, added to the generic table GETs.

``TableRepository.setFields`` (openmetadata-service/.../jdbi3/TableRepository.java, 2.0):
``testSuite`` is the table's basic test suite (``getTestSuite``: the CONTAINS relationship
table -> testSuite, see :mod:`.data_quality`) and ``tableProfilerConfig`` the stored
``table.tableProfilerConfig`` extension (``getTableProfilerConfig``, see :mod:`.profiles`),
``joins`` the last 30 days of joins (``getJoins``, see :mod:`.table_joins`); they come back
only when ``fields`` names them (``clearFields``). The routes here wrap the
generic ones of :mod:`.entity_routes` and add those fields.
"""

from __future__ import annotations

from tests.openmetadata_standin import entity_routes, list_filters
from tests.openmetadata_standin import timeseries as ts
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.table_joins import joins_of

DERIVED = {"testSuite", "tableProfilerConfig", "joins"}


def _requested(call: Call) -> set[str]:
    raw = call.query.get("fields") or ""
    return {name.strip() for name in raw.split(",")} if raw.strip() != "*" else DERIVED


def _derive(server, table: dict, fields: set[str]) -> dict:
    if "testSuite" in fields:
        suite_id = server.store.fqn_index["testSuite"].get(f"{table['fullyQualifiedName']}.testSuite")
        suite = server.store.by_id["testSuite"].get(suite_id) if suite_id else None
        if suite is not None and not suite.get("deleted"):
            table = {**table, "testSuite": server.store.reference("testSuite", suite)}
    if "joins" in fields:
        joins = joins_of(server, table)
        if joins:
            table = {**table, "joins": joins}
    if "tableProfilerConfig" in fields:
        config = server.extensions.get_value(table["id"], ts.TABLE_PROFILER_CONFIG)
        if config:
            table = {**table, "tableProfilerConfig": config}
    return table


def _wrap(handler):
    def wrapped(server, call: Call):
        call.groups["collection"] = "tables"
        status, answer = handler(server, call)
        fields = _requested(call) & DERIVED
        if not fields:
            return status, answer
        if "data" in answer:
            return status, {**answer, "data": [_derive(server, t, fields) for t in answer["data"]]}
        return status, _derive(server, answer, fields)

    return wrapped


ROUTES = [
    Route("GET", r"tables/name/(?P<fqn>.+)", _wrap(entity_routes.get_by_name)),
    Route("GET", r"tables", _wrap(list_filters.list_entities)),
    Route(
        "GET",
        r"tables/(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        _wrap(entity_routes.get_by_id),
    ),
]

"""Frequently-joined tables and columns: ``PUT /tables/{id}/joins``, what query-log usage writes.

Mirrors ``jdbi3/TableRepository.addJoins`` of open-metadata/OpenMetadata 2.0
(``openmetadata-service/.../jdbi3/TableRepository.java``, the 2.0-era version read for
profiles): the table must exist and not be deleted (404); ``startDate`` must lie in the past
30 days up to today (``CommonUtil.dateInRange(DATE_FORMAT, startDate, 0, 30)``: 400 ``Date
range can only include past 30 days starting today``); every ``columnJoins[].columnName`` must
be a column of the table (``validateColumn``: 400 ``Invalid column name X``), every
``joinedWith`` a column of an existing table (``validateColumnFQNs``) and every
``directTableJoins`` entry an existing table (``validateTableFQN``: 404). Joins are added per
day (``addJoinedWith``); the answer is the table with ``joins``, the sum over the 30 days
(``getJoins``), which a GET shows with ``fields=joins`` (:mod:`.table_relations`).
"""

from __future__ import annotations

import datetime as dt

from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.views import view

EXTENSION = "table.joins"


def _check_column_fqn(server, column_fqn: str) -> None:
    from metadata.utils import fqn as fqn_utils

    *table_parts, column = fqn_utils.split(column_fqn)
    table = server.store.get_by_fqn("table", ".".join(fqn_utils.quote_name(p) for p in table_parts))
    if column not in {c["name"] for c in table.get("columns", [])}:
        raise ApiError(400, f"Invalid column name {column}")


def joins_of(server, table: dict) -> dict | None:
    """The table's joins over the last 30 days, summed by column and table (``getJoins``)."""
    days = server.extensions.get_value(table["id"], EXTENSION) or {}
    if not days:
        return None
    today = dt.date.today()
    columns: dict[str, dict[str, int]] = {}
    direct: dict[str, int] = {}
    for day, joins in days.items():
        if (today - dt.date.fromisoformat(day)).days > 30:
            continue
        for join in joins.get("columnJoins") or []:
            target = columns.setdefault(join["columnName"], {})
            for other in join.get("joinedWith") or []:
                target[other["fullyQualifiedName"]] = target.get(other["fullyQualifiedName"], 0) + other["joinCount"]
        for other in joins.get("directTableJoins") or []:
            direct[other["fullyQualifiedName"]] = direct.get(other["fullyQualifiedName"], 0) + other["joinCount"]
    return {
        "startDate": (today - dt.timedelta(days=30)).isoformat(),
        "dayCount": 30,
        "columnJoins": [{"columnName": name, "joinedWith": _counts(w)} for name, w in sorted(columns.items())],
        "directTableJoins": _counts(direct),
    }


def _counts(counts: dict[str, int]) -> list[dict]:
    return [{"fullyQualifiedName": fqn, "joinCount": n} for fqn, n in sorted(counts.items())]


def put_joins(server, call: Call):
    from metadata.generated.schema.entity.data.table import Table, TableJoins
    from pydantic import ValidationError

    table = server.store.get_by_id("table", call.groups["id"])
    try:
        joins = TableJoins.model_validate(call.body).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise ApiError(400, f"Invalid TableJoins: {exc.errors()[:3]}") from None
    start = dt.date.fromisoformat(joins["startDate"])
    if not 0 <= (dt.date.today() - start).days <= 30:
        raise ApiError(400, "Date range can only include past 30 days starting today")
    names = {c["name"] for c in table.get("columns", [])}
    for join in joins.get("columnJoins") or []:
        if join.get("columnName") not in names:
            raise ApiError(400, f"Invalid column name {join.get('columnName')}")
        for other in join.get("joinedWith") or []:
            _check_column_fqn(server, other["fullyQualifiedName"])
    for other in joins.get("directTableJoins") or []:
        server.store.get_by_fqn("table", other["fullyQualifiedName"])
    days = server.extensions.get_value(table["id"], EXTENSION) or {}
    day = days.get(joins["startDate"], {"columnJoins": [], "directTableJoins": []})
    day = {
        "columnJoins": [*day["columnJoins"], *(joins.get("columnJoins") or [])],
        "directTableJoins": [*day["directTableJoins"], *(joins.get("directTableJoins") or [])],
    }
    server.extensions.put_value(table["id"], EXTENSION, {**days, joins["startDate"]: day})
    answer = {**view(KINDS["table"], table, set()), "joins": joins_of(server, table)}
    Table.model_validate(answer)
    return 200, answer


ROUTES = [Route("PUT", r"tables/(?P<id>[^/]+)/joins", put_joins)]

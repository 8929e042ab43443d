"""What hooks report through Airflow's hook lineage collector, as OpenMetadata table FQNs.

Airflow only collects hook lineage when a plugin registers a ``HookLineageReader``
(otherwise ``get_hook_lineage_collector()`` is a no-op); our plugin registers
:class:`OpenMetadataHookLineageReader`. The collector is one object per process, and
``dag.test()`` runs every task in the same process, so the listener snapshots its sizes
when a task starts and reads only what was added since (:func:`snapshot`, :func:`since`).

Two kinds of reports are understood, each becoming its own group of (read, written)
tables, so a task's edges never cross from one statement to another:

- input/output assets with ``openmetadata://table/<fqn>`` URIs (hooks or code that know
  OpenMetadata names): one group, inputs -> outputs;
- ``sql_job`` extras that ``DbApiHook`` sends for every statement (common.sql >= 2.x):
  the SQL is parsed with ``sqlglot`` (imported only then, ~80 ms) into read and written
  tables, one group per statement. Their FQN is ``<service>.<database>.<schema>.<table>``
  where the service is the connection extra ``openmetadata_service`` or else the
  connection id, the database the hook's default database, and the schema
  ``public``/``dbo`` when the SQL names none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from airflow.sdk.lineage import HookLineageReader

from openmetadata_platform.lineage.assets import table_fqn_from_asset

log = logging.getLogger("openmetadata_platform.lineage")

SQLGLOT_DIALECTS = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "mssql": "tsql",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "trino": "trino",
}
DEFAULT_SCHEMAS = {"postgres": "public", "tsql": "dbo"}


class OpenMetadataHookLineageReader(HookLineageReader):
    """Registered by the plugin so that Airflow collects hook lineage at all."""


@dataclass
class HookTables:
    """Tables hooks read and wrote during one task, as (read FQNs, written FQNs) groups
    (one per SQL statement, one for asset reports); ``problems`` for the event's warning."""

    groups: list[tuple[list[str], list[str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _collector():
    from airflow.sdk.lineage import get_hook_lineage_collector

    return get_hook_lineage_collector()


def snapshot() -> tuple[int, int, int]:
    """Sizes of the collector's inputs, outputs and extras now (call when a task starts)."""
    try:
        collected = _collector().collected_assets
        return len(collected.inputs), len(collected.outputs), len(collected.extra)
    except Exception:  # noqa: BLE001 - lineage must never fail a task  # never let lineage break a task
        return (0, 0, 0)


def since(start: tuple[int, int, int]) -> HookTables:
    """Tables reported after ``start`` (a :func:`snapshot`). Never raises."""
    result = HookTables()
    try:
        collected = _collector().collected_assets
    except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
        result.problems.append(f"hook lineage unreadable: {exc}")
        return result
    reported: tuple[list[str], list[str]] = ([], [])
    for infos, target in ((collected.inputs[start[0] :], reported[0]), (collected.outputs[start[1] :], reported[1])):
        for info in infos:
            try:
                fqn = table_fqn_from_asset(info.asset)
            except ValueError as exc:
                result.problems.append(str(exc))
                continue
            if fqn and fqn not in target:
                target.append(fqn)
    if reported[0] and reported[1]:
        result.groups.append(reported)
    for info in collected.extra[start[2] :]:
        if info.key != "sql_job" or not isinstance(info.value, dict) or not info.value.get("sql"):
            continue
        try:
            statements = _sql_tables(info.value, info.context)
        except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
            result.problems.append(f"SQL not understood for lineage ({type(exc).__name__}: {exc})"[:300])
            continue
        result.groups.extend((reads, writes) for reads, writes in statements if reads and writes)
    return result


def _service_and_db(hook, value: dict) -> tuple[str, str | None]:
    conn_id = getattr(hook, "get_conn_id", lambda: None)() or getattr(hook, getattr(hook, "conn_name_attr", ""), None)
    conn = hook.get_connection(conn_id) if conn_id else None
    service = ((conn.extra_dejson if conn else {}) or {}).get("openmetadata_service") or conn_id
    database = value.get("default_db") or getattr(hook, "database", None) or (conn.schema if conn else None)
    return service, database


def sql_tables(
    sql: str, dialect: str, service: str, database: str | None, schema: str | None
) -> list[tuple[list[str], list[str]]]:
    """(read, written) table FQNs of each statement of ``sql``, in order.

    Args:
        dialect: a ``sqlglot`` dialect name, e.g. ``postgres``.
        service, database, schema: defaults for names the SQL leaves unqualified.

    Raises:
        sqlglot.errors.ParseError: the SQL does not parse.
    """
    import sqlglot
    from sqlglot import exp

    groups = []
    for statement in sqlglot.parse(sql, read=dialect):
        if statement is None:
            continue
        reads: list[str] = []
        writes: list[str] = []
        written = set()
        if isinstance(statement, (exp.Insert, exp.Create, exp.Update, exp.Merge)):
            target = statement.this.this if isinstance(statement.this, exp.Schema) else statement.this
            if isinstance(target, exp.Table):
                written.add(id(target))
                writes.append(_fqn(target, service, database, schema))
        ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            if id(table) not in written and table.name and table.name not in ctes:
                reads.append(_fqn(table, service, database, schema))
        groups.append((list(dict.fromkeys(reads)), list(dict.fromkeys(writes))))  # ordered, no duplicates
    return groups


def _fqn(table, service: str, database: str | None, schema: str | None) -> str:
    parts = [service, table.catalog or database, table.db or schema, table.name]
    if not all(parts):
        raise ValueError(f"cannot qualify table {table.sql()} (database or schema unknown)")
    return ".".join(f'"{p}"' if "." in p else p for p in parts)


def _sql_tables(value: dict, hook) -> list[tuple[list[str], list[str]]]:
    dialect = SQLGLOT_DIALECTS.get(str(getattr(hook, "dialect_name", "") or "").lower(), "postgres")
    service, database = _service_and_db(hook, value)
    schema = value.get("default_schema") or DEFAULT_SCHEMAS.get(dialect)
    return sql_tables(value["sql"], dialect, service, database, schema)

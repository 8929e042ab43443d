"""What `make demo`'s report must say about pagila, derived here independently of the demo's own
queries: from pagila's catalog views (``pg_tables``, ``pg_views``, ``pg_matviews``, ``pg_inherits``)
and from the Table and StoredProcedure entities the stand-in holds after the run."""

from __future__ import annotations

import re
from dataclasses import dataclass

# pg_tables lists plain and partitioned tables, partitions included; OpenMetadata's Postgres
# connector lists no partition (relispartition): they are part of their partitioned table.
CATALOG_SQL = """
SELECT
  (SELECT count(*) FROM pg_tables WHERE schemaname = 'public'),
  (SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')),
  (SELECT string_agg(DISTINCT p.relname, ',') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')),
  (SELECT count(*) FROM pg_views WHERE schemaname = 'public'),
  (SELECT count(*) FROM pg_matviews WHERE schemaname = 'public')
"""


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Catalog:
    """pagila's ``public`` schema as its catalog views show it."""

    pg_tables: int  # partitions included
    partitions: int
    partitioned: str  # the partitioned table(s), comma-separated
    views: int
    materialized_views: int

    @property
    def tables(self) -> int:
        return self.pg_tables - self.partitions

    def entities(self) -> str:
        """The report's wording for what OpenMetadata lists: ``15 tables, 7 views, 1 materialized view``."""
        return (
            f"{plural(self.tables, 'table')}, {plural(self.views, 'view')}, "
            f"{plural(self.materialized_views, 'materialized view')}"
        )


def pagila_catalog(pagila) -> Catalog:
    """``pagila``: a ThrowawayPostgres (or anything with ``psql(sql, database)``) holding pagila."""
    pg_tables, partitions, partitioned, views, matviews = pagila.psql(CATALOG_SQL, "pagila").split("|")
    return Catalog(int(pg_tables), int(partitions), partitioned, int(views), int(matviews))


@dataclass(frozen=True)
class Held:
    """What the stand-in holds under ``pagila.pagila.public``."""

    tables: int
    views: int
    materialized_views: int
    columns: int
    foreign_keys: int
    tables_with_foreign_keys: int
    stored_procedures: int

    def describe(self) -> str:
        """The report's wording of the server's counts."""
        return (
            f"{plural(self.tables, 'table')}, {plural(self.views, 'view')}, "
            f"{plural(self.materialized_views, 'materialized view')}; {plural(self.columns, 'column')}, "
            f"{plural(self.foreign_keys, 'foreign key')}, {plural(self.stored_procedures, 'stored procedure')}"
        )


def held_by(server, schema: str = "pagila.pagila.public") -> Held:
    """Count the stand-in's non-deleted Table and StoredProcedure entities under ``schema``."""
    tables = [
        t for t in server.entities("table") if t["fullyQualifiedName"].startswith(f"{schema}.") and not t.get("deleted")
    ]
    procedures = [
        p
        for p in server.entities("storedProcedure")
        if p["fullyQualifiedName"].startswith(f"{schema}.") and not p.get("deleted")
    ]
    kinds = [t["tableType"] for t in tables]
    fks = [[c for c in t.get("tableConstraints") or [] if c["constraintType"] == "FOREIGN_KEY"] for t in tables]
    return Held(
        tables=sum(kind not in ("View", "MaterializedView") for kind in kinds),
        views=kinds.count("View"),
        materialized_views=kinds.count("MaterializedView"),
        columns=sum(len(t.get("columns") or []) for t in tables),
        foreign_keys=sum(len(f) for f in fks),
        tables_with_foreign_keys=sum(bool(f) for f in fks),
        stored_procedures=len(procedures),
    )


def report_of(stdout: str) -> str:
    """The report at the end of the demo's output."""
    return stdout[stdout.index("\nHarvested pagila") :]


def step_counts(report: str, role: str, name: str) -> tuple[int, int]:
    """(records, updates) of one workflow step's line, e.g. ``source 'Postgres': 35 records read, 10 updates``."""
    match = re.search(rf"{role} '{name}': (\d+) records? \w+, (\d+) updates?", report)
    assert match, report
    return int(match.group(1)), int(match.group(2))

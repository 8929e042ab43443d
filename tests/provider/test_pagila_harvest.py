"""The main job: the pagila DAG harvests the real pagila schema into OpenMetadata.

Expected values come from the live PostgreSQL catalog, not from a list in this file.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import load_dag

# pg_class.relkind -> OpenMetadata tableType
TABLE_TYPES = {"r": "Regular", "p": "Partitioned", "v": "View", "m": "MaterializedView"}
SCHEMA_FQN = "pagila.pagila.public"


def catalog_rows(server, sql: str) -> list[list[str]]:
    # Unit separator: view definitions contain "|" (string concatenation).
    out = server.psql(sql, database="pagila", separator="\x1f")
    return [line.split("\x1f") for line in out.splitlines() if line]


@pytest.fixture
def pagila_dag(airflow_db):
    dag = load_dag("pagila_metadata_ingestion.py", "pagila_metadata_ingestion")
    for task in dag.tasks:
        task.retries = 0  # a failure should show at once, not after a retry delay
    return dag


@pytest.fixture
def harvested(pagila_dag, openmetadata_connection, pagila_connection):
    """Run the DAG once; return (stand-in, tables by name)."""
    run = pagila_dag.test()
    assert run.state == "success"
    # Snapshot: the store's dicts are live and later runs would change them under us.
    tables = {t["name"]: dict(t) for t in openmetadata_connection.entities("table")}
    return openmetadata_connection, tables


def test_service_database_and_schema_exist(harvested):
    server, _ = harvested
    (service,) = server.entities("databaseService")
    (database,) = server.entities("database")
    (schema,) = server.entities("databaseSchema")
    assert (service["name"], service["serviceType"]) == ("pagila", "Postgres")
    assert database["fullyQualifiedName"] == "pagila.pagila"
    assert schema["fullyQualifiedName"] == SCHEMA_FQN
    assert server.unsupported == []


def test_every_table_and_view_in_the_catalog_is_harvested(harvested, pagila_postgres):
    _, tables = harvested
    # Partitions are folded into their parent (tablePartition), as OpenMetadata does.
    rows = catalog_rows(
        pagila_postgres,
        """
        SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m') AND NOT c.relispartition""",
    )
    expected = {name: TABLE_TYPES[kind] for name, kind in rows}
    assert {name: t["tableType"] for name, t in tables.items()} == expected
    assert all(t["fullyQualifiedName"] == f"{SCHEMA_FQN}.{name}" for name, t in tables.items())
    partitioned = [name for name, kind in rows if kind == "p"]
    assert partitioned, "pagila has a partitioned table (payment)"
    for name in partitioned:
        assert tables[name]["tablePartition"]["columns"], name


def test_columns_and_types_match_the_catalog(harvested, pagila_postgres):
    _, tables = harvested
    rows = catalog_rows(
        pagila_postgres,
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m') AND NOT c.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY c.relname, a.attnum""",
    )
    expected: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in rows:
        expected.setdefault(table, []).append((column, type_))
    for name, columns in expected.items():
        got = [(c["name"], c["dataTypeDisplay"]) for c in tables[name]["columns"]]
        assert got == columns, name
        assert all(c["dataType"] for c in tables[name]["columns"]), name


def test_primary_and_foreign_keys_match_the_catalog(harvested, pagila_postgres):
    _, tables = harvested
    rows = catalog_rows(
        pagila_postgres,
        """
        SELECT con.contype, src.relname,
               (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(att, ord)
                JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.att),
               coalesce(dst.relname, ''),
               coalesce((SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                         FROM unnest(con.confkey) WITH ORDINALITY k(att, ord)
                         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.att), '')
        FROM pg_constraint con JOIN pg_class src ON src.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = src.relnamespace LEFT JOIN pg_class dst ON dst.oid = con.confrelid
        WHERE n.nspname = 'public' AND con.contype IN ('p', 'f') AND NOT src.relispartition""",
    )
    assert any(kind == "f" for kind, *_ in rows)
    for kind, table, columns, referred_table, referred_columns in rows:
        entity = tables[table]
        constraints = entity.get("tableConstraints") or []
        cols = columns.split(",")
        if kind == "p" and len(cols) == 1:
            (column,) = [c for c in entity["columns"] if c["name"] == cols[0]]
            assert column["constraint"] == "PRIMARY_KEY", (table, cols)
        elif kind == "p":
            assert {"constraintType": "PRIMARY_KEY", "columns": cols} in [
                {"constraintType": c["constraintType"], "columns": c["columns"]} for c in constraints
            ], table
        else:
            referred = [f"{SCHEMA_FQN}.{referred_table}.{c}" for c in referred_columns.split(",")]
            assert any(
                c["constraintType"] == "FOREIGN_KEY" and c["columns"] == cols and c["referredColumns"] == referred
                for c in constraints
            ), (table, cols, referred)


def test_view_definitions_match_the_catalog(harvested, pagila_postgres):
    _, tables = harvested
    rows = catalog_rows(
        pagila_postgres,
        """
        SELECT c.relname, regexp_replace(pg_get_viewdef(c.oid, true), '\\s+', ' ', 'g')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')""",
    )
    assert rows
    for name, definition in rows:
        stored = re.sub(r"\s+", " ", tables[name].get("schemaDefinition") or "")
        assert definition.strip().rstrip(";") in stored, name


def test_rerun_changes_nothing(harvested, pagila_dag):
    """Re-runs keep the same entities; versions settle instead of growing with each run.

    The first run cannot send foreign keys with the tables (the referred tables do not
    exist yet; the server rejects that) so it PATCHes them in afterwards. The second run
    sends them inline, which changes sourceHash: the server records that as one minor
    change (+0.1). From then on a run changes nothing.
    """
    server, first = harvested
    kinds = ("databaseService", "database", "databaseSchema", "table", "storedProcedure")
    counts = {kind: len(server.entities(kind)) for kind in kinds}
    ids = {t["name"]: t["id"] for t in first.values()}

    assert pagila_dag.test().state == "success"
    second = {t["name"]: t for t in server.entities("table")}
    assert {name: t["id"] for name, t in second.items()} == ids
    assert {kind: len(server.entities(kind)) for kind in kinds} == counts
    for name, table in second.items():
        assert table["version"] - first[name]["version"] <= 0.1 + 1e-9, name

    assert pagila_dag.test().state == "success"
    third = {t["name"]: (t["id"], t["version"]) for t in server.entities("table")}
    assert third == {name: (t["id"], t["version"]) for name, t in second.items()}
    assert {kind: len(server.entities(kind)) for kind in kinds} == counts
    assert not [t for t in server.entities("table") if t.get("deleted")]


def test_writes_are_bulk(harvested):
    server, tables = harvested
    table_writes = server.count("PUT", "/api/v1/tables") + server.count("PATCH", "/api/v1/tables")
    assert server.count("PUT", "/api/v1/tables/bulk") >= 1
    assert table_writes / len(tables) < 1


def test_summary_is_returned_and_holds_no_secret(pagila_dag, openmetadata_connection, pagila_connection):
    from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

    task = pagila_dag.get_task("harvest_pagila_schema")
    assert isinstance(task, PostgresMetadataIngestionOperator)
    summary = task.execute(context={})
    assert summary["success"] is True
    assert summary["failures"] == 0
    assert summary["records_processed"] >= len(openmetadata_connection.entities("table"))
    assert summary["wall_time_seconds"] > 0
    text = repr(summary)
    assert openmetadata_connection.token not in text
    assert pagila_connection.password not in text


def test_successful_run_logs_no_secret(pagila_dag, openmetadata_connection, pagila_connection, capfd):
    assert pagila_dag.test().state == "success"
    output = capfd.readouterr()
    text = output.out + output.err
    assert "records processed" in text  # the summary line is logged
    assert openmetadata_connection.token not in text
    assert pagila_connection.password not in text

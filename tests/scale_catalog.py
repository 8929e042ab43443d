"""A synthetic PostgreSQL catalog for the scale benchmark: N schemas x M tables x K columns.

Every table has a primary key ``id``, a foreign key ``prev_id`` to its neighbour (the previous
table of the schema), K-2 text columns and a few rows; every 10th table has a view over it and
every 50th is a partitioned table (by ``created``, one partition) that the next table cannot
reference (its key has two columns). One transaction per schema, so lock limits do not grow
with the catalog.
"""

from __future__ import annotations

ROWS_PER_TABLE = 5

_SCHEMA_SQL = """
DO $$
DECLARE
  t int;
  cols text := (SELECT string_agg(format('c%s text', k), ', ') FROM generate_series(3, {columns}) k);
  fk text;
BEGIN
  CREATE SCHEMA {schema};
  FOR t IN 1..{tables} LOOP
    IF t % 50 = 0 THEN
      EXECUTE format(
        'CREATE TABLE {schema}.t%1$s (id int, created date, %2$s, PRIMARY KEY (id, created)) '
        'PARTITION BY RANGE (created)', t, cols);
      EXECUTE format(
        'CREATE TABLE {schema}.t%1$s_2025 PARTITION OF {schema}.t%1$s '
        'FOR VALUES FROM (''2025-01-01'') TO (''2026-01-01'')', t);
      EXECUTE format(
        'INSERT INTO {schema}.t%1$s (id, created) SELECT g, DATE ''2025-06-01'' FROM generate_series(1, {rows}) g', t);
    ELSE
      fk := CASE WHEN t > 1 AND (t - 1) % 50 <> 0 THEN format('REFERENCES {schema}.t%s (id)', t - 1) ELSE '' END;
      EXECUTE format('CREATE TABLE {schema}.t%1$s (id int PRIMARY KEY, prev_id int %2$s, %3$s)', t, fk, cols);
      EXECUTE format(
        'INSERT INTO {schema}.t%1$s (id, prev_id, c3) SELECT g, g, md5(g::text) FROM generate_series(1, {rows}) g', t);
    END IF;
    IF t % 10 = 0 THEN
      EXECUTE format('CREATE VIEW {schema}.v%1$s AS SELECT * FROM {schema}.t%1$s', t);
    END IF;
  END LOOP;
END $$;
"""


def create_catalog(server, database: str, schemas: int, tables: int, columns: int = 10) -> int:
    """Create ``database`` on the throwaway ``server`` with the catalog; return how many tables.

    Args:
        server: a ``ThrowawayPostgres``.
        schemas, tables, columns: N schemas of M tables of K columns (K >= 3).
    """
    server.psql(f'CREATE DATABASE "{database}"')
    for index in range(1, schemas + 1):
        server.psql(
            _SCHEMA_SQL.format(schema=f"s{index}", tables=tables, columns=columns, rows=ROWS_PER_TABLE),
            database=database,
        )
    server.psql("ANALYZE", database=database)
    return schemas * tables

"""Our operators write what OpenMetadata's own CLI writes (``metadata ingest -c`` / ``metadata profile -c``
on the config the operator builds), apart from the one documented correction.

Two stand-ins, one per side, against one throwaway PostgreSQL of our own (autovacuum off, so the
tables keep no statistics unless a test ANALYZEs them; the session's servers are shared) with:

- pagila (views, a partitioned table, foreign keys between tables of one bulk batch);
- a synthetic catalog of 150 tables (tests/scale_catalog.py: a foreign key per table, views, a
  partitioned table per 50), more than one bulk batch of 100, so some foreign keys are resolved
  when the table is created and the others in the foreign-key pass
  (``upstream_fixes.read_tables_once_for_foreign_keys``).

The profile comparison covers every field of every table and column profile; the row count of a
table without statistics is the documented exception (``upstream_fixes
.count_rows_without_statistics``: the CLI writes ``-1``, we write ``count(*)``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, connection_env
from tests.workflows.fixes_probe import normalise

CLI = str(Path(sys.executable).parent / "metadata")
PAGILA = {"service_name": "pagila", "database": "pagila", "schema_includes": ["^public$"]}
SCALE = {"service_name": "scale", "database": "scale"}
# category and language: no statistics (never analyzed); payment: a partitioned parent (never
# has any); actor: ANALYZEd, upstream's estimate is kept.
PROFILED = {**PAGILA, "table_includes": ["^category$", "^language$", "^payment$", "^actor$"]}
WITHOUT_STATISTICS = {"category", "language", "payment"}
ENTITY_TYPES = ("databaseService", "database", "databaseSchema", "table")


@pytest.fixture(scope="module")
def source():
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    from tests.scale_catalog import create_catalog

    with ThrowawayPostgres(settings={"autovacuum": "off"}) as server:
        load_pagila(server)
        server.psql("ANALYZE actor", database="pagila")
        create_catalog(server, "scale", 1, 150)
        server.psql("VACUUM ANALYZE", database="scale")
        yield server


def _env(postgres, om) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "AIRFLOW__OPENMETADATA_LINEAGE__ENABLED": "False",
        **connection_env(
            "pagila_postgres",
            conn_type="postgres",
            host=postgres.host,
            port=postgres.port,
            login="postgres",
            password=postgres.password,
            schema="pagila",
        ),
        **connection_env(
            "openmetadata_default",
            conn_type="openmetadata",
            host="127.0.0.1",
            port=om.port,
            schema="http",
            password=om.token,
        ),
    }


def _run(cmd: list[str], env: dict) -> str:
    result = subprocess.run(cmd, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"{cmd[:4]}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def _probe(workflow: str, mode: str, options: dict) -> list[str]:
    return [sys.executable, "-m", "tests.workflow_bench_probe", workflow, mode, json.dumps(options)]


def _cli(env: dict, workflow: str, command: str, options: dict) -> None:
    """``metadata <command> -c`` on the config our operator builds for ``options``."""
    (config,) = json.loads(_run(_probe(workflow, "config", options), env).strip().splitlines()[-1])
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        os.chmod(fh.name, 0o600)  # it holds the token and the database password
        json.dump(config, fh)
    try:
        _run([CLI, command, "-c", fh.name], env)
    finally:
        os.unlink(fh.name)


def _stored(om) -> dict:
    from tests.openmetadata_standin.timeseries import COLUMN_PROFILE, TABLE_PROFILE

    return {
        **{
            kind: sorted((normalise(e) for e in om.entities(kind)), key=lambda e: e["fullyQualifiedName"])
            for kind in ENTITY_TYPES
        },
        "table_profiles": normalise(om.extensions.all_rows(TABLE_PROFILE)),
        "column_profiles": normalise(om.extensions.all_rows(COLUMN_PROFILE)),
    }


def _side(postgres, with_cli: bool) -> dict:
    """Harvest pagila and the synthetic catalog, then profile four pagila tables; what was stored
    after the harvests and after the profile."""
    from tests.openmetadata_standin.server import StandInServer

    with StandInServer() as om:
        env = _env(postgres, om)
        for options in (PAGILA, SCALE):
            if with_cli:
                _cli(env, "metadata", "ingest", options)
            else:
                _run(_probe("metadata", "operator", options), env)
        harvested = _stored(om)
        reads = {
            "table_by_name": om.count("GET", "/api/v1/tables/name/"),
            "search": om.count("GET", "/api/v1/search/fieldQuery"),
            "table_listings": sum(1 for r in om.requests if r.method == "GET" and r.path == "/api/v1/tables"),
            "table_patches": om.count("PATCH", "/api/v1/tables/"),  # one per table of the foreign-key pass
        }
        if with_cli:
            _cli(env, "profiler", "profile", PROFILED)
        else:
            _run(_probe("profiler", "operator", PROFILED), env)
        profiled = _stored(om)
        assert om.internal_errors == [] and om.unsupported == []
    return {"harvested": harvested, "profiled": profiled, "reads": reads}


@pytest.fixture(scope="module")
def both(source):
    """What the CLI and our operators stored, run side by side (two processes at a time)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        cli, ours = pool.submit(_side, source, True), pool.submit(_side, source, False)
        return {"cli": cli.result(), "ours": ours.result()}


def _row_counts(source, names) -> dict[str, int]:
    sql = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM public.{name}" for name in sorted(names))
    return {
        name: int(count) for name, count in (line.split("|") for line in source.psql(sql, database="pagila").split())
    }


def test_harvest_writes_the_same_entities_as_the_cli(both):
    cli, ours = both["cli"]["harvested"], both["ours"]["harvested"]
    tables = {t["fullyQualifiedName"] for t in ours["table"]}
    assert len([t for t in tables if t.startswith("scale.")]) >= 150 and len(tables) > 170
    foreign_keys = [
        c for t in ours["table"] for c in t.get("tableConstraints") or [] if c["constraintType"] == "FOREIGN_KEY"
    ]
    assert len(foreign_keys) > 150  # pagila's and one per synthetic table (but after a partitioned one)
    for kind in ENTITY_TYPES:
        assert ours[kind] == cli[kind], kind


def test_the_foreign_key_pass_reads_tables_by_listing(both):
    """``read_tables_once_for_foreign_keys``: no search and no GET per table in the foreign-key pass."""
    cli, ours = both["cli"]["reads"], both["ours"]["reads"]
    deferred = ours["table_patches"]
    assert deferred == cli["table_patches"] > 100
    # upstream, per table of the pass: a search, a GET per hit, a GET of the table and one per referred table
    assert cli["search"] >= deferred and cli["table_by_name"] >= 3 * deferred
    # What remains: one GET per foreign key while the tables are read (the referred table is
    # not written yet), and the searches of other steps (not per table).
    assert ours["table_by_name"] <= cli["table_by_name"] - 3 * deferred
    assert ours["search"] <= cli["search"] - deferred
    assert 0 < ours["table_listings"] <= 4  # one per schema (pagila's public, the synthetic s1)


def test_column_types_are_read_once_per_inspector(source):
    """``reflect_types_once_per_inspector``: domains and enums are queried once, not per table."""
    from openmetadata_platform.ingestion import upstream_fixes
    from sqlalchemy import create_engine, event, inspect

    upstream_fixes.reflect_types_once_per_inspector()
    engine = create_engine(f"postgresql+psycopg2://postgres:{source.password}@{source.host}:{source.port}/pagila")
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            columns = {name: inspector.get_columns(name, "public") for name in ("film", "actor", "customer")}
    finally:
        engine.dispose()
    # film.rating is of pagila's enum type mpaa_rating, film.release_year of its domain "year"
    assert columns["film"][[c["name"] for c in columns["film"]].index("rating")]["type"].name == "mpaa_rating"
    assert sum("pg_type.typbasetype" in s for s in statements) == 1  # domains (3 without the fix)
    assert sum("pg_catalog.pg_enum" in s for s in statements) == 1  # enums


def test_profile_writes_every_field_the_cli_writes_and_counts_rows_without_statistics(both, source):
    cli, ours = both["cli"]["profiled"], both["ours"]["profiled"]
    counted = _row_counts(source, WITHOUT_STATISTICS)
    # {table FQN: [profile rows]}, one row per table and run
    assert ours["table_profiles"].keys() == cli["table_profiles"].keys()
    assert len(ours["table_profiles"]) == 4
    for table_fqn, (ours_row,) in ours["table_profiles"].items():
        (cli_row,) = cli["table_profiles"][table_fqn]
        name = table_fqn.rsplit(".", 1)[-1]
        if name in WITHOUT_STATISTICS:
            # The documented correction: upstream writes pg_class.reltuples (-1), we count.
            assert cli_row["rowCount"] == -1, cli_row
            assert ours_row["rowCount"] == counted[name], ours_row
            cli_row = {**cli_row, "rowCount": ours_row["rowCount"]}
        assert ours_row == cli_row, name  # sizeInByte, columnCount, columnNames, ... as the CLI's
    (category,) = ours["table_profiles"]["pagila.pagila.public.category"]
    assert category["sizeInByte"] > 0
    assert ours["column_profiles"] == cli["column_profiles"]
    assert len(ours["column_profiles"]) >= 15
    # The table entities after the profile (their stored profile and all) differ only there too.
    for cli_table, our_table in zip(cli["table"], ours["table"], strict=True):
        name = our_table["name"]
        if our_table.get("profile") and name in WITHOUT_STATISTICS:
            assert cli_table["profile"]["rowCount"] == -1
            cli_table = {**cli_table, "profile": {**cli_table["profile"], "rowCount": our_table["profile"]["rowCount"]}}
        assert our_table == cli_table, name

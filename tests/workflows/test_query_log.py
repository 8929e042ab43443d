"""Lineage and usage from pg_stat_statements: the statements run on pagila become edges between the
right tables (with column lineage) and usage of the tables they read; the preflight names what
is missing on a server without the query log."""

from __future__ import annotations

import pytest

from tests.workflows.conftest import table_fqn


def _edge(server, source: str, target: str) -> dict | None:
    status, answer = server.call(
        "GET", f"/lineage/getLineageEdge/table/name/{table_fqn(source)}/table/name/{table_fqn(target)}"
    )
    return answer["edge"] if status == 200 else None


def test_statements_become_edges_with_column_lineage(catalog):
    edges = set(catalog.xcoms["query_log_lineage"]["results"]["edges"])
    assert {f"{table_fqn(s)} -> {table_fqn('customer_spend')}" for s in ("customer", "payment")} <= edges
    customer = _edge(catalog.server, "customer", "customer_spend")
    assert customer["source"] == "QueryLineage" and "customer_spend" in customer["sqlQuery"]
    columns = {(tuple(c["fromColumns"]), c["toColumn"]) for c in customer["columnsLineage"]}
    assert ((table_fqn("customer.email"),), table_fqn("customer_spend.email")) in columns
    payment = _edge(catalog.server, "payment", "customer_spend")
    assert ((table_fqn("payment.amount"),), table_fqn("customer_spend.total")) in {
        (tuple(c["fromColumns"]), c["toColumn"]) for c in payment["columnsLineage"]
    }
    assert _edge(catalog.server, "film", "customer_spend") is None


def test_usage_counts_the_tables_queried(catalog):
    results = catalog.xcoms["query_log_usage"]["results"]
    assert {table_fqn(t) for t in ("film", "film_category", "category", "rental", "customer")} <= set(results["tables"])
    queries = {q["query"]: q for q in catalog.server.entities("query")}
    joined = next(q for text, q in queries.items() if "JOIN film_category" in text)
    # Each table's usage PUTs the query again (the client looks it up by its bare checksum, not
    # <service>.<checksum>, so it is never found) and then adds that table: the last one stays.
    assert {r["name"] for r in joined["queryUsedIn"]} <= {"film", "film_category", "category"}
    assert joined["service"]["name"] == "pagila" and joined["checksum"] == joined["name"]
    status, film = catalog.server.call("GET", f"/tables/name/{table_fqn('film')}", query={"fields": "usageSummary"})
    assert status == 200 and film["usageSummary"]["dailyStats"]["count"] >= 1


def _lineage_operator():
    from openmetadata_platform.operators.ingestion import PostgresQueryLineageOperator

    return PostgresQueryLineageOperator(task_id="lineage", postgres_conn_id="pg_probe", service_name="pagila")


def _probe_connection(monkeypatch, server, login="postgres", password=None, database="pagila"):
    from tests.conftest import connection_env

    env = connection_env(
        "pg_probe",
        conn_type="postgres",
        host=server.host,
        port=server.port,
        login=login,
        password=password or server.password,
        schema=database,
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_preflight_names_a_missing_query_log(catalog_connections, pagila_postgres, monkeypatch):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

    _probe_connection(monkeypatch, pagila_postgres)  # the shared pagila: no pg_stat_statements preloaded
    before = len(catalog_connections.server.requests)
    with pytest.raises(IngestionConfigError, match="shared_preload_libraries"):
        _lineage_operator().execute(context={})
    assert catalog_connections.writes(before) == []


def test_preflight_names_the_missing_extension_and_privilege(catalog_connections, monkeypatch):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

    postgres = catalog_connections.postgres
    postgres.psql("DROP DATABASE IF EXISTS no_query_log")
    postgres.psql("CREATE DATABASE no_query_log")
    _probe_connection(monkeypatch, postgres, database="no_query_log")
    with pytest.raises(IngestionConfigError, match="CREATE EXTENSION pg_stat_statements"):
        _lineage_operator().execute(context={})
    postgres.psql("DROP ROLE IF EXISTS log_reader; CREATE ROLE log_reader LOGIN PASSWORD 'reader-pw'")
    _probe_connection(monkeypatch, postgres, login="log_reader", password="reader-pw")
    with pytest.raises(IngestionConfigError, match="GRANT pg_read_all_stats"):
        _lineage_operator().execute(context={})

"""PII classification of pagila with a fresh server's PII tags.

The NER model is a stand-in (tests/workflows/spacy_stand_in.py says which parts are real): the
e-mail, phone and date recognizers, OpenMetadata's TagProcessor and the tag PATCH are real.
"""

from __future__ import annotations

from tests.workflows.conftest import table_fqn


def _column_tags(server, table: str) -> dict[str, list[dict]]:
    status, answer = server.call("GET", f"/tables/name/{table_fqn(table)}", query={"fields": "columns,tags"})
    assert status == 200, answer
    return {c["name"]: c["tags"] for c in answer["columns"]}


def test_email_is_sensitive_and_an_id_is_not(catalog):
    customer = _column_tags(catalog.server, "customer")
    (label,) = customer["email"]
    assert label["tagFQN"] == "PII.Sensitive"
    assert (label["labelType"], label["state"], label["source"]) == ("Generated", "Suggested", "Classification")
    assert "EmailRecognizer" in label["reason"]
    assert customer["customer_id"] == [] and customer["store_id"] == []
    assert [t["tagFQN"] for t in _column_tags(catalog.server, "address")["phone"]] == ["PII.NonSensitive"]
    tags = catalog.xcoms["classify_pii"]["results"]["column_tags"]
    assert tags[table_fqn("customer") + ".email"] == ["PII.Sensitive"]
    assert table_fqn("customer") + ".customer_id" not in tags


def test_rerunning_changes_nothing(catalog_connections):
    from openmetadata_platform.operators.ingestion import PostgresAutoClassificationOperator

    server = catalog_connections.server
    versions = {t["name"]: t["version"] for t in server.entities("table")}
    before = len(server.requests)
    summary = PostgresAutoClassificationOperator(
        task_id="classify", postgres_conn_id="pagila_postgres", service_name="pagila", schema_includes=["^public$"]
    ).execute(context={})
    assert catalog_connections.writes(before) == []
    assert {t["name"]: t["version"] for t in server.entities("table")} == versions
    assert summary["results"]["columns_tagged"] == 0

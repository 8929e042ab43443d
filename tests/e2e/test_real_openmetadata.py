"""The main job against a real OpenMetadata server (skipped unless one is configured).

Set ``OPENMETADATA_HOST_PORT`` (e.g. ``http://localhost:8585``) and ``OPENMETADATA_JWT_TOKEN``
(the ingestion bot's JWT; ``make openmetadata-start`` stores both in platform-bootstrap/.env)
and run ``make test-e2e``. Each run harvests into its own DatabaseService and hard-deletes it
afterwards, so it never touches what users harvested.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit

import pytest

from tests.conftest import connection_env, load_dag

HOST_PORT = os.environ.get("OPENMETADATA_HOST_PORT")
TOKEN = os.environ.get("OPENMETADATA_JWT_TOKEN")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (HOST_PORT and TOKEN), reason="needs a real server: set OPENMETADATA_HOST_PORT and OPENMETADATA_JWT_TOKEN"
    ),
]


@pytest.fixture
def real_server(monkeypatch):
    parsed = urlsplit(HOST_PORT)
    for key, value in connection_env(
        "openmetadata_default",
        conn_type="openmetadata",
        host=parsed.hostname,
        port=parsed.port or 8585,
        schema=parsed.scheme,
        password=TOKEN,
    ).items():
        monkeypatch.setenv(key, value)
    from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

    client = OpenMetadataHook().get_conn()
    service_name = f"pagila_e2e_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PAGILA_OPENMETADATA_SERVICE", service_name)
    yield client, service_name
    from metadata.generated.schema.entity.services.databaseService import DatabaseService

    service = client.get_by_name(DatabaseService, service_name)
    if service:
        client.delete(DatabaseService, service.id, recursive=True, hard_delete=True)


def test_pagila_harvest_on_a_real_server(real_server, pagila_connection, airflow_db):
    from metadata.generated.schema.entity.data.table import Table

    client, service_name = real_server
    dag = load_dag("pagila_metadata_ingestion.py", "pagila_metadata_ingestion")
    assert dag.test().state == "success"
    expected = pagila_connection.psql(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m') AND NOT c.relispartition",
        database="pagila",
    ).split()
    tables = {}
    for name in expected:
        table = client.get_by_name(Table, f"{service_name}.pagila.public.{name}", fields=["tableConstraints"])
        assert table is not None, name
        tables[name] = (table.id, table.version.root)
    film = client.get_by_name(Table, f"{service_name}.pagila.public.film_actor", fields=["tableConstraints"])
    assert any(c.constraintType.value == "FOREIGN_KEY" for c in film.tableConstraints or [])

    assert dag.test().state == "success"
    assert dag.test().state == "success"
    after = {name: client.get_by_name(Table, f"{service_name}.pagila.public.{name}") for name in expected}
    assert {name: t.id for name, t in after.items()} == {name: v[0] for name, v in tables.items()}
    for name, table in after.items():
        assert table.version.root - tables[name][1] <= 0.1 + 1e-9, name

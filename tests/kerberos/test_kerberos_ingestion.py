"""The ingestion operators over Kerberos, using only the sidecar's copy of the ticket."""

from __future__ import annotations

import json
import shutil

import pytest
from platform_bootstrap.pagila import load_pagila

from tests.conftest import connection_env, load_dag

HARVEST_PATHS = ("/api/v1/databases", "/api/v1/databaseSchemas", "/api/v1/tables")


@pytest.fixture(scope="module")
def gss_pagila(gss_postgres):
    load_pagila(gss_postgres)
    gss_postgres.psql("GRANT CONNECT ON DATABASE pagila TO alice")
    gss_postgres.psql(
        "GRANT USAGE ON SCHEMA public TO alice; GRANT SELECT ON ALL TABLES IN SCHEMA public TO alice", database="pagila"
    )
    return gss_postgres


def _postgres_operator(monkeypatch, server, ccache):
    from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

    # host "localhost": the client asks for postgres/localhost, the server's keytab principal
    for key, value in connection_env(
        "pg_kerberos", conn_type="postgres", host="localhost", port=server.port, login="alice", schema="pagila"
    ).items():
        monkeypatch.setenv(key, value)
    return PostgresMetadataIngestionOperator(
        task_id="harvest",
        postgres_conn_id="pg_kerberos",
        service_name="pagila_krb",
        schema_includes=["^public$"],
        kerberos=True,
        kerberos_ccache=f"FILE:{ccache}",
    )


def test_postgres_harvest_with_only_the_shared_ticket(
    kdc,
    gss_pagila,
    shared_copy,
    openmetadata_connection,
    monkeypatch,
):
    operator = _postgres_operator(monkeypatch, gss_pagila, shared_copy)
    config = operator.build_workflow_config()
    assert "authType" not in config["source"]["serviceConnection"]["config"]  # no password anywhere
    with kdc.activated(f"FILE:{shared_copy}"):
        summary = operator.execute(context={})
    expected = gss_pagila.psql(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m') AND NOT c.relispartition",
        database="pagila",
    )
    tables = openmetadata_connection.entities("table")
    assert len(tables) == int(expected) > 0
    assert {t["service"]["name"] for t in tables} == {"pagila_krb"}
    assert summary["success"] and summary["failures"] == 0


@pytest.mark.parametrize(("which", "fragment"), [("destroyed", "does not exist"), ("expired", "expired")])
def test_postgres_preflight_names_the_ticket_problem(
    which, fragment, kdc, gss_pagila, tmp_path, expired_cache, openmetadata_connection, monkeypatch
):
    from openmetadata_platform.kerberos.preflight import KerberosPreflightError

    cache = tmp_path / "krb5cc"
    if which == "expired":
        shutil.copyfile(expired_cache, cache)
    operator = _postgres_operator(monkeypatch, gss_pagila, cache)
    with kdc.activated(f"FILE:{cache}"), pytest.raises(KerberosPreflightError) as error:
        operator.execute(context={})
    message = str(error.value)
    assert fragment in message and "kinit" in message
    if which == "expired":
        assert "alice@" in message
    assert not [r for r in openmetadata_connection.requests if r.path.startswith(HARVEST_PATHS)]


def test_postgres_kerberos_refuses_a_password(monkeypatch):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError
    from openmetadata_platform.sources.postgres import postgres_service_connection

    for key, value in connection_env(
        "pg_pw", conn_type="postgres", host="h", login="alice", password="pw-123", schema="db"
    ).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(IngestionConfigError) as error:
        postgres_service_connection("pg_pw", kerberos=True)
    assert "'password' is set" in str(error.value) and "pw-123" not in str(error.value)


def _mssql_env(monkeypatch, port, **extra_fields):
    extra = {"driver": "FreeTDS", "encrypt": False}
    for key, value in connection_env(
        "sqlserver_kerberos",
        conn_type="mssql",
        host="localhost",
        port=port,
        schema="master",
        extra=json.dumps(extra),
        **extra_fields,
    ).items():
        monkeypatch.setenv(key, value)


def test_sqlserver_operator_logs_in_with_the_shared_ticket(
    kdc,
    mssql_listener,
    shared_copy,
    openmetadata_connection,
    monkeypatch,
    airflow_db,
):
    from openmetadata_platform.ingestion.runner import IngestionWorkflowError

    _mssql_env(monkeypatch, mssql_listener.port)
    task = load_dag("sqlserver_metadata_ingestion.py", "sqlserver_metadata_ingestion").get_task(
        "harvest_sqlserver_schema"
    )
    task.filters_variable = None  # the Variable path is tested below
    task.kerberos_ccache = f"FILE:{shared_copy}"
    before = len(mssql_listener.authenticated)
    with kdc.activated(f"FILE:{shared_copy}"):
        # The listener authenticates the login and answers a few queries; it is not a full
        # SQL Server, so the harvest itself may stop there. The login is what this proves.
        try:
            task.execute(context={})
        except IngestionWorkflowError:
            pass
    assert mssql_listener.authenticated[before:][:1] == ["alice@KRBTEST.COM"]


def test_sqlserver_without_ticket_fails_before_odbc(
    kdc,
    mssql_listener,
    tmp_path,
    openmetadata_connection,
    monkeypatch,
):
    from openmetadata_platform.kerberos.preflight import CacheMissingError
    from openmetadata_platform.operators.ingestion import MssqlMetadataIngestionOperator

    _mssql_env(monkeypatch, mssql_listener.port)
    operator = MssqlMetadataIngestionOperator(
        task_id="t",
        mssql_conn_id="sqlserver_kerberos",
        service_name="mssql",
        kerberos_ccache=f"FILE:{tmp_path / 'none'}",
    )
    before = len(mssql_listener.logins)
    with kdc.activated(f"FILE:{tmp_path / 'none'}"), pytest.raises(CacheMissingError):
        operator.execute(context={})
    assert mssql_listener.logins[before:] == []


def test_sqlserver_connection_with_a_password_is_refused(monkeypatch):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError
    from openmetadata_platform.operators.ingestion import MssqlMetadataIngestionOperator

    _mssql_env(monkeypatch, 1433, login="sa", password="Passw0rd!")
    operator = MssqlMetadataIngestionOperator(task_id="t", mssql_conn_id="sqlserver_kerberos", service_name="mssql")
    with pytest.raises(IngestionConfigError) as error:
        operator.build_service_connection()
    assert "'login'/'password' must be empty" in str(error.value) and "Passw0rd!" not in str(error.value)
    with pytest.raises(IngestionConfigError):
        MssqlMetadataIngestionOperator(task_id="t2", service_name="mssql", kerberos=False)


def test_filters_from_an_airflow_variable(monkeypatch):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError
    from openmetadata_platform.operators.ingestion import MssqlMetadataIngestionOperator

    operator = MssqlMetadataIngestionOperator(
        task_id="t", service_name="mssql", filters_variable="mssql_filters", schema_includes=["^dbo$"]
    )
    monkeypatch.setenv(
        "AIRFLOW_VAR_MSSQL_FILTERS", json.dumps({"database_includes": ["^sales$"], "include_views": False})
    )
    config = operator.build_source_config()
    assert config["databaseFilterPattern"] == {"includes": ["^sales$"]}
    assert config["schemaFilterPattern"] == {"includes": ["^dbo$"]}  # argument kept
    assert config["includeViews"] is False
    monkeypatch.setenv("AIRFLOW_VAR_MSSQL_FILTERS", json.dumps({"schema_include": ["x"]}))
    with pytest.raises(IngestionConfigError) as error:
        operator.build_source_config()
    assert "schema_include" in str(error.value) and "mssql_filters" in str(error.value)
    monkeypatch.setenv("AIRFLOW_VAR_MSSQL_FILTERS", json.dumps({"table_includes": ["("]}))
    with pytest.raises(IngestionConfigError) as error:
        operator.build_source_config()
    assert "table_includes" in str(error.value)


def test_the_default_lifetime_margin_stops_a_harvest_before_it_starts(
    kdc, gss_pagila, cache_dir, openmetadata_connection, monkeypatch
):
    """A ticket with 3 minutes left passes kinit's idea of "valid" but would die during the harvest."""
    from openmetadata_platform.kerberos.preflight import TicketTooShortError

    short = kdc.kinit(cache_dir / "harvest-short", lifetime="3m")
    operator = _postgres_operator(monkeypatch, gss_pagila, short)
    assert operator.kerberos_min_lifetime_seconds == 600
    with kdc.activated(f"FILE:{short}"), pytest.raises(TicketTooShortError) as error:
        operator.execute(context={})
    assert "less than the 10 min this task requires" in str(error.value) and "kinit" in error.value.fix
    assert not [r for r in openmetadata_connection.requests if r.path.startswith(HARVEST_PATHS)]


def test_the_expected_principal_is_checked_at_task_start(kdc, gss_pagila, shared_copy, monkeypatch):
    from openmetadata_platform.kerberos.preflight import WrongRealmError

    operator = _postgres_operator(monkeypatch, gss_pagila, shared_copy)
    operator.kerberos_realm = "OTHER.LAB"
    with kdc.activated(f"FILE:{shared_copy}"), pytest.raises(WrongRealmError) as error:
        operator.check_source({})
    assert "alice@KRBTEST.COM" in str(error.value) and "OTHER.LAB" in str(error.value)


@pytest.mark.parametrize("margin", [-1, 1.5, "600", True])
def test_a_bad_lifetime_margin_is_refused_at_parse_time(margin):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError
    from openmetadata_platform.operators.ingestion import MssqlMetadataIngestionOperator

    with pytest.raises(IngestionConfigError, match="kerberos_min_lifetime_seconds"):
        MssqlMetadataIngestionOperator(task_id="t", service_name="mssql", kerberos_min_lifetime_seconds=margin)

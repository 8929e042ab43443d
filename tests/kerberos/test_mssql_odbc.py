"""SQL Server Kerberos connections: the OpenMetadata config, its exact ODBC string, a real login."""

from __future__ import annotations

import shutil

import pytest
from openmetadata_platform.kerberos.preflight import (
    CacheMissingError,
    TicketExpiredError,
    check_kerberos_ticket,
)
from openmetadata_platform.sources.mssql import (
    FREETDS_DRIVER,
    MS_ODBC_DRIVER_18,
    kerberos_odbc_options,
    mssql_kerberos_service_connection,
    odbc_connection_string,
)


def om_engine(config: dict):
    """The SQLAlchemy engine exactly as OpenMetadata's MSSQL connector builds it."""
    from metadata.generated.schema.entity.services.connections.database.mssqlConnection import (
        MssqlConnection,
    )
    from metadata.ingestion.source.database.mssql.connection import (
        MssqlConnection as MssqlClient,
    )

    return MssqlClient(MssqlConnection.model_validate(config)).client


def connect_string_of(engine) -> str:
    (connection_string,), kwargs = engine.dialect.create_connect_args(engine.url)
    assert kwargs == {}
    return connection_string


def test_production_config_gives_trusted_connection_and_no_credentials():
    config = mssql_kerberos_service_connection(
        "sql01.corp.example:1433", "sales", trust_server_certificate=True, server_spn="MSSQLSvc/sql01.corp.example:1433"
    )
    assert "username" not in config and "password" not in config
    expected = (
        "DRIVER={ODBC Driver 18 for SQL Server};Server=sql01.corp.example,1433;Database=sales;"
        "Trusted_Connection=Yes;Encrypt=yes;TrustServerCertificate=yes;"
        "ServerSPN=MSSQLSvc/sql01.corp.example:1433"
    )
    engine = om_engine(config)
    actual = connect_string_of(engine)
    assert actual == expected == odbc_connection_string(config)
    assert engine.url.username is None and engine.url.password is None
    keys = {part.split("=", 1)[0].upper() for part in actual.split(";")}
    assert not keys & {"UID", "PWD", "USER", "PASSWORD"}  # nothing but the ticket logs in


def test_ingestion_source_ssl_setup_adds_nothing(kdc):
    """CommonDbSource runs SSLManager.setup_ssl; with the model's TLS fields unset it must not add duplicates."""
    from metadata.generated.schema.entity.services.connections.database.mssqlConnection import (
        MssqlConnection,
    )
    from metadata.utils.ssl_manager import check_ssl_and_init

    model = MssqlConnection.model_validate(mssql_kerberos_service_connection("db:1433", trust_server_certificate=True))
    model = check_ssl_and_init(model).setup_ssl(model)
    assert not (model.connectionArguments and model.connectionArguments.root)


def test_freetds_options():
    assert kerberos_odbc_options(FREETDS_DRIVER, encrypt=True) == {
        "Encryption": "require",
        "TrustServerCertificate": "no",
    }
    assert kerberos_odbc_options(MS_ODBC_DRIVER_18, encrypt=False)["Encrypt"] == "no"


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"host_port": "sql01"}, "host_port"),
        ({"host_port": "sql01:99999"}, "host_port"),
        ({"host_port": "db:1433", "database": ""}, "database"),
        ({"host_port": "db:1433", "driver": "x;UID=sa"}, "driver"),
        ({"host_port": "db:1433", "server_spn": "MSSQLSvc/a;PWD=x"}, "server_spn"),
        ({"host_port": "db:1433", "extra_odbc_options": {"PWD": "secret"}}, "extra"),
        ({"host_port": "db:1433", "username": "sa"}, "username"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        mssql_kerberos_service_connection(**kwargs)


def freetds_config(port: int) -> dict:
    return mssql_kerberos_service_connection(f"localhost:{port}", driver=FREETDS_DRIVER, encrypt=False)


def test_openmetadata_engine_logs_in_with_the_shared_cache(kdc, mssql_listener, shared_copy):
    from sqlalchemy import event, text

    engine = om_engine(freetds_config(mssql_listener.port))
    seen: list = []
    event.listen(engine, "do_connect", lambda dialect, rec, cargs, cparams: seen.append(cargs[0]))
    before = len(mssql_listener.logins)
    with kdc.activated(f"FILE:{shared_copy}"):
        assert check_kerberos_ticket().principal == "alice@KRBTEST.COM"
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # a batch after the login (the listener answers any with one row)
    engine.dispose()
    # the listener accepted the GSSAPI token itself (gssapi.SecurityContext on its side): the
    # principal it records is the one the KDC issued the ticket to, not what the client claims
    attempts = mssql_listener.logins[before:]
    assert [(a.principal, a.error) for a in attempts] == [("alice@KRBTEST.COM", None)]
    assert seen == [
        (
            f"DRIVER={{FreeTDS}};Server=localhost,{mssql_listener.port};Database=master;"
            "Trusted_Connection=Yes;Encryption=request;TrustServerCertificate=no"
        )
    ]


@pytest.mark.parametrize("which", ["missing", "expired"])
def test_without_a_ticket_freetds_is_vague_but_the_preflight_is_not(
    which, kdc, mssql_listener, tmp_path, expired_cache
):
    import pyodbc

    cache = tmp_path / "cc"
    if which == "expired":
        shutil.copyfile(expired_cache, cache)
    before = len(mssql_listener.logins)
    with kdc.activated(f"FILE:{cache}"):
        with pytest.raises(pyodbc.Error) as odbc_error:
            pyodbc.connect(odbc_connection_string(freetds_config(mssql_listener.port)), timeout=10)
        with pytest.raises(CacheMissingError if which == "missing" else TicketExpiredError) as preflight:
            check_kerberos_ticket()
    assert "Unable to connect" in str(odbc_error.value) or "Login failed" in str(odbc_error.value)
    assert "alice" not in str(odbc_error.value)
    assert ("does not exist" if which == "missing" else "expired") in str(preflight.value)
    assert mssql_listener.authenticated[before:] == []

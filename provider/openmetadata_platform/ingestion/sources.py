"""Turn Airflow connections into OpenMetadata ``serviceConnection.config`` dicts."""

from __future__ import annotations

from airflow.sdk import BaseHook

from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

# Seconds psycopg2 waits for PostgreSQL before giving up, so a down database fails the
# task in seconds instead of hanging on the OS's TCP timeout.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10


def postgres_service_connection(conn_id: str, database: str | None = None, kerberos: bool = False) -> dict:
    """Build a ``PostgresConnection`` config from an Airflow ``postgres`` connection.

    Args:
        conn_id: Airflow connection id (host, port, login, password, schema = database).
        database: database to harvest; defaults to the connection's ``schema`` field.
        kerberos: GSSAPI login with the ticket in ``KRB5CCNAME``: no ``authType`` is sent,
            so libpq authenticates with Kerberos; a password in the connection is refused.

    Returns:
        dict for ``source.serviceConnection.config`` (holds the password: do not log it).

    Raises:
        IngestionConfigError: host, login or database missing (names the field).
    """
    from airflow.sdk.log import mask_secret

    conn = BaseHook.get_connection(conn_id)
    for field_name, value in (("host", conn.host), ("login", conn.login)):
        if not value:
            raise IngestionConfigError(f"Airflow connection '{conn_id}': field '{field_name}' is empty")
    database = database or conn.schema
    if not database:
        raise IngestionConfigError(
            f"Airflow connection '{conn_id}': no database: set the connection's 'schema' field "
            "or the operator's 'database' argument"
        )
    if kerberos and conn.password:
        raise IngestionConfigError(
            f"Airflow connection '{conn_id}': field 'password' is set, but kerberos=True logs in with "
            "the Kerberos ticket only; remove the password"
        )
    config = {
        "type": "Postgres",
        "scheme": "postgresql+psycopg2",
        "username": conn.login,
        "hostPort": f"{conn.host}:{conn.port or 5432}",
        "database": database,
        "ingestAllDatabases": False,
        "connectionArguments": {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
    }
    if kerberos:
        # GSS encryption on top of an already-authenticated session adds nothing here and
        # fails against servers without it; authentication itself stays GSSAPI.
        config["connectionArguments"]["gssencmode"] = "disable"
    elif conn.password:
        mask_secret(conn.password)
        config["authType"] = {"password": conn.password}
    return config


def check_postgres(config: dict) -> None:
    """Connect once and ``SELECT 1`` with the workflow's own settings, to fail with the real
    reason (OpenMetadata's test connection only says which step failed).

    Args:
        config: a ``PostgresConnection`` dict from :func:`postgres_service_connection`.

    Raises:
        IngestionConfigError: naming host, port, database and user, with the server's reason
            (psycopg2 never echoes the password).
    """
    import psycopg2

    host, _, port = config["hostPort"].rpartition(":")
    try:
        connection = psycopg2.connect(
            host=host,
            port=int(port),
            dbname=config["database"],
            user=config["username"],
            password=(config.get("authType") or {}).get("password"),
            **config["connectionArguments"],  # the workflow's own: connect_timeout, gssencmode
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            connection.close()
    except psycopg2.Error as exc:
        reason = " ".join(str(exc).split())
        raise IngestionConfigError(
            f"PostgreSQL {config['hostPort']}/{config['database']} as user '{config['username']}' "
            f"is not reachable: {reason}"
        ) from None


def mssql_service_connection(conn_id: str, database: str | None = None, ingest_all_databases: bool = False) -> dict:
    """Build a Kerberos ``MssqlConnection`` config from an Airflow connection (see
    :class:`~openmetadata_platform.operators.ingestion.MssqlMetadataIngestionOperator`).

    Calls :func:`openmetadata_platform.kerberos.mssql_odbc.mssql_kerberos_service_connection`.

    Raises:
        IngestionConfigError: host missing, a login/password present (Kerberos only), or an
            invalid extra; the message names the field.
    """
    from openmetadata_platform.kerberos.mssql_odbc import MS_ODBC_DRIVER_18, mssql_kerberos_service_connection

    conn = BaseHook.get_connection(conn_id)
    if not conn.host:
        raise IngestionConfigError(f"Airflow connection '{conn_id}': field 'host' is empty")
    if conn.login or conn.password:
        raise IngestionConfigError(
            f"Airflow connection '{conn_id}': fields 'login'/'password' must be empty: SQL Server is "
            "harvested with the Kerberos ticket (Trusted_Connection), never a password"
        )
    extra = conn.extra_dejson or {}
    for name in ("encrypt", "trust_server_certificate"):
        if name in extra and not isinstance(extra[name], bool):
            raise IngestionConfigError(f"Airflow connection '{conn_id}': extra '{name}' must be true or false")
    try:
        return mssql_kerberos_service_connection(
            f"{conn.host}:{conn.port or 1433}",
            database or conn.schema or "master",
            driver=extra.get("driver", MS_ODBC_DRIVER_18),
            encrypt=extra.get("encrypt", True),
            trust_server_certificate=extra.get("trust_server_certificate", False),
            server_spn=extra.get("server_spn"),
            ingestAllDatabases=ingest_all_databases,
            connectionArguments={"timeout": 15},
        )
    except ValueError as exc:
        raise IngestionConfigError(f"Airflow connection '{conn_id}': {exc}") from None

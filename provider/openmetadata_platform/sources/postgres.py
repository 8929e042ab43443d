"""PostgreSQL: an Airflow ``postgres`` connection as OpenMetadata's ``PostgresConnection``, and its preflight."""

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
    _query(config, "SELECT 1", failure="is not reachable")


def _connect(config: dict):
    """A psycopg2 connection with the workflow's own settings (see :func:`check_postgres`)."""
    import psycopg2

    host, _, port = config["hostPort"].rpartition(":")
    return psycopg2.connect(
        host=host,
        port=int(port),
        dbname=config["database"],
        user=config["username"],
        password=(config.get("authType") or {}).get("password"),
        **config["connectionArguments"],
    )


def _query(config: dict, sql: str, failure: str = "") -> list[tuple]:
    """Run ``sql`` on a connection of its own and return the rows.

    Raises:
        IngestionConfigError: naming host, port, database and user, then ``failure`` and the
            server's reason (psycopg2 never echoes the password).
    """
    import psycopg2

    try:
        connection = _connect(config)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()
    except psycopg2.Error as exc:
        reason = " ".join(str(exc).split())
        raise IngestionConfigError(
            f"PostgreSQL {config['hostPort']}/{config['database']} as user '{config['username']}'"
            f"{' ' + failure if failure else ''}: {reason}"
        ) from None


def check_query_log(config: dict) -> int:
    """Check that ``pg_stat_statements`` is there and readable; return how many statements it holds.

    OpenMetadata's ``postgres-lineage``/``postgres-usage`` sources read that view and, when it
    fails, only log the error and report success with nothing found; this says why instead.

    Args:
        config: a ``PostgresConnection`` dict from :func:`postgres_service_connection`.

    Raises:
        IngestionConfigError: the extension is not created in the database, the library is not
            preloaded, or the user cannot read other users' statements (each with its fix).
    """

    where = f"PostgreSQL {config['hostPort']}/{config['database']}"
    preload_fix = (
        f"{where}: the query log is off: add pg_stat_statements to shared_preload_libraries in "
        "postgresql.conf and restart PostgreSQL, then CREATE EXTENSION pg_stat_statements"
    )
    # pg_settings hides shared_preload_libraries from users without pg_read_all_settings: NULL then.
    installed, preload, can_read_all = _query(
        config,
        "SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'), "
        "(SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'), "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
        "OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER')",
    )[0]
    if preload is not None and "pg_stat_statements" not in [lib.strip() for lib in preload.split(",")]:
        raise IngestionConfigError(preload_fix)
    if not installed:
        raise IngestionConfigError(
            f"{where}: extension pg_stat_statements is not created in this database: run "
            f"CREATE EXTENSION pg_stat_statements; in database {config['database']}"
        )
    if not can_read_all:
        raise IngestionConfigError(
            f"{where}: user '{config['username']}' sees only its own statements in pg_stat_statements "
            f"(others show as '<insufficient privilege>'): GRANT pg_read_all_stats TO \"{config['username']}\""
        )
    try:
        return _query(config, "SELECT count(*) FROM pg_stat_statements")[0][0]
    except IngestionConfigError as exc:
        if "shared_preload_libraries" in str(exc):
            raise IngestionConfigError(preload_fix) from None
        raise


def unpopulated_materialized_views(config: dict) -> list[tuple[str, str]]:
    """(schema, name) of the materialized views that were never refreshed.

    Reading one fails (``materialized view ... has not been populated``); the profiler and the
    classification sampler would count a failure per column. The operators leave them out
    with a warning (``REFRESH MATERIALIZED VIEW`` includes them again).

    Raises:
        IngestionConfigError: the database cannot be queried.
    """
    return [
        (schema, name)
        for schema, name in _query(config, "SELECT schemaname, matviewname FROM pg_matviews WHERE NOT ispopulated")
    ]

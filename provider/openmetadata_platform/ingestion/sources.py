"""Turn Airflow connections into OpenMetadata ``serviceConnection.config`` dicts."""

from __future__ import annotations

from airflow.sdk import BaseHook

from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

# Seconds psycopg2 waits for PostgreSQL before giving up, so a down database fails the
# task in seconds instead of hanging on the OS's TCP timeout.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10


def postgres_service_connection(conn_id: str, database: str | None = None) -> dict:
    """Build a ``PostgresConnection`` config from an Airflow ``postgres`` connection.

    Args:
        conn_id: Airflow connection id (host, port, login, password, schema = database).
        database: database to harvest; defaults to the connection's ``schema`` field.

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
    config = {
        "type": "Postgres",
        "scheme": "postgresql+psycopg2",
        "username": conn.login,
        "hostPort": f"{conn.host}:{conn.port or 5432}",
        "database": database,
        "ingestAllDatabases": False,
        "connectionArguments": {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
    }
    if conn.password:
        mask_secret(conn.password)
        config["authType"] = {"password": conn.password}
    return config

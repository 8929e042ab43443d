"""SQL Server over ODBC with Kerberos (integrated security): the OpenMetadata service connection.

OpenMetadata's ``MssqlConnection`` (openmetadata-ingestion 2.0.x) has no Kerberos field.
With ``scheme: mssql+pyodbc`` and no ``username``, the URL it builds
(``metadata/ingestion/source/database/azuresql/connection.py::get_connection_url``:
``mssql+pyodbc://host:port/database?driver=...&<connectionOptions>``) reaches SQLAlchemy's
pyodbc connector (``sqlalchemy/connectors/pyodbc.py::create_connect_args``), which writes
``Trusted_Connection=Yes`` when the URL has no user and appends every other query parameter
verbatim as ``key=value`` to the ODBC connection string. So ODBC options go in
``connectionOptions``; the driver then takes the Kerberos TGT from ``KRB5CCNAME``.

Two traps this module avoids:

* ``database`` must be set: with connection options and no database the upstream builder
  appends ``/`` after ``?driver=...`` and corrupts the driver name.
* ``encrypt`` / ``trustServerCertificate`` (the model's own fields) stay unset: only the
  ingestion source path copies them into ``connectionArguments`` (``SSLManager.setup_ssl``),
  the test-connection path ignores them. In ``connectionOptions`` they apply on both paths.
"""

from __future__ import annotations

import re
from typing import Any

from airflow.sdk import BaseHook

from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

#: Driver of the production images (Microsoft's msodbcsql18).
MS_ODBC_DRIVER_18 = "ODBC Driver 18 for SQL Server"
#: Debian's ``tdsodbc`` (FreeTDS; registered under this name in /etc/odbcinst.ini).
FREETDS_DRIVER = "FreeTDS"

_HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")
_FORBIDDEN = re.compile(r"[;{}=]")


def _is_freetds(driver: str) -> bool:
    return "freetds" in driver.lower() or "libtdsodbc" in driver.lower()


def _check_text(field: str, value: Any, *, allow_equals: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: expected a non-empty string, got {value!r}")
    forbidden = r"[;{}]" if allow_equals else _FORBIDDEN
    if re.search(forbidden, value):
        raise ValueError(f"{field}: must not contain ';', '{{' or '}}' (ODBC separators), got {value!r}")
    return value


def kerberos_odbc_options(
    driver: str = MS_ODBC_DRIVER_18,
    *,
    encrypt: bool = True,
    trust_server_certificate: bool = False,
    server_spn: str | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The ODBC keywords (besides Driver/Server/Database/Trusted_Connection) for a Kerberos login.

    Args:
        driver: ODBC driver name or path; FreeTDS gets its own keyword for encryption.
        encrypt: TLS to the server. Microsoft driver: ``Encrypt=yes|no``; FreeTDS:
            ``Encryption=require|request`` (FreeTDS does TLS only when the server offers it
            unless required).
        trust_server_certificate: accept the server certificate without validation
            (``TrustServerCertificate=yes``; FreeTDS ignores the keyword).
        server_spn: explicit service principal, e.g. ``"MSSQLSvc/db1.corp.example:1433"``
            (``ServerSPN``; both drivers). Default: the driver derives
            ``MSSQLSvc/<host>:<port>`` from the server name.
        extra: more ODBC keywords, passed through (strings, no ``;{}``).

    Returns:
        dict of ODBC keyword -> value, in connection-string order.

    Raises:
        ValueError: a value names the field and what was expected.
    """
    _check_text("driver", driver)
    options: dict[str, str] = {}
    if _is_freetds(driver):
        options["Encryption"] = "require" if encrypt else "request"
    else:
        options["Encrypt"] = "yes" if encrypt else "no"
    options["TrustServerCertificate"] = "yes" if trust_server_certificate else "no"
    if server_spn is not None:
        options["ServerSPN"] = _check_text("server_spn", server_spn)
    for key, value in (extra or {}).items():
        _check_text("extra key", key)
        if key.lower() in {"uid", "pwd", "user", "password", "trusted_connection"}:
            raise ValueError(f"extra: {key!r} is not allowed (Kerberos logins carry no user or password)")
        options[key] = _check_text(f"extra[{key!r}]", value, allow_equals=True)
    return options


def mssql_kerberos_service_connection(
    host_port: str,
    database: str = "master",
    *,
    driver: str = MS_ODBC_DRIVER_18,
    encrypt: bool = True,
    trust_server_certificate: bool = False,
    server_spn: str | None = None,
    extra_odbc_options: dict[str, str] | None = None,
    **config: Any,
) -> dict[str, Any]:
    """An OpenMetadata ``MssqlConnection`` config (``serviceConnection.config``) for Kerberos.

    Args:
        host_port: ``"host:port"``, e.g. ``"sql01.corp.example:1433"``.
        database: initial database (required non-empty, see module docstring).
        driver: ODBC driver name (``MS_ODBC_DRIVER_18`` in production images,
            ``FREETDS_DRIVER`` where Debian's tdsodbc is installed) or driver library path.
        encrypt, trust_server_certificate, server_spn, extra_odbc_options:
            see :func:`kerberos_odbc_options`.
        **config: other ``MssqlConnection`` fields, e.g. ``ingestAllDatabases=True``;
            ``username``/``password``/``scheme``/``connectionOptions`` are refused.

    Returns:
        dict ready for ``{"serviceConnection": {"config": ...}}``; validates against
        ``metadata.generated.schema.entity.services.connections.database.mssqlConnection.MssqlConnection``.

    Raises:
        ValueError: malformed ``host_port``/``database``/options, or a refused field.
    """
    if not isinstance(host_port, str) or not _HOST_PORT.match(host_port):
        raise ValueError(f"host_port: expected 'host:port' (e.g. 'sql01.example:1433'), got {host_port!r}")
    if int(host_port.rsplit(":", 1)[1]) > 65535:
        raise ValueError(f"host_port: port must be 1-65535, got {host_port!r}")
    _check_text("database", database)
    refused = {"username", "password", "scheme", "connectionOptions", "driver", "hostPort", "database"} & set(config)
    if refused:
        raise ValueError(f"{sorted(refused)}: not allowed in **config (set by this function; Kerberos has no password)")
    options = kerberos_odbc_options(
        driver,
        encrypt=encrypt,
        trust_server_certificate=trust_server_certificate,
        server_spn=server_spn,
        extra=extra_odbc_options,
    )
    return {
        "type": "Mssql",
        "scheme": "mssql+pyodbc",
        "hostPort": host_port,
        "database": database,
        "driver": driver,
        "connectionOptions": options,
        **config,
    }


def odbc_connection_string(service_connection: dict[str, Any]) -> str:
    """The exact ODBC string OpenMetadata's engine will hand to ``pyodbc.connect``.

    Builds the URL with OpenMetadata's own ``get_connection_url`` and lets SQLAlchemy's
    pyodbc dialect turn it into the connection string (no connection is opened). Useful in
    logs and diagnostics: it holds no secret for Kerberos configs.

    Args:
        service_connection: an ``MssqlConnection`` config dict (see
            :func:`mssql_kerberos_service_connection`).

    Raises:
        pydantic.ValidationError: the dict is not a valid ``MssqlConnection``.
    """
    from metadata.generated.schema.entity.services.connections.database.mssqlConnection import (
        MssqlConnection,
    )
    from metadata.ingestion.source.database.mssql.connection import get_connection_url
    from sqlalchemy.dialects.mssql.pyodbc import MSDialect_pyodbc
    from sqlalchemy.engine import make_url

    url = make_url(get_connection_url(MssqlConnection.model_validate(service_connection)))
    (connection_string,), _ = MSDialect_pyodbc().create_connect_args(url)
    return connection_string


def mssql_service_connection(conn_id: str, database: str | None = None, ingest_all_databases: bool = False) -> dict:
    """Build a Kerberos ``MssqlConnection`` config from an Airflow connection (see
    :class:`~openmetadata_platform.operators.ingestion.MssqlMetadataIngestionOperator`).

    Calls :func:`mssql_kerberos_service_connection`.

    Raises:
        IngestionConfigError: host missing, a login/password present (Kerberos only), or an
            invalid extra; the message names the field.
    """
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

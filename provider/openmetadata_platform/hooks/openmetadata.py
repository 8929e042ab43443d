"""Airflow hook for an OpenMetadata server, built on an Airflow connection.

The connection (type ``openmetadata``, default id ``openmetadata_default``) holds:

- ``host``: server host name (``localhost``; a leading ``http://``/``https://`` is accepted),
- ``port``: API port (default 8585),
- ``schema``: the URL scheme, ``http`` or ``https`` (default ``http``),
- ``password``: the ingestion bot's JWT (the secret; Airflow masks it in logs),
- ``extra``: ``{"verify_ssl": "no-ssl" | "validate" | "ignore" | true | false,
  "ca_certificate": "/path.pem"}`` (``false`` means ``ignore`` over https, ``no-ssl`` over http);
  the connection form shows both as fields (``conn-fields`` in the provider info).

Example URI: ``openmetadata://:<jwt>@localhost:8585/http``. ``openmetadata-ingestion``
takes ~5 s to import, so it is imported inside the methods, never at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow.sdk import BaseHook

if TYPE_CHECKING:  # pragma: no cover - typing only
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

VERIFY_SSL_CHOICES = ("no-ssl", "validate", "ignore")


class OpenMetadataConnectionError(ValueError):
    """The Airflow connection does not describe a usable OpenMetadata server (names the field)."""


class OpenMetadataHook(BaseHook):
    """Hook returning the ``openmetadata-ingestion`` client and its server config.

    Args:
        openmetadata_conn_id: id of an Airflow connection of type ``openmetadata``.

    Calls: ``OpenMetadata(OpenMetadataConnection)`` from ``metadata.ingestion.ometa.ometa_api``,
    which checks ``GET /api/v1/system/version`` against the client's major.minor.
    """

    conn_name_attr = "openmetadata_conn_id"
    default_conn_name = "openmetadata_default"
    conn_type = "openmetadata"
    hook_name = "OpenMetadata"

    def __init__(self, openmetadata_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.openmetadata_conn_id = openmetadata_conn_id

    # -- configuration --------------------------------------------------------------------
    def get_host_port(self) -> str:
        """Return the API base URL, e.g. ``http://localhost:8585/api``.

        Raises:
            OpenMetadataConnectionError: host missing, or scheme/port invalid.
        """
        conn = self.get_connection(self.openmetadata_conn_id)
        host = (conn.host or "").strip()
        if not host:
            raise OpenMetadataConnectionError(
                f"Airflow connection '{self.openmetadata_conn_id}': field 'host' is empty; "
                "expected the OpenMetadata server's host name, e.g. 'localhost'"
            )
        scheme = (conn.schema or "").strip().lower() or "http"
        if "://" in host:  # users often paste a URL into the host field
            parsed = urlsplit(host)
            scheme, host = parsed.scheme, parsed.hostname or ""
            port = conn.port or parsed.port
        else:
            port = conn.port
        if scheme not in ("http", "https"):
            raise OpenMetadataConnectionError(
                f"Airflow connection '{self.openmetadata_conn_id}': field 'schema' is {scheme!r}; "
                "expected the URL scheme 'http' or 'https'"
            )
        port = port or 8585
        if not 0 < int(port) < 65536:
            raise OpenMetadataConnectionError(
                f"Airflow connection '{self.openmetadata_conn_id}': field 'port' is {port}; expected 1-65535"
            )
        return f"{scheme}://{host}:{port}/api"

    def get_server_config_dict(self) -> dict:
        """Return ``workflowConfig.openMetadataServerConfig`` as a plain dict.

        It holds the JWT: pass it to a workflow, never log it or push it to XCom.

        Raises:
            OpenMetadataConnectionError: a field is missing or invalid (the message names it;
                it never contains the token).
        """
        from airflow.sdk.log import mask_secret

        conn = self.get_connection(self.openmetadata_conn_id)
        host_port = self.get_host_port()
        token = conn.password
        if not token:
            raise OpenMetadataConnectionError(
                f"Airflow connection '{self.openmetadata_conn_id}': field 'password' is empty; "
                "expected the ingestion bot's JWT token (Settings > Bots > ingestion-bot)"
            )
        mask_secret(token)
        extra = conn.extra_dejson or {}
        https = host_port.startswith("https")
        verify_ssl = extra.get("verify_ssl", "validate" if https else "no-ssl")
        if isinstance(verify_ssl, bool):  # {"verify_ssl": false} is how most users write it
            verify_ssl = "validate" if verify_ssl else ("ignore" if https else "no-ssl")
        if verify_ssl not in VERIFY_SSL_CHOICES:
            raise OpenMetadataConnectionError(
                f"Airflow connection '{self.openmetadata_conn_id}': extra 'verify_ssl' is {verify_ssl!r}; "
                f"expected one of {', '.join(VERIFY_SSL_CHOICES)}"
            )
        config = {
            "hostPort": host_port,
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": token},
            "verifySSL": verify_ssl,
        }
        if extra.get("ca_certificate"):
            config["sslConfig"] = {"caCertificate": extra["ca_certificate"]}
        return config

    def get_server_config(self) -> OpenMetadataConnection:
        """Return the server config as OpenMetadata's ``OpenMetadataConnection`` model.

        Raises:
            OpenMetadataConnectionError: as :meth:`get_server_config_dict`.
        """
        from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
            OpenMetadataConnection,
        )

        return OpenMetadataConnection.model_validate(self.get_server_config_dict())

    def get_conn(self) -> OpenMetadata:
        """Return a connected ``OpenMetadata`` client (version checked against the server).

        Raises:
            OpenMetadataConnectionError: the connection is invalid.
            Exception: from ``openmetadata-ingestion`` when the server is unreachable or its
                major.minor differs from the client's.
        """
        from metadata.ingestion.ometa.ometa_api import OpenMetadata

        return OpenMetadata(self.get_server_config())

    def check(self) -> str:
        """Prove the server is reachable, version-compatible and accepts the token.

        Calls ``GET /api/v1/system/version`` (unauthenticated on the server) and then
        ``GET /api/v1/users/loggedInUser``, which fails with 401 on a wrong JWT.

        Returns:
            ``"OpenMetadata <version> at <url> as <user>"``.

        Raises:
            OpenMetadataConnectionError: with the cause and the fix; never contains the token.
        """
        from metadata.ingestion.ometa.client import APIError

        host_port = self.get_host_port()
        try:
            client = self.get_conn()
        except OpenMetadataConnectionError:
            raise
        except Exception as exc:  # noqa: BLE001 - the client raises many types; each becomes one clear error
            raise OpenMetadataConnectionError(
                f"OpenMetadata at {host_port} (Airflow connection '{self.openmetadata_conn_id}') is not usable: "
                f"{type(exc).__name__}: {exc}. Is the server up (make openmetadata-status)?"
            ) from None
        try:
            user = client.client.get("/users/loggedInUser")
        except APIError as exc:
            hint = (
                "the JWT in the connection's password was rejected: copy the ingestion bot's token "
                "(make openmetadata-start stores it in platform-bootstrap/.env)"
                if exc.status_code in (401, 403)
                else "unexpected answer"
            )
            raise OpenMetadataConnectionError(
                f"OpenMetadata at {host_port} (Airflow connection '{self.openmetadata_conn_id}'): "
                f"HTTP {exc.status_code}: {hint}"
            ) from None
        return f"OpenMetadata {client.server_version} at {host_port} as {(user or {}).get('name')}"

    def test_connection(self) -> tuple[bool, str]:
        """Airflow's connection "Test" button: :meth:`check` as ``(ok, message)``."""
        try:
            return True, f"Connected to {self.check()}"
        except Exception as exc:  # noqa: BLE001 - the UI shows the message; it never contains the token
            return False, str(exc)

"""Obtain the ingestion bot's JWT from a running OpenMetadata server through its REST API.

The flow, with the request/response shapes of the server (OpenMetadata 2.0.x):

1. ``POST /api/v1/users/login`` (no token) with ``{"email": ..., "password": <base64 of the
   password>}`` returns a ``JwtResponse`` ``{"accessToken", "refreshToken", "tokenType",
   "expiryDuration"}`` (UserResource.loginUserWithPassword, BasicAuthenticator.loginUser; body
   schema auth/loginRequest.json = the client's ``metadata.generated.schema.auth.loginRequest
   .LoginRequest``; response class openmetadata-service/.../auth/JwtResponse.java). Refusals:
   400 "You have entered an invalid username or password." when no user (or only a bot) has
   that email, 401 with the same text for a wrong password, 401 "Failed Login Attempts
   Exceeded. ..." once 3 wrong passwords were sent (blocked 600 s after the last one, even for
   the right password).
2. ``GET /api/v1/bots/name/ingestion-bot`` with ``Authorization: Bearer <accessToken>``
   returns a ``Bot`` whose ``botUser`` is an entity reference ``{"id", "type": "user", ...}``
   (BotResource.getByName; the client's ``metadata.generated.schema.entity.bot.Bot``); 404
   "bot instance for ingestion-bot not found".
3. ``GET /api/v1/users/auth-mechanism/{botUser.id}`` returns an ``AuthenticationMechanism``
   ``{"authType": "JWT", "config": {"JWTToken": ..., "JWTTokenExpiry": ...}}``
   (UserResource.getAuthenticationMechanism; the client routes AuthenticationMechanism to
   ``/users/auth-mechanism`` in metadata/ingestion/ometa/routes.py): 403 "Principal:
   CatalogPrincipal{name='...'} is not admin" for a non-admin, 204 when the user has no
   mechanism, and ``JWTToken`` masked as ``*********`` when the server runs with
   ``maskPasswordsAPI`` (``MASK_PASSWORDS_API=true``; default false).

Sources: OpenMetadata 2.0 server code (UserResource, BasicAuthenticator, BotResource,
CatalogGenericExceptionMapper, DefaultAuthorizer, LoginAttemptCache), read through the code
index and cited in tests/openmetadata_standin/auth.py; the installed openmetadata-ingestion
2.0.6.0 generated models.

Neither the password nor any token ever appears in an exception message.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

INGESTION_BOT = "ingestion-bot"
# CatalogExceptionMessage.MAX_FAILED_LOGIN_ATTEMPT starts so; PasswordEntityMasker.PASSWORD_MASK.
_LOGIN_BLOCKED = "Failed Login Attempts Exceeded"
_MASKED_SECRET = "*********"


class OpenMetadataApiError(RuntimeError):
    """A step of the bot-token flow failed; the message says which and what to do."""


class OpenMetadataClient:
    """Minimal JSON client for the few endpoints the bootstrap needs.

    Args:
        base_url: server root such as ``http://localhost:8585`` (no ``/api``).
        timeout: seconds per request.
    """

    def __init__(self, base_url: str, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _request(
        self, step: str, method: str, path: str, body: dict | None = None, token: str | None = None
    ) -> tuple[int, dict | None]:
        """Send one request; return ``(status, parsed JSON or None)``.

        Raises:
            OpenMetadataApiError: the server cannot be reached or answered non-JSON on success.
        """
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise OpenMetadataApiError(
                f"{step}: cannot reach OpenMetadata at {self.base_url} ({reason}). "
                "Is the server up? Check with `make openmetadata-status`."
            ) from None
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            if 200 <= status < 300:
                raise OpenMetadataApiError(
                    f"{step}: {self.base_url}{path} answered HTTP {status} with a non-JSON body; "
                    "is this URL really an OpenMetadata server?"
                ) from None
            parsed = None
        return status, parsed

    @staticmethod
    def _server_message(payload) -> str:
        if isinstance(payload, dict) and isinstance(payload.get("message"), str):
            return f": {payload['message'][:200]}"
        return ""

    def login(self, email: str, password: str) -> str:
        """Log in with basic auth; return the access token.

        Calls ``POST /api/v1/users/login`` (password sent base64-encoded, as the server requires).

        Raises:
            OpenMetadataApiError: unreachable, unknown email (400), login blocked or wrong password
                (401), or no ``accessToken``.
        """
        step = "admin login"
        encoded = base64.b64encode(password.encode()).decode()
        status, payload = self._request(step, "POST", "/api/v1/users/login", {"email": email, "password": encoded})
        if status == 400:
            raise OpenMetadataApiError(
                f"{step}: the server has no user with email {email} who can log in with a password "
                f"(HTTP 400{self._server_message(payload)}). Check OPENMETADATA_ADMIN_EMAIL in .env: the "
                "admin is admin@<AUTHORIZER_PRINCIPAL_DOMAIN> (admin@open-metadata.org with this stack)."
            )
        if status == 401 and _LOGIN_BLOCKED in self._server_message(payload):
            raise OpenMetadataApiError(
                f"{step}: the server blocks logins for {email} after repeated wrong passwords "
                f"(HTTP 401{self._server_message(payload)}). Make sure OPENMETADATA_ADMIN_PASSWORD in .env "
                "is right, then retry in 10 minutes (the server's accessBlockTime) or restart the server "
                "(`make openmetadata-stop openmetadata-start`)."
            )
        if status in (401, 403):
            raise OpenMetadataApiError(
                f"{step}: the server refused {email} (HTTP {status}{self._server_message(payload)}). "
                "The admin password is set only when the admin user is first created: if this "
                "database volume predates the current .env, log in with the old password or "
                "reset the stack with `make openmetadata-clean`."
            )
        if status != 200 or not isinstance(payload, dict) or not payload.get("accessToken"):
            raise OpenMetadataApiError(
                f"{step}: unexpected answer from POST /api/v1/users/login (HTTP {status}); "
                "expected a JSON object with accessToken"
            )
        return payload["accessToken"]

    def bot_user_id(self, token: str, bot_name: str = INGESTION_BOT) -> str:
        """Return the id of the user behind bot ``bot_name`` (``GET /api/v1/bots/name/{name}``).

        Raises:
            OpenMetadataApiError: bot missing (404), not authorised, or no ``botUser.id``.
        """
        step = f"find bot {bot_name}"
        status, payload = self._request(step, "GET", f"/api/v1/bots/name/{urllib.parse.quote(bot_name)}", token=token)
        if status == 404:
            raise OpenMetadataApiError(
                f"{step}: the server has no bot named {bot_name!r} (HTTP 404). It is created at "
                "server start-up; check the server log with `make openmetadata-logs`."
            )
        if status in (401, 403):
            raise OpenMetadataApiError(f"{step}: not authorised (HTTP {status}{self._server_message(payload)})")
        bot_user = payload.get("botUser") if isinstance(payload, dict) else None
        if status != 200 or not isinstance(bot_user, dict) or not bot_user.get("id"):
            raise OpenMetadataApiError(
                f"{step}: unexpected answer from GET /api/v1/bots/name/{bot_name} (HTTP {status}); "
                "expected a Bot with botUser.id"
            )
        return str(bot_user["id"])

    def bot_jwt(self, token: str, user_id: str) -> str:
        """Return the JWT of bot user ``user_id`` (``GET /api/v1/users/auth-mechanism/{id}``).

        Raises:
            OpenMetadataApiError: not authorised, no mechanism, not a JWT mechanism, an empty
                (revoked) token, or a token the server masked.
        """
        step = "read the ingestion bot's JWT"
        status, payload = self._request(
            step, "GET", f"/api/v1/users/auth-mechanism/{urllib.parse.quote(user_id)}", token=token
        )
        if status in (401, 403):
            raise OpenMetadataApiError(
                f"{step}: not authorised (HTTP {status}{self._server_message(payload)}); only an admin may read "
                "a bot's token: OPENMETADATA_ADMIN_EMAIL in .env must name an admin user"
            )
        if status == 204:  # the server answered null: the bot user has no authentication mechanism
            payload = {"authType": "JWT", "config": {}}
        elif status != 200 or not isinstance(payload, dict):
            raise OpenMetadataApiError(
                f"{step}: unexpected answer from GET /api/v1/users/auth-mechanism/{user_id} "
                f"(HTTP {status}{self._server_message(payload)})"
            )
        if payload.get("authType") != "JWT":
            raise OpenMetadataApiError(
                f"{step}: the bot authenticates with {payload.get('authType')!r}, not JWT; "
                "this bootstrap supports the server's basic/JWT setup only"
            )
        config = payload.get("config") or {}
        jwt = config.get("JWTToken") if isinstance(config, dict) else None
        if not jwt:
            raise OpenMetadataApiError(
                f"{step}: the bot has no token (revoked?). Generate one in the UI under "
                "Settings > Bots > ingestion-bot, then run this again."
            )
        if jwt == _MASKED_SECRET:
            raise OpenMetadataApiError(
                f"{step}: the server masked the token ({_MASKED_SECRET}): it runs with MASK_PASSWORDS_API=true, "
                "which hides secrets from every caller but bots. Remove MASK_PASSWORDS_API from the "
                "openmetadata-server environment (default false), restart it, and run this again."
            )
        return jwt


def fetch_ingestion_bot_token(
    base_url: str, admin_email: str, admin_password: str, bot_name: str = INGESTION_BOT, timeout: float = 15.0
) -> str:
    """Log in as the admin and return bot ``bot_name``'s JWT.

    Raises:
        OpenMetadataApiError: any step failed (message names the step, never a secret).
    """
    client = OpenMetadataClient(base_url, timeout=timeout)
    access = client.login(admin_email, admin_password)
    return client.bot_jwt(access, client.bot_user_id(access, bot_name))


def airflow_connection_uri(host_port: str, jwt: str, verify_ssl: bool = False) -> str:
    """Build the ``AIRFLOW_CONN_OPENMETADATA_DEFAULT`` URI for the provider's hook.

    Shape: conn_type ``openmetadata``, host/port of the server, schema = the scheme
    (``http``/``https``), password = the bot JWT, extra ``{"verify_ssl": <bool>}`` via
    Airflow's ``__extra__`` query parameter (keeps the boolean a boolean).

    Raises:
        ValueError: ``host_port`` is not ``http(s)://host:port``.
    """
    parsed = urllib.parse.urlsplit(host_port)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"OPENMETADATA_HOST_PORT: expected http(s)://host:port, got {host_port!r}")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    extra = urllib.parse.quote(json.dumps({"verify_ssl": verify_ssl}), safe="")
    return (
        f"openmetadata://:{urllib.parse.quote(jwt, safe='')}@{parsed.hostname}:{port}/{parsed.scheme}?__extra__={extra}"
    )

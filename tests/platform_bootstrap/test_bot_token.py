"""The ingestion-bot token flow against a fake server with the real API's shapes.

The fake mimics exactly what platform_bootstrap/omapi.py documents (and cites): POST
/api/v1/users/login with a base64 password -> JwtResponse; GET /api/v1/bots/name/{name} ->
Bot with botUser; GET /api/v1/users/auth-mechanism/{id} -> AuthenticationMechanism.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from platform_bootstrap.envfile import read_env
from platform_bootstrap.omapi import (
    OpenMetadataApiError,
    airflow_connection_uri,
    fetch_ingestion_bot_token,
)

from .conftest import run_platform

BOT_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl"
BOT_USER_ID = "6f1c9f1e-0000-4000-8000-00000000b07a"


class FakeOpenMetadata(ThreadingHTTPServer):
    def __init__(self, password: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.password = password
        self.access = "admin-session-token"
        self.requests: list[tuple[str, str]] = []
        self.auth_type = "JWT"
        self.bot_jwt = BOT_JWT
        self.bots = {"ingestion-bot": BOT_USER_ID}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenMetadata

    def log_message(self, *args):
        pass

    def _send(self, status: int, payload) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {self.server.access}":
            self._send(401, {"code": 401, "message": "Not Authorized! Token not present"})
            return False
        return True

    def do_POST(self):
        self.server.requests.append(("POST", self.path))
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/v1/users/login":
            return self._send(404, {"code": 404, "message": "not found"})
        try:
            password = base64.b64decode(body["password"], validate=True).decode()
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return self._send(400, {"code": 400, "message": "Password needs to be encoded in Base-64."})
        if (
            set(body) != {"email", "password"}
            or body["email"] != "admin@open-metadata.org"
            or password != self.server.password
        ):
            return self._send(401, {"code": 401, "message": "You have entered an invalid username or password."})
        self._send(
            200,
            {"accessToken": self.server.access, "refreshToken": "r", "tokenType": "Bearer ", "expiryDuration": 3600},
        )

    def do_GET(self):
        self.server.requests.append(("GET", self.path))
        if not self._authorised():
            return
        path = urlsplit(self.path).path
        if path.startswith("/api/v1/bots/name/"):
            name = unquote(path.rsplit("/", 1)[1])
            if name not in self.server.bots:
                return self._send(404, {"code": 404, "message": f"bot instance for {name} not found"})
            return self._send(
                200,
                {
                    "id": "b0b",
                    "name": name,
                    "botUser": {"id": self.server.bots[name], "type": "user", "name": name, "fullyQualifiedName": name},
                },
            )
        if path == f"/api/v1/users/auth-mechanism/{BOT_USER_ID}":
            return self._send(
                200,
                {
                    "authType": self.server.auth_type,
                    "config": {"JWTToken": self.server.bot_jwt, "JWTTokenExpiry": "Unlimited"},
                },
            )
        self._send(404, {"code": 404, "message": "not found"})


@pytest.fixture
def fake_server():
    server = FakeOpenMetadata(password="S3cretAdminPw")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_happy_path_returns_the_bot_jwt(fake_server):
    assert fetch_ingestion_bot_token(fake_server.url, "admin@open-metadata.org", "S3cretAdminPw") == BOT_JWT
    assert [r[1] for r in fake_server.requests] == [
        "/api/v1/users/login",
        "/api/v1/bots/name/ingestion-bot",
        f"/api/v1/users/auth-mechanism/{BOT_USER_ID}",
    ]


def test_wrong_password_is_clear_and_does_not_leak(fake_server):
    with pytest.raises(OpenMetadataApiError) as info:
        fetch_ingestion_bot_token(fake_server.url, "admin@open-metadata.org", "wrong-pw-123")
    text = str(info.value)
    assert "admin login" in text and "HTTP 401" in text and "wrong-pw-123" not in text


def test_missing_bot(fake_server):
    fake_server.bots = {}
    with pytest.raises(OpenMetadataApiError, match="no bot named 'ingestion-bot'"):
        fetch_ingestion_bot_token(fake_server.url, "admin@open-metadata.org", "S3cretAdminPw")


def test_revoked_token_and_non_jwt_mechanism(fake_server):
    fake_server.bot_jwt = ""
    with pytest.raises(OpenMetadataApiError, match="has no token"):
        fetch_ingestion_bot_token(fake_server.url, "admin@open-metadata.org", "S3cretAdminPw")
    fake_server.bot_jwt, fake_server.auth_type = BOT_JWT, "SSO"
    with pytest.raises(OpenMetadataApiError, match="not JWT"):
        fetch_ingestion_bot_token(fake_server.url, "admin@open-metadata.org", "S3cretAdminPw")


def test_unreachable_server():
    from tests.support.postgres import free_port

    with pytest.raises(OpenMetadataApiError, match="cannot reach OpenMetadata"):
        fetch_ingestion_bot_token(f"http://127.0.0.1:{free_port()}", "admin@open-metadata.org", "x", timeout=2)


def test_cli_stores_token_for_airflow(fake_server, setup_dir):
    from platform_bootstrap.envfile import update_env_file

    update_env_file(setup_dir / ".env", {"OPENMETADATA_ADMIN_PASSWORD": "S3cretAdminPw"})
    result = run_platform("bot-token", "--dir", str(setup_dir), "--url", fake_server.url)
    assert result.returncode == 0, result.stderr
    assert BOT_JWT not in result.stdout + result.stderr
    env = read_env(setup_dir / ".env")
    assert env["OPENMETADATA_JWT_TOKEN"] == BOT_JWT
    assert env["POSTGRES_PASSWORD"]  # the rest of .env is untouched
    uri = env["AIRFLOW_CONN_OPENMETADATA_DEFAULT"]
    assert uri.startswith("openmetadata://")
    from airflow.models.connection import Connection

    conn = Connection(conn_id="openmetadata_default", uri=uri)
    assert (conn.conn_type, conn.host, conn.port, conn.schema) == (
        "openmetadata",
        "127.0.0.1",
        fake_server.server_address[1],
        "http",
    )
    assert conn.password == BOT_JWT
    assert conn.extra_dejson == {"verify_ssl": False}


def test_cli_wrong_password_exits_1_with_one_message(fake_server, setup_dir):
    result = run_platform("bot-token", "--dir", str(setup_dir), "--url", fake_server.url)
    assert result.returncode == 1
    assert "error: admin login" in result.stderr and "Traceback" not in result.stderr
    assert read_env(setup_dir / ".env")["OPENMETADATA_JWT_TOKEN"] == ""


def test_connection_uri_for_default_host_port():
    uri = airflow_connection_uri("http://localhost:8585", BOT_JWT)
    query = parse_qs(urlsplit(uri).query)
    assert json.loads(query["__extra__"][0]) == {"verify_ssl": False}
    assert urlsplit(uri).hostname == "localhost" and urlsplit(uri).port == 8585

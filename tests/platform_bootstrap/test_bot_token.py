"""`./platform bot-token` and platform_bootstrap.omapi against the OpenMetadata stand-in.

The stand-in's login, bot and auth-mechanism endpoints follow the server's own code
(UserResource, BasicAuthenticator, BotResource; cited in tests/openmetadata_standin/auth.py),
seeded as a basic-auth server seeds itself at start-up: the admin user and the ingestion-bot,
whose JWT is the token the stand-in accepts as that bot.
"""

from __future__ import annotations

import base64
import json
import shutil
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from platform_bootstrap.envfile import read_env
from platform_bootstrap.omapi import OpenMetadataApiError, airflow_connection_uri, fetch_ingestion_bot_token

from tests.openmetadata_standin.auth import (
    ADMIN_EMAIL,
    add_user,
    auth_state,
    seed_basic_auth,
    set_auth_mechanism,
)

from .conftest import run_platform

PASSWORD = "S3cret-Admin-pw"


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    """One `platform setup` output; each CLI test works on a copy (setup costs a process start)."""
    path = tmp_path_factory.mktemp("setup")
    result = run_platform("setup", "--non-interactive", "--skip-port-check", "--dir", str(path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def platform_dir(template_dir, tmp_path):
    path = tmp_path / "platform"
    shutil.copytree(template_dir, path)
    return path


@pytest.fixture
def seeded(openmetadata):
    """The stand-in as a fresh basic-auth server: admin (password PASSWORD) and the ingestion-bot."""
    return openmetadata, seed_basic_auth(openmetadata, PASSWORD)


def _url(server) -> str:
    return f"http://127.0.0.1:{server.port}"


def _fetch_error(server, email: str = ADMIN_EMAIL, password: str = PASSWORD) -> str:
    with pytest.raises(OpenMetadataApiError) as info:
        fetch_ingestion_bot_token(_url(server), email, password, timeout=5)
    text = str(info.value)
    assert password not in text and server.token not in text
    return text


def test_bot_token_stores_the_bots_jwt_and_it_works(platform_dir, openmetadata):
    """End to end: the admin password `setup` generated logs in; the fetched JWT is the bot's own."""
    before = read_env(platform_dir / ".env")
    seeded = seed_basic_auth(openmetadata, before["OPENMETADATA_ADMIN_PASSWORD"], before["OPENMETADATA_ADMIN_EMAIL"])
    result = run_platform("bot-token", "--dir", str(platform_dir), "--url", _url(openmetadata))
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert openmetadata.token not in output and before["OPENMETADATA_ADMIN_PASSWORD"] not in output
    assert "Stored the ingestion-bot token" in result.stdout

    env = read_env(platform_dir / ".env")
    assert env["OPENMETADATA_JWT_TOKEN"] == openmetadata.token
    changed = {k for k in env if env[k] != before.get(k)}
    assert changed == {"OPENMETADATA_JWT_TOKEN", "AIRFLOW_CONN_OPENMETADATA_DEFAULT"}
    from airflow.models.connection import Connection

    conn = Connection(conn_id="openmetadata_default", uri=env["AIRFLOW_CONN_OPENMETADATA_DEFAULT"])
    assert (conn.conn_type, conn.host, conn.port, conn.schema) == (
        "openmetadata",
        "127.0.0.1",
        openmetadata.port,
        "http",
    )
    assert conn.password == openmetadata.token and conn.extra_dejson == {"verify_ssl": False}

    # The three calls of the flow, in order; the password went base64-encoded.
    bot_user_id = seeded["bot_user"]["id"]
    assert [(r.method, r.path, r.status) for r in openmetadata.requests] == [
        ("POST", "/api/v1/users/login", 200),
        ("GET", "/api/v1/bots/name/ingestion-bot", 200),
        ("GET", f"/api/v1/users/auth-mechanism/{bot_user_id}", 200),
    ]
    login_body = openmetadata.requests[0].body
    assert base64.b64decode(login_body["password"]).decode() == before["OPENMETADATA_ADMIN_PASSWORD"]

    # The stored token is accepted as the ingestion bot; a made-up one is not.
    me = requests.get(
        f"{openmetadata.host_port}/v1/users/loggedInUser",
        headers={"Authorization": f"Bearer {env['OPENMETADATA_JWT_TOKEN']}"},
        timeout=5,
    )
    assert me.status_code == 200 and (me.json()["name"], me.json()["isBot"]) == ("ingestion-bot", True)
    bogus = requests.get(
        f"{openmetadata.host_port}/v1/users/loggedInUser", headers={"Authorization": "Bearer nope"}, timeout=5
    )
    assert bogus.status_code == 401
    assert openmetadata.unsupported == []


def test_wrong_password_exits_1_at_once_with_its_fix(platform_dir, seeded):
    """The .env password is not the server's (a volume older than .env): one message, no retry."""
    server, _ = seeded
    result = run_platform(
        "bot-token", "--dir", str(platform_dir), "--url", _url(server), "--wait", "30", "--poll", "0.2"
    )
    assert result.returncode == 1
    assert (
        f"error: admin login: the server refused {ADMIN_EMAIL} (HTTP 401: You have entered an invalid username "
        "or password.)" in result.stderr
    )
    assert "make openmetadata-clean" in result.stderr and "Traceback" not in result.stderr
    assert "waiting for" not in result.stderr and server.count("POST", "/api/v1/users/login") == 1
    assert read_env(platform_dir / ".env")["OPENMETADATA_JWT_TOKEN"] == ""
    assert read_env(platform_dir / ".env")["OPENMETADATA_ADMIN_PASSWORD"] not in result.stdout + result.stderr


def test_unreachable_server_wait_gives_up(platform_dir, seeded):
    server, _ = seeded
    server.stop()  # connection refused on the port
    result = run_platform(
        "bot-token", "--dir", str(platform_dir), "--url", _url(server), "--wait", "1", "--poll", "0.3"
    )
    assert result.returncode == 1
    assert f"waiting for the OpenMetadata server at {_url(server)} to hand out the bot token" in result.stderr
    assert (
        f"gave up waiting for the OpenMetadata server at {_url(server)} to hand out the bot token after 1s; "
        f"last status: admin login: cannot reach OpenMetadata at {_url(server)}" in result.stderr
    )
    assert "make openmetadata-status" in result.stderr
    assert read_env(platform_dir / ".env")["OPENMETADATA_JWT_TOKEN"] == ""


def test_wait_succeeds_once_the_server_is_up(platform_dir, openmetadata):
    env = read_env(platform_dir / ".env")
    seed_basic_auth(openmetadata, env["OPENMETADATA_ADMIN_PASSWORD"])
    openmetadata.stop()
    starter = threading.Timer(1.0, openmetadata.start)
    starter.start()
    try:
        result = run_platform(
            "bot-token", "--dir", str(platform_dir), "--url", _url(openmetadata), "--wait", "30", "--poll", "0.3"
        )
    finally:
        starter.join()
    assert result.returncode == 0, result.stderr
    assert "last status: admin login: cannot reach OpenMetadata" in result.stderr
    assert "to hand out the bot token: ready after" in result.stderr
    assert read_env(platform_dir / ".env")["OPENMETADATA_JWT_TOKEN"] == openmetadata.token


@pytest.mark.parametrize(
    "email",
    ["nobody@open-metadata.org", "ingestion-bot@open-metadata.org"],
    ids=["unknown-email", "bot-email"],
)
def test_login_refused_for_an_email_that_cannot_log_in(seeded, email):
    """lookUserInProvider: no such user, or a bot, is a 400 (not the wrong-password 401)."""
    server, _ = seeded
    text = _fetch_error(server, email=email)
    assert f"admin login: the server has no user with email {email} who can log in with a password" in text
    assert "HTTP 400: You have entered an invalid username or password." in text
    assert "OPENMETADATA_ADMIN_EMAIL" in text


def test_login_blocked_after_three_wrong_passwords(seeded):
    """LoginAttemptCache: the 4th try is refused even with the right password, with its own fix."""
    server, _ = seeded
    for _ in range(3):
        assert "HTTP 401: You have entered an invalid username or password." in _fetch_error(server, password="bad-1")
    text = _fetch_error(server)
    assert "the server blocks logins for admin@open-metadata.org after repeated wrong passwords" in text
    assert "HTTP 401: Failed Login Attempts Exceeded." in text and "retry in 10 minutes" in text
    assert server.count("GET", "/api/v1/bots") == 0


def test_missing_bot(openmetadata):
    add_user(openmetadata, "admin", ADMIN_EMAIL, password=PASSWORD, is_admin=True)  # no ingestion-bot
    text = _fetch_error(openmetadata)
    assert "find bot ingestion-bot: the server has no bot named 'ingestion-bot' (HTTP 404)" in text
    assert "make openmetadata-logs" in text


def test_non_admin_may_not_read_the_bot_token(seeded):
    server, _ = seeded
    add_user(server, "alice", "alice@example.com", password=PASSWORD)
    text = _fetch_error(server, email="alice@example.com")
    assert (
        "read the ingestion bot's JWT: not authorised (HTTP 403: Principal: CatalogPrincipal{name='alice'} "
        "is not admin)" in text
    )
    assert "OPENMETADATA_ADMIN_EMAIL in .env must name an admin user" in text


REGENERATE = "Generate one in the UI under Settings > Bots > ingestion-bot"


@pytest.mark.parametrize(
    ("mechanism", "cause", "fix"),
    [
        (
            {"authType": "SSO", "config": {"ssoServiceType": "google", "authConfig": {"secretKey": "/keys/sa.json"}}},
            "the bot authenticates with 'SSO', not JWT",
            "supports the server's basic/JWT setup only",
        ),
        ({"authType": "JWT", "config": {"JWTToken": "", "JWTTokenExpiry": "Unlimited"}}, "no token", REGENERATE),
        (None, "no token", REGENERATE),  # no mechanism at all: the server answers 204
    ],
    ids=["sso", "revoked", "none"],
)
def test_bot_without_a_usable_jwt(seeded, mechanism, cause, fix):
    server, seeds = seeded
    set_auth_mechanism(server, seeds["bot_user"]["id"], mechanism)
    text = _fetch_error(server)
    assert text.startswith("read the ingestion bot's JWT: ") and cause in text and fix in text


def test_masked_token_is_not_stored(seeded):
    """A server with maskPasswordsAPI answers ********* to every caller but bots."""
    server, _ = seeded
    auth_state(server).mask_passwords = True
    text = _fetch_error(server)
    assert "the server masked the token (*********): it runs with MASK_PASSWORDS_API=true" in text


def test_standin_login_and_auth_mechanism_rules(seeded):
    """The server rules omapi relies on (auth.py docstring): login needs no token, a base64 password,
    a LoginRequest body; the auth mechanism is for bot users and admins only."""
    server, seeds = seeded
    base = f"{server.host_port}/v1"
    login = f"{base}/users/login"

    def post(body):
        answer = requests.post(login, json=body, timeout=5)
        return answer.status_code, answer.json()

    encoded = base64.b64encode(PASSWORD.encode()).decode()
    status, jwt = post({"email": ADMIN_EMAIL, "password": encoded.rstrip("=")})  # Java: padding optional
    assert status == 200 and set(jwt) == {"accessToken", "refreshToken", "tokenType", "expiryDuration"}
    assert jwt["tokenType"] == "Bearer" and jwt["accessToken"] != server.token
    assert post({"email": ADMIN_EMAIL, "password": PASSWORD}) == (
        400,
        {"code": 400, "message": "Invalid request parameter"},
    )
    assert post({"email": ADMIN_EMAIL})[0] == 400
    assert post({"email": ADMIN_EMAIL, "password": encoded, "remember": True})[0] == 400  # extra='forbid'

    admin = {"Authorization": f"Bearer {jwt['accessToken']}"}
    mechanism = requests.get(f"{base}/users/auth-mechanism/{seeds['bot_user']['id']}", headers=admin, timeout=5)
    assert mechanism.status_code == 200
    assert mechanism.json() == {
        "authType": "JWT",
        "config": {"JWTToken": server.token, "JWTTokenExpiry": "Unlimited"},
    }
    human = requests.get(f"{base}/users/auth-mechanism/{seeds['admin']['id']}", headers=admin, timeout=5)
    assert (human.status_code, human.json()["message"]) == (400, "Invalid request parameter")
    as_bot = requests.get(
        f"{base}/users/auth-mechanism/{seeds['bot_user']['id']}",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=5,
    )
    assert (as_bot.status_code, as_bot.json()["message"]) == (
        403,
        "Principal: CatalogPrincipal{name='ingestion-bot'} is not admin",
    )
    missing = requests.get(f"{base}/bots/name/no-such-bot", headers=admin, timeout=5)
    assert (missing.status_code, missing.json()["message"]) == (404, "bot instance for no-such-bot not found")
    assert server.unsupported == []
    server.reset()  # the logins go with the store
    assert post({"email": ADMIN_EMAIL, "password": encoded})[0] == 400


def test_connection_uri_for_default_host_port():
    uri = airflow_connection_uri("http://localhost:8585", "header.payload.signature")
    query = parse_qs(urlsplit(uri).query)
    assert json.loads(query["__extra__"][0]) == {"verify_ssl": False}
    assert urlsplit(uri).hostname == "localhost" and urlsplit(uri).port == 8585
    with pytest.raises(ValueError, match="OPENMETADATA_HOST_PORT: expected http"):
        airflow_connection_uri("localhost:8585", "t")

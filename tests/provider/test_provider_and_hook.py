"""The provider registers with Airflow, owns the `openmetadata` connection type, and its hook
reads an Airflow connection into OpenMetadata's server config."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT, connection_env


def test_airflow_lists_the_provider(airflow_db):
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "providers", "list", "-o", "json"], check=True, capture_output=True, text=True
    )
    packages = {p["package_name"] for p in json.loads(result.stdout)}
    assert "airflow-provider-openmetadata-platform" in packages


def test_one_openmetadata_connection_type_and_it_is_ours():
    """openmetadata-ingestion registers the same type; Airflow keeps the first provider by
    package name, which is ours, so the UI shows one "OpenMetadata" type with our hook."""
    from airflow.providers_manager import ProvidersManager

    hook = ProvidersManager().hooks["openmetadata"]
    assert hook.package_name == "airflow-provider-openmetadata-platform"
    assert hook.hook_class_name == "openmetadata_platform.hooks.openmetadata.OpenMetadataHook"
    assert hook.hook_name == "OpenMetadata"


def _hook(monkeypatch, **fields):
    from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

    for key, value in connection_env("om_test", conn_type="openmetadata", **fields).items():
        monkeypatch.setenv(key, value)
    return OpenMetadataHook("om_test")


def test_server_config_from_connection(monkeypatch):
    hook = _hook(
        monkeypatch,
        host="om.example.com",
        port=8443,
        schema="https",
        password="header.payload.sig",
        extra=json.dumps({"verify_ssl": "ignore"}),
    )
    config = hook.get_server_config()
    assert config.hostPort == "https://om.example.com:8443/api"
    assert config.authProvider.value == "openmetadata"
    assert config.securityConfig.jwtToken.get_secret_value() == "header.payload.sig"
    assert config.verifySSL.value == "ignore"
    assert "header.payload.sig" not in repr(config)


def test_connection_uri_written_by_the_setup_wizard(monkeypatch):
    """platform-bootstrap stores the bot token as an Airflow connection URI; the hook reads it."""
    sys.path.insert(0, str(REPO_ROOT / "platform-bootstrap"))
    from openmetadata_platform.hooks.openmetadata import OpenMetadataHook
    from platform_bootstrap.omapi import airflow_connection_uri

    monkeypatch.setenv("AIRFLOW_CONN_OM_URI", airflow_connection_uri("http://localhost:8585", "a.jwt+/token"))
    config = OpenMetadataHook("om_uri").get_server_config()
    assert config.hostPort == "http://localhost:8585/api"
    assert config.securityConfig.jwtToken.get_secret_value() == "a.jwt+/token"
    assert config.verifySSL.value == "no-ssl"


def test_url_pasted_into_host_and_default_port(monkeypatch):
    hook = _hook(monkeypatch, host="http://localhost", password="t0ken-value")
    assert hook.get_host_port() == "http://localhost:8585/api"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"host": "", "password": "secret-token"}, "field 'host' is empty"),
        ({"host": "localhost", "password": ""}, "field 'password' is empty"),
        ({"host": "localhost", "schema": "ftp", "password": "secret-token"}, "expected the URL scheme"),
        (
            {"host": "localhost", "password": "secret-token", "extra": json.dumps({"verify_ssl": "maybe"})},
            "extra 'verify_ssl'",
        ),
    ],
)
def test_bad_connection_names_the_field(monkeypatch, fields, expected):
    from openmetadata_platform.hooks.openmetadata import OpenMetadataConnectionError

    hook = _hook(monkeypatch, **fields)
    with pytest.raises(OpenMetadataConnectionError) as error:
        hook.get_server_config_dict()
    assert expected in str(error.value)
    assert "om_test" in str(error.value)
    assert "secret-token" not in str(error.value)


def test_test_connection_against_the_standin(openmetadata, monkeypatch):
    hook = _hook(monkeypatch, host="127.0.0.1", port=openmetadata.port, password=openmetadata.token)
    ok, message = hook.test_connection()
    assert ok, message
    assert "as ingestion-bot" in message
    assert openmetadata.count("GET", "/api/v1/users/loggedInUser") == 1

    hook = _hook(monkeypatch, host="127.0.0.1", port=openmetadata.port, password="wrong-token-value")
    ok, message = hook.test_connection()
    assert not ok
    assert "HTTP 401" in message and "wrong-token-value" not in message

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
    package name, which is ours, so tasks and the connection form both get our hook."""
    from importlib.metadata import entry_points

    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    claimants = {
        e.dist.name
        for e in entry_points(group="apache_airflow_provider")
        if any(c.get("connection-type") == "openmetadata" for c in e.load()().get("connection-types", []))
    }
    assert claimants == {"airflow-provider-openmetadata-platform", "openmetadata-ingestion"}
    assert sorted(claimants)[0] == "airflow-provider-openmetadata-platform"  # the rule Airflow applies
    task_side = ProvidersManagerTaskRuntime().hooks["openmetadata"]
    assert (task_side.package_name, task_side.hook_class_name) == (
        "airflow-provider-openmetadata-platform",
        "openmetadata_platform.hooks.openmetadata.OpenMetadataHook",
    )
    (form,) = [
        m for m in ProvidersManager().iter_connection_type_hook_ui_metadata() if m.connection_type == "openmetadata"
    ]
    assert (form.hook_class_name, form.hook_name) == (
        "openmetadata_platform.hooks.openmetadata.OpenMetadataHook",
        "OpenMetadata",
    )


def test_provider_info_as_airflow_reads_it(airflow_db):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow",
            "providers",
            "get",
            "airflow-provider-openmetadata-platform",
            "--full",
            "-o",
            "json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (info,) = json.loads(result.stdout)
    assert info["integrations"][0]["integration-name"] == "OpenMetadata"
    modules = {m for section in ("hooks", "operators") for entry in info[section] for m in entry["python-modules"]}
    assert modules == {
        "openmetadata_platform.hooks.openmetadata",
        "openmetadata_platform.operators.ingestion",
        "openmetadata_platform.operators.lineage",
    }
    for module in modules:  # each named module imports
        assert subprocess.run([sys.executable, "-c", f"import {module}"], check=False).returncode == 0, module
    assert info["asset-uris"] == [
        {"schemes": ["openmetadata"], "handler": "openmetadata_platform.lineage.assets.sanitize_uri"}
    ]


def test_the_connection_form_has_the_tls_fields():
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    widgets = manager.connection_form_widgets
    verify = widgets["extra__openmetadata__verify_ssl"]
    assert verify.field["schema"]["enum"] == ["no-ssl", "validate", "ignore", None]
    assert not verify.is_sensitive
    assert widgets["extra__openmetadata__ca_certificate"].field["schema"]["title"] == "CA certificate file"
    behaviour = manager.field_behaviours["openmetadata"]
    assert behaviour["hidden_fields"] == ["login"]
    assert behaviour["relabeling"]["password"] == "JWT token (ingestion bot)"


def test_a_malformed_openmetadata_uri_fails_the_dag_import(tmp_path):
    """The asset-URI handler runs when the DAG is parsed: the import error names the bad part."""
    from airflow.dag_processing.dagbag import DagBag

    for name, uri, fragment in (
        ("two_parts", "openmetadata://table/only.two", "has 2 part(s)"),
        ("wrong_host", "openmetadata://view/a.b.c.d", "the host part must be 'table'"),
    ):
        (tmp_path / f"{name}.py").write_text(
            "from datetime import datetime\n"
            "from airflow.sdk import DAG, Asset\n"
            "from airflow.providers.standard.operators.empty import EmptyOperator\n"
            f"with DAG('{name}', start_date=datetime(2024, 1, 1), schedule=None):\n"
            f"    EmptyOperator(task_id='t', inlets=[Asset('{uri}')])\n"
        )
        bag = DagBag(dag_folder=str(tmp_path / f"{name}.py"))
        (error,) = bag.import_errors.values()
        assert fragment in error, error
    from openmetadata_platform.lineage import om_table

    assert om_table('svc.db."a.b".t').uri == "openmetadata://table/svc.db.%22a.b%22.t"  # normalised as written


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


def test_reading_the_token_registers_it_with_airflows_masker(monkeypatch):
    """Anything Airflow logs after the hook read the JWT has it redacted (the hook's mask_secret)."""
    from airflow.sdk._shared.secrets_masker import redact

    token = "eyJhbGciOi.only-in-this-test.sig"
    assert token in redact(f"before: {token}")
    _hook(monkeypatch, host="om.example.com", password=token).get_server_config_dict()
    assert token not in redact(f"after: {token}") and "***" in redact(f"after: {token}")


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

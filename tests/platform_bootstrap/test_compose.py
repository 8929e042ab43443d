"""Compose files: they resolve with real compose tooling and follow the platform's rules."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from platform_bootstrap.envfile import read_env
from platform_bootstrap.secrets_gen import SECRET_KEYS

from .conftest import BOOTSTRAP, DATA

FILES = ["docker-compose.yml", "docker-compose.openmetadata.yml"]
OPENMETADATA_SERVICES = ("openmetadata-migrate", "openmetadata-server")
LONG_RUNNING = ("developer-kerberos-service", "platform-postgres", "platform-elasticsearch", "openmetadata-server")


def _raw(name: str) -> dict:
    return yaml.safe_load((BOOTSTRAP / name).read_text())


def _merged_raw_services() -> dict:
    services = {}
    for name in FILES:
        services.update(_raw(name)["services"])
    return services


@pytest.fixture
def resolved(setup_dir):
    """``docker-compose config`` of both files with the wizard's .env, parsed."""
    if not shutil.which("docker-compose"):
        pytest.fail("docker-compose (Debian package) is required: bash .ci/install-system-packages")
    cmd = ["docker-compose", "--env-file", str(setup_dir / ".env"), "--profile", "kerberos"]
    for f in FILES:
        cmd += ["-f", f]
    result = subprocess.run(
        check=False, args=[*cmd, "config"], cwd=BOOTSTRAP, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout), read_env(setup_dir / ".env")


def test_config_resolves_with_wizard_env(resolved):
    config, env = resolved
    services = config["services"]
    assert set(services) == {
        "developer-kerberos-service",
        "platform-postgres",
        "platform-elasticsearch",
        "openmetadata-migrate",
        "openmetadata-server",
    }
    server_env = services["openmetadata-server"]["environment"]
    assert server_env["DB_USER_PASSWORD"] == env["OPENMETADATA_DB_PASSWORD"]
    assert server_env["FERNET_KEY"] == env["FERNET_KEY"]
    assert server_env["AUTHORIZER_ADMIN_PRINCIPALS"] == f"[admin:{env['OPENMETADATA_ADMIN_PASSWORD']}]"
    assert services["openmetadata-migrate"]["environment"] == server_env
    assert services["openmetadata-server"]["image"] == env["IMAGE_OPENMETADATA_SERVER"]
    assert {("127.0.0.1", 8585, 8585), ("127.0.0.1", 8586, 8586)} <= _ports(services["openmetadata-server"])


def _ports(service: dict) -> set[tuple[str, int, int]]:
    """(host ip, published, target) whatever the compose flavour prints (v1 strings, v2 dicts)."""
    result = set()
    for p in service.get("ports", []):
        if isinstance(p, dict):
            result.add((p.get("host_ip", ""), int(p["published"]), int(p["target"])))
        else:
            ip, published, target = p.split("/")[0].rsplit(":", 2)
            result.add((ip, int(published), int(target)))
    return result


def test_missing_secrets_stop_compose_with_a_pointer_to_the_wizard(tmp_path):
    (tmp_path / ".env").write_text("COMPOSE_PROJECT_NAME=platform\n")
    cmd = ["docker-compose", "--env-file", str(tmp_path / ".env"), "-f", FILES[0], "-f", FILES[1], "config"]
    result = subprocess.run(check=False, args=cmd, cwd=BOOTSTRAP, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "run platform-bootstrap/platform setup first" in result.stderr


def test_server_image_matches_pinned_client_major_minor(resolved):
    from importlib.metadata import version

    config, _ = resolved
    client = ".".join(version("openmetadata-ingestion").split(".")[:2])
    for name in OPENMETADATA_SERVICES:
        tag = config["services"][name]["image"].rsplit(":", 1)[1]
        assert ".".join(tag.split(".")[:2]) == client, name


def test_long_running_services_have_healthchecks_with_interval_and_start_period():
    services = _merged_raw_services()
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check.get("test"), name
        assert check.get("interval") and check.get("start_period"), name
    assert services["openmetadata-migrate"]["restart"] == "no"


def test_dependency_conditions():
    services = _merged_raw_services()
    server = services["openmetadata-server"]["depends_on"]
    assert server["openmetadata-migrate"]["condition"] == "service_completed_successfully"
    assert server["platform-postgres"]["condition"] == "service_healthy"
    assert server["platform-elasticsearch"]["condition"] == "service_healthy"
    migrate = services["openmetadata-migrate"]["depends_on"]
    assert {v["condition"] for v in migrate.values()} == {"service_healthy"}


def test_every_image_is_overridable():
    for name, service in _merged_raw_services().items():
        assert re.fullmatch(r"\$\{IMAGE_[A-Z_]+:-[^}]+\}", service["image"]), name


def test_published_ports_are_overridable():
    for name, service in _merged_raw_services().items():
        for port in service.get("ports", []):
            assert re.fullmatch(
                r"\$\{PLATFORM_BIND_ADDRESS:-127\.0\.0\.1\}:\$\{PLATFORM_[A-Z_]+_PORT:-\d+\}:\d+", port
            ), (name, port)


def test_no_literal_secrets_in_tracked_files(setup_dir):
    """Secrets only as required variables; no generated value and no upstream default anywhere."""
    env = read_env(setup_dir / ".env")
    texts = {p.name: p.read_text() for p in [*(BOOTSTRAP / f for f in FILES), BOOTSTRAP / "postgres/init-databases.sh"]}
    upstream_defaults = ["jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA=", "openmetadata_password", "admin:admin"]
    for name, text in texts.items():
        for value in [env[k] for k in SECRET_KEYS] + upstream_defaults:
            assert value not in text, name
    services = _merged_raw_services()
    for name, service in services.items():
        env_map = service.get("environment") or {}
        for key, value in env_map.items():
            if re.search(r"PASSWORD|FERNET|SECRET|KEY_ID", key) and value:
                assert re.search(r"\$\{[A-Z_]+:\?", str(value)) or str(value).startswith("${AIRFLOW_DB_PASSWORD:-}"), (
                    name,
                    key,
                )


def test_server_env_names_are_known_to_the_server():
    known = {
        line.strip()
        for line in (DATA / "openmetadata_server_env.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    services = _merged_raw_services()
    for name in OPENMETADATA_SERVICES:
        unknown = set(services[name]["environment"]) - known
        assert not unknown, (name, sorted(unknown))


def test_jwks_url_uses_the_service_name_and_keys_are_mounted():
    services = _merged_raw_services()
    server = services["openmetadata-server"]
    assert "openmetadata-server:8585" in server["environment"]["AUTHENTICATION_PUBLIC_KEYS"]
    assert "localhost" not in server["environment"]["AUTHENTICATION_PUBLIC_KEYS"]
    assert "./secrets/jwt:/etc/openmetadata/jwt:ro" in server["volumes"]
    assert server["environment"]["RSA_PRIVATE_KEY_FILE_PATH"].startswith("/etc/openmetadata/jwt/")


def test_base_file_declares_network_volume_and_sidecar():
    base = _raw("docker-compose.yml")
    assert base["networks"]["platform_network"]["name"] == "platform_network"
    assert base["volumes"]["platform_kerberos_cache"]["name"] == "platform_kerberos_cache"
    sidecar = base["services"]["developer-kerberos-service"]
    assert sidecar["build"] == "./kerberos"
    assert "platform_kerberos_cache:/krb5/cache" in sidecar["volumes"]
    assert any(v.endswith(":/host-krb5/krb5cc:ro") for v in sidecar["volumes"])
    assert sidecar["healthcheck"]["test"] == ["CMD", "python3", "/app/ticket_sharer.py", "--healthcheck"]


def test_elasticsearch_heap_is_configurable(resolved):
    config, env = resolved
    es_env = config["services"]["platform-elasticsearch"]["environment"]
    heap = env["ELASTICSEARCH_HEAP"]
    assert es_env["ES_JAVA_OPTS"] == f"-Xms{heap} -Xmx{heap}"
    assert es_env["xpack.security.enabled"] == "false"

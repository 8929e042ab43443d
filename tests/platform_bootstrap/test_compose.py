"""Compose files: they resolve with real compose tooling and follow the platform's rules."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml
from platform_bootstrap.envfile import read_env
from platform_bootstrap.secrets_gen import SECRET_KEYS
from platform_bootstrap.settings import DEFAULT_PORTS, PORT_ENV

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


def render(env_dir) -> tuple[dict, dict]:
    """``docker-compose config`` of both files with the wizard's .env (kerberos profile on), parsed.

    Rendering needs no engine; Debian's v1 binary does it (running is refused in scripts/compose.sh).
    """
    if not shutil.which("docker-compose"):
        pytest.fail("docker-compose (Debian package) is required: bash .ci/install-system-packages")
    cmd = ["docker-compose", "--env-file", str(env_dir / ".env"), "--profile", "kerberos"]
    for f in FILES:
        cmd += ["-f", f]
    result = subprocess.run(
        check=False, args=[*cmd, "config"], cwd=BOOTSTRAP, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout), read_env(env_dir / ".env")


@pytest.fixture
def resolved(setup_dir):
    return render(setup_dir)


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
    # Defaults that miss a local PostgreSQL (5432) and Elasticsearch (9200).
    assert _ports(services["platform-postgres"]) == {("127.0.0.1", 15432, 5432)}
    assert _ports(services["platform-elasticsearch"]) == {("127.0.0.1", 19200, 9200)}
    assert server_env["OPENMETADATA_SERVER_URL"] == env["OPENMETADATA_HOST_PORT"] == "http://127.0.0.1:8585"


def test_non_loopback_bind_address_reaches_every_port_and_url(tmp_path):
    """Another address of this host: every published port and the server's URL use it."""
    from .conftest import global_ipv4, run_platform

    address = global_ipv4()
    result = run_platform("setup", "-y", "--skip-port-check", "--dir", str(tmp_path), "--bind-address", address)
    assert result.returncode == 0, result.stderr
    config, env = render(tmp_path)
    published = set().union(*(_ports(s) for s in config["services"].values()))
    assert published and {ip for ip, _, _ in published} == {address}
    host = "127.0.0.1" if address == "0.0.0.0" else address
    assert env["OPENMETADATA_HOST_PORT"] == f"http://{host}:8585"
    assert config["services"]["openmetadata-server"]["environment"]["OPENMETADATA_SERVER_URL"] == f"http://{host}:8585"


def test_elasticsearch_has_no_memlock_ulimit(resolved):
    """memlock is useless without bootstrap.memory_lock and refused by rootless Docker and Podman."""
    config, _ = resolved
    es = config["services"]["platform-elasticsearch"]
    assert "memlock" not in es.get("ulimits", {})
    assert "bootstrap.memory_lock" not in es["environment"]


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
            env_name, default = re.search(r"\$\{(PLATFORM_[A-Z_]+_PORT):-(\d+)\}", port).groups()
            key = {v: k for k, v in PORT_ENV.items()}[env_name]
            assert int(default) == DEFAULT_PORTS[key], (name, port)  # compose and wizard agree


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
    assert sidecar["build"]["context"] == "./kerberos"
    assert (
        sidecar["build"]["args"]["BASE_IMAGE"] == "${IMAGE_KERBEROS_SIDECAR_BASE:-docker.io/library/python:3.12-slim}"
    )
    assert "platform_kerberos_cache:/krb5/cache" in sidecar["volumes"]
    # The host DIRECTORY, read-only; never the cache file itself (kinit replaces it).
    binds = [v for v in sidecar["volumes"] if isinstance(v, dict)]
    assert binds == [
        {
            "type": "bind",
            "source": "${KRB5_HOST_CCACHE_DIR:-/dev/null/KRB5_HOST_CCACHE_DIR-is-not-set}",
            "target": "/host-krb5",
            "read_only": True,
        }
    ]
    assert not [v for v in sidecar["volumes"] if isinstance(v, str) and "host-krb5" in v]
    assert sidecar["healthcheck"]["test"] == ["CMD", "python3", "/app/ticket_sharer.py", "--healthcheck"]


def test_sidecar_user_matches_the_dockerfile_and_the_wizard(setup_dir):
    sidecar = _raw("docker-compose.yml")["services"]["developer-kerberos-service"]
    assert sidecar["user"] == "${KRB5_HOST_UID:-0}:${KRB5_SHARE_GID:-0}"
    dockerfile = (BOOTSTRAP / "kerberos" / "Dockerfile").read_text()
    assert '#   user: "${KRB5_HOST_UID}:${KRB5_SHARE_GID}"' in dockerfile
    env = read_env(setup_dir / ".env")
    assert env["KRB5_HOST_UID"].isdigit() and env["KRB5_SHARE_GID"] == "0"


def _names(text: str, prefix: str) -> set[str]:
    return set(re.findall(rf"\b({prefix}[A-Z_]+)\b", text))


def test_one_name_per_kerberos_setting_everywhere():
    """The KRB5_* settings have the same names in compose, the wizard, the sidecar, the scripts and docs."""
    from platform_bootstrap.wizard import _MANAGED_KEYS, _RETIRED_KEYS

    compose = (BOOTSTRAP / "docker-compose.yml").read_text()
    in_compose = _names(compose, "KRB5_")
    sidecar = (BOOTSTRAP / "kerberos" / "ticket_sharer.py").read_text()
    sidecar_reads = set(re.findall(r'(?:environ\.get|_env)\("(KRB5_[A-Z_]+)"', sidecar))
    optional = {"KRB5_SHARE_INTERVAL_SECONDS"}  # compose default 5, may be set in .env by hand
    assert sidecar_reads - {"KRB5_HOST_CCACHE_DIR"} <= in_compose
    assert in_compose <= (_MANAGED_KEYS | optional)
    written_by_wizard = {k for k in _MANAGED_KEYS if k.startswith("KRB5_")}
    for path in [
        BOOTSTRAP / "diagnostics" / "check-kerberos.sh",
        BOOTSTRAP / "diagnostics" / "test-openmetadata-krb.sh",
        BOOTSTRAP / "kerberos" / "README.md",
        BOOTSTRAP / "kerberos" / "Dockerfile",
        BOOTSTRAP / "README.md",
        BOOTSTRAP.parent / "provider" / "openmetadata_platform" / "kerberos" / "preflight.py",
    ]:
        text = path.read_text()
        used = _names(text, "KRB5_") - {"KRB5_CONFIG", "KRB5_KTNAME"}
        assert used <= written_by_wizard | optional, (path.name, used - written_by_wizard - optional)
        assert not _names(text, "HOST_KRB5") and not (_names(text, "TICKET_SHARER_") - {"TICKET_SHARER_"}), path.name
        assert not (used & _RETIRED_KEYS), path.name


def test_nothing_waits_for_the_sidecar_to_have_a_ticket(resolved):
    """`up --wait` with the kerberos profile must not hinge on a kinit: nothing depends on the sidecar."""
    config, _ = resolved
    for name, service in config["services"].items():
        assert "developer-kerberos-service" not in (service.get("depends_on") or {}), name


def test_elasticsearch_heap_is_configurable(resolved):
    config, env = resolved
    es_env = config["services"]["platform-elasticsearch"]["environment"]
    heap = env["ELASTICSEARCH_HEAP"]
    assert es_env["ES_JAVA_OPTS"] == f"-Xms{heap} -Xmx{heap}"
    assert es_env["xpack.security.enabled"] == "false"

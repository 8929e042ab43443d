"""Machine checks before anything starts, in the order a fix has to happen: the Docker engine,
Compose v2, then ports in use, the bind address, the Kerberos directory; and the images `up`
needs, pulled first so one that cannot be pulled is named with its setting."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from platform_bootstrap import preflight
from platform_bootstrap.local_postgres import free_port

from tests.support.fake_tools import calls, copy_bootstrap, fake_env, started_anything, tool_dir

from .conftest import run_platform

PORT_OPTIONS = {
    "openmetadata": "--openmetadata-port",
    "openmetadata_admin": "--openmetadata-admin-port",
    "postgres": "--postgres-port",
    "elasticsearch": "--elasticsearch-port",
    "airflow": "--airflow-port",
}


@pytest.fixture
def listening():
    """A port something else listens on, the way a local PostgreSQL holds 5432."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def _free_ports(**chosen: int) -> list[str]:
    """Setup flags giving every port a free number, except the ones in ``chosen``."""
    args = []
    for name, option in PORT_OPTIONS.items():
        args += [option, str(chosen.get(name) or free_port())]
    return args


@pytest.fixture
def engine(tmp_path):
    """``engine(**fake)``: the environment of a run with a (fake) engine that answers and Compose
    v2; e.g. ``ps="127.0.0.1:8585->8585/tcp"`` for what this platform's containers publish."""
    bindir = tool_dir(tmp_path / "tools")
    return lambda **fake: fake_env(bindir, tmp_path / "docker-calls", **{"engine": "up", "compose": "v2", **fake})


def test_the_wizard_reports_a_port_in_use_and_writes_nothing(tmp_path, listening):
    result = run_platform("setup", "-y", "--dir", str(tmp_path), *_free_ports(postgres=listening))
    assert result.returncode == 2
    assert (
        f"error: ports.postgres: expected a free port: ports.postgres = {listening} (PLATFORM_POSTGRES_PORT) "
        "is already in use on 127.0.0.1" in result.stderr
    )
    assert "./platform setup -y --postgres-port <free port>" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_rerun_checks_only_the_ports_it_changes(tmp_path, listening):
    """An unchanged busy port is most likely the platform itself, running."""
    flags = _free_ports(elasticsearch=listening)
    assert run_platform("setup", "-y", "--skip-port-check", "--dir", str(tmp_path), *flags).returncode == 0
    assert run_platform("setup", "-y", "--dir", str(tmp_path)).returncode == 0
    moved = run_platform("setup", "-y", "--dir", str(tmp_path), "--airflow-port", str(listening))
    assert moved.returncode == 2 and "ports.airflow" in moved.stderr  # clash with elasticsearch first
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen()
    try:
        busy = other.getsockname()[1]
        result = run_platform("setup", "-y", "--dir", str(tmp_path), "--airflow-port", str(busy))
        assert result.returncode == 2
        assert f"ports.airflow = {busy} (PLATFORM_AIRFLOW_PORT) is already in use" in result.stderr
    finally:
        other.close()


def test_preflight_names_the_busy_port_and_its_setting(tmp_path, listening, engine):
    assert (
        run_platform(
            "setup", "-y", "--skip-port-check", "--dir", str(tmp_path), *_free_ports(openmetadata=listening)
        ).returncode
        == 0
    )
    result = run_platform("preflight", "--dir", str(tmp_path), env=engine())
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: ports.openmetadata = {listening} (PLATFORM_OPENMETADATA_PORT) is already in use on 127.0.0.1: "
        f"stop what listens there (`ss -ltnp 'sport = :{listening}'` shows it) or choose another port: "
        "`./platform setup -y --openmetadata-port <free port>`"
    ]
    # The same port published by this platform's own running container is no clash.
    ours = run_platform("preflight", "--dir", str(tmp_path), env=engine(ps=f"127.0.0.1:{listening}->8585/tcp"))
    assert ours.returncode == 0, ours.stderr
    assert "preflight ok" in ours.stdout


def test_a_bind_address_of_another_machine_is_refused(tmp_path):
    result = run_platform("setup", "-y", "--dir", str(tmp_path), "--bind-address", "203.0.113.9", *_free_ports())
    assert result.returncode == 2
    assert "error: bind_address: expected an address of this machine (or 0.0.0.0 for all), 203.0.113.9" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_kerberos_directory_gets_the_commands_and_is_not_created(tmp_path, engine):
    hostdir = tmp_path / "krb-home"
    args = ["--kerberos", "--kerberos-ccache", str(hostdir / "krb5cc"), "--kerberos-principal", "alice"]
    args += ["--kerberos-realm", "EXAMPLE.COM"]
    setup = run_platform("setup", "-y", "--skip-port-check", "--dir", str(tmp_path), *args)
    assert setup.returncode == 0, setup.stderr
    assert f"KRB5_HOST_CCACHE_DIR={hostdir} does not exist" in setup.stderr  # said at once, written anyway
    result = run_platform("preflight", "--dir", str(tmp_path), env=engine())
    assert result.returncode == 1
    assert f"mkdir -p -m 700 {hostdir} && kinit -c FILE:{hostdir}/krb5cc alice@EXAMPLE.COM" in result.stderr
    assert not hostdir.exists()
    # With the directory but no ticket yet, the platform may start: a note, exit 0.
    hostdir.mkdir(mode=0o700)
    keyring = {**engine(), "KRB5CCNAME": "KEYRING:persistent:0"}
    waiting = run_platform("preflight", "--dir", str(tmp_path), env=keyring)
    assert waiting.returncode == 0, waiting.stderr
    assert "no ticket cache at" in waiting.stdout and "the platform starts anyway" in waiting.stdout
    assert "KEYRING: cache, which cannot be shared" in waiting.stdout


def test_interactive_setup_reasks_a_busy_port_and_a_foreign_address(tmp_path, listening, monkeypatch):
    from click.testing import CliRunner
    from platform_bootstrap import cli

    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    free = [str(free_port()) for _ in range(5)]
    # cluster, bind (foreign, then default), om port (busy, then free), admin, pg, es, airflow,
    # heap, 6 images, CA bundle, kerberos?
    answers = ["", "203.0.113.9", "", str(listening), free[0], *free[1:5], "", *[""] * 6, "", "n"]
    result = CliRunner().invoke(cli.main, ["setup", "--dir", str(tmp_path)], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "bind_address: expected an address of this machine" in result.output
    assert f"ports.openmetadata: expected a free port: ports.openmetadata = {listening}" in result.output
    written = (tmp_path / ".env").read_text()
    assert f"PLATFORM_OPENMETADATA_PORT={free[0]}\n" in written and "PLATFORM_BIND_ADDRESS=127.0.0.1\n" in written


# -- the engine, then Compose, before the machine checks ---------------------------------------------


def _set_up(base_dir, *extra: str) -> None:
    base_dir.mkdir(exist_ok=True)
    result = run_platform("setup", "-y", "--skip-port-check", "--dir", str(base_dir), *extra)
    assert result.returncode == 0, result.stderr


def test_without_the_docker_command_preflight_says_so_once_and_checks_no_port(tmp_path, listening):
    """A busy port is not reported: without an engine, the platform's own containers cannot be told apart."""
    _set_up(tmp_path, *_free_ports(openmetadata=listening))
    log = tmp_path / "calls"
    result = run_platform("preflight", "--dir", str(tmp_path), env=fake_env(tool_dir(tmp_path, docker=False), log))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: no Docker engine: the docker command is not installed; install Docker Engine (Debian: apt-get "
        "install docker.io) or Docker Desktop"
    ]
    assert "preflight ok" not in result.stdout


def test_an_engine_that_does_not_answer_at_docker_host_is_named_with_its_fix(tmp_path, listening):
    _set_up(tmp_path, *_free_ports(postgres=listening))
    log = tmp_path / "calls"
    env = {**fake_env(tool_dir(tmp_path), log, compose="v2"), "DOCKER_HOST": "tcp://192.0.2.7:2376"}
    result = run_platform("preflight", "--dir", str(tmp_path), env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: no Docker engine answers at DOCKER_HOST=tcp://192.0.2.7:2376: start it, or unset DOCKER_HOST to "
        "use the local one"
    ]
    assert calls(log) == ["docker info"] and started_anything(log) == []


def test_only_compose_v1_is_named_after_the_engine_and_before_the_ports(tmp_path, listening):
    """The engine answers, so the ports are checked too; Compose v1 comes first (a copy of the
    scripts: the checkout's .tools/ is not seen)."""
    copy = copy_bootstrap(tmp_path)
    base_dir = tmp_path / "settings"
    _set_up(base_dir, *_free_ports(airflow=listening))
    log = tmp_path / "calls"
    result = subprocess.run(
        [sys.executable, str(copy / "platform"), "preflight", "--dir", str(base_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env=fake_env(tool_dir(tmp_path, compose_v1=True), log, engine="up"),
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("error: only Docker Compose v1 is installed (docker-compose 1.29.2)")
    assert "KeyError: 'ContainerConfig'" in lines[0] and "docker-compose-plugin" in lines[0]
    assert "make compose-v2" in lines[0]
    assert lines[1].startswith(f"error: ports.airflow = {listening} (PLATFORM_AIRFLOW_PORT) is already in use")
    assert started_anything(log) == []


# -- images: pulled before `up`, one that fails is named with its setting ---------------------------

AIRFLOW_BUILD = {"context": "..", "args": {"BASE_IMAGE": "mirror.example/apache/airflow:3.3.2-python3.11"}}
CONFIG = {
    "services": {
        "platform-postgres": {"image": "mirror.example/library/postgres:16"},
        "pagila-loader": {"image": "mirror.example/library/postgres:16"},
        "openmetadata-server": {"image": "platform-test-double/openmetadata-standin:local", "pull_policy": "never"},
        "platform-elasticsearch": {"image": "docker.elastic.co/elasticsearch/elasticsearch:9.3.0"},
        "airflow-init": {"image": "platform/airflow:local", "build": AIRFLOW_BUILD},
        "airflow-apiserver": {"image": "platform/airflow:local", "build": AIRFLOW_BUILD},
        "developer-kerberos-service": {
            "image": "platform/developer-kerberos-service:local",
            "build": {"context": "./kerberos", "args": {"BASE_IMAGE": "docker.io/library/python:3.12-slim"}},
        },
    }
}
ENV = {
    "IMAGE_POSTGRES": "mirror.example/library/postgres:16",
    "IMAGE_ELASTICSEARCH": "docker.elastic.co/elasticsearch/elasticsearch:8.0.0",  # an override wrote 9.3.0
    "IMAGE_AIRFLOW_BASE": "mirror.example/apache/airflow:3.3.2-python3.11",
}


def test_needed_images_pull_bases_of_builds_and_skip_never():
    needs = {(n.image, n.built): n for n in preflight.needed_images(CONFIG, ENV)}
    assert list(needs) == [
        ("mirror.example/library/postgres:16", None),
        ("docker.elastic.co/elasticsearch/elasticsearch:9.3.0", None),
        ("mirror.example/apache/airflow:3.3.2-python3.11", "platform/airflow:local"),
        ("docker.io/library/python:3.12-slim", "platform/developer-kerberos-service:local"),
    ]
    postgres = needs["mirror.example/library/postgres:16", None]
    assert postgres.services == ["platform-postgres", "pagila-loader"] and postgres.variable == "IMAGE_POSTGRES"
    assert needs["docker.elastic.co/elasticsearch/elasticsearch:9.3.0", None].variable is None  # not from .env
    base = needs["mirror.example/apache/airflow:3.3.2-python3.11", "platform/airflow:local"]
    assert base.services == ["airflow-init", "airflow-apiserver"] and base.variable == "IMAGE_AIRFLOW_BASE"
    # Not set: the compose file's default is in use, and that variable changes it.
    sidecar = needs["docker.io/library/python:3.12-slim", "platform/developer-kerberos-service:local"]
    assert sidecar.variable == "IMAGE_KERBEROS_SIDECAR_BASE"


def test_present_images_are_not_pulled_and_each_failure_names_its_setting():
    needs = preflight.needed_images(CONFIG, ENV)
    here = {"docker.elastic.co/elasticsearch/elasticsearch:9.3.0", "platform/developer-kerberos-service:local"}
    pulled = []

    def pull(image):
        pulled.append(image)
        host = image.split("/")[0]
        return f'Error response from daemon: Get "https://{host}/v2/": dial tcp: lookup {host}: no such host'

    said = []
    problems = preflight.pull_missing(
        needs, {"IMAGE_POSTGRES": "--image-postgres"}, say=said.append, present=here.__contains__, pull=pull
    )
    # The sidecar is built already: its base is not needed; the server image is never pulled.
    assert pulled == ["mirror.example/library/postgres:16", "mirror.example/apache/airflow:3.3.2-python3.11"]
    assert said == [
        "pulling mirror.example/library/postgres:16 (for platform-postgres, pagila-loader)...",
        "pulling mirror.example/apache/airflow:3.3.2-python3.11 (for airflow-init, airflow-apiserver)...",
    ]
    assert len(problems) == 2
    assert problems[0].startswith(
        "cannot pull mirror.example/library/postgres:16 (for platform-postgres, pagila-loader): the Docker engine "
        "cannot reach the registry mirror.example (Error response from daemon:"
    )
    assert problems[0].endswith(
        "It comes from IMAGE_POSTGRES in .env: point it at a registry or mirror the engine reaches: "
        "`./platform setup -y --image-postgres <registry>/library/postgres:16`"
    )
    assert "(the base platform/airflow:local is built FROM, for airflow-init, airflow-apiserver)" in problems[1]
    assert "It comes from IMAGE_AIRFLOW_BASE in .env" in problems[1]


@pytest.mark.parametrize(
    ("error", "cause", "fix"),
    [
        ("unauthorized: authentication required", "refuses the pull without a login", "`docker login mirror.example`"),
        ("manifest for x not found: manifest unknown", "has no such image or tag", "check its name and tag"),
        ("tls: failed to verify certificate: x509: unknown authority", "does not trust the TLS", "certs.d"),
        ("toomanyrequests: You have reached your pull rate limit", "rate limit", "registry mirror"),
    ],
)
def test_each_pull_failure_has_its_own_cause_and_fix(error, cause, fix):
    need = preflight.ImageNeed("mirror.example/library/postgres:16", ["platform-postgres"], "IMAGE_POSTGRES")
    problem = preflight.pull_problem(need, error, {"IMAGE_POSTGRES": "--image-postgres"})
    assert cause in problem and fix in problem and "--image-postgres" in problem


def test_a_setting_without_a_setup_option_names_its_file():
    assert preflight.image_setting("IMAGE_AIRFLOW", {}, "<registry>/x:1") == (
        "set images.airflow: <registry>/x:1 in platform-config.yaml, then `./platform setup -y`"
    )
    assert (
        preflight.image_setting("IMAGE_SITE_EXTRA", {}, "<registry>/x:1")
        == "set IMAGE_SITE_EXTRA=<registry>/x:1 in .env"
    )
    assert preflight.registry_of("postgres:16") == ("docker.io", "library/postgres:16")
    assert preflight.registry_of("localhost:5000/pg:16") == ("localhost:5000", "pg:16")


def test_platform_pull_names_the_image_its_variable_and_option_and_starts_nothing(tmp_path, engine):
    _set_up(tmp_path)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    here = "docker.elastic.co/elasticsearch/elasticsearch:9.3.0 docker.io/library/python:3.12-slim"
    env = {**engine(config=str(config), images=here, unreachable="mirror.example"), **ENV}
    result = run_platform("pull", "--dir", str(tmp_path), env=env)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith("error: cannot pull mirror.example/library/postgres:16") and "no such host" in errors[0]
    assert "IMAGE_POSTGRES in .env" in errors[0] and "`./platform setup -y --image-postgres " in errors[0]
    assert errors[1].startswith("error: cannot pull mirror.example/apache/airflow:3.3.2-python3.11 (the base")
    assert "IMAGE_AIRFLOW_BASE in .env" in errors[1]
    log = tmp_path / "docker-calls"
    assert [c for c in calls(log) if c.startswith("docker pull")] == [
        "docker pull mirror.example/library/postgres:16",
        "docker pull mirror.example/apache/airflow:3.3.2-python3.11",
    ]
    assert started_anything(log) == []
    # Reachable again: pulled, exit 0.
    fine = run_platform("pull", "--dir", str(tmp_path), env={**engine(config=str(config), images=here), **ENV})
    assert fine.returncode == 0, fine.stderr
    assert "images ok" in fine.stdout


def test_platform_pull_without_an_engine_pulls_nothing(tmp_path):
    _set_up(tmp_path)
    log = tmp_path / "calls"
    result = run_platform("pull", "--dir", str(tmp_path), env=fake_env(tool_dir(tmp_path), log, compose="v2"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Docker engine" in result.stderr
    assert calls(log) == ["docker info"]

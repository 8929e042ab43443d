"""`./platform status`, `bot-token` and their waits: the bind address, the Kerberos sidecar, progress,
the engine named first, and search left out of a stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from platform_bootstrap import airflow_health
from platform_bootstrap.envfile import read_env, update_env_file
from platform_bootstrap.local_postgres import free_port

from tests.openmetadata_standin.auth import seed_basic_auth
from tests.openmetadata_standin.server import StandInServer
from tests.support.fake_tools import calls, fake_env, started_anything, tool_dir

from .conftest import BOOTSTRAP, global_ipv4, run_platform

SHARER = BOOTSTRAP / "kerberos" / "ticket_sharer.py"


class _Answers(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        status, payload = self.server.answers.get(self.path.split("?")[0], (404, {}))
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(host: str, answers: dict) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), _Answers)
    server.answers = answers
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def address():
    """A non-loopback address of this host: nothing may silently fall back to 127.0.0.1."""
    return global_ipv4()


def _stack(host: str) -> tuple[list[ThreadingHTTPServer], dict[str, int]]:
    """Stand-ins for the published server, admin and search ports, listening only on ``host``."""
    servers = {
        "admin": _serve(host, {"/healthcheck": (200, {"OpenMetadataServerHealthCheck": {"healthy": True}})}),
        "api": _serve(host, {"/api/v1/system/version": (200, {"version": "2.0.6"})}),
        "search": _serve(host, {"/_cluster/health": (200, {"status": "yellow"})}),
        # The platform Airflow's health and its managed APIs (platform_bootstrap.airflow_health).
        "airflow": _serve(
            host,
            {
                "/api/v2/monitor/health": (200, {p: {"status": "healthy"} for p in airflow_health.AIRFLOW_PARTS}),
                "/pluginsv2/api/v2/openmetadata/health-auth": (200, {"status": "healthy", "version": "2.0.6.0"}),
            },
        ),
    }
    return list(servers.values()), {name: s.server_address[1] for name, s in servers.items()}


@pytest.fixture
def stack(request):
    host = getattr(request, "param", "127.0.0.1")
    servers, ports = _stack(host)
    yield host, ports
    for server in servers:
        server.shutdown()
        server.server_close()


def _fake_docker(tmp_path, status_dir) -> dict:
    """A `docker` whose `compose exec <sidecar> ... --healthcheck` runs the real sidecar healthcheck."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    (bindir / "docker").write_text(
        "#!/bin/sh\n"
        '[ "$1" = info ] && exit 0\n'
        '[ "$1 $2" = "compose version" ] && exit 0\n'
        'case "$*" in\n'
        f'  *"exec -T developer-kerberos-service python3 /app/ticket_sharer.py --healthcheck"*)\n'
        f"    exec {sys.executable} {SHARER} --healthcheck --dest {status_dir}/krb5cc ;;\n"
        "esac\n"
        "exit 1\n"
    )
    (bindir / "docker").chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}


def _setup(tmp_path, address, ports: dict, *extra: str) -> dict:
    args = ["setup", "-y", "--skip-port-check", "--dir", str(tmp_path), "--bind-address", address]
    for option, port in ports.items():
        args += [f"--{option}-port", str(port)]
    result = run_platform(*args, *extra)
    assert result.returncode == 0, result.stderr
    return read_env(tmp_path / ".env")


def test_status_with_the_kerberos_profile_and_no_ticket_yet(tmp_path, stack, postgres):
    """The platform is up, the sidecar waits for the first kinit: status says so and exits 0."""
    host, ports = stack
    hostdir = tmp_path / "krb-home"
    hostdir.mkdir()
    env = _setup(
        tmp_path,
        host,
        {
            "openmetadata": ports["api"],
            "openmetadata-admin": ports["admin"],
            "elasticsearch": ports["search"],
            "postgres": postgres.port,
            "airflow": ports["airflow"],
        },
        "--kerberos",
        "--kerberos-ccache",
        str(hostdir / "krb5cc"),
    )
    password = env["OPENMETADATA_DB_PASSWORD"]
    postgres.psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'openmetadata_user') "
        f"THEN CREATE ROLE openmetadata_user LOGIN; END IF; END $$; ALTER ROLE openmetadata_user PASSWORD '{password}'"
    )
    if not postgres.psql("SELECT 1 FROM pg_database WHERE datname = 'openmetadata_db'").strip():
        postgres.psql("CREATE DATABASE openmetadata_db OWNER openmetadata_user")
    # The real sidecar, one cycle, with the host directory present and no ticket in it.
    share = tmp_path / "volume"
    subprocess.run(
        [sys.executable, str(SHARER), "--once", "--source", str(hostdir / "krb5cc"), "--dest", str(share / "krb5cc")],
        capture_output=True,
        check=False,
        env={**os.environ, "KRB5_HOST_CCACHE_DIR": str(hostdir)},
    )
    docker = _fake_docker(tmp_path, share)
    result = run_platform("status", "--dir", str(tmp_path), env=docker)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[1]: line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert rows == {
        "docker": "ok",
        "server": "ok",
        "search": "ok",
        "database": "ok",
        "kerberos": "wait",
        "airflow": "ok",
        "managedapi": "ok",
        "pipelines": "wait",  # no bot token yet
    }
    assert "kerberos  waiting for a ticket: no valid ticket to share: no ticket cache" in result.stdout
    assert f"kinit -c FILE:{hostdir}/krb5cc" in result.stdout
    assert f"http://{host}:{ports['api']}" in result.stdout

    # A sidecar that stopped updating its status is a failure, with the reason.
    status = json.loads((share / "status.json").read_text())
    status["last_check_epoch"] -= 3600
    (share / "status.json").write_text(json.dumps(status))
    broken = run_platform("status", "--dir", str(tmp_path), env=docker)
    assert broken.returncode == 1 and "FAIL kerberos  developer-kerberos-service is broken" in broken.stdout


def test_status_checks_go_to_the_bind_address(tmp_path, address):
    """Server and search answer only on the configured address; the database check goes there too."""
    host = "127.0.0.1" if address == "0.0.0.0" else address
    servers, ports = _stack(host)
    try:
        pg_port = free_port()
        _setup(
            tmp_path,
            address,
            {
                "openmetadata": ports["api"],
                "openmetadata-admin": ports["admin"],
                "elasticsearch": ports["search"],
                "postgres": pg_port,
            },
        )
        result = run_platform("status", "--dir", str(tmp_path))
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert result.returncode == 1  # no database there
    assert f"ok   server    healthy, version 2.0.6 (http://{host}:{ports['api']})" in result.stdout
    assert "ok   search    cluster status yellow" in result.stdout
    assert "FAIL database" in result.stdout and "kerberos" not in result.stdout


def test_bot_token_and_login_info_use_the_bind_address(tmp_path, address):
    host = "127.0.0.1" if address == "0.0.0.0" else address
    with StandInServer(host=host) as server:  # listens on the bind address only
        seed_basic_auth(server, "S3cretAdminPw")
        _setup(tmp_path, address, {"openmetadata": server.port})
        update_env_file(tmp_path / ".env", {"OPENMETADATA_ADMIN_PASSWORD": "S3cretAdminPw"})
        result = run_platform("bot-token", "--dir", str(tmp_path))  # no --url: the configured address
        assert result.returncode == 0, result.stderr
        assert read_env(tmp_path / ".env")["OPENMETADATA_JWT_TOKEN"] == server.token
        info = run_platform("login-info", "--dir", str(tmp_path))
        assert f"OpenMetadata UI: http://{host}:{server.port}" in info.stdout
    assert server.internal_errors == []


def test_long_waits_say_what_how_long_and_the_last_status(tmp_path):
    port = free_port()
    _setup(tmp_path, "127.0.0.1", {"openmetadata": port})
    token = run_platform("bot-token", "--dir", str(tmp_path), "--wait", "2", "--poll", "0.5")
    assert token.returncode == 1
    assert (
        f"waiting for the OpenMetadata server at http://127.0.0.1:{port} to hand out the bot token: 0s of 2s; "
        "last status: admin login: cannot reach OpenMetadata" in token.stderr
    )
    assert "gave up waiting for the OpenMetadata server" in token.stderr and "after 2s" in token.stderr
    status = run_platform("status", "--dir", str(tmp_path), "--wait", "2", "--poll", "0.5")
    assert status.returncode == 1
    assert "waiting for the platform on 127.0.0.1: 0s of 2s; last status: server: no answer on 127.0.0.1:" in (
        status.stderr
    )
    assert "FAIL server" in status.stdout


def test_without_an_engine_status_says_so_first_and_still_checks_every_service(tmp_path, stack):
    """Server, search and Airflow answer on their ports; the engine does not: one line with its fix, first."""
    host, ports = stack
    _setup(
        tmp_path,
        host,
        {
            "openmetadata": ports["api"],
            "openmetadata-admin": ports["admin"],
            "elasticsearch": ports["search"],
            "postgres": free_port(),
            "airflow": ports["airflow"],
        },
        "--kerberos",
        "--kerberos-ccache",
        str(tmp_path / "krb" / "krb5cc"),
    )
    log = tmp_path / "calls"
    result = run_platform("status", "--dir", str(tmp_path), env=fake_env(tool_dir(tmp_path), log, compose="v2"))
    assert result.returncode == 1
    lines = [line.split(None, 2) for line in result.stdout.splitlines() if line.strip()]
    assert lines[0][:2] == ["FAIL", "docker"]
    assert "start it (sudo systemctl start docker, or start Docker Desktop)" in lines[0][2] or (
        "not writable by" in lines[0][2]  # a machine whose docker socket is not ours
    )
    rows = {line[1]: line[0] for line in lines}
    assert rows["server"] == rows["search"] == rows["airflow"] == "ok"
    assert rows["database"] == rows["kerberos"] == "FAIL"
    assert "kerberos  cannot ask developer-kerberos-service: see the docker line above" in result.stdout
    assert result.stdout.count("Docker engine") == 1
    assert started_anything(log) == []


def test_search_left_out_of_the_stack_is_not_a_failure(tmp_path):
    """An override puts platform-elasticsearch under a profile nobody enables: `compose config --services`
    (asked once per run, with PLATFORM_COMPOSE_FILES) does not list it, so status skips search."""
    _setup(tmp_path, "127.0.0.1", {"elasticsearch": free_port(), "openmetadata": free_port()})
    services = tmp_path / "services"
    services.write_text("platform-postgres\nopenmetadata-server\nairflow-apiserver\n")
    override = tmp_path / "no-search.yml"
    log = tmp_path / "calls"
    env = {
        **fake_env(tool_dir(tmp_path), log, engine="up", compose="v2", services=str(services)),
        "PLATFORM_COMPOSE_FILES": str(override),
    }
    result = run_platform("status", "--dir", str(tmp_path), "--wait", "1", "--poll", "0.3", env=env)
    assert result.returncode == 1  # nothing else runs
    assert "skip search    not part of this stack: platform-elasticsearch is not among" in result.stdout
    assert "FAIL search" not in result.stdout and "search:" not in result.stderr
    asked = [call for call in calls(log) if call.endswith("config --services")]
    assert len(asked) == 1 and f"-f {override} config --services" in asked[0]
    # In the stack again: checked, and failing (nothing listens).
    services.write_text("platform-elasticsearch\nplatform-postgres\n")
    again = run_platform("status", "--dir", str(tmp_path), env=env)
    assert "FAIL search" in again.stdout
    # Compose cannot say (the fake does not render): search is checked as before.
    unknown = run_platform("status", "--dir", str(tmp_path), env={**env, "FAKE_DOCKER_SERVICES": ""})
    assert "FAIL search" in unknown.stdout

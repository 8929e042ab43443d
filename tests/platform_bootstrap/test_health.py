"""Health checks against a throwaway PostgreSQL and fake HTTP endpoints."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from platform_bootstrap import health


@pytest.fixture
def fake_http():
    answers: dict[str, tuple[int, dict]] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            status, payload = answers.get(self.path.split("?")[0], (404, {}))
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], answers
    server.shutdown()
    server.server_close()


def test_search_green_yellow_red(fake_http):
    port, answers = fake_http
    answers["/_cluster/health"] = (200, {"status": "yellow"})
    assert health.check_search("127.0.0.1", port).ok
    answers["/_cluster/health"] = (200, {"status": "red"})
    check = health.check_search("127.0.0.1", port)
    assert not check.ok and "red" in check.detail


def test_server_healthy_and_version_mismatch(fake_http):
    port, answers = fake_http
    client = health.client_major_minor()
    answers["/healthcheck"] = (200, {"OpenMetadataServerHealthCheck": {"healthy": True}})
    answers["/api/v1/system/version"] = (200, {"version": f"{client}.6"})
    assert health.check_server("127.0.0.1", port, port).ok
    answers["/api/v1/system/version"] = (200, {"version": "1.9.0"})
    check = health.check_server("127.0.0.1", port, port)
    assert not check.ok and "does not match" in check.detail
    answers["/healthcheck"] = (500, {})
    assert not health.check_server("127.0.0.1", port, port).ok


def test_database_check_logs_in_without_leaking_password(postgres):
    postgres.psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'health_user') "
        "THEN CREATE ROLE health_user LOGIN PASSWORD 'HealthPw123'; END IF; END $$"
    )
    ok = health.check_database(postgres.host, postgres.port, "health_user", "HealthPw123", "postgres")
    assert ok.ok, ok.detail
    bad = health.check_database(postgres.host, postgres.port, "health_user", "WrongPw456", "postgres")
    assert not bad.ok and "WrongPw456" not in bad.detail


def _ctx(**fields) -> health.StackContext:
    from platform_bootstrap.settings import PlatformConfig

    cfg = PlatformConfig()
    cfg.ports["elasticsearch"] = fields.pop("search_port", cfg.ports["elasticsearch"])
    return health.StackContext(cfg=cfg, env={}, host="127.0.0.1", bootstrap_dir=Path("/nonexistent"), **fields)


def test_search_is_skipped_only_when_compose_says_the_stack_has_none(fake_http):
    port, answers = fake_http
    answers["/_cluster/health"] = (200, {"status": "green"})
    [left_out] = health.run_checks(_ctx(services=frozenset({"platform-postgres"})), [health._search])
    assert left_out.state == "skipped" and left_out.ok and "not part of this stack" in left_out.detail
    [unknown] = health.run_checks(_ctx(services=None, search_port=port), [health._search])
    assert unknown.state == "ok" and unknown.detail == "cluster status green"
    [listed] = health.run_checks(
        _ctx(services=frozenset({"platform-elasticsearch"}), search_port=port), [health._search]
    )
    assert listed.state == "ok"


def test_the_docker_line_and_kerberos_without_an_engine():
    from platform_bootstrap.preflight import DockerVerdict

    down = DockerVerdict(False, False, "no Docker engine is running: start it (sudo systemctl start docker, ...)")
    assert health.check_docker(down) == health.Check("docker", False, down.problem)
    up = health.check_docker(DockerVerdict(True, True, compose="docker compose"))
    assert up.ok and up.detail == "the engine answers; Compose v2: docker compose"
    ctx = _ctx(docker=down)
    ctx.cfg.kerberos.enabled = True
    kerberos = health.check_kerberos(ctx)  # does not run compose.sh (bootstrap_dir does not exist)
    assert not kerberos.ok and kerberos.detail == "cannot ask developer-kerberos-service: see the docker line above"


def test_compose_services_is_none_when_compose_cannot_answer(tmp_path):
    assert health.compose_services(tmp_path) is None  # no scripts/compose.sh there

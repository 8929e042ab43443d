"""Health checks against a throwaway PostgreSQL and fake HTTP endpoints."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

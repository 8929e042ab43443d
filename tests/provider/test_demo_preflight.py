"""`make demo` says what is missing before it spends time: no server and no Docker engine, or no
pagila dump, stops it in seconds, before `make install` and before any PostgreSQL is started.

The preflight runs with the system python3 in isolated mode without site-packages (``-I -S``),
as `make demo` runs it on a machine where nothing is installed yet: a third-party import in it
fails these tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import REPO_ROOT

PREFLIGHT = REPO_ROOT / "platform-bootstrap" / "demo_preflight.py"
DEMO = REPO_ROOT / "platform-bootstrap" / "pagila_demo.py"
NO_DOCKER = REPO_ROOT / "tests" / "support" / "no_docker"
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
SYSTEM_PATH = f"{NO_DOCKER}:/usr/bin:/bin"  # no engine; no project venv on it


def _bare_env(tmp_path, **extra) -> dict[str, str]:
    """A new user's shell: no server settings, no .env, no engine, nothing of the test run's."""
    return {"PATH": SYSTEM_PATH, "HOME": str(tmp_path), "PLATFORM_ENV_FILE": str(tmp_path / "no.env"), **extra}


def _preflight(env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = subprocess.run(
        [SYSTEM_PYTHON, "-I", "-S", str(PREFLIGHT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return result, time.monotonic() - started


def _assert_no_server_message(stderr: str) -> None:
    assert stderr.startswith("error: No OpenMetadata server to harvest into"), stderr
    assert "start the engine and run `make demo` again" in stderr  # fix 1: Docker
    assert "OPENMETADATA_HOST_PORT=http://host:8585 OPENMETADATA_JWT_TOKEN=" in stderr  # fix 2: a server elsewhere
    assert "Traceback" not in stderr


def _assert_no_pagila_message(stderr: str, where: str) -> None:
    assert stderr.startswith(f"error: pagila not found: PAGILA_DIR={where} has no pagila-schema.sql"), stderr
    for said in ("https://github.com/devrimgunduz/pagila", "MIT licence", "pagila-data.sql", "shared/pagila"):
        assert said in stderr, stderr
    assert "set PAGILA_DIR" in stderr and "Traceback" not in stderr


def test_no_server_and_no_engine_stops_the_preflight_in_seconds(tmp_path):
    result, elapsed = _preflight(_bare_env(tmp_path))
    assert result.returncode == 2, result.stdout + result.stderr
    _assert_no_server_message(result.stderr)
    assert elapsed < 10, elapsed


def test_make_demo_runs_the_preflight_before_it_installs_anything(tmp_path):
    env = _bare_env(tmp_path)
    # The recipe, as make would run it (-n runs nothing): the preflight comes before any install step.
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    commands = dry.stdout.splitlines()
    preflight = next(i for i, line in enumerate(commands) if "demo_preflight.py" in line)
    installing = [i for i, line in enumerate(commands) if "install-system-packages" in line or "pip install" in line]
    assert installing and preflight < min(installing), dry.stdout
    assert commands[preflight].startswith("python3 "), commands[preflight]  # the system python3, not .venv's

    # For real: make stops at the preflight; no venv is created (VENV points into tmp_path,
    # and -o keeps the system-wide steps out should the order ever regress).
    venv = tmp_path / "venv"
    started = time.monotonic()
    result = subprocess.run(
        ["make", "--no-print-directory", "demo", f"VENV={venv}", "-o", "system-packages", "-o", "compose-v2"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    _assert_no_server_message(result.stderr)
    assert not venv.exists() and "Installing" not in result.stdout
    assert time.monotonic() - started < 10


def test_no_pagila_dump_stops_the_preflight_and_the_demo_before_any_postgres(tmp_path):
    empty = tmp_path / "pagila"
    empty.mkdir()
    scratch = tmp_path / "tmp"  # ThrowawayPostgres makes its directory here first thing
    scratch.mkdir()
    env = _bare_env(
        tmp_path,
        OPENMETADATA_HOST_PORT="http://127.0.0.1:9",
        OPENMETADATA_JWT_TOKEN="a-token",
        PAGILA_DIR=str(empty),
        TMPDIR=str(scratch),
    )
    result, elapsed = _preflight(env)
    assert result.returncode == 2, result.stdout + result.stderr
    _assert_no_pagila_message(result.stderr, str(empty))
    assert elapsed < 10, elapsed

    # pagila_demo.py itself (as `make demo` runs it after installing) checks the same first.
    demo_env = {**env, "PATH": f"{NO_DOCKER}:{os.environ['PATH']}"}
    started = time.monotonic()
    demo = subprocess.run(
        [sys.executable, str(DEMO)],
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert demo.returncode == 2, demo.stdout + demo.stderr
    _assert_no_pagila_message(demo.stderr, str(empty))
    assert "Loading pagila" not in demo.stdout and list(scratch.iterdir()) == []  # no PostgreSQL was started
    assert time.monotonic() - started < 30


def test_pagila_dir_in_the_platform_env_file_is_used(tmp_path):
    dump = tmp_path / "dumps" / "pagila"
    dump.mkdir(parents=True)
    for name in ("pagila-schema.sql", "pagila-data.sql"):
        (dump / name).write_text("-- stand-in\n")
    env_file = tmp_path / "platform.env"
    env_file.write_text(
        "OPENMETADATA_HOST_PORT=http://127.0.0.1:9\nOPENMETADATA_JWT_TOKEN=t\nPAGILA_DIR=dumps/pagila\n"
    )
    result, _ = _preflight(_bare_env(tmp_path, PLATFORM_ENV_FILE=str(env_file)))
    assert result.returncode == 0, result.stderr
    assert f"the DAG runs locally on pagila from {dump}" in result.stdout


@pytest.fixture
def healthy_airflow():
    """An api-server stand-in that answers /api/v2/monitor/health with a healthy scheduler."""

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"scheduler": {"status": "healthy"}}).encode()
            self.send_response(200 if self.path == "/api/v2/monitor/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_platform_path_needs_no_local_dump(tmp_path, healthy_airflow):
    """With the platform Airflow up, pagila is on the platform PostgreSQL (its pagila-loader)."""
    env_file = tmp_path / "platform.env"
    env_file.write_text(
        f"OPENMETADATA_HOST_PORT=http://127.0.0.1:9\nOPENMETADATA_JWT_TOKEN=t\n"
        f"AIRFLOW_BASE_URL={healthy_airflow}\nAIRFLOW_ADMIN_PASSWORD=pw\n"
    )
    result, _ = _preflight(_bare_env(tmp_path, PLATFORM_ENV_FILE=str(env_file), PAGILA_DIR=str(tmp_path / "none")))
    assert result.returncode == 0, result.stderr
    assert f"the DAG runs on the platform Airflow at {healthy_airflow}" in result.stdout

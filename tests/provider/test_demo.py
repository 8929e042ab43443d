"""`make demo` (the main job) against the stand-in, and its refusal without a server."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

DEMO = REPO_ROOT / "platform-bootstrap" / "pagila_demo.py"


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENMETADATA_"))}
    env["PLATFORM_ENV_FILE"] = "/nonexistent/.env"  # a developer's own .env must not leak in
    env["PATH"] = f"{REPO_ROOT / 'tests' / 'support' / 'no_docker'}:{env['PATH']}"  # no engine here either way
    env.update(extra)
    return env


def test_demo_harvests_pagila_into_the_given_server(openmetadata, tmp_path):
    result = subprocess.run(
        [sys.executable, str(DEMO)],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=_env(
            OPENMETADATA_HOST_PORT=f"http://127.0.0.1:{openmetadata.port}", OPENMETADATA_JWT_TOKEN=openmetadata.token
        ),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"http://127.0.0.1:{openmetadata.port}/databaseSchema/pagila.pagila.public" in result.stdout
    assert len(openmetadata.entities("table")) > 20
    assert openmetadata.token not in result.stdout + result.stderr


def test_demo_says_clearly_when_there_is_no_server(tmp_path):
    result = subprocess.run(
        [sys.executable, str(DEMO)], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=_env()
    )
    assert result.returncode == 2
    assert "No OpenMetadata server" in result.stderr and "OPENMETADATA_HOST_PORT" in result.stderr

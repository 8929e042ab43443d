"""Shared fixtures for the platform-bootstrap tests (no Docker engine needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "platform-bootstrap"
DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(BOOTSTRAP))


def run_platform(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``platform-bootstrap/platform`` with the test interpreter; never raises on failure."""
    return subprocess.run(
        check=False,
        args=[sys.executable, str(BOOTSTRAP / "platform"), *args],
        capture_output=True,
        text=True,
        env=env,
        input=input,
        timeout=120,
    )


@pytest.fixture
def setup_dir(tmp_path: Path) -> Path:
    """A directory holding the output of a default non-interactive ``platform setup``."""
    result = run_platform("setup", "--non-interactive", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    return tmp_path


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL for the module's database tests."""
    from tests.support.postgres import ThrowawayPostgres

    with ThrowawayPostgres() as pg:
        yield pg

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


def run_platform(
    *args: str, env: dict | None = None, input: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run ``platform-bootstrap/platform`` with the test interpreter (in ``cwd``); never raises on failure."""
    return subprocess.run(
        check=False,
        args=[sys.executable, str(BOOTSTRAP / "platform"), *args],
        capture_output=True,
        text=True,
        env=env,
        input=input,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def setup_dir(tmp_path: Path) -> Path:
    """A directory holding the output of a default non-interactive ``platform setup``."""
    # No port check: a developer's running platform (or anything else) may hold the default ports;
    # the port check has its own tests (test_preflight.py).
    result = run_platform("setup", "--non-interactive", "--skip-port-check", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    return tmp_path


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL for the module's database tests."""
    from platform_bootstrap.local_postgres import ThrowawayPostgres

    with ThrowawayPostgres() as pg:
        yield pg


def global_ipv4() -> str:
    """A non-loopback IPv4 address of this machine (0.0.0.0 when it has none)."""
    import json

    try:
        out = subprocess.run(
            ["ip", "-j", "-4", "addr", "show", "scope", "global"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:  # no iproute2: 0.0.0.0 is non-loopback too
        out = ""
    for link in json.loads(out or "[]"):
        for info in link.get("addr_info", []):
            if info.get("local"):
                return info["local"]
    return "0.0.0.0"

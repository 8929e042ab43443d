"""Make targets and scripts/compose.sh: grouping in `make help`, one clear line without Docker."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .conftest import BOOTSTRAP, REPO

TARGETS = [
    "platform-start",
    "platform-stop",
    "openmetadata-start",
    "openmetadata-stop",
    "openmetadata-status",
    "openmetadata-logs",
    "openmetadata-clean",
    "openmetadata-backup",
    "openmetadata-restore",
]


def _bin_dir(tmp_path, tools: dict[str, str]):
    """A PATH directory with only the given fake tools plus the basics scripts need."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("bash", "env", "dirname", "cat", "head", "python3"):
        real = shutil.which(name)
        if real:
            (bindir / name).symlink_to(real)
    for name, body in tools.items():
        (bindir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bindir / name).chmod(0o755)
    return str(bindir)


def test_help_lists_openmetadata_group():
    result = subprocess.run(
        check=False, args=["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("\nOpenMetadata\n", 1)
    assert len(section) == 2, result.stdout
    for target in TARGETS:
        assert f"  {target} " in section[1], target


def test_no_engine_gives_one_clear_line(tmp_path):
    path = _bin_dir(tmp_path, {"docker": 'if [ "$1" = compose ]; then exit 0; fi; echo boom >&2; exit 1'})
    result = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/compose.sh"), "ps"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: cannot reach the Docker engine: start Docker (or check DOCKER_HOST and access to /var/run/docker.sock)"
    ]


def test_no_compose_gives_one_clear_line(tmp_path):
    path = _bin_dir(tmp_path, {"docker": "exit 1"})
    result = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/compose.sh"), "ps"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        timeout=30,
    )
    assert result.returncode == 127
    assert len(result.stderr.strip().splitlines()) == 1 and "Docker Compose not found" in result.stderr


def test_v1_fallback_drops_wait_and_polls_health(tmp_path):
    log = tmp_path / "calls"
    path = _bin_dir(
        tmp_path,
        {
            "docker": 'if [ "$1" = info ]; then exit 0; fi; exit 1',  # engine up, no v2 plugin
            "docker-compose": f'echo "compose $*" >> {log}',
            "fakepython": f'echo "python $*" >> {log}',
        },
    )
    result = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/compose.sh"), "up", "-d", "--wait"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PATH": path, "PLATFORM_PYTHON": "fakepython"},
    )
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "compose -f docker-compose.yml -f docker-compose.openmetadata.yml up -d"
    assert calls[1].startswith("python ") and calls[1].endswith("platform health --wait 600")


def test_make_target_without_engine_fails_cleanly():
    if (
        shutil.which("docker")
        and subprocess.run(check=False, args=["docker", "info"], capture_output=True).returncode == 0
    ):
        pytest.skip("a Docker engine is reachable here")
    result = subprocess.run(
        check=False, args=["make", "-s", "openmetadata-stop"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert any(line.startswith("error: ") for line in result.stderr.splitlines())


def test_clean_refuses_without_confirmation():
    result = subprocess.run(
        check=False,
        args=["make", "-s", "openmetadata-clean"],
        cwd=REPO,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert result.returncode != 0
    assert "Aborted; nothing deleted." in result.stdout


def test_restore_requires_backup_argument():
    result = subprocess.run(
        check=False, args=["make", "-s", "openmetadata-restore"], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0 and "BACKUP=<file> is required" in result.stderr

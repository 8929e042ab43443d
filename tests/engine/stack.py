"""The platform stack under a real engine, driven as a user drives it: ``./platform setup``,
``make openmetadata-start``, ``make openmetadata-status``, REST on the published ports.

The stack runs from a copy of the working tree (:func:`copy_checkout`), so the tests never
touch the developer's own ``platform-bootstrap/.env``, secrets or running platform, and do not
depend on where the checkout lives. The copy shares the checkout's ``.venv`` and ``.tools``.
The engine tests' override (docker-compose.engine.yml) reaches every ``scripts/compose.sh``
call through ``PLATFORM_COMPOSE_FILES``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from platform_bootstrap.envfile import read_env
from platform_bootstrap.local_postgres import free_port
from platform_bootstrap.pagila import pagila_dir

from tests.engine.docker_engine import REPO_ROOT, Engine
from tests.support.airflow_api import AirflowRestApi

OVERRIDE = "tests/engine/docker-compose.engine.yml"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PORT_OPTIONS = ("openmetadata", "openmetadata-admin", "postgres", "elasticsearch", "airflow")
# Left out of the copy: run state, build output, and whatever the developer's own setup wrote.
_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", ".tools", ".run", "dist", "__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache"
)
_OWN_SETUP = (".env", "platform-config.yaml", "secrets", "backups")


def venv_is_current() -> bool:
    """True when ``.venv`` was installed from this checkout's pins (the Makefile's install stamp)."""
    pins = (REPO_ROOT / "constraints.txt").read_bytes() + (REPO_ROOT / "provider" / "pyproject.toml").read_bytes()
    return (REPO_ROOT / ".venv" / f".installed-{hashlib.md5(pins).hexdigest()[:12]}").exists()


def copy_checkout(target: Path) -> Path:
    """Copy the working tree to ``target`` without run state or the developer's platform setup;
    link ``.venv`` and ``.tools`` back. Returns ``target``.

    Raises:
        RuntimeError: ``.venv`` is older than the pins: a ``make`` target in the copy would
            reinstall the provider into the shared venv from the copy, which is then deleted.
    """
    if not venv_is_current():
        raise RuntimeError("the .venv does not match constraints.txt and provider/pyproject.toml: run `make install`")
    shutil.copytree(REPO_ROOT, target, ignore=_NOT_COPIED, symlinks=True)
    for name in _OWN_SETUP:
        path = target / "platform-bootstrap" / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for crt in (target / "platform-bootstrap" / "ca-certificates").glob("*.crt"):
        crt.unlink()
    for name in (".venv", ".tools"):
        if (REPO_ROOT / name).exists():
            (target / name).symlink_to(REPO_ROOT / name)
    # The containers read bind-mounted scripts (postgres/*.sh) as their own users: a checkout
    # made with umask 077 must not change what they see.
    subprocess.run(["chmod", "-R", "a+rX", str(target)], check=True)
    return target


@dataclass
class PlatformStack(AirflowRestApi):
    """One platform stack on ``engine``, from the checkout copy ``root``.

    Attributes:
        env: the environment every command gets (DOCKER_HOST, PLATFORM_COMPOSE_FILES, PAGILA_DIR).
        timings: seconds per step (image builds, ``make openmetadata-start``), for the bench.
    """

    engine: Engine
    root: Path
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    _token: str | None = field(default=None, repr=False)
    _om_token: str | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> Path:
        return self.root / "platform-bootstrap"

    @property
    def dotenv(self) -> dict[str, str]:
        """``platform-bootstrap/.env`` as the wizard and ``bot-token`` wrote it (secrets: keep out of logs)."""
        return read_env(self.bootstrap / ".env")

    # -- commands, as a user types them --------------------------------------------------------
    def run(self, args: list[str], timeout: float = 600, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """Run ``args`` in the copy's root with :attr:`env`; output captured as text.

        Raises:
            AssertionError: ``check`` and a non-zero exit (the output's tail is in the message).
        """
        env = {**self.env, **kwargs.pop("env", {})}
        result = subprocess.run(  # noqa: PLW1510 - the exit status is checked below, with the output
            args,
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def make(self, *targets: str, timeout: float = 1200, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """``make TARGETS`` in the copy."""
        return self.run(["make", "--no-print-directory", *targets], timeout=timeout, check=check, **kwargs)

    def platform(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """``platform-bootstrap/platform ARGS`` with the project's Python."""
        return self.run(
            [str(self.root / ".venv" / "bin" / "python"), "platform-bootstrap/platform", *args],
            check=check,
            timeout=timeout,
        )

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        """``platform-bootstrap/scripts/compose.sh ARGS`` (the product's files plus the override)."""
        return self.run(["bash", "platform-bootstrap/scripts/compose.sh", *args], check=check, timeout=timeout)

    # -- containers ----------------------------------------------------------------------------
    def container(self, service: str) -> str:
        """The id of ``service``'s (running or stopped) container.

        Raises:
            AssertionError: the service has no container.
        """
        ids = self.compose("ps", "-a", "-q", service).stdout.split()
        assert ids, f"{service} has no container"
        return ids[0]

    def state(self, service: str) -> dict:
        """``docker inspect``'s ``State`` of the service's container (``Status``, ``Health``...)."""
        return json.loads(self.engine.docker("inspect", "--format", "{{json .State}}", self.container(service)).stdout)

    def health(self, service: str) -> str:
        """``healthy``, ``unhealthy``, ``starting``, or the status (``exited``...) without a healthcheck."""
        state = self.state(service)
        return (state.get("Health") or {}).get("Status") or state["Status"]

    def exec(self, service: str, *command: str, user: str | None = None, check: bool = True, **kwargs):
        """``docker exec`` in the service's container (as ``user`` if given)."""
        args = ["exec", *(["--user", user] if user else []), self.container(service), *command]
        return self.engine.docker(*args, check=check, **kwargs)

    def logs(self, service: str, tail: int = 200) -> str:
        """The service container's last ``tail`` log lines (stdout and stderr)."""
        result = self.engine.docker("logs", "--tail", str(tail), self.container(service), check=False)
        return result.stdout + result.stderr

    def wait_healthy(self, service: str, timeout: float = 180) -> float:
        """Poll until ``service`` is healthy; returns the seconds waited.

        Raises:
            AssertionError: not healthy within ``timeout`` (with its last log lines).
        """
        started = time.monotonic()
        while self.health(service) != "healthy":
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{service} not healthy after {timeout} s:\n{self.logs(service, 40)}")
            time.sleep(1)
        return time.monotonic() - started

    # -- the published ports ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The platform Airflow's api-server on the host (for :class:`AirflowRestApi`)."""
        return f"http://127.0.0.1:{self.dotenv['PLATFORM_AIRFLOW_PORT']}"

    @property
    def admin_user(self) -> str:
        return "admin"

    @property
    def admin_password(self) -> str:
        return self.dotenv["AIRFLOW_ADMIN_PASSWORD"]

    def log_tails(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {service} ---\n{self.logs(service, lines)}"
            for service in ("airflow-scheduler", "openmetadata-server")
        )

    @property
    def openmetadata_url(self) -> str:
        return f"http://127.0.0.1:{self.dotenv['PLATFORM_OPENMETADATA_PORT']}"

    def om_admin_token(self) -> str:
        """The admin's access token from ``POST /api/v1/users/login`` (basic auth, password base64), cached."""
        if self._om_token is None:
            password = base64.b64encode(self.dotenv["OPENMETADATA_ADMIN_PASSWORD"].encode()).decode()
            email = self.dotenv.get("OPENMETADATA_ADMIN_EMAIL") or "admin@open-metadata.org"
            response = httpx.post(
                f"{self.openmetadata_url}/api/v1/users/login", json={"email": email, "password": password}, timeout=30
            )
            response.raise_for_status()
            self._om_token = response.json()["accessToken"]
        return self._om_token

    def om(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One request to the server's ``/api/v1/<path>`` as the admin, as the UI sends it."""
        kwargs.setdefault("timeout", 60)
        headers = {"Authorization": f"Bearer {self.om_admin_token()}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.openmetadata_url}/api/v1/{path.lstrip('/')}", headers=headers, **kwargs)


def set_up_stack(engine: Engine, workdir: Path, *setup_args: str, **env: str) -> PlatformStack:
    """A checkout copy in ``workdir/repo`` set up with ``./platform setup --non-interactive`` on
    free ports, the host's CA bundle and ``setup_args``; the test doubles' override on.

    ``env`` adds to every command's environment (e.g. ``COMPOSE_PROJECT_NAME``).
    """
    root = copy_checkout(workdir / "repo")
    stack = PlatformStack(engine, root, engine.env())
    stack.env.update(
        PLATFORM_COMPOSE_FILES=str(root / OVERRIDE), PAGILA_DIR=str(pagila_dir()), NONINTERACTIVE="1", FORCE="1", **env
    )
    ports = [arg for name in PORT_OPTIONS for arg in (f"--{name}-port", str(free_port()))]
    ca_bundle = ["--ca-bundle", str(HOST_CA_BUNDLE)] if HOST_CA_BUNDLE.is_file() else []
    stack.platform("setup", "--non-interactive", "--bind-address", "127.0.0.1", *ports, *ca_bundle, *setup_args)
    return stack

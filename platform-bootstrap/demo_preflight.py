"""`make demo`'s preflight: say what is missing before anything is installed or started.

Runs with the system python3 (standard library only: `make demo` runs it before
`make install`) and decides what the demo will use, the way ``pagila_demo.py`` does:

1. the OpenMetadata server: ``OPENMETADATA_HOST_PORT`` + ``OPENMETADATA_JWT_TOKEN`` from the
   environment or ``platform-bootstrap/.env``; else a reachable Docker engine, on which the
   demo runs ``make openmetadata-start``; else nothing: exit 2 with both ways to get one;
2. pagila: the platform Airflow already running (``AIRFLOW_BASE_URL`` in ``.env``, healthy
   scheduler) has pagila on the platform PostgreSQL, so no dump is needed here; otherwise the
   dump must be there (``$PAGILA_DIR``, else ``../shared/pagila``): the local run loads it into
   a throwaway PostgreSQL, and a stack the demo starts loads it with its ``pagila-loader``.

Exit status 0 (one line says what the demo will use) or 2 (the message says what is missing
and how to fix it). ``pagila_demo.py`` runs the same checks first, so running it directly fails
just as fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "platform-bootstrap"))

from platform_bootstrap.envfile import read_env  # noqa: E402  (standard library only)
from platform_bootstrap.pagila import PagilaNotFound, pagila_dir  # noqa: E402  (standard library only)

NO_SERVER = (
    "No OpenMetadata server to harvest into: OPENMETADATA_HOST_PORT/OPENMETADATA_JWT_TOKEN are not set "
    "and no Docker engine is reachable to start one.\n"
    "  - with Docker: start the engine and run `make demo` again (it runs `make openmetadata-start`);\n"
    "  - with a server elsewhere: OPENMETADATA_HOST_PORT=http://host:8585 "
    "OPENMETADATA_JWT_TOKEN=<ingestion-bot JWT> make demo;\n"
    "  - only to try it (nothing kept): `make standin` in another shell, then its two export lines and `make demo`"
)


class PreflightError(RuntimeError):
    """Something the demo needs is missing; the message says what and how to fix it."""


@dataclass(frozen=True)
class Plan:
    """What the demo will use.

    ``server``: the configured ``OPENMETADATA_HOST_PORT``, or ``None`` when the demo starts the
    stack on the Docker engine; ``platform_airflow``: the healthy platform Airflow's URL, or
    ``None`` (a local run); ``pagila``: the dump's folder, or ``None`` when not needed.
    """

    server: str | None
    platform_airflow: str | None
    pagila: Path | None

    def describe(self) -> str:
        """One line: the server, and where the DAG runs on which pagila."""
        server = f"OpenMetadata at {self.server}" if self.server else "OpenMetadata to be started (Docker engine found)"
        if self.platform_airflow:
            where = f"the DAG runs on the platform Airflow at {self.platform_airflow}"
        elif self.server:
            where = f"the DAG runs locally on pagila from {self.pagila}"
        else:
            where = f"pagila from {self.pagila}"
        return f"{server}; {where}"


def env_file() -> Path:
    """The platform's ``.env``: ``$PLATFORM_ENV_FILE``, else ``platform-bootstrap/.env``."""
    return Path(os.environ.get("PLATFORM_ENV_FILE", REPO_ROOT / "platform-bootstrap" / ".env"))


def configured_server(environ: dict[str, str], stored: dict[str, str]) -> tuple[str, str] | None:
    """``(host_port, jwt)`` from the environment, else from ``.env`` (``stored``); ``None`` when unset."""
    host_port = environ.get("OPENMETADATA_HOST_PORT") or stored.get("OPENMETADATA_HOST_PORT")
    token = environ.get("OPENMETADATA_JWT_TOKEN") or stored.get("OPENMETADATA_JWT_TOKEN")
    return (host_port, token) if host_port and token else None


def docker_engine_available() -> bool:
    """True when ``docker info`` answers (a reachable engine, not just the client)."""
    try:
        return subprocess.run(["docker", "info"], check=False, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def platform_airflow_problem(url: str, timeout: float = 5) -> str | None:
    """Why the Airflow api-server at ``url`` cannot run the DAG, or ``None`` when its scheduler is healthy.

    Reads ``/api/v2/monitor/health`` (no login needed); never raises.
    """
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/v2/monitor/health", timeout=timeout) as response:
            health = json.load(response)
    except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts are OSErrors
        return f"it does not answer ({exc})"
    if not isinstance(health, dict) or (health.get("scheduler") or {}).get("status") != "healthy":
        return "it has no healthy scheduler (see `make airflow-status`)"
    return None


def local_pagila(environ: dict[str, str], stored: dict[str, str], env_path: Path) -> Path:
    """The pagila dump's folder: ``PAGILA_DIR`` from the environment, else from ``.env`` (a relative
    path there is relative to the ``.env``'s folder), else ``../shared/pagila``.

    Raises:
        PreflightError: the folder does not hold the dump (the message says what pagila is,
            where to get it and where to put it).
    """
    configured = environ.get("PAGILA_DIR") or None
    if not configured and stored.get("PAGILA_DIR"):
        configured = str(env_path.parent / Path(stored["PAGILA_DIR"]).expanduser())
    try:
        return pagila_dir(configured)
    except PagilaNotFound as exc:
        raise PreflightError(str(exc)) from None


def plan(
    environ: dict[str, str] | None = None, stored: dict[str, str] | None = None, env_path: Path | None = None
) -> Plan:
    """Decide what the demo will use, or say what is missing (see the module docstring).

    Args:
        environ: the environment (default ``os.environ``).
        stored: the variables of the platform's ``.env`` (default: read from ``env_path``).
        env_path: the ``.env`` (default :func:`env_file`).

    Raises:
        PreflightError: no server and no Docker engine, or no pagila dump where one is needed.
    """
    environ = dict(os.environ if environ is None else environ)
    env_path = env_path or env_file()
    stored = read_env(env_path) if stored is None else stored
    server = configured_server(environ, stored)
    if server is None and not docker_engine_available():
        raise PreflightError(NO_SERVER)
    airflow = stored.get("AIRFLOW_BASE_URL") if stored.get("AIRFLOW_ADMIN_PASSWORD") else None
    if server and airflow and platform_airflow_problem(airflow) is None:
        return Plan(server=server[0], platform_airflow=airflow, pagila=None)
    directory = local_pagila(environ, stored, env_path)
    return Plan(server=server[0] if server else None, platform_airflow=None, pagila=directory)


def main() -> int:
    """Run :func:`plan`; print what the demo will use (0) or what is missing (2, on stderr)."""
    try:
        ready = plan()
    except PreflightError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Preflight: {ready.describe()}.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The main job in one command (`make demo`): harvest pagila into OpenMetadata from Airflow.

1. Find an OpenMetadata server: ``OPENMETADATA_HOST_PORT`` + ``OPENMETADATA_JWT_TOKEN``
   (environment, or ``platform-bootstrap/.env`` once ``make openmetadata-start`` has run),
   else start the compose stack when a Docker engine is reachable, else stop with a clear
   message (exit 2): nothing here pretends a server exists.
2. Load pagila (``../shared/pagila`` or ``$PAGILA_DIR``) into a throwaway local PostgreSQL.
3. Run the ``pagila_metadata_ingestion`` DAG with ``airflow dags test`` in an isolated
   ``AIRFLOW_HOME`` (``.run/airflow``) and print where to browse the result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = Path(os.environ.get("PLATFORM_ENV_FILE", REPO_ROOT / "platform-bootstrap" / ".env"))
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "platform-bootstrap"))

from platform_bootstrap.envfile import read_env  # noqa: E402


class DemoError(RuntimeError):
    """The demo cannot run; the message says why and what to do."""


def docker_engine_available() -> bool:
    """True when ``docker info`` answers (a reachable engine, not just the client)."""
    try:
        return subprocess.run(["docker", "info"], check=False, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_openmetadata() -> tuple[str, str]:
    """Return ``(host_port, jwt)`` of the server to use (see module docstring).

    Raises:
        DemoError: no server configured and no Docker engine to start one.
    """
    stored = read_env(ENV_FILE) if ENV_FILE.exists() else {}
    host_port = os.environ.get("OPENMETADATA_HOST_PORT") or stored.get("OPENMETADATA_HOST_PORT")
    token = os.environ.get("OPENMETADATA_JWT_TOKEN") or stored.get("OPENMETADATA_JWT_TOKEN")
    if host_port and token:
        return host_port, token
    if not docker_engine_available():
        raise DemoError(
            "No OpenMetadata server to harvest into: OPENMETADATA_HOST_PORT/OPENMETADATA_JWT_TOKEN are not set "
            "and no Docker engine is reachable to start one.\n"
            "  - with Docker: start the engine and run `make demo` again (it runs `make openmetadata-start`);\n"
            "  - with a server elsewhere: OPENMETADATA_HOST_PORT=http://host:8585 "
            "OPENMETADATA_JWT_TOKEN=<ingestion-bot JWT> make demo"
        )
    print("Starting the OpenMetadata stack (make openmetadata-start)...", flush=True)
    subprocess.run(["make", "--no-print-directory", "openmetadata-start"], cwd=REPO_ROOT, check=True)
    stored = read_env(ENV_FILE)
    if not stored.get("OPENMETADATA_JWT_TOKEN"):
        raise DemoError(f"make openmetadata-start did not store OPENMETADATA_JWT_TOKEN in {ENV_FILE}")
    return stored.get("OPENMETADATA_HOST_PORT", "http://localhost:8585"), stored["OPENMETADATA_JWT_TOKEN"]


def openmetadata_connection(host_port: str, token: str) -> dict:
    """Airflow connection fields for ``openmetadata_default`` from ``http(s)://host:port[/api]``."""
    parsed = urlsplit(host_port)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise DemoError(f"OPENMETADATA_HOST_PORT={host_port!r}: expected http(s)://host:port")
    return {
        "conn_type": "openmetadata",
        "host": parsed.hostname,
        "port": parsed.port or 8585,
        "schema": parsed.scheme,
        "password": token,
    }


def run_harvest(om_connection: dict, pagila_connection: dict) -> None:
    """Run the DAG once with ``airflow dags test`` (Airflow's own CLI) in ``.run/airflow``.

    Raises:
        DemoError: the DAG run failed (its log is above).
    """
    home = REPO_ROOT / ".run" / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps(om_connection),
        "AIRFLOW_CONN_PAGILA_POSTGRES": json.dumps(pagila_connection),
    }
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    result = subprocess.run([*airflow, "dags", "test", "pagila_metadata_ingestion"], env=env, check=False)
    if result.returncode != 0:
        raise DemoError("The pagila_metadata_ingestion DAG run failed: see the task log above.")


def main() -> int:
    from tests.support.pagila import load_pagila
    from tests.support.postgres import ThrowawayPostgres

    try:
        host_port, token = find_openmetadata()
        om_connection = openmetadata_connection(host_port, token)
        print(f"OpenMetadata: {host_port}", flush=True)
        with ThrowawayPostgres() as postgres:
            print(f"Loading pagila into a throwaway PostgreSQL on {postgres.host}:{postgres.port}...", flush=True)
            load_pagila(postgres)
            run_harvest(
                om_connection,
                {
                    "conn_type": "postgres",
                    "host": postgres.host,
                    "port": postgres.port,
                    "login": "postgres",
                    "password": postgres.password,
                    "schema": "pagila",
                },
            )
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ui = f"{urlsplit(host_port).scheme}://{urlsplit(host_port).netloc}"
    service = os.environ.get("PAGILA_OPENMETADATA_SERVICE", "pagila")
    print(
        f"\nDone. Browse the harvested schema: {ui}/databaseSchema/{service}.pagila.public\n"
        f"(Explore > Databases > {service}; log in with the admin account `make openmetadata-start` printed.)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

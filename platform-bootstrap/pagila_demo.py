"""The main job in one command (`make demo`): harvest pagila into OpenMetadata from Airflow.

1. Find an OpenMetadata server: ``OPENMETADATA_HOST_PORT`` + ``OPENMETADATA_JWT_TOKEN``
   (environment, or ``platform-bootstrap/.env`` once ``make openmetadata-start`` has run),
   else start the compose stack when a Docker engine is reachable, else stop with a clear
   message (exit 2): nothing here pretends a server exists.
2. When the platform's own Airflow answers (``AIRFLOW_BASE_URL`` and ``AIRFLOW_ADMIN_PASSWORD``
   in ``.env``): trigger ``pagila_metadata_ingestion`` there through Airflow's REST API and
   follow it. pagila lives inside the platform (``pagila-loader``), so the DatabaseService that
   OpenMetadata stores points at ``platform-postgres``, which the platform Airflow and the UI's
   Test Connection reach.
3. Otherwise: load pagila (``../shared/pagila`` or ``$PAGILA_DIR``) into a throwaway local
   PostgreSQL and run the DAG in this process (``dag.test()``) in an isolated ``AIRFLOW_HOME``
   (``.run/airflow``).

Either way it fails fast (no retry waits: a failed task is the result), stops what it started
on Ctrl-C or SIGTERM, and prints the result first: what the source holds (tables, views,
columns, foreign keys, counted in pagila's catalog) and each task's summary, then the links.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = Path(os.environ.get("PLATFORM_ENV_FILE", REPO_ROOT / "platform-bootstrap" / ".env"))
DAG_ID = "pagila_metadata_ingestion"
SCHEMAS = [s.strip() for s in os.environ.get("PAGILA_SCHEMAS", "public").split(",") if s.strip()]
SERVICE = os.environ.get("PAGILA_OPENMETADATA_SERVICE", "pagila")
sys.path.insert(0, str(REPO_ROOT / "platform-bootstrap"))

from platform_bootstrap.envfile import read_env  # noqa: E402

# Known noise, kept out of the demo's INFO output: openmetadata-ingestion's PostgreSQL source
# logs its whole pg_stat_statements query; Airflow warns that [api] base_url is unset (there is
# no UI in a local run); and imports warn about things no user can change:
QUIET_LOGGERS = {"metadata.Ingestion": logging.WARNING, "airflow._shared.configuration.parser": logging.ERROR}
KNOWN_WARNINGS = (
    'Field name "schema"',  # openmetadata-ingestion's models shadow BaseModel.schema
    "Using `httpx` with `starlette.testclient`",  # Airflow imports starlette's test client
    "Did not recognize type 'year'",  # pagila's year domain; OpenMetadata maps it itself
)
FINAL = {"success", "failed"}


class DemoError(RuntimeError):
    """The demo cannot run; the message says why and what to do."""


@dataclass
class Report:
    """What the demo shows: the run's outcome, the source's counts, each task's summary, links."""

    ok: bool
    where: str
    source: dict[str, int] = field(default_factory=dict)
    tasks: list[tuple[str, str, str]] = field(default_factory=list)  # (task id, state, summary line)
    links: list[str] = field(default_factory=list)
    failure: str = ""


# -- the OpenMetadata server ----------------------------------------------------------------
def docker_engine_available() -> bool:
    """True when ``docker info`` answers (a reachable engine, not just the client)."""
    import subprocess

    try:
        return subprocess.run(["docker", "info"], check=False, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_openmetadata(stored: dict[str, str]) -> tuple[str, str]:
    """Return ``(host_port, jwt)`` of the server to use (see module docstring).

    Raises:
        DemoError: no server configured and no Docker engine to start one.
    """
    import subprocess

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
    stored.update(read_env(ENV_FILE))
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


# -- pagila, counted at the source -------------------------------------------------------------
COUNTS_SQL = """
SELECT
  (SELECT count(*) FROM information_schema.tables WHERE table_schema = ANY(%(s)s) AND table_type = 'BASE TABLE'),
  (SELECT count(*) FROM information_schema.views WHERE table_schema = ANY(%(s)s)),
  (SELECT count(*) FROM information_schema.columns WHERE table_schema = ANY(%(s)s)),
  (SELECT count(*) FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
    WHERE c.contype = 'f' AND n.nspname = ANY(%(s)s))
"""
# Foreign keys from pg_catalog: information_schema.table_constraints hides the constraints of
# tables a read-only role (pagila_reader) has only SELECT on.


def source_counts(host: str, port: int, user: str, password: str, database: str = "pagila") -> dict[str, int]:
    """Tables, views, columns and foreign keys of the harvested schemas, from pagila's catalog.

    Raises:
        DemoError: the database cannot be reached (the message says where).
    """
    import psycopg2

    try:
        with psycopg2.connect(host=host, port=port, user=user, password=password, dbname=database) as conn:
            with conn.cursor() as cursor:
                cursor.execute(COUNTS_SQL, {"s": SCHEMAS})
                tables, views, columns, fks = cursor.fetchone()
    except psycopg2.Error as exc:
        raise DemoError(f"cannot count pagila's objects at {host}:{port} as {user}: {exc}".strip()) from None
    return {"tables": tables, "views": views, "columns": columns, "foreign keys": fks}


def summary_line(value) -> str:
    """A task's XCom as one line: the ingestion summary's ``describe()`` wording, else JSON."""
    if isinstance(value, dict) and {"workflow_type", "service_name", "records_processed"} <= set(value):
        return (
            f"{value['workflow_type']} ingestion of service '{value['service_name']}': "
            f"{value['records_processed']} records processed, {value.get('records_updated', 0)} updated, "
            f"{value.get('warnings', 0)} warnings, {value.get('filtered', 0)} filtered, "
            f"{value.get('failures', 0)} failures in {float(value.get('wall_time_seconds', 0)):.1f} s"
        )
    if isinstance(value, dict) and isinstance(value.get("description"), str):
        return value["description"]
    return json.dumps(value)[:300] if value is not None else "(no summary)"


# -- on the platform Airflow ---------------------------------------------------------------------
@dataclass
class PlatformAirflow:
    """The platform's api-server (``AIRFLOW_BASE_URL``) and its admin login."""

    url: str
    password: str
    user: str = "admin"
    _token: str | None = None

    def token(self) -> str:
        import httpx

        if self._token is None:
            response = httpx.post(
                f"{self.url}/auth/token", json={"username": self.user, "password": self.password}, timeout=30
            )
            if response.status_code in (401, 403):
                raise DemoError(
                    f"the platform Airflow at {self.url} refused the admin login: AIRFLOW_ADMIN_PASSWORD in {ENV_FILE} "
                    "is not its password (`make openmetadata-start` resets it)"
                )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs):
        import httpx

        headers = {"Authorization": f"Bearer {self.token()}"}
        response = httpx.request(method, f"{self.url}/api/v2/{path}", headers=headers, timeout=60, **kwargs)
        if response.status_code >= 400:
            raise DemoError(f"Airflow {method} /api/v2/{path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None


def platform_airflow(stored: dict[str, str]) -> PlatformAirflow | None:
    """The platform Airflow when ``.env`` names it and it answers its health endpoint, else None."""
    import httpx

    url, password = stored.get("AIRFLOW_BASE_URL"), stored.get("AIRFLOW_ADMIN_PASSWORD")
    if not url or not password:
        return None
    try:
        health = httpx.get(f"{url}/api/v2/monitor/health", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return None
    if (health.get("scheduler") or {}).get("status") != "healthy":
        print(f"The platform Airflow at {url} has no healthy scheduler: see `make airflow-status`.", flush=True)
        return None
    return PlatformAirflow(url.rstrip("/"), password)


def run_on_platform(airflow: PlatformAirflow, stored: dict[str, str], timeout: float = 1800) -> Report:
    """Trigger the DAG on the platform Airflow, follow it, collect each task's summary.

    A task that fails is the result: its run is marked failed at once instead of waiting out
    the DAG's retry delay. Ctrl-C marks the run failed too.
    """
    report = Report(ok=False, where=f"the platform Airflow ({airflow.url})")
    if stored.get("PAGILA_DB_PASSWORD"):
        host = urlsplit(airflow.url).hostname or "127.0.0.1"
        port = int(stored.get("PLATFORM_POSTGRES_PORT", "15432"))
        report.source = source_counts(host, port, "pagila_reader", stored["PAGILA_DB_PASSWORD"])
    airflow.api("PATCH", f"dags/{DAG_ID}", json={"is_paused": False})
    run = airflow.api("POST", f"dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": {}})
    run_id = run["dag_run_id"]
    print(f"Triggered {DAG_ID} on {airflow.url} (run {run_id}); following it...", flush=True)
    deadline, shown = time.monotonic() + timeout, {}
    try:
        while True:
            tasks = airflow.api("GET", f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")["task_instances"]
            for ti in tasks:
                if shown.get(ti["task_id"]) != ti["state"]:
                    shown[ti["task_id"]] = ti["state"]
                    print(f"  {ti['task_id']}: {ti['state'] or 'waiting'}", flush=True)
            retrying = [ti for ti in tasks if ti["state"] in ("up_for_retry", "failed", "upstream_failed")]
            state = airflow.api("GET", f"dags/{DAG_ID}/dagRuns/{run_id}")["state"]
            if retrying and state not in FINAL:
                airflow.api("PATCH", f"dags/{DAG_ID}/dagRuns/{run_id}", json={"state": "failed"})
                state = "failed"
            if state in FINAL:
                break
            if time.monotonic() > deadline:
                raise DemoError(f"{DAG_ID} run {run_id} did not finish within {timeout:.0f} s")
            time.sleep(2)
    except KeyboardInterrupt:
        airflow.api("PATCH", f"dags/{DAG_ID}/dagRuns/{run_id}", json={"state": "failed"})
        raise
    report.ok = state == "success"
    for ti in airflow.api("GET", f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")["task_instances"]:
        value = None
        if ti["state"] == "success":
            path = f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/xcomEntries/return_value"
            try:
                value = airflow.api("GET", path)["value"]
            except DemoError:
                value = None
        else:
            logs = airflow.api(
                "GET",
                f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/logs/{max(ti['try_number'], 1)}",
                params={"full_content": "true"},
            )
            errors = [e.get("event", "") for e in (logs or {}).get("content", []) if isinstance(e, dict)]
            errors = [e for e in errors if e and ("error" in e.lower() or "failed" in e.lower())]
            report.failure = report.failure or (errors[-1] if errors else f"{ti['task_id']} {ti['state']}")
        report.tasks.append((ti["task_id"], ti["state"] or "not run", summary_line(value)))
    report.links.append(f"{airflow.url}/dags/{DAG_ID}/runs/{run_id}")
    return report


# -- locally: a throwaway PostgreSQL and dag.test() -----------------------------------------------
def run_locally(om_connection: dict) -> Report:
    """Load pagila into a throwaway PostgreSQL and run the DAG in this process with retries off."""
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    home = REPO_ROOT / ".run" / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    report = Report(ok=False, where="a local Airflow (dag.test) and a throwaway PostgreSQL")
    with ThrowawayPostgres() as postgres:
        print(f"Loading pagila into a throwaway PostgreSQL on {postgres.host}:{postgres.port}...", flush=True)
        load_pagila(postgres)
        report.source = source_counts(postgres.host, postgres.port, "postgres", postgres.password)
        os.environ.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
                "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps(om_connection),
                "AIRFLOW_CONN_PAGILA_POSTGRES": json.dumps(postgres.airflow_connection("pagila")),
            }
        )
        _quiet_noise()
        print(f"Running {DAG_ID} with Airflow (dag.test, retries off)...", flush=True)
        results = _dag_test()
    report.ok = all(state == "success" for _, state, _ in results)
    report.tasks = [(task_id, state, summary_line(value)) for task_id, state, value in results]
    if not report.ok:
        failed = next(task_id for task_id, state, _ in results if state != "success")
        report.failure = f"task {failed} did not succeed: see its log above"
    return report


def _quiet_noise() -> None:
    import warnings

    for message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=f".*{message}.*")
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)


def _dag_test() -> list[tuple[str, str, object]]:
    """``dag.test()`` of the DAG with every task's retries set to 0; (task id, state, XCom) per task."""
    import subprocess

    from airflow.dag_processing.dagbag import DagBag

    _quiet_noise()  # again: importing Airflow configured logging
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=os.environ, check=True, capture_output=True)
    bag = DagBag(dag_folder=str(REPO_ROOT / "dags" / f"{DAG_ID}.py"))
    if DAG_ID not in bag.dags:
        raise DemoError(f"{DAG_ID} did not load: {bag.import_errors}")
    dag = bag.dags[DAG_ID]
    for task in dag.tasks:
        task.retries = 0  # fail fast: a failed harvest is the answer, not a 5-minute wait
    run = dag.test()
    results = []
    for ti in run.get_task_instances():
        value = ti.xcom_pull(task_ids=ti.task_id) if ti.state == "success" else None
        results.append((ti.task_id, str(ti.state.value if hasattr(ti.state, "value") else ti.state), value))
    return sorted(results)


# -- the report --------------------------------------------------------------------------------------
def login_hint(host_port: str, stored: dict[str, str]) -> str:
    """How to log in to the server actually used."""
    if stored.get("OPENMETADATA_HOST_PORT") and stored["OPENMETADATA_HOST_PORT"].rstrip("/") == host_port.rstrip("/"):
        email = stored.get("OPENMETADATA_ADMIN_EMAIL", "admin@open-metadata.org")
        return f"log in as {email}; the password is OPENMETADATA_ADMIN_PASSWORD in {ENV_FILE}"
    return "log in with your account on that server"


def print_report(report: Report, host_port: str, stored: dict[str, str]) -> None:
    ui = f"{urlsplit(host_port).scheme}://{urlsplit(host_port).netloc}"
    counts = ", ".join(f"{n} {what}" for what, n in report.source.items()) or "not counted"
    headline = (
        f"Harvested pagila ({', '.join(SCHEMAS)}) into OpenMetadata from {report.where}."
        if report.ok
        else f"The pagila harvest FAILED on {report.where}: {report.failure}"
    )
    print(f"\n{headline}\n  source (pagila's catalog): {counts}")
    for task_id, state, line in report.tasks:
        print(f"  {task_id} [{state}]: {line}")
    if report.ok:
        print(f"\nBrowse the harvested schema: {ui}/databaseSchema/{SERVICE}.pagila.{SCHEMAS[0]}")
    for link in report.links:
        print(f"The run in Airflow: {link}")
    print(f"({ui}: {login_hint(host_port, stored)}.)")
    print(f"\nSummary: {'success' if report.ok else 'FAILED'}; pagila holds {counts}.")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    stored = read_env(ENV_FILE) if ENV_FILE.exists() else {}
    try:
        host_port, token = find_openmetadata(stored)
        om_connection = openmetadata_connection(host_port, token)
        print(f"OpenMetadata: {host_port}", flush=True)
        airflow = platform_airflow(stored)
        report = run_on_platform(airflow, stored) if airflow else run_locally(om_connection)
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted: stopped what the demo started (throwaway PostgreSQL, the DAG run).", file=sys.stderr)
        return 130
    print_report(report, host_port, stored)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

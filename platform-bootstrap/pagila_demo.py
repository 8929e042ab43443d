"""The main job in one command (`make demo`): harvest pagila into OpenMetadata from Airflow.

0. Check first (``demo_preflight.py``, which `make demo` also runs before `make install`):
   no server and no Docker engine, or no pagila dump where one is needed, stops here (exit 2)
   with what is missing and how to fix it, before anything is started.
1. Find an OpenMetadata server: ``OPENMETADATA_HOST_PORT`` + ``OPENMETADATA_JWT_TOKEN``
   (environment, or ``platform-bootstrap/.env`` once ``make openmetadata-start`` has run),
   else start the compose stack when a Docker engine is reachable, else stop with a clear
   message (exit 2): nothing here pretends a server exists.
2. When the platform's own Airflow answers (``AIRFLOW_BASE_URL`` and ``AIRFLOW_ADMIN_PASSWORD``
   in ``.env``): trigger ``pagila_metadata_ingestion`` there through Airflow's REST API and
   follow it. pagila lives inside the platform (``pagila-loader``), so the DatabaseService that
   OpenMetadata stores points at ``platform-postgres``, which the platform Airflow and the UI's
   Test Connection reach.
3. Otherwise: load pagila (``$PAGILA_DIR``, else ``../shared/pagila``) into a throwaway local
   PostgreSQL and run the DAG in this process (``dag.test()``) in an isolated ``AIRFLOW_HOME``
   (``.run/airflow``). Quiet by default: the terminal gets the demo's progress and the report;
   Airflow's and openmetadata-ingestion's logs go to ``.run/demo/run-<time>-<pid>.log``
   (``.run/demo/latest.log`` links the newest), which the output names. ``-v``/``--verbose``
   (``make demo V=1``, or ``DEMO_VERBOSE=1``) also shows that log on the terminal as it runs.

Either way it fails fast (no retry waits: a failed task is the result), stops what it started
on Ctrl-C or SIGTERM, and prints the result first:

- the source: pagila's catalog counted the way OpenMetadata's Postgres connector lists it
  (tables are relkinds r/p/f that are not partitions, views are v, materialized views m; a
  partitioned table's partitions are part of it), with its columns, foreign keys and
  functions (OpenMetadata's stored procedures);
- the server: the same counts read back from OpenMetadata's Table and StoredProcedure entities
  under the harvested schemas, so both can be compared;
- each task's steps as the workflow's own per-step status has them (what the source read,
  what the sink wrote), and the warnings: those the steps recorded and those the run logged,
  each known harmless one with a note saying what it means (:data:`KNOWN_RUN_WARNINGS`);

then the links (and the local run's log).
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import re
import signal
import sys
import textwrap
import threading
import time
from dataclasses import astuple, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
DAG_ID = "pagila_metadata_ingestion"
SCHEMAS = [s.strip() for s in os.environ.get("PAGILA_SCHEMAS", "public").split(",") if s.strip()]
SERVICE = os.environ.get("PAGILA_OPENMETADATA_SERVICE", "pagila")
DATABASE = os.environ.get("PAGILA_DATABASE", "pagila")
sys.path.insert(0, str(REPO_ROOT / "platform-bootstrap"))

import demo_preflight  # noqa: E402
from platform_bootstrap.envfile import read_env  # noqa: E402

ENV_FILE = demo_preflight.env_file()

# Known noise, kept out of the demo's INFO output: openmetadata-ingestion's PostgreSQL source
# logs its whole pg_stat_statements query; Airflow warns that [api] base_url is unset (there is
# no UI in a local run); and imports warn about things no user can change:
QUIET_LOGGERS = {"metadata.Ingestion": logging.WARNING, "airflow._shared.configuration.parser": logging.ERROR}
KNOWN_WARNINGS = (
    'Field name "schema"',  # openmetadata-ingestion's models shadow BaseModel.schema
    "Using `httpx` with `starlette.testclient`",  # Airflow imports starlette's test client
    "Did not recognize type 'year'",  # pagila's year domain; OpenMetadata maps it itself
)
# Warnings a pagila harvest logs that are understood and harmless: (text in the logged line, what
# it means). The report keeps them, each with its note; any other warning is listed first, as is.
KNOWN_RUN_WARNINGS = (
    (
        "Neither 'total_exec_time' nor 'total_time' found in pg_stat_statements",
        "known, harmless: the connection test's optional GetQueries step looks for pg_stat_statements (query "
        "history, read only by query-log lineage and usage); pagila's database has none. This harvest reads the "
        "catalog: nothing is missing from it.",
    ),
    (
        "You might be missing metadata in: GetQueries",
        "known, harmless: that optional step then failed for the same reason; query-log lineage and usage would "
        "need pg_stat_statements (README), this harvest does not.",
    ),
)
FINAL = {"success", "failed"}
SHOWN_WARNINGS = 8  # logged warnings quoted in the report (all are counted)
LOG_DIR = REPO_ROOT / ".run" / "demo"  # the local runs' logs (.run/ is not tracked)
KEPT_LOGS = 20  # older run logs are removed
ANSI_ESCAPE = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")
VERBOSE_ENV = "DEMO_VERBOSE"
SYNC_MARK = b"\0demo-log-sync\n"  # RunLog.sync's marker line, never written to the log
# The last line of a logged traceback: ``package.module.SomeError: message``.
EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)*(?P<line>[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt)\b.*)$")


class DemoError(RuntimeError):
    """The demo cannot run; the message says why and what to do."""


def plural(count: int, noun: str) -> str:
    """``"1 view"``, ``"7 views"``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Inventory:
    """What one side holds, in the categories OpenMetadata files a PostgreSQL schema under."""

    tables: int
    views: int
    materialized_views: int
    columns: int
    foreign_keys: int
    stored_procedures: int

    def entities(self) -> str:
        """``"15 tables, 7 views, 1 materialized view"``."""
        return (
            f"{plural(self.tables, 'table')}, {plural(self.views, 'view')}, "
            f"{plural(self.materialized_views, 'materialized view')}"
        )

    def describe(self) -> str:
        """The entities, then their columns, foreign keys and stored procedures."""
        return (
            f"{self.entities()}; {plural(self.columns, 'column')}, {plural(self.foreign_keys, 'foreign key')}, "
            f"{plural(self.stored_procedures, 'stored procedure')}"
        )

    def differences(self, other: Inventory) -> str:
        """``"tables 15 here, 14 there; ..."`` for each count that differs (empty when none does)."""
        names = ("tables", "views", "materialized views", "columns", "foreign keys", "stored procedures")
        return "; ".join(
            f"{name} {mine} vs {theirs}"
            for name, mine, theirs in zip(names, astuple(self), astuple(other), strict=True)
            if mine != theirs
        )


@dataclass(frozen=True)
class SourceCatalog:
    """pagila's catalog as OpenMetadata's Postgres connector lists it.

    ``partitions``: partitioned table -> its partitions (not entities of their own);
    ``partition_foreign_keys``: foreign keys declared on partitions only (not harvested).
    """

    inventory: Inventory
    partitions: dict[str, int] = field(default_factory=dict)
    partition_foreign_keys: int = 0

    def partitions_note(self) -> str:
        """``"the 7 partitions of payment are part of it"`` (empty without partitions)."""
        parts = [f"the {plural(n, 'partition')} of {name}" for name, n in self.partitions.items()]
        if len(parts) == 1:
            return f"{parts[0]} {'is' if sum(self.partitions.values()) == 1 else 'are'} part of it"
        return f"{', '.join(parts[:-1])} and {parts[-1]} are part of their tables" if parts else ""


@dataclass
class Report:
    """What the demo shows: the run's outcome, both sides' counts, each task's steps, warnings, links."""

    ok: bool
    where: str
    source: SourceCatalog | None = None
    server: Inventory | None = None
    server_error: str = ""
    tasks: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (task id, state, summary lines)
    step_warnings: int = 0
    logged_warnings: list[str] = field(default_factory=list)
    warnings_origin: str = "the run logged"
    links: list[str] = field(default_factory=list)
    failure: str = ""
    log: str = ""  # the local run's log file, as shown to the user ("" on the platform Airflow)


# -- the OpenMetadata server ----------------------------------------------------------------
def find_openmetadata(stored: dict[str, str]) -> tuple[str, str]:
    """Return ``(host_port, jwt)`` of the server to use (see module docstring).

    Args:
        stored: the variables of the platform's ``.env`` (updated when the stack is started).

    Raises:
        DemoError: no server configured and no Docker engine to start one, or the started
            stack stored no token.
    """
    import subprocess

    configured = demo_preflight.configured_server(dict(os.environ), stored)
    if configured:
        return configured
    if not demo_preflight.docker_engine_available():
        raise DemoError(demo_preflight.NO_SERVER)
    print("Starting the OpenMetadata stack (make openmetadata-start)...", flush=True)
    subprocess.run(["make", "--no-print-directory", "openmetadata-start"], cwd=REPO_ROOT, check=True)
    stored.update(read_env(ENV_FILE))
    if not stored.get("OPENMETADATA_JWT_TOKEN"):
        raise DemoError(f"make openmetadata-start did not store OPENMETADATA_JWT_TOKEN in {ENV_FILE}")
    return stored.get("OPENMETADATA_HOST_PORT", "http://localhost:8585"), stored["OPENMETADATA_JWT_TOKEN"]


def openmetadata_connection(host_port: str, token: str) -> dict:
    """Airflow connection fields for ``openmetadata_default`` from ``http(s)://host:port[/api]``.

    Raises:
        DemoError: ``host_port`` is not an http(s) URL with a host.
    """
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


def schema_fqns() -> list[str]:
    """The harvested schemas' fully qualified names, e.g. ``["pagila.pagila.public"]``."""
    return [f"{SERVICE}.{DATABASE}.{schema}" for schema in SCHEMAS]


def server_inventory(host_port: str, token: str) -> Inventory:
    """What the server holds under the harvested schemas, read from its Table and StoredProcedure
    entities (``GET /api/v1/tables``, ``/storedProcedures``, non-deleted, every page).

    Tables are the entities whose ``tableType`` is neither ``View`` nor ``MaterializedView``
    (``Regular``, ``Partitioned``, ``Foreign``); columns are the entities' top-level columns,
    foreign keys their ``FOREIGN_KEY`` table constraints.

    Raises:
        DemoError: the server did not answer a listing (status and the start of its answer).
    """
    import httpx

    parsed = urlsplit(host_port)
    base = f"{parsed.scheme}://{parsed.netloc}/api/v1"
    headers = {"Authorization": f"Bearer {token}"}

    def listing(kind: str, schema: str, fields: str = "") -> list[dict]:
        items, params = [], {"databaseSchema": schema, "limit": 1000, **({"fields": fields} if fields else {})}
        while True:
            try:
                response = httpx.get(f"{base}/{kind}", params=params, headers=headers, timeout=60)
            except httpx.HTTPError as exc:
                raise DemoError(f"GET {base}/{kind}: {exc}") from None
            if response.status_code != 200:
                raise DemoError(f"GET {base}/{kind}: {response.status_code} {response.text[:200]}")
            page = response.json()
            items += page.get("data", [])
            after = (page.get("paging") or {}).get("after")
            if not after:
                return items
            params["after"] = after

    tables, procedures = [], []
    for schema in schema_fqns():
        tables += listing("tables", schema, "columns,tableConstraints")
        procedures += listing("storedProcedures", schema)
    kinds = [table.get("tableType") for table in tables]
    return Inventory(
        tables=sum(kind not in ("View", "MaterializedView") for kind in kinds),
        views=kinds.count("View"),
        materialized_views=kinds.count("MaterializedView"),
        columns=sum(len(table.get("columns") or []) for table in tables),
        foreign_keys=sum(
            constraint.get("constraintType") == "FOREIGN_KEY"
            for table in tables
            for constraint in table.get("tableConstraints") or []
        ),
        stored_procedures=len({procedure["fullyQualifiedName"] for procedure in procedures}),
    )


# -- pagila, counted at the source -------------------------------------------------------------
# As openmetadata-ingestion's Postgres connector lists a schema (metadata/ingestion/source/
# database/postgres): tables are POSTGRES_GET_TABLE_NAMES (relkind r, p, f and not
# relispartition: a partition is part of its partitioned table), views SQLAlchemy's
# get_view_names (relkind v), materialized views get_materialized_view_names (relkind m),
# stored procedures POSTGRES_GET_STORED_PROCEDURES + POSTGRES_GET_FUNCTIONS (prokind p, f; one
# entity per name). Everything from pg_catalog: information_schema hides the constraints of
# tables a read-only role (pagila_reader) has only SELECT on, and leaves out materialized views.
CATALOG_SQL = """
WITH rel AS (
  SELECT c.oid, c.relname, c.relkind, c.relispartition
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY(%(s)s) AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
), listed AS (SELECT * FROM rel WHERE NOT relispartition)
SELECT
  (SELECT count(*) FROM listed WHERE relkind IN ('r', 'p', 'f')),
  (SELECT count(*) FROM listed WHERE relkind = 'v'),
  (SELECT count(*) FROM listed WHERE relkind = 'm'),
  (SELECT count(*) FROM pg_catalog.pg_attribute a JOIN listed l ON l.oid = a.attrelid
    WHERE a.attnum > 0 AND NOT a.attisdropped),
  (SELECT count(*) FROM pg_catalog.pg_constraint k JOIN listed l ON l.oid = k.conrelid WHERE k.contype = 'f'),
  (SELECT count(DISTINCT p.proname) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = ANY(%(s)s) AND p.prokind IN ('p', 'f')),
  (SELECT count(*) FROM pg_catalog.pg_constraint k JOIN rel r ON r.oid = k.conrelid
    WHERE k.contype = 'f' AND r.relispartition AND k.conparentid = 0)
"""
PARTITIONS_SQL = """
SELECT parent.relname, count(*)
FROM pg_catalog.pg_inherits i
JOIN pg_catalog.pg_class child ON child.oid = i.inhrelid AND child.relispartition AND child.relkind IN ('r', 'p', 'f')
JOIN pg_catalog.pg_class parent ON parent.oid = i.inhparent
JOIN pg_catalog.pg_namespace n ON n.oid = child.relnamespace
WHERE n.nspname = ANY(%(s)s)
GROUP BY parent.relname ORDER BY parent.relname
"""


def source_catalog(host: str, port: int, user: str, password: str, database: str = DATABASE) -> SourceCatalog:
    """pagila's catalog counted as OpenMetadata's Postgres connector lists it (see ``CATALOG_SQL``).

    Args:
        host, port, user, password: a login that can read ``database``'s catalog (any role can).
        database: the harvested database.

    Raises:
        DemoError: the database cannot be reached (the message says where).
    """
    import psycopg2

    try:
        with psycopg2.connect(host=host, port=port, user=user, password=password, dbname=database) as conn:
            with conn.cursor() as cursor:
                cursor.execute(CATALOG_SQL, {"s": SCHEMAS})
                *counts, partition_fks = cursor.fetchone()
                cursor.execute(PARTITIONS_SQL, {"s": SCHEMAS})
                partitions = dict(cursor.fetchall())
    except psycopg2.Error as exc:
        raise DemoError(f"cannot count pagila's objects at {host}:{port} as {user}: {exc}".strip()) from None
    return SourceCatalog(Inventory(*counts), partitions, partition_fks)


STEP_ROLES = {"source": ("read", "sent on"), "processor": ("processed", "sent on"), "sink": ("written", "applied")}


def summary_lines(value) -> list[str]:
    """A task's XCom as lines: the headline, then one line per workflow step from the step's own
    status (an ingestion summary: ``WorkflowSummary.as_dict()``), else the description or JSON."""
    if isinstance(value, dict) and {"workflow_type", "service_name", "records_processed"} <= set(value):
        lines = [
            f"{value['workflow_type']} ingestion of service '{value['service_name']}' "
            f"in {float(value.get('wall_time_seconds', 0)):.1f} s"
        ]
        steps = value.get("steps") or []
        for index, step in enumerate(steps):
            role = "source" if index == 0 else "sink" if index == len(steps) - 1 else "processor"
            done, patched = STEP_ROLES[role]
            filtered = f", {step.get('filtered', 0)} filtered out" if role == "source" else ""
            lines.append(
                f"{role} '{step.get('name', '?')}': {plural(step.get('records', 0), 'record')} {done}, "
                f"{plural(step.get('updated', 0), 'update')} (patches) {patched}{filtered}, "
                f"{plural(step.get('warnings', 0), 'warning')}, {plural(step.get('failures', 0), 'failure')}"
            )
        if not steps:  # an older summary without steps: its totals, said to be totals
            lines[0] += (
                f": {value['records_processed']} records over all steps, {value.get('warnings', 0)} warnings, "
                f"{value.get('failures', 0)} failures"
            )
        return lines
    if isinstance(value, dict) and isinstance(value.get("description"), str):
        return [value["description"]]
    return [json.dumps(value)[:300] if value is not None else "(no summary)"]


def step_warnings(value) -> int:
    """Warnings the workflow's steps recorded, from a task's XCom (0 when it has no summary)."""
    if isinstance(value, dict) and isinstance(value.get("steps"), list):
        return sum(int(step.get("warnings", 0)) for step in value["steps"])
    return int(value.get("warnings", 0)) if isinstance(value, dict) else 0


# -- on the platform Airflow ---------------------------------------------------------------------
@dataclass
class PlatformAirflow:
    """The platform's api-server (``AIRFLOW_BASE_URL``) and its admin login."""

    url: str
    password: str
    user: str = "admin"
    _token: str | None = None

    def token(self) -> str:
        """A JWT for the admin (fetched once).

        Raises:
            DemoError: the api-server refused the admin's password.
            httpx.HTTPStatusError: any other error answer.
        """
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
        """``method /api/v2/<path>``; the decoded JSON answer (``None`` when empty).

        Raises:
            DemoError: an error answer (status and the start of its body).
        """
        import httpx

        headers = {"Authorization": f"Bearer {self.token()}"}
        response = httpx.request(method, f"{self.url}/api/v2/{path}", headers=headers, timeout=60, **kwargs)
        if response.status_code >= 400:
            raise DemoError(f"Airflow {method} /api/v2/{path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None


def platform_airflow(stored: dict[str, str]) -> PlatformAirflow | None:
    """The platform Airflow when ``.env`` names it and its scheduler is healthy, else None."""
    url, password = stored.get("AIRFLOW_BASE_URL"), stored.get("AIRFLOW_ADMIN_PASSWORD")
    if not url or not password:
        return None
    problem = demo_preflight.platform_airflow_problem(url)
    if problem:
        print(f"Not using the platform Airflow at {url}: {problem}.", flush=True)
        return None
    return PlatformAirflow(url.rstrip("/"), password)


def run_on_platform(airflow: PlatformAirflow, stored: dict[str, str], timeout: float = 1800) -> Report:
    """Trigger the DAG on the platform Airflow, follow it, collect each task's summary and warnings.

    A task that fails is the result: its run is marked failed at once instead of waiting out
    the DAG's retry delay. Ctrl-C marks the run failed too.

    Raises:
        DemoError: Airflow refused a request, or the run did not finish within ``timeout`` s.
    """
    report = Report(ok=False, where=f"the platform Airflow ({airflow.url})", warnings_origin="the task logs hold")
    if stored.get("PAGILA_DB_PASSWORD"):
        host = urlsplit(airflow.url).hostname or "127.0.0.1"
        port = int(stored.get("PLATFORM_POSTGRES_PORT", "15432"))
        report.source = source_catalog(host, port, "pagila_reader", stored["PAGILA_DB_PASSWORD"])
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
        events = []
        if ti["state"]:
            try:
                logs = airflow.api(
                    "GET",
                    f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/logs/{max(ti['try_number'], 1)}",
                    params={"full_content": "true"},
                )
                events = [e for e in (logs or {}).get("content", []) if isinstance(e, dict)]
            except DemoError:
                events = []
        report.logged_warnings += [
            f"{ti['task_id']}: {e.get('logger') or '?'}: {e.get('event', '')}"
            for e in events
            if str(e.get("level", "")).lower() == "warning"
        ]
        if ti["state"] != "success":
            errors = [e.get("event", "") for e in events]
            errors = [e for e in errors if e and ("error" in e.lower() or "failed" in e.lower())]
            report.failure = report.failure or (errors[-1] if errors else f"{ti['task_id']} {ti['state']}")
        report.step_warnings += step_warnings(value)
        report.tasks.append((ti["task_id"], ti["state"] or "not run", summary_lines(value)))
    report.links.append(f"{airflow.url}/dags/{DAG_ID}/runs/{run_id}")
    return report


# -- locally: a throwaway PostgreSQL and dag.test() -----------------------------------------------
class LoggedWarnings(logging.Handler):
    """Collects what is logged at WARNING or above through Python's logging while attached to the root."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record still counts
            message = str(record.msg)
        level = "" if record.levelno == logging.WARNING else f"{record.levelname.lower()} "
        self.lines.append(f"{level}{record.name}: {message.strip().splitlines()[0] if message.strip() else ''}")


class RunLog:
    """The local run's full log, kept out of the terminal.

    From :meth:`start` on, whatever this process and its children write to file descriptors 1
    and 2 (Airflow's and openmetadata-ingestion's logs, Python warnings, subprocesses) goes to
    ``path`` with ANSI escapes removed, and also to the terminal when ``echo`` (escapes kept
    only when the terminal is a TTY). The demo's own lines reach the terminal through
    :meth:`say` meanwhile, and through ``sys.stdout``/``sys.stderr`` again after
    :meth:`to_terminal`. The descriptors stay on the log until the process exits, so what
    Airflow's handlers write late (they hold the original streams) still lands in the file.

    Args:
        path: the log file (its folder is created; appended to).
        echo: also copy the log to the terminal as it is written (``-v``).
    """

    def __init__(self, path: Path, echo: bool = False):
        self.path, self.echo = Path(path), echo
        self._terminal: dict[int, int] = {}
        self._originals = (sys.stdout, sys.stderr)
        self._pump: threading.Thread | None = None
        self._tty = False
        self._synced = threading.Event()
        self._on_terminal = False

    def start(self) -> None:
        """Send descriptors 1 and 2 to the log (and the terminal when ``echo``).

        Raises:
            OSError: the log file cannot be created (nothing is redirected then).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.path, "ab")  # closed by the pump thread
        self._originals = (sys.stdout, sys.stderr)
        for stream in self._originals:
            stream.flush()
        self._terminal = {fd: os.dup(fd) for fd in (1, 2)}
        self._tty = os.isatty(self._terminal[1])
        read, write = os.pipe()
        for fd in (1, 2):
            os.dup2(write, fd)
        os.close(write)
        self._pump = threading.Thread(target=self._copy, args=(read, log), name="demo-run-log", daemon=True)
        self._pump.start()
        atexit.register(self._close)

    def _copy(self, read: int, log) -> None:
        with open(read, "rb") as source, log:
            for line in source:
                synced = line.endswith(SYNC_MARK)  # after an unfinished line too
                line = line.removesuffix(SYNC_MARK)
                plain = ANSI_ESCAPE.sub(b"", line)
                log.write(plain)
                log.flush()
                if self.echo and line:
                    _write_all(self._terminal[1], line if self._tty else plain)
                if synced:
                    self._synced.set()

    def sync(self, timeout: float = 10) -> bool:
        """Wait until everything written so far is in the file (``timeout`` s at most); False if it is not."""
        if self._pump is None or not self._pump.is_alive():
            return self._pump is None
        for stream in self._originals:
            stream.flush()
        self._synced.clear()
        _write_all(1, SYNC_MARK)
        return self._synced.wait(timeout)

    def say(self, text: str) -> None:
        """Write one line of the demo's own to the terminal (stdout), whatever the descriptors point at."""
        if not self._terminal:
            print(text, flush=True)
            return
        _write_all(self._terminal[1], f"{text}\n".encode(errors="backslashreplace"))

    def to_terminal(self) -> None:
        """Point ``sys.stdout``/``sys.stderr`` at the terminal again (descriptors 1 and 2 stay on the log)."""
        if not self._terminal or self._on_terminal:
            return
        self._on_terminal = True
        for stream in (*self._originals, sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        encoding = getattr(self._originals[0], "encoding", None) or "utf-8"
        sys.stdout, sys.stderr = (
            open(self._terminal[fd], "w", buffering=1, encoding=encoding, errors="backslashreplace", closefd=False)
            for fd in (1, 2)
        )

    def _close(self) -> None:
        """At exit: flush what still goes to the log, end it, and wait (5 s at most) for the copy."""
        for stream in (*self._originals, sys.__stdout__, sys.__stderr__):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                pass
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
        if self._pump is not None:
            self._pump.join(timeout=5)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def new_log_path(directory: Path = LOG_DIR, keep: int = KEPT_LOGS) -> Path:
    """A new run log's path in ``directory`` (``run-<YYYYmmdd-HHMMSS>-<pid>.log``), with
    ``latest.log`` pointed at it; the oldest ``run-*.log`` beyond ``keep`` are removed.

    Raises:
        OSError: ``directory`` cannot be created.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for old in sorted(directory.glob("run-*.log"), key=lambda p: p.stat().st_mtime)[: -max(keep - 1, 1)]:
        old.unlink(missing_ok=True)
    latest, link = directory / "latest.log", directory / f".latest-{os.getpid()}"
    try:
        link.unlink(missing_ok=True)
        link.symlink_to(path.name)
        link.replace(latest)
    except OSError:
        link.unlink(missing_ok=True)
    return path


def shown_path(path: Path) -> str:
    """``path`` relative to the current directory when it is under it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run_locally(om_connection: dict, pagila: Path, verbose: bool = False) -> Report:
    """Load pagila from ``pagila`` (the dump's folder) into a throwaway PostgreSQL and run the
    DAG in this process with retries off; the warnings logged meanwhile go into the report.

    Airflow's and openmetadata-ingestion's output goes to a new log under ``.run/demo/`` (see
    :class:`RunLog`), named in the output and in ``report.log``; ``verbose`` also shows it on
    the terminal as it is written.

    Raises:
        DemoError: the DAG did not load, or the catalog could not be counted.
        subprocess.CalledProcessError: loading pagila or migrating Airflow's database failed.
        OSError: the log under ``.run/demo/`` cannot be written.
    """
    from platform_bootstrap.local_postgres import ThrowawayPostgres
    from platform_bootstrap.pagila import load_pagila

    home = REPO_ROOT / ".run" / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    report = Report(ok=False, where="a local Airflow (dag.test) and a throwaway PostgreSQL")
    with ThrowawayPostgres() as postgres:
        print(f"Loading pagila into a throwaway PostgreSQL on {postgres.host}:{postgres.port}...", flush=True)
        load_pagila(postgres, DATABASE, pagila)
        report.source = source_catalog(postgres.host, postgres.port, "postgres", postgres.password)
        os.environ.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
                "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps(om_connection),
                "AIRFLOW_CONN_PAGILA_POSTGRES": json.dumps(postgres.airflow_connection(DATABASE)),
            }
        )
        log = RunLog(new_log_path(), echo=verbose)
        report.log = shown_path(log.path)
        hint = "" if verbose else "; `make demo V=1` shows it as it runs"
        print(f"Running {DAG_ID} with Airflow (dag.test, retries off); its log: {report.log}{hint}", flush=True)
        _quiet_noise()
        warnings = LoggedWarnings()
        log.start()
        try:
            results = _dag_test(warnings, log.say)
            log.sync()
        finally:
            log.to_terminal()
    report.logged_warnings = warnings.lines
    report.ok = all(state == "success" for _, state, _ in results)
    report.tasks = [(task_id, state, summary_lines(value)) for task_id, state, value in results]
    report.step_warnings = sum(step_warnings(value) for _, _, value in results)
    if not report.ok:
        failed = next(task_id for task_id, state, _ in results if state != "success")
        cause, where = last_exception(log.path), f"its log: {report.log}"
        report.failure = f"task {failed} did not succeed: " + (f"{cause} ({where})" if cause else f"see {where}")
    return report


def last_exception(log: Path) -> str:
    """The last exception a log holds, as ``SomeError: message`` (its traceback's last line,
    without the module path, at most 500 characters), or ``""`` when none is there or the log
    cannot be read."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    found = [match["line"] for match in map(EXCEPTION_LINE.match, lines) if match]
    return found[-1][:500] if found else ""


class TaskProgress(logging.Handler):
    """Says ``  <task id>: running`` when ``dag.test()`` starts a task (its ``[DAG TEST] starting`` record)."""

    def __init__(self, say):
        super().__init__(logging.INFO)
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("[DAG TEST] starting task_id=") and record.args:
            self.say(f"  {record.args[0]}: running")


def _quiet_noise() -> None:
    import warnings

    for message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=f".*{message}.*")
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)


def _dag_test(collector: logging.Handler, say=print) -> list[tuple[str, str, object]]:
    """``dag.test()`` of the DAG with every task's retries set to 0, with ``collector`` on the
    root logger meanwhile; (task id, state, XCom) per task. ``say(line)`` gets the progress
    (each task as it starts, then its state)."""
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
    root, progress = logging.getLogger(), TaskProgress(say)
    dag_logger = logging.getLogger("airflow.sdk.definitions.dag")
    root.addHandler(collector)
    dag_logger.addHandler(progress)
    try:
        run = dag.test()
        _flush_lineage()  # the listener sends the run's lineage in the background: wait for it (and its warnings)
    finally:
        root.removeHandler(collector)
        dag_logger.removeHandler(progress)
    results = []
    for ti in run.get_task_instances():
        value = ti.xcom_pull(task_ids=ti.task_id) if ti.state == "success" else None
        results.append((ti.task_id, str(ti.state.value if hasattr(ti.state, "value") else ti.state), value))
    for task_id, state, _ in sorted(results):
        say(f"  {task_id}: {state}")
    return sorted(results)


def _flush_lineage(timeout: float = 30) -> None:
    """Wait up to ``timeout`` s for the provider's lineage listener to deliver what it queued."""
    try:
        from openmetadata_platform.lineage import dispatch
    except ImportError:
        return
    dispatch.flush(timeout)


# -- the report --------------------------------------------------------------------------------------
def login_hint(host_port: str, stored: dict[str, str]) -> str:
    """How to log in to the server actually used."""
    if stored.get("OPENMETADATA_HOST_PORT") and stored["OPENMETADATA_HOST_PORT"].rstrip("/") == host_port.rstrip("/"):
        email = stored.get("OPENMETADATA_ADMIN_EMAIL", "admin@open-metadata.org")
        return f"log in as {email}; the password is OPENMETADATA_ADMIN_PASSWORD in {ENV_FILE}"
    return "log in with your account on that server"


def print_report(report: Report, host_port: str, stored: dict[str, str]) -> None:
    """Print the report (see the module docstring) to stdout."""
    ui = f"{urlsplit(host_port).scheme}://{urlsplit(host_port).netloc}"
    schemas = ", ".join(SCHEMAS)
    headline = (
        f"Harvested pagila ({schemas}) into OpenMetadata from {report.where}."
        if report.ok
        else f"The pagila harvest FAILED on {report.where}: {report.failure}"
    )
    print(f"\n{headline}")
    source = report.source
    if source:
        print(
            f"  source (pagila's catalog, counted as OpenMetadata's Postgres connector lists it): "
            f"{source.inventory.describe()}"
        )
        notes = [source.partitions_note()] if source.partitions else []
        if source.partition_foreign_keys:
            notes.append(
                f"the {plural(source.partition_foreign_keys, 'foreign key')} declared on partitions only "
                f"{'is' if source.partition_foreign_keys == 1 else 'are'} not harvested"
            )
        if notes:
            print(f"    ({'; '.join(notes)})")
    else:
        print("  source (pagila's catalog): not counted")
    where = ", ".join(schema_fqns())
    if report.server is not None:
        if source is None:
            agreement = ""
        elif report.server == source.inventory:
            agreement = ": the same as the source"
        else:
            agreement = f": NOT the same as the source ({source.inventory.differences(report.server)})"
        print(f"  server (OpenMetadata, under {where}, after the run): {report.server.describe()}{agreement}")
    else:
        print(f"  server (OpenMetadata, under {where}): not counted ({report.server_error})")
    for task_id, state, lines in report.tasks:
        print(f"  {task_id} [{state}]: {lines[0]}")
        for line in lines[1:]:
            print(f"    {line}")
    print(warnings_lines(report))
    if report.ok:
        print(f"\nBrowse the harvested schema: {ui}/databaseSchema/{schema_fqns()[0]}")
    for link in report.links:
        print(f"The run in Airflow: {link}")
    if report.log:
        print(f"The run's full log (Airflow, openmetadata-ingestion): {report.log}")
    print(f"({ui}: {login_hint(host_port, stored)}.)")
    print(f"\nSummary: {'success' if report.ok else 'FAILED'}; {summary_counts(report)}.")


def known_warning_note(line: str) -> str | None:
    """The note of a known harmless warning (:data:`KNOWN_RUN_WARNINGS`) for a logged line, else None."""
    return next((note for text, note in KNOWN_RUN_WARNINGS if text in line), None)


def warnings_lines(report: Report) -> str:
    """The report's warnings: the header with the counts, then each logged warning (the others
    first, then the known ones, each with its note), at most :data:`SHOWN_WARNINGS`."""
    logged = sorted(report.logged_warnings, key=lambda line: known_warning_note(line) is not None)
    known = sum(known_warning_note(line) is not None for line in logged)
    header = f"  warnings: the steps recorded {report.step_warnings}; {report.warnings_origin} "
    header += plural(len(logged), "warning")
    if known:
        others = len(logged) - known
        header += f": {known} known and harmless (noted below)"
        header += f", {plural(others, 'other')}" if others else ""
    elif logged:
        header += ":"
    lines = [header]
    for line in logged[:SHOWN_WARNINGS]:
        lines.append(f"    - {line[:300]}")
        note = known_warning_note(line)
        if note:
            lines.append(textwrap.fill(note, width=110, initial_indent=" " * 6, subsequent_indent=" " * 6))
    if len(logged) > SHOWN_WARNINGS:
        where = report.log or "the task logs"
        lines.append(f"    - ... and {len(logged) - SHOWN_WARNINGS} more (in {where})")
    return "\n".join(lines)


def summary_counts(report: Report) -> str:
    """The last line's counts: the source's entities and whether the server holds the same."""
    source, server = report.source, report.server
    if source is None:
        return f"OpenMetadata holds {server.entities()}" if server else "nothing counted"
    note = f" ({source.partitions_note()})" if source.partitions else ""
    holds = f"pagila ({', '.join(SCHEMAS)}) holds {source.inventory.entities()}{note}"
    if server is None:
        return f"{holds}; OpenMetadata not counted"
    if server == source.inventory:
        return f"{holds}, and OpenMetadata holds the same"
    return f"{holds}; OpenMetadata holds {server.entities()}"


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def verbose_requested(argv: list[str] | None, environ: dict[str, str]) -> bool:
    """``-v``/``--verbose`` in ``argv``, or ``DEMO_VERBOSE`` set to anything but ``""``, ``0``,
    ``false``, ``no`` or ``off`` in ``environ``.

    Raises:
        SystemExit: an unknown argument (argparse's usage message, status 2).
    """
    parser = argparse.ArgumentParser(description="Harvest pagila into OpenMetadata from an Airflow DAG (make demo).")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=f"also show the local run's full log (Airflow, openmetadata-ingestion) as it runs [env {VERBOSE_ENV}=1]",
    )
    arguments = parser.parse_args(argv)
    return arguments.verbose or environ.get(VERBOSE_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def main(argv: list[str] | None = None) -> int:
    """Check, find the server, run the DAG, print the report; 0 success, 1 failed harvest, 2 cannot run, 130 stopped.

    Args:
        argv: the command line's arguments (``sys.argv[1:]`` when None): ``-v``/``--verbose``.
    """
    verbose = verbose_requested(argv, dict(os.environ))
    signal.signal(signal.SIGTERM, _interrupt)
    stored = read_env(ENV_FILE) if ENV_FILE.exists() else {}
    try:
        plan = demo_preflight.plan(dict(os.environ), stored, ENV_FILE)
        host_port, token = find_openmetadata(stored)
        om_connection = openmetadata_connection(host_port, token)
        print(f"OpenMetadata: {host_port}", flush=True)
        airflow = platform_airflow(stored)
        if airflow:
            report = run_on_platform(airflow, stored)
        else:  # a local run: the dump is checked (again) before anything is started
            report = run_locally(
                om_connection,
                plan.pagila or demo_preflight.local_pagila(dict(os.environ), stored, ENV_FILE),
                verbose=verbose,
            )
        try:
            report.server = server_inventory(host_port, token)
        except DemoError as exc:
            report.server_error = str(exc)
    except (DemoError, demo_preflight.PreflightError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted: stopped what the demo started (throwaway PostgreSQL, the DAG run).", file=sys.stderr)
        return 130
    print_report(report, host_port, stored)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

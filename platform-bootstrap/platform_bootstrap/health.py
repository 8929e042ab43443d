"""Health of the running stack as seen from the host: server, search, database, Kerberos.

``./platform status`` first says whether the Docker engine answers and Compose v2 is there
(:func:`check_docker`, from :func:`platform_bootstrap.preflight.docker_verdict`), then runs
:data:`STACK_CHECKS`, a list of functions taking a :class:`StackContext` and returning a
:class:`Check` (or None when it does not apply, e.g. Kerberos when it is not enabled). More
checks (Airflow, pipeline client) are appended to that list. A service left out of this stack
(:func:`compose_services`, e.g. search under a profile nobody enables) is shown as ``skip``,
not as failing. No check raises, so the status can print everything even when all is down.
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import airflow_health
from .preflight import ComposeError, DockerVerdict, run_compose
from .settings import PlatformConfig, client_major_minor

__all__ = [
    "STACK_CHECKS",
    "Check",
    "StackContext",
    "check_docker",
    "client_major_minor",
    "compose_services",
    "run_checks",
]


@dataclass
class Check:
    """Result of one check: ``name`` (server/search/...), ``ok`` and a one-line ``detail``.

    ``waiting`` marks a check that is not failing but waits for something outside the stack
    (the developer's first kinit): it counts as up for ``status`` and ``--wait``. ``skipped``
    marks a service that is not part of this stack: not checked, not failing.
    """

    name: str
    ok: bool
    detail: str
    waiting: bool = False
    skipped: bool = False

    @property
    def state(self) -> str:
        """``ok``, ``waiting``, ``skipped`` or ``fail``."""
        if self.skipped:
            return "skipped"
        return "waiting" if self.waiting else ("ok" if self.ok else "fail")


@dataclass
class StackContext:
    """What a check needs: the config, the ``.env`` values, where the published ports are
    reached from the host (``host``) and the directory holding ``scripts/compose.sh``.

    ``docker``: the engine/Compose verdict of this run (None: not asked); ``services``: the
    services of this stack (:func:`compose_services`; None: Compose could not say, so every
    service counts as part of it). Both are found once per status run, not per check.
    """

    cfg: PlatformConfig
    env: dict[str, str]
    host: str
    bootstrap_dir: Path
    extra: dict = field(default_factory=dict)
    docker: DockerVerdict | None = None
    services: frozenset[str] | None = None

    def in_stack(self, service: str) -> bool:
        """False only when Compose said which services this stack has and ``service`` is not one."""
        return self.services is None or service in self.services


def compose_services(bootstrap_dir: Path, env: dict[str, str] | None = None) -> frozenset[str] | None:
    """The services of this stack: ``scripts/compose.sh config --services`` in ``env``, which honours
    the enabled profiles (``COMPOSE_PROFILES``) and ``PLATFORM_COMPOSE_FILES``.

    None when Compose cannot answer (not installed, v1, a file that does not render): then every
    service is checked as before. Needs no engine. Never raises.
    """
    try:
        names = run_compose(bootstrap_dir, ["config", "--services"], env, timeout=60.0).split()
    except ComposeError:
        return None
    return frozenset(names) or None


def check_docker(verdict: DockerVerdict) -> Check:
    """The ``docker`` row: the engine answers and Compose v2 is there, or the one problem with its fix."""
    if verdict.ok:
        return Check("docker", True, f"the engine answers; Compose v2: {verdict.compose}")
    return Check("docker", False, verdict.problem)


def _get_json(url: str, timeout: float):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, json.loads(resp.read() or b"null")


def check_server(host: str, port: int, admin_port: int, timeout: float = 5.0) -> Check:
    """GET the admin ``/healthcheck`` (Dropwizard) and ``/api/v1/system/version``.

    Also flags a server whose major.minor differs from the installed client's (the client
    refuses such a server).
    """
    try:
        _get_json(f"http://{host}:{admin_port}/healthcheck", timeout)
    except urllib.error.HTTPError as exc:
        return Check("server", False, f"healthcheck on {host}:{admin_port} answered HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Check("server", False, f"no answer on {host}:{admin_port}/healthcheck ({getattr(exc, 'reason', exc)})")
    try:
        _, payload = _get_json(f"http://{host}:{port}/api/v1/system/version", timeout)
        version = str(payload.get("version", "?")) if isinstance(payload, dict) else "?"
    except (urllib.error.URLError, OSError, ValueError):
        version = "?"
    client = client_major_minor()
    if client and version != "?" and ".".join(version.split(".")[:2]) != client:
        return Check("server", False, f"version {version} does not match the client's {client}.x")
    return Check("server", True, f"healthy, version {version} (http://{host}:{port})")


def check_search(host: str, port: int, timeout: float = 5.0) -> Check:
    """GET Elasticsearch ``/_cluster/health``; green or yellow is healthy (single node)."""
    try:
        _, payload = _get_json(f"http://{host}:{port}/_cluster/health", timeout)
    except urllib.error.HTTPError as exc:
        return Check("search", False, f"cluster health answered HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Check("search", False, f"no answer on {host}:{port} ({getattr(exc, 'reason', exc)})")
    status = payload.get("status") if isinstance(payload, dict) else None
    return Check("search", status in ("green", "yellow"), f"cluster status {status}")


def check_database(host: str, port: int, user: str, password: str, dbname: str, timeout: int = 5) -> Check:
    """Connect as the OpenMetadata user and run ``SELECT 1`` (psycopg2; TCP probe without it)."""
    try:
        import psycopg2
    except ImportError:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return Check("database", True, f"{host}:{port} open (psycopg2 missing: login not checked)")
        except OSError as exc:
            return Check("database", False, f"{host}:{port} closed ({exc})")
    try:
        conn = psycopg2.connect(
            host=host, port=port, user=user, password=password, dbname=dbname, connect_timeout=timeout
        )
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
                tables = cur.fetchone()[0]
        finally:
            conn.close()
    except psycopg2.Error as exc:
        # The first line of a libpq error names the problem without echoing the password.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Check("database", False, f"{user}@{dbname}: {first}")
    return Check("database", True, f"{user}@{dbname} reachable, {tables} tables")


def check_kerberos(ctx: StackContext, timeout: float = 60.0) -> Check | None:
    """Ask the sidecar itself (``--healthcheck`` inside developer-kerberos-service, through
    ``scripts/compose.sh exec``): sharing, waiting for a ticket, or broken. None when Kerberos is off."""
    if not ctx.cfg.kerberos.enabled:
        return None
    if ctx.docker is not None and not ctx.docker.ok:
        return Check("kerberos", False, "cannot ask developer-kerberos-service: see the docker line above")
    command = [
        "bash",
        str(ctx.bootstrap_dir / "scripts" / "compose.sh"),
        "exec",
        "-T",
        "developer-kerberos-service",
        "python3",
        "/app/ticket_sharer.py",
        "--healthcheck",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("kerberos", False, f"cannot ask developer-kerberos-service ({exc})")
    lines = (result.stdout.strip() or result.stderr.strip() or f"exit status {result.returncode}").splitlines()
    line = lines[-1] if lines else ""
    kind, _, detail = line.partition(": ")
    if result.returncode == 0 and kind == "healthy":
        return Check("kerberos", True, f"sharing a ticket: {detail}")
    if result.returncode == 0 and kind == "waiting":
        return Check("kerberos", True, f"waiting for a ticket: {detail}", waiting=True)
    if kind == "unhealthy":
        return Check("kerberos", False, f"developer-kerberos-service is broken: {detail}")
    if kind == "error":  # from scripts/compose.sh: no Compose v2, no engine
        return Check("kerberos", False, f"cannot ask developer-kerberos-service: {detail}")
    return Check(
        "kerberos", False, f"developer-kerberos-service did not answer ({line}); is it running? `make platform-start`"
    )


def _server(ctx: StackContext) -> Check:
    return check_server(ctx.host, ctx.cfg.ports["openmetadata"], ctx.cfg.ports["openmetadata_admin"])


def _search(ctx: StackContext) -> Check:
    if not ctx.in_stack("platform-elasticsearch"):
        return Check(
            "search",
            True,
            "not part of this stack: platform-elasticsearch is not among `compose config --services` "
            "(a profile that is not enabled, or an override, leaves it out)",
            skipped=True,
        )
    return check_search(ctx.host, ctx.cfg.ports["elasticsearch"])


def _database(ctx: StackContext) -> Check:
    return check_database(
        ctx.host,
        ctx.cfg.ports["postgres"],
        "openmetadata_user",
        ctx.env.get("OPENMETADATA_DB_PASSWORD", ""),
        "openmetadata_db",
    )


# The checks `./platform status` runs, in order. Append to add one (signature: ctx -> Check | None).
STACK_CHECKS: list[Callable[[StackContext], Check | None]] = [_server, _search, _database, check_kerberos]
# The platform Airflow, its managed APIs and the server's pipeline service client.
STACK_CHECKS += airflow_health.CHECKS


def run_checks(ctx: StackContext, checks: list[Callable[[StackContext], Check | None]] | None = None) -> list[Check]:
    """Run ``checks`` (default :data:`STACK_CHECKS`); the ones that do not apply are left out."""
    results = []
    for check in checks if checks is not None else STACK_CHECKS:
        try:
            result = check(ctx)
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            result = Check(getattr(check, "__name__", "check").lstrip("_"), False, f"check crashed: {exc!r}")
        if result is not None:
            results.append(result)
    return results

"""Health of the running stack as seen from the host: server, search and database.

Each check returns a :class:`Check`; none raises, so ``make openmetadata-status`` can print
all three even when everything is down.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata as importlib_metadata


@dataclass
class Check:
    """Result of one check: ``name`` (server/search/database), ``ok`` and a one-line ``detail``."""

    name: str
    ok: bool
    detail: str


def _get_json(url: str, timeout: float):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, json.loads(resp.read() or b"null")


def client_major_minor() -> str | None:
    """``major.minor`` of the installed openmetadata-ingestion client, or None if absent."""
    try:
        return ".".join(importlib_metadata.version("openmetadata-ingestion").split(".")[:2])
    except importlib_metadata.PackageNotFoundError:
        return None


def check_server(host: str, port: int, admin_port: int, timeout: float = 5.0) -> Check:
    """GET the admin ``/healthcheck`` (Dropwizard) and ``/api/v1/system/version``.

    Also flags a server whose major.minor differs from the installed client's (the client
    refuses such a server).
    """
    try:
        _get_json(f"http://{host}:{admin_port}/healthcheck", timeout)
    except urllib.error.HTTPError as exc:
        return Check("server", False, f"healthcheck on :{admin_port} answered HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Check("server", False, f"no answer on :{admin_port}/healthcheck ({getattr(exc, 'reason', exc)})")
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
        return Check("search", False, f"no answer on :{port} ({getattr(exc, 'reason', exc)})")
    status = payload.get("status") if isinstance(payload, dict) else None
    return Check("search", status in ("green", "yellow"), f"cluster status {status}")


def check_database(host: str, port: int, user: str, password: str, dbname: str, timeout: int = 5) -> Check:
    """Connect as the OpenMetadata user and run ``SELECT 1`` (psycopg2; TCP probe without it)."""
    try:
        import psycopg2
    except ImportError:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return Check("database", True, f"port {port} open (psycopg2 missing: login not checked)")
        except OSError as exc:
            return Check("database", False, f"port {port} closed ({exc})")
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

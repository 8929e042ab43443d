#!/usr/bin/env python3
"""Probes behind test-openmetadata-krb.sh and check-kerberos.sh; each prints one detail line, exit 0 = pass.

  status <status.json> [max_age_s]  the sidecar's status is fresh and it can write; prints its state.
                                    Also reads the sidecar's fallback status (written to its /tmp when
                                    status.json cannot be written): run where the sidecar runs, it
                                    reports the sidecar's own reason (volume full, read-only...)
  ticket [ccache]                   the preflight on a cache (default $KRB5CCNAME): TGT, principal/realm,
                                    lifetime margin; on failure the cause and its fix
  odbc-login                        pyodbc login with Trusted_Connection (KRB_MSSQL_* env)
  harvest-check                     preflight + OpenMetadata's own MSSQL engine runs SELECT 1

The script can be fed on stdin (`python3 - status ...`), so it runs inside a container that
does not have this file. Environment: KRB5_PRINCIPAL / KRB5_REALM (expected principal and
realm, "" = any), KRB_MIN_LIFETIME_SECONDS (600: the operators' default margin),
KRB_MSSQL_HOST_PORT, KRB_MSSQL_DATABASE (master), KRB_MSSQL_DRIVER (ODBC Driver 18 for SQL
Server), KRB_MSSQL_ENCRYPT (yes), KRB_MSSQL_TRUST_CERT (no), KRB_MSSQL_SPN (unset). No
secrets are read or printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time


def _config() -> dict:
    from openmetadata_platform.sources.mssql import (
        mssql_kerberos_service_connection,
    )

    return mssql_kerberos_service_connection(
        os.environ["KRB_MSSQL_HOST_PORT"],
        os.environ.get("KRB_MSSQL_DATABASE", "master"),
        driver=os.environ.get("KRB_MSSQL_DRIVER", "ODBC Driver 18 for SQL Server"),
        encrypt=os.environ.get("KRB_MSSQL_ENCRYPT", "yes").lower() in ("yes", "true", "1"),
        trust_server_certificate=os.environ.get("KRB_MSSQL_TRUST_CERT", "no").lower() in ("yes", "true", "1"),
        server_spn=os.environ.get("KRB_MSSQL_SPN") or None,
    )


def fallback_status_path(path: str) -> str:
    """Where the sidecar writes its status when ``path`` (its status.json) cannot be written.

    The same rule as ``_fallback_status`` in platform-bootstrap/kerberos/ticket_sharer.py: the
    system temp directory of the process (the sidecar container's /tmp), a name derived from
    ``path`` as the sidecar sees it (``/krb5/cache/status.json`` in Compose).
    """
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return os.path.join(tempfile.gettempdir(), f"ticket-sharer-status-{digest}.json")


def _read_json(path: str) -> tuple[dict | None, str | None]:
    """(content, None), or (None, why) for a missing or unreadable file (why None = missing)."""
    try:
        with open(path) as fh:
            return json.load(fh), None
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, exc.__class__.__name__


def status(path: str, max_age: str | None = None) -> int:
    """Print the sidecar's state from ``path`` or its fallback, whichever is newer; 0 = fresh and writing.

    Args:
        path: the status.json on the shared volume, e.g. ``"/krb5/cache/status.json"``.
        max_age: maximum age in seconds as a string (default 2 * interval + 30).
    """
    data, why = _read_json(path)
    fallback_path = fallback_status_path(path)
    fallback, _ = _read_json(fallback_path)
    from_fallback = fallback is not None and (
        data is None or float(fallback.get("last_check_epoch", 0)) >= float(data.get("last_check_epoch", 0))
    )
    if from_fallback:
        data = fallback
    if data is None:
        print(
            f"no readable status file {path} ({why or 'FileNotFoundError'}): is developer-kerberos-service up? "
            "(if it is, it cannot write to the volume: ask it with "
            "`docker compose exec -T developer-kerberos-service python3 /app/ticket_sharer.py --healthcheck`)"
        )
        return 1
    age = time.time() - float(data.get("last_check_epoch", 0))
    limit = float(max_age) if max_age else 2 * float(data.get("interval_seconds", 5)) + 30
    detail = (
        f"state={data.get('state')} principal={data.get('principal')} expires={data.get('expires_at')} "
        f"last_copy={data.get('last_copy')} last_error={data.get('last_error')}"
    )
    where = f" (the sidecar's fallback status {fallback_path}: it could not write {path})" if from_fallback else ""
    if age > limit:
        print(f"status is {int(age)}s old (limit {int(limit)}s): sidecar not running?{where} {detail}")
        return 1
    if data.get("write_error"):
        print(f"the sidecar runs but cannot write: {data['write_error']}{where}")
        return 1
    print(f"updated {int(age)}s ago; {detail}")
    return 0


def ticket(ccache: str | None = None) -> int:
    from openmetadata_platform.kerberos.preflight import (
        KerberosPreflightError,
        check_kerberos_ticket,
    )

    margin = int(os.environ.get("KRB_MIN_LIFETIME_SECONDS") or 600)
    try:
        info = check_kerberos_ticket(ccache, min_lifetime_seconds=margin)
    except KerberosPreflightError as exc:
        print(f"[{exc.cause}] {exc}")
        return 1
    print(
        f"principal={info.principal} expires={info.expires_at:%Y-%m-%d %H:%M:%S}Z "
        f"(TGT, {info.lifetime_seconds // 60} min left, margin {margin // 60} min) cache={info.cache}"
    )
    return 0


def odbc_login() -> int:
    import pyodbc
    from openmetadata_platform.sources.mssql import odbc_connection_string

    connection_string = odbc_connection_string(_config())
    try:
        with pyodbc.connect(connection_string, timeout=15) as conn:
            who = conn.execute("SELECT SUSER_NAME()").fetchone()[0]
    except pyodbc.Error as exc:
        print(f"login failed: {exc} [{connection_string}]")
        return 1
    print(f"logged in as {who} [{connection_string}]")
    return 0


def harvest_check() -> int:
    from openmetadata_platform.kerberos.preflight import (
        KerberosPreflightError,
        check_kerberos_ticket,
    )

    try:
        info = check_kerberos_ticket(min_lifetime_seconds=int(os.environ.get("KRB_MIN_LIFETIME_SECONDS") or 600))
    except KerberosPreflightError as exc:
        print(f"[{exc.cause}] {exc}")
        return 1
    from metadata.generated.schema.entity.services.connections.database.mssqlConnection import (
        MssqlConnection,
    )
    from metadata.ingestion.source.database.mssql.connection import (
        MssqlConnection as MssqlClient,
    )
    from sqlalchemy import text

    engine = MssqlClient(MssqlConnection.model_validate(_config())).client
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar()
    except Exception as exc:  # noqa: BLE001 - report any driver failure as the step's result
        print(f"preflight ok ({info.principal}) but OpenMetadata's engine failed: {exc.__class__.__name__}: {exc}")
        return 1
    finally:
        engine.dispose()
    print(
        f"connection test only: preflight ok ({info.principal} until {info.expires_at:%Y-%m-%d %H:%M}Z), "
        "OpenMetadata MSSQL engine ran SELECT 1"
    )
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "status" and len(sys.argv) >= 3:
        sys.exit(status(*sys.argv[2:4]))
    if command == "ticket":
        sys.exit(ticket(sys.argv[2] if len(sys.argv) > 2 else None))
    if command == "odbc-login":
        sys.exit(odbc_login())
    if command == "harvest-check":
        sys.exit(harvest_check())
    print(__doc__ or "usage: krb_probe.py status|ticket|odbc-login|harvest-check", file=sys.stderr)
    sys.exit(2)

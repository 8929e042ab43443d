"""Kerberos preflight: fail fast, with the reason and the fix, before a driver says "Unable to connect".

ODBC drivers and libpq report a missing or expired ticket as a generic connection failure.
:func:`check_kerberos_ticket` looks at the credential cache first and raises an exception
that names the cache, the principal, the expiry and what to do.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from openmetadata_platform.kerberos.ccache import CcacheFormatError, parse_ccache

FIX = (
    "Fix: on the host run `kinit <you>@<REALM>` into a FILE: cache "
    "(platform-bootstrap/diagnostics/check-kerberos.sh checks it), then check the ticket-sharing "
    "sidecar is up (`docker compose ps developer-kerberos-service`; its status is in status.json "
    "next to the shared cache)."
)


class KerberosPreflightError(RuntimeError):
    """No usable Kerberos TGT. Attributes: ``cache``, ``principal`` and ``expires_at`` (None if unknown)."""

    def __init__(self, reason: str, cache: str, principal: str | None = None, expires_at: datetime | None = None):
        self.reason, self.cache, self.principal, self.expires_at = reason, cache, principal, expires_at
        parts = [f"Kerberos preflight failed for credential cache {cache}: {reason}."]
        if principal:
            parts.append(f"Principal: {principal}.")
        if expires_at:
            parts.append(f"TGT expired/expires at {expires_at.isoformat()}.")
        sidecar = _sidecar_note(cache)
        if sidecar:
            parts.append(sidecar)
        parts.append(FIX)
        super().__init__(" ".join(parts))


class CacheMissingError(KerberosPreflightError):
    """``KRB5CCNAME`` is unset or its file does not exist."""


class CacheUnreadableError(KerberosPreflightError):
    """The cache exists but cannot be read or parsed (permissions, a directory, garbage)."""


class CacheEmptyError(CacheUnreadableError):
    """The cache file has zero bytes (e.g. created but never filled by kinit)."""


class NoTgtError(KerberosPreflightError):
    """The cache holds no ticket-granting ticket for its principal's realm."""


class TicketExpiredError(KerberosPreflightError):
    """The TGT has expired (or has less lifetime left than required)."""


@dataclass(frozen=True)
class TicketInfo:
    """A usable TGT: ``principal`` (``"alice@EXAMPLE.COM"``), ``expires_at`` (aware UTC datetime),
    ``lifetime_seconds`` (remaining, as reported by GSSAPI) and ``cache`` (``"FILE:/path"``)."""

    principal: str
    expires_at: datetime
    lifetime_seconds: int
    cache: str


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _sidecar_note(cache: str) -> str | None:
    """Summarise the sidecar's status.json next to a FILE cache, if there is one."""
    if not cache.startswith("FILE:"):
        return None
    status_path = Path(cache[5:]).parent / "status.json"
    try:
        status = json.loads(status_path.read_text())
    except (OSError, ValueError):
        return None
    note = f"Sidecar status ({status_path}): last check {status.get('last_check')}, last copy {status.get('last_copy')}"
    if status.get("last_error"):
        note += f", last error: {status['last_error']}"
    return note + "."


def _resolve(ccache: str | os.PathLike | None) -> str:
    name = os.fspath(ccache) if ccache is not None else os.environ.get("KRB5CCNAME", "")
    if not name:
        raise CacheMissingError("KRB5CCNAME is not set and no cache path was given", "(unset)")
    if ":" not in name.split("/", 1)[0]:
        name = "FILE:" + name
    return name


def check_kerberos_ticket(ccache: str | os.PathLike | None = None, *, min_lifetime_seconds: int = 0) -> TicketInfo:
    """Verify that a credential cache holds a valid TGT, using GSSAPI as the authority.

    Args:
        ccache: cache name (``"/krb5/cache/krb5cc"``, ``"FILE:/..."``, ``"KCM:"``...);
            default ``$KRB5CCNAME``. FILE caches are also inspected directly so the error can
            say *why* (missing, empty, expired at ...).
        min_lifetime_seconds: fail when less than this remains (a harvest outliving its
            ticket fails half-way). 0 accepts any unexpired TGT.

    Returns:
        TicketInfo with principal and expiry.

    Raises:
        CacheMissingError, CacheUnreadableError, CacheEmptyError, NoTgtError,
        TicketExpiredError: all :class:`KerberosPreflightError`; the message names the cache,
        principal, expiry and the fix. No ticket bytes are ever included.
        ImportError: python-gssapi is not installed (extra ``kerberos`` of the provider).
    """
    import gssapi  # optional dependency: only Kerberos deployments need it

    name = _resolve(ccache)
    principal: str | None = None
    expires: datetime | None = None
    if name.startswith("FILE:"):
        path = Path(name[5:])
        if not path.exists():
            raise CacheMissingError("the cache file does not exist", name)
        if not path.is_file():
            raise CacheUnreadableError("the cache path is not a regular file", name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CacheUnreadableError(f"cannot read the cache ({exc.strerror})", name) from None
        if not data:
            raise CacheEmptyError("the cache file is empty", name)
        try:
            summary = parse_ccache(data)
        except CcacheFormatError as exc:
            raise CacheUnreadableError(f"not a usable credential cache ({exc})", name) from None
        principal = summary.principal
        if not summary.has_tgt:
            raise NoTgtError(
                "the cache holds no ticket-granting ticket (krbtgt) for the principal's realm", name, principal
            )
        expires = _utc(summary.tgt_expires)
        if not summary.tgt_valid_at(time.time()):
            raise TicketExpiredError("the TGT has expired", name, principal, expires)

    try:
        creds = gssapi.Credentials(usage="initiate", store={"ccache": name})
        lifetime = creds.lifetime
        gss_principal = str(creds.name)
    except gssapi.exceptions.ExpiredCredentialsError:
        raise TicketExpiredError("GSSAPI reports the credentials expired", name, principal, expires) from None
    except gssapi.exceptions.MissingCredentialsError as exc:
        raise NoTgtError(f"GSSAPI finds no credentials ({exc.gen_message()})", name, principal) from None
    except gssapi.exceptions.GSSError as exc:
        raise CacheUnreadableError(f"GSSAPI cannot use the cache ({exc.gen_message()})", name, principal) from None
    lifetime = int(lifetime or 0)
    expires = expires or _utc(time.time() + lifetime)
    if lifetime < max(min_lifetime_seconds, 1):
        raise TicketExpiredError(
            f"the TGT has {lifetime}s left, less than the {min_lifetime_seconds}s required",
            name,
            gss_principal,
            expires,
        )
    return TicketInfo(principal=gss_principal, expires_at=expires, lifetime_seconds=lifetime, cache=name)

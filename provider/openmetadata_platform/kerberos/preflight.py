"""Kerberos preflight: fail fast, with the reason and the fix, before a driver says "Unable to connect".

ODBC drivers and libpq report a missing, expired or foreign ticket as a generic connection
failure. :func:`check_kerberos_ticket` looks at the credential cache first and raises an
exception that names the cache, the principal, the expiry and the fix *for that cause*:
a permission problem is not told to run kinit, an expired ticket is not told to fix groups.

The settings it checks against are the platform's own names (``platform-bootstrap/.env``,
passed to the containers by Compose): ``KRB5_PRINCIPAL`` and ``KRB5_REALM`` (expected
principal and realm), ``KRB5_HOST_CCACHE_DIR``/``KRB5_HOST_CCACHE_NAME`` (the host cache the
sidecar watches), ``KRB5_SHARE_GID`` (the group of the shared copy) and
``KRB5_SHARE_INTERVAL_SECONDS`` (how often the sidecar looks).
"""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from openmetadata_platform.kerberos.ccache import CcacheFormatError, parse_ccache

SHARED_CCACHE = "FILE:/krb5/cache/krb5cc"
NON_FILE_TYPES = ("KEYRING", "KCM", "API", "DIR", "MSLSA")


def _host_cache_hint() -> str:
    """The host cache the sidecar watches, as configured (or the placeholder the wizard explains)."""
    directory = os.environ.get("KRB5_HOST_CCACHE_DIR")
    name = os.environ.get("KRB5_HOST_CCACHE_NAME")
    if directory and name:
        return f"FILE:{directory.rstrip('/')}/{name}"
    return "FILE:<KRB5_HOST_CCACHE_DIR>/<KRB5_HOST_CCACHE_NAME>"


def _who(cache_principal: str | None = None) -> str:
    """The principal to kinit as: ``KRB5_PRINCIPAL`` (realm from ``KRB5_REALM``), else the cache's own."""
    principal = os.environ.get("KRB5_PRINCIPAL") or cache_principal or "you"
    realm = os.environ.get("KRB5_REALM") or "REALM"
    return principal if "@" in principal else f"{principal}@{realm}"


def _kinit_fix() -> str:
    interval = os.environ.get("KRB5_SHARE_INTERVAL_SECONDS") or "5"
    return (
        f"on the host run `kinit -c {_host_cache_hint()} {_who()}` (`make kerberos-check` checks it); "
        f"the ticket-sharing sidecar copies it into the shared volume within {interval} s "
        "(`./platform status` shows what it sees)"
    )


class KerberosPreflightError(RuntimeError):
    """No usable Kerberos TGT. Base of one class per cause, each with its own fix.

    Attributes: ``reason`` (what is wrong), ``fix`` (what to do), ``cache``, ``principal`` and
    ``expires_at`` (None if unknown). ``cause`` is a short machine-readable name.
    """

    cause = "unusable"

    def __init__(
        self,
        reason: str,
        cache: str,
        principal: str | None = None,
        expires_at: datetime | None = None,
        fix: str | None = None,
    ):
        self.reason, self.cache, self.principal, self.expires_at = reason, cache, principal, expires_at
        self.fix = fix or self.default_fix()
        parts = [f"Kerberos preflight failed for credential cache {cache}: {reason}."]
        if principal:
            parts.append(f"Principal: {principal}.")
        if expires_at:
            parts.append(f"TGT expired/expires at {expires_at.isoformat()}.")
        sidecar = _sidecar_note(cache)
        if sidecar:
            parts.append(sidecar)
        parts.append(f"Fix: {self.fix}.")
        super().__init__(" ".join(parts))

    def default_fix(self) -> str:
        return _kinit_fix()


class CacheMissingError(KerberosPreflightError):
    """``KRB5CCNAME`` is unset or its file does not exist."""

    cause = "missing"

    def default_fix(self) -> str:
        return (
            f"{_kinit_fix()}; in a container, mount the platform_kerberos_cache volume at /krb5/cache "
            f"(read-only) and set KRB5CCNAME={SHARED_CCACHE}"
        )


class CacheUnreadableError(KerberosPreflightError):
    """The cache exists but cannot be parsed or used (a directory, garbage, GSSAPI refuses it)."""

    cause = "unreadable"

    def default_fix(self) -> str:
        return (
            "point KRB5CCNAME at the file kinit writes (FILE:/krb5/cache/krb5cc in the platform's "
            f"containers); if it is right, replace the file with a fresh ticket: {_kinit_fix()}"
        )


class CachePermissionError(CacheUnreadableError):
    """This process may not read the cache (or enter its directory): uid/gid/mode say who may."""

    cause = "permission"

    def default_fix(self) -> str:  # the real fix is computed from the file's owner: see _permission_error
        return "give this process read access to the cache (see the owner, group and mode above)"


class CacheEmptyError(CacheUnreadableError):
    """The cache file has zero bytes (e.g. created but never filled by kinit)."""

    cause = "empty"

    def default_fix(self) -> str:
        return _kinit_fix()


class NonFileCacheError(CacheMissingError):
    """A ``KEYRING:``/``KCM:``/``API:`` cache that GSSAPI cannot use here; only FILE: caches can be shared."""

    cause = "not_file"

    def default_fix(self) -> str:
        return (
            f"containers and the sidecar can only use FILE: caches. On the host run "
            f"`export KRB5CCNAME={_host_cache_hint()}` (add it to ~/.profile) and `kinit {_who()}`; "
            "then `make kerberos-check`"
        )


class NoTgtError(KerberosPreflightError):
    """The cache holds no ticket-granting ticket for its principal's realm (service tickets only)."""

    cause = "no_tgt"

    def default_fix(self) -> str:
        return (
            "the cache holds only service tickets (from `kinit -S`, `kvno` or a delegated ticket), and "
            f"a new login needs a ticket-granting ticket: on the host run `kinit -c {_host_cache_hint()} "
            f"{_who()}` (a plain kinit, no -S)"
        )


class TicketExpiredError(KerberosPreflightError):
    """The TGT has expired."""

    cause = "expired"

    def default_fix(self) -> str:
        return _new_ticket_fix(self.principal)


class TicketTooShortError(TicketExpiredError):
    """The TGT is valid but ends before the required margin (the task would die half-way)."""

    cause = "short_lifetime"

    def default_fix(self) -> str:
        return (
            f"renew it before the task starts: on the host `kinit -R -c {_host_cache_hint()}` if it is "
            f"renewable, else `kinit -c {_host_cache_hint()} {_who()}`, or lower the task's "
            "kerberos_min_lifetime_seconds if the harvest is short"
        )


class WrongPrincipalError(KerberosPreflightError):
    """The cache holds a ticket of another principal than the configured ``KRB5_PRINCIPAL``."""

    cause = "wrong_principal"

    def __init__(self, reason: str, cache: str, principal: str | None, expected: str, **kwargs):
        self.expected = expected
        super().__init__(reason, cache, principal, **kwargs)

    def default_fix(self) -> str:
        expected = (
            self.expected if "@" in self.expected else f"{self.expected}@{os.environ.get('KRB5_REALM') or 'REALM'}"
        )
        return (
            f"on the host run `kinit -c {_host_cache_hint()} {expected}`; if {self.expected} is not the "
            "principal this platform should use, correct KRB5_PRINCIPAL/KRB5_REALM "
            "(`./platform setup --kerberos-principal ... --kerberos-realm ...`)"
        )


class WrongRealmError(WrongPrincipalError):
    """The cache's principal is in another realm than the configured ``KRB5_REALM``."""

    cause = "wrong_realm"


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


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min".removesuffix(" 0 min")
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60} s".removesuffix(" 0 s")
    return f"{seconds} s"


def _cache_type(name: str) -> str:
    head = name.split("/", 1)[0]
    return head.split(":", 1)[0].upper() if ":" in head else "FILE"


def _resolve(ccache: str | os.PathLike | None) -> str:
    name = os.fspath(ccache) if ccache is not None else os.environ.get("KRB5CCNAME", "")
    if not name:
        raise CacheMissingError(
            "KRB5CCNAME is not set and no cache path was given",
            "(unset)",
            fix=(
                f"set KRB5CCNAME={SHARED_CCACHE} (the sidecar's shared copy; mount the platform_kerberos_cache "
                "volume at /krb5/cache) or pass kerberos_ccache= to the operator"
            ),
        )
    if ":" not in name.split("/", 1)[0]:
        name = "FILE:" + name
    return name


def _permission_error(name: str, target: Path, what: str, need: str) -> CachePermissionError:
    """A :class:`CachePermissionError` naming this process's ids and who may read ``target``."""
    uid, gid = os.geteuid(), os.getegid()
    groups = sorted(set(os.getgroups()) - {gid})
    try:
        st = target.stat()
        owner = f"owned by uid {st.st_uid}, gid {st.st_gid}, mode {stat.S_IMODE(st.st_mode):04o}"
        owner_gid = st.st_gid
    except OSError:
        owner, owner_gid = "owner unknown", None
    reason = (
        f"permission denied: this process runs as uid {uid}, gid {gid}"
        + (f" (also groups {', '.join(map(str, groups))})" if groups else "")
        + f"; {what} {target} is {owner} and needs {need}"
    )
    if owner_gid is not None:
        fix = (
            f'run this process with group {owner_gid} (Compose: `group_add: ["{owner_gid}"]`, or '
            f'user: "{uid}:{owner_gid}"), or have the sidecar share the copy with group {gid}: '
            f"`./platform setup -y --kerberos-share-gid {gid}` (KRB5_SHARE_GID) and restart "
            "developer-kerberos-service"
        )
    else:
        fix = f"give uid {uid} or group {gid} {need} on {target}"
    return CachePermissionError(reason, name, fix=fix)


def _expected(principal: str | None, realm: str | None) -> tuple[str, str]:
    """Expected principal and realm: arguments, else ``KRB5_PRINCIPAL``/``KRB5_REALM``; "" = no check."""
    if principal is None:
        principal = os.environ.get("KRB5_PRINCIPAL", "")
    if realm is None:
        realm = os.environ.get("KRB5_REALM", "")
    principal, realm = principal.strip(), realm.strip()
    if "@" in principal and not realm:
        realm = principal.rsplit("@", 1)[1]
    return principal, realm


def _check_principal(name: str, actual: str, expected_principal: str, expected_realm: str) -> None:
    """Raise WrongRealmError/WrongPrincipalError when ``actual`` is not the configured principal."""
    actual_name, _, actual_realm = actual.rpartition("@")
    if expected_realm and actual_realm != expected_realm:
        expected = expected_principal if "@" in expected_principal else None
        if expected_principal and not expected:
            expected = f"{expected_principal}@{expected_realm}"
        raise WrongRealmError(
            f"the ticket is for realm {actual_realm}, expected {expected_realm}: the cache holds {actual}"
            + (f", expected {expected}" if expected else ""),
            name,
            actual,
            expected or f"<user>@{expected_realm}",
        )
    if expected_principal:
        want_name = expected_principal.rpartition("@")[0] if "@" in expected_principal else expected_principal
        if actual_name != want_name:
            expected = expected_principal if "@" in expected_principal else f"{expected_principal}@{actual_realm}"
            raise WrongPrincipalError(
                f"the cache holds a ticket for {actual}, expected {expected}", name, actual, expected
            )


def check_kerberos_ticket(
    ccache: str | os.PathLike | None = None,
    *,
    min_lifetime_seconds: int = 0,
    expected_principal: str | None = None,
    expected_realm: str | None = None,
) -> TicketInfo:
    """Verify that a credential cache holds a valid TGT of the expected principal, using GSSAPI as the authority.

    Args:
        ccache: cache name (``"/krb5/cache/krb5cc"``, ``"FILE:/..."``, ``"KCM:"``...);
            default ``$KRB5CCNAME``. FILE caches are also inspected directly so the error can
            say *why* (missing, permission, empty, no TGT, expired at ...).
        min_lifetime_seconds: fail when less than this many seconds remain (a harvest
            outliving its ticket fails half-way). 0 accepts any unexpired TGT.
        expected_principal: ``"alice"`` or ``"alice@EXAMPLE.COM"``; default ``$KRB5_PRINCIPAL``;
            ``""`` skips the check.
        expected_realm: ``"EXAMPLE.COM"``; default ``$KRB5_REALM`` (or the realm of
            ``expected_principal``); ``""`` skips the check.

    Returns:
        TicketInfo with principal and expiry.

    Raises:
        CacheMissingError, NonFileCacheError, CachePermissionError, CacheUnreadableError,
        CacheEmptyError, WrongPrincipalError, WrongRealmError, NoTgtError, TicketExpiredError,
        TicketTooShortError: all :class:`KerberosPreflightError`; the message names the cache,
        principal, expiry and the fix for that cause. No ticket bytes are ever included.
        ImportError: python-gssapi is not installed (extra ``kerberos`` of the provider).
    """
    import gssapi  # optional dependency: only Kerberos deployments need it

    name = _resolve(ccache)
    want_principal, want_realm = _expected(expected_principal, expected_realm)
    principal: str | None = None
    expires: datetime | None = None
    now = time.time()
    if name.startswith("FILE:"):
        principal, expires = _inspect_file(name, want_principal, want_realm, now, min_lifetime_seconds)

    kind = _cache_type(name)
    try:
        creds = gssapi.Credentials(usage="initiate", store={"ccache": name})
        lifetime = creds.lifetime
        gss_principal = str(creds.name)
    except gssapi.exceptions.ExpiredCredentialsError:
        raise TicketExpiredError("GSSAPI reports the credentials expired", name, principal, expires) from None
    except gssapi.exceptions.MissingCredentialsError as exc:
        if kind in NON_FILE_TYPES:
            raise NonFileCacheError(
                f"GSSAPI finds no credentials in this {kind}: cache ({exc.gen_message()})", name
            ) from None
        raise NoTgtError(f"GSSAPI finds no credentials ({exc.gen_message()})", name, principal) from None
    except gssapi.exceptions.GSSError as exc:
        if kind in NON_FILE_TYPES:
            raise NonFileCacheError(f"GSSAPI cannot use this {kind}: cache ({exc.gen_message()})", name) from None
        raise CacheUnreadableError(f"GSSAPI cannot use the cache ({exc.gen_message()})", name, principal) from None
    if principal is None:  # non-FILE caches: only GSSAPI knows the principal
        _check_principal(name, gss_principal, want_principal, want_realm)
    lifetime = int(lifetime or 0)
    expires = expires or _utc(time.time() + lifetime)
    if lifetime < 1:
        raise TicketExpiredError("the TGT has expired", name, gss_principal, expires)
    if lifetime < min_lifetime_seconds:
        raise _too_short(name, gss_principal, expires, lifetime, min_lifetime_seconds)
    return TicketInfo(principal=gss_principal, expires_at=expires, lifetime_seconds=lifetime, cache=name)


def _too_short(
    name: str, principal: str, expires: datetime, left: float, margin: int, fix: str | None = None
) -> TicketTooShortError:
    return TicketTooShortError(
        f"the TGT ends at {expires.isoformat()}, in {_duration(left)}, less than the {_duration(margin)} "
        f"this task requires (min_lifetime_seconds={margin})",
        name,
        principal,
        expires,
        fix=fix,
    )


def _inspect_file(
    name: str, want_principal: str, want_realm: str, now: float, min_lifetime_seconds: int
) -> tuple[str, datetime]:
    """Read a FILE cache directly; return (principal, TGT expiry) or raise the cause's error."""
    path = Path(name[5:])
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CacheMissingError("the cache file does not exist", name) from None
    except PermissionError:
        raise _permission_error(name, path.parent, "the directory", "search (x) permission") from None
    if not stat.S_ISREG(st.st_mode):
        raise CacheUnreadableError("the cache path is not a regular file", name)
    try:
        data = path.read_bytes()
    except PermissionError:
        raise _permission_error(name, path, "the cache", "read (r) permission") from None
    except OSError as exc:
        raise CacheUnreadableError(f"cannot read the cache ({exc.strerror})", name) from None
    if not data:
        raise CacheEmptyError("the cache file is empty", name)
    try:
        summary = parse_ccache(data)
    except CcacheFormatError as exc:
        raise CacheUnreadableError(f"not a usable credential cache ({exc})", name) from None
    principal = summary.principal
    _check_principal(name, principal, want_principal, want_realm)
    if not summary.has_tgt:
        raise NoTgtError(
            "the cache holds no ticket-granting ticket (krbtgt) for the principal's realm", name, principal
        )
    expires = _utc(summary.tgt_expires)
    if not summary.tgt_valid_at(now):
        raise TicketExpiredError("the TGT has expired", name, principal, expires, fix=_renew_fix(summary, now))
    left = summary.tgt_expires - now
    if left < min_lifetime_seconds:
        fix = _renew_fix(summary, now) + ", or lower the task's kerberos_min_lifetime_seconds if the harvest is short"
        raise _too_short(name, principal, expires, left, min_lifetime_seconds, fix=fix)
    return principal, expires


def _share_delay() -> str:
    return f"the sidecar shares the new ticket within {os.environ.get('KRB5_SHARE_INTERVAL_SECONDS') or '5'} s"


def _new_ticket_fix(principal: str | None = None) -> str:
    """A fresh ``kinit`` as ``principal`` (or the configured one): the only fix for an expired TGT."""
    return (
        f"on the host run `kinit -c {_host_cache_hint()} {_who(principal)}` (a new login: an expired ticket "
        f"cannot be renewed, not even before its renew-until time); {_share_delay()}"
    )


def _renew_fix(summary, now: float) -> str:
    """The fix for a TGT that has expired or is about to, from its times at ``now``.

    ``kinit -R`` only while the TGT is still valid *and* renewable (MIT's KDC answers "Ticket
    expired while renewing credentials" for an expired one, whatever its renew-until says);
    a fresh ``kinit`` otherwise.
    """
    if not summary.tgt_valid_at(now):
        return _new_ticket_fix(summary.principal)
    host = _host_cache_hint()
    if summary.tgt_renew_until and summary.tgt_renew_until > now:
        how = f"`kinit -R -c {host}` (renewable until {_utc(summary.tgt_renew_until).isoformat()})"
    else:
        how = f"`kinit -c {host} {_who(summary.principal)}` (the ticket is no longer renewable)"
    return f"on the host run {how}; {_share_delay()}"

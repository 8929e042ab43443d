#!/usr/bin/env python3
"""Share the developer's Kerberos ticket cache with the platform containers.

The host DIRECTORY holding the cache is mounted read-only at ``--source-dir`` (``/host-krb5``)
and the cache is found there by name (``KRB5_HOST_CCACHE_NAME``). A directory, not the file:
MIT ``kinit`` and ``kinit -R`` replace the cache (new file, rename), and a single-file bind
mount would keep showing the old, unlinked inode forever.

Every ``--interval`` seconds (default 5) the sidecar stats the cache by path; only when its
inode, mtime or size changed (or the shared copy was touched) does it read and validate the
bytes. If they hold an unexpired TGT of the expected principal it copies them into the shared
volume atomically (temp file in the same directory, fsync, rename), mode 0640, group
``KRB5_SHARE_GID``, so consumers never see a torn file and nobody else can read it.

Every cycle, failed or not, ends in a JSON status file (state, principal, expiry, last check,
last copy, last error, write error) that feeds the healthcheck and the diagnostics. When the
status file itself cannot be written, a fallback copy goes to the container's /tmp so the
healthcheck (and ``diagnostics/krb_probe.py status`` run in this container) can still say why.
When the source is missing, expired, of another principal or has no TGT, the last good copy
is kept and the status says so; when it is missing while another cache sits in the same
directory (a ``kinit -c`` to another file, which is never shared), the status names that file
and the setting to change. Principal and expiry are logged; ticket bytes never are.

Validation reads the cache bytes itself (the MIT FILE ccache format, stdlib only) instead of
running ``klist -s`` or python-gssapi on the path: the bytes that are checked are exactly the
bytes that get written, so a ``kinit`` rewriting the host cache between "check" and "copy"
cannot slip a half-written or different cache through, and the image needs nothing but Python.

Settings (same names as ``platform-bootstrap/.env``): ``KRB5_HOST_CCACHE_DIR`` (host path of
the mounted directory, for messages), ``KRB5_HOST_CCACHE_NAME``, ``KRB5_SHARE_GID``,
``KRB5_SHARE_INTERVAL_SECONDS``, ``KRB5_PRINCIPAL``, ``KRB5_REALM``; each also a flag.

Exit codes: ``--once`` 0 if the shared copy is valid after the run, 1 otherwise;
``--healthcheck`` 0 healthy or waiting for a ticket, 1 unhealthy (reason on stdout);
2 bad arguments. Stdlib only; Python >= 3.11.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import logging
import os
import signal
import stat
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

LOG = logging.getLogger("ticket-sharer")
STATUS_VERSION = 2
DEFAULT_INTERVAL = 5.0
NON_FILE_HINT = (
    "Only FILE: credential caches can be shared. Your cache is {kind}. On the host run "
    "`export KRB5CCNAME=FILE:{host_path} && kinit {who}` (or set `default_ccache_name = "
    "FILE:{host_path}` in krb5.conf), then `make kerberos-check`."
)


# --- FILE ccache reader (kept in step with openmetadata_platform/kerberos/ccache.py) --------
class CcacheFormatError(ValueError):
    """Not a complete version 3/4 FILE credential cache."""


def _parse_ccache(data: bytes) -> dict:
    """Return {principal, tgt_expires, tgt_renew_until (int|None), credentials} from ccache bytes; no secrets.

    Raises:
        CcacheFormatError: empty, truncated or unsupported.
    """
    if not data:
        raise CcacheFormatError("credential cache is empty")
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if n < 0 or pos + n > len(data):
            raise CcacheFormatError("truncated credential cache")
        pos += n
        return data[pos - n : pos]

    def u32() -> int:
        return struct.unpack(">I", take(4))[0]

    def u16() -> int:
        return struct.unpack(">H", take(2))[0]

    def octets() -> bytes:
        return take(u32())

    def principal() -> tuple:
        u32()
        count = u32()
        if count > 64:
            raise CcacheFormatError("implausible principal component count")
        realm = octets().decode("utf-8", "replace")
        return realm, [octets().decode("utf-8", "replace") for _ in range(count)]

    magic, version = take(1)[0], take(1)[0]
    if magic != 5 or version not in (3, 4):
        raise CcacheFormatError(f"not a version 3/4 FILE credential cache (header {magic:#x} {version:#x})")
    if version == 4:
        take(u16())
    realm, comps = principal()
    name = "/".join(comps) + "@" + realm
    tgt = f"krbtgt/{realm}@{realm}"
    expires, renew_until, count = None, None, 0
    while pos < len(data):
        principal()
        s_realm, s_comps = principal()
        u16()
        if version == 3:
            u16()
        octets()  # key: skipped
        _auth, _start, end, renew = u32(), u32(), u32(), u32()
        take(1)
        u32()
        for _ in range(u32()):
            u16()
            octets()
        for _ in range(u32()):
            u16()
            octets()
        octets()  # ticket: skipped
        octets()
        if s_realm == "X-CACHECONF:":
            continue
        count += 1
        if "/".join(s_comps) + "@" + s_realm == tgt and (expires is None or end > expires):
            expires, renew_until = end, renew or None
    return {"principal": name, "tgt_expires": expires, "tgt_renew_until": renew_until, "credentials": count}


# --- helpers -------------------------------------------------------------------------------
def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cache_type(name: str) -> str:
    """``"FILE"`` for paths and ``FILE:`` names, else the prefix (``KEYRING``, ``KCM``, ``DIR``...)."""
    head = name.split("/", 1)[0]
    return head.split(":", 1)[0].upper() if ":" in head else "FILE"


def _ids() -> str:
    groups = sorted(set(os.getgroups()) - {os.getegid()})
    extra = f" (also groups {', '.join(map(str, groups))})" if groups else ""
    return f"uid {os.geteuid()}, gid {os.getegid()}{extra}"


def _owner(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "owner unknown"
    return f"owned by uid {st.st_uid}, gid {st.st_gid}, mode {stat.S_IMODE(st.st_mode):04o}"


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """What changes when kinit rewrites or replaces a file: device, inode, mtime, size."""
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


class WriteFailure(Exception):
    """Writing the shared copy failed; the message says which step, why and what to do."""


def _atomic_write(path: Path, data: bytes, mode: int, gid: int | None, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a mix.

    Raises:
        WriteFailure: a step failed (create the temp file, set the group, write, rename).
    """
    step = f"create a file in {path.parent}"
    try:
        fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.")
    except OSError as exc:
        raise WriteFailure(_explain(exc, step, path)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            # Permissions before content: the bytes are never readable by anyone else.
            if gid is not None and os.fstat(fh.fileno()).st_gid != gid:
                step = f"give {path.name} group {gid}"
                os.fchown(fh.fileno(), -1, gid)
            step = f"write {path}"
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        step = f"rename the new copy onto {path}"
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise WriteFailure(_explain(exc, step, path, gid)) from None
    if durable:
        dir_fd = os.open(str(path.parent), os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename durable
        finally:
            os.close(dir_fd)


def _explain(exc: OSError, step: str, path: Path, gid: int | None = None) -> str:
    """One sentence per write failure cause, with its fix."""
    base = f"cannot {step}: {exc.strerror or exc}"
    if exc.errno == errno.EPERM and gid is not None and "group" in step:
        return (
            f"{base}. The sidecar runs as {_ids()} and can only hand files to its own groups: run it "
            f'with group {gid} (compose: user: "${{KRB5_HOST_UID}}:${{KRB5_SHARE_GID}}", written by '
            "`./platform setup`) or as root"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"{base}. The sidecar runs as {_ids()}; {path.parent} is {_owner(path.parent)}. If the "
            "volume was made by an older image: `docker compose rm -sf developer-kerberos-service && "
            "docker volume rm platform_kerberos_cache`, then start the platform again"
        )
    if exc.errno == errno.EROFS:
        return f"{base}. {path.parent} is mounted read-only: mount the platform_kerberos_cache volume read-write here"
    if exc.errno == errno.ENOSPC:
        return f"{base}. The shared volume is full: free space on the Docker host"
    return base


def _fallback_status(status_path: Path) -> Path:
    """Where the status goes when ``status_path`` cannot be written (same for writer and healthcheck)."""
    digest = hashlib.sha256(str(status_path).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"ticket-sharer-status-{digest}.json"


class Sharer:
    """One source cache, one shared copy, one status file. See the module docstring.

    Args:
        source: the cache as seen here: a path (``/host-krb5/krb5cc``) or a non-FILE name.
        dest: the shared copy (``/krb5/cache/krb5cc``).
        status: the status JSON path.
        interval: seconds between cycles.
        mode / gid: file mode and group of the copy (gid None = the process's group).
        warn_before: seconds before expiry at which the status carries a warning.
        host_path: the cache's path on the host, for messages (None = unknown).
        principal / realm: the expected principal (``alice`` or ``alice@REALM``) and realm; "" = any.
    """

    def __init__(
        self,
        source: str,
        dest: Path,
        status: Path,
        interval: float,
        mode: int,
        gid: int | None,
        warn_before: float,
        host_path: str | None = None,
        principal: str = "",
        realm: str = "",
    ) -> None:
        self.source_name, self.dest, self.status_path = source, dest, status
        self.interval, self.mode, self.gid, self.warn_before = interval, mode, gid, warn_before
        self.host_path = host_path
        self.expected_principal, self.expected_realm = principal, realm
        if "@" in principal and not realm:
            self.expected_realm = principal.rsplit("@", 1)[1]
        self.fallback_path = _fallback_status(status)
        self.last_copy: float | None = None
        self.copies = 0
        self.reads = 0
        self.shared: dict | None = None
        self._source_sig: tuple | None = None
        self._source_result: tuple | None = None  # (state, info, error) of the bytes behind _source_sig
        self._dest_sig: tuple | None = None
        self._other_sig: tuple | None = None  # (inode, mtime) of the directory behind _other
        self._other: tuple[str, str] | None = None  # (file name, principal) of another cache there
        self.other_cache: str | None = None  # its name when the configured cache is missing (status)
        self._load_existing()

    # -- start-up -------------------------------------------------------------------------
    def _load_existing(self) -> None:
        """Adopt a copy left by a previous run (restart keeps the shared ticket usable)."""
        try:
            self.shared = _parse_ccache(self.dest.read_bytes())
            self.last_copy = self.dest.stat().st_mtime
        except (OSError, CcacheFormatError):
            self.shared = None
        try:
            previous = json.loads(self.status_path.read_text())
            self.copies = int(previous.get("copies", 0))
        except (OSError, ValueError, TypeError):
            pass

    # -- messages -------------------------------------------------------------------------
    def _who(self, realm: str | None = None) -> str:
        """The principal to kinit as: the expected one, its realm filled in from ``realm`` if unset."""
        principal = self.expected_principal or "you"
        if "@" not in principal:
            principal += "@" + (self.expected_realm or realm or "REALM")
        return principal

    def _host(self) -> str:
        return self.host_path or "<KRB5_HOST_CCACHE_DIR>/<KRB5_HOST_CCACHE_NAME>"

    def _kinit(self, principal: str | None = None) -> str:
        """The kinit to run on the host; as the cache's ``principal`` when none is configured."""
        who = principal if principal and not self.expected_principal else self._who()
        return f"on the host run `kinit -c FILE:{self._host()} {who}`"

    def _renew(self, info: dict, now: float) -> str:
        """How to extend a still valid TGT: ``kinit -R`` while renewable, else a fresh kinit."""
        renew_until = info.get("tgt_renew_until")
        if renew_until and renew_until > now:
            return f"renew it with `kinit -R -c FILE:{self._host()}` on the host (renewable until {_iso(renew_until)})"
        return f"it is not renewable: {self._kinit(info.get('principal'))} before it expires"

    # -- one cycle ------------------------------------------------------------------------
    def _stat_source(self) -> tuple[str, os.stat_result | None, str | None]:
        """Return (state, stat, error) for the source path without reading it."""
        kind = _cache_type(self.source_name)
        if kind != "FILE":
            hint = NON_FILE_HINT.format(kind=f"{kind}: ({self.source_name})", host_path=self._host(), who=self._who())
            return "not_file", None, hint
        path = Path(self.source_name.removeprefix("FILE:"))
        self.other_cache = None
        try:
            st = path.stat()
        except FileNotFoundError:
            if not path.parent.is_dir():
                return (
                    "missing_dir",
                    None,
                    (
                        f"{path.parent} is not mounted: the host directory of the cache is missing. Set it with "
                        "`./platform setup -y --kerberos --kerberos-ccache /path/to/cache-file` "
                        "(KRB5_HOST_CCACHE_DIR), create it on the host (`mkdir -p -m 700 DIR`), then "
                        "`docker compose up -d developer-kerberos-service`"
                    ),
                )
            other = self._other_cache(path)
            if other is not None:
                self.other_cache = other[0]
                return "missing", None, self._other_cache_hint(path, *other)
            return (
                "missing",
                None,
                (
                    f"no ticket cache {path} yet (host: {self._host()}): {self._kinit()} (or "
                    f"`export KRB5CCNAME=FILE:{self._host()}` so every kinit writes there; if `klist` on the "
                    "host shows a KEYRING: or KCM: cache, kinit is writing elsewhere)"
                ),
            )
        except PermissionError as exc:
            return "unreadable", None, self._no_access(path.parent, exc, "search (x)")
        if stat.S_ISDIR(st.st_mode):
            return (
                "missing",
                None,
                (
                    f"source {path} is a directory, not a ticket cache: remove it on the host "
                    f"(`rmdir {self._host()}`, it was probably created by a single-file bind mount), then "
                    f"{self._kinit()}"
                ),
            )
        return "present", st, None

    def _other_cache(self, path: Path) -> tuple[str, str] | None:
        """Another credential cache next to the missing ``path``: (file name, principal), else None.

        A `kinit -c` to another file in the shared directory is what usually leaves the
        configured cache missing. Candidates: regular files not starting with "." that parse as
        a FILE ccache of the expected principal (any, if none is configured) and, unless the
        sidecar runs as root, belong to the sidecar's uid (the developer's own caches, not those
        of other users in a shared /tmp); the newest wins. The answer is kept until the
        directory changes (files created, removed or renamed), so a missing cache costs one
        directory stat per cycle.
        """
        directory = path.parent
        try:
            dir_st = directory.stat()
        except OSError:
            return None
        sig = (dir_st.st_dev, dir_st.st_ino, dir_st.st_mtime_ns)
        if sig == self._other_sig:
            return self._other
        found: list[tuple[int, str, str]] = []
        uid = os.geteuid()
        try:
            with os.scandir(directory) as entries:
                for count, entry in enumerate(entries):
                    if count >= 1000:  # a huge /tmp: give up rather than stall the cycle
                        break
                    if entry.name.startswith(".") or entry.name == path.name:
                        continue
                    try:
                        st = entry.stat(follow_symlinks=True)
                        if not stat.S_ISREG(st.st_mode) or st.st_size > 1 << 20 or (uid and st.st_uid != uid):
                            continue
                        with open(entry.path, "rb") as fh:
                            head = fh.read(2)
                            if head not in (b"\x05\x04", b"\x05\x03"):  # not a v3/v4 FILE ccache
                                continue
                            info = _parse_ccache(head + fh.read())
                    except (OSError, CcacheFormatError):
                        continue
                    if self._judge(info, time.time())[0] == "wrong_principal":
                        continue
                    found.append((st.st_mtime_ns, entry.name, info["principal"]))
        except OSError:
            return None
        self._other_sig = sig
        self._other = max(found)[1:] if found else None
        return self._other

    def _other_cache_hint(self, path: Path, other: str, principal: str) -> str:
        host_dir = self.host_path.rsplit("/", 1)[0] if self.host_path else "<KRB5_HOST_CCACHE_DIR>"
        return (
            f"no ticket cache {path} yet (host: {self._host()}), but the same directory holds another cache, "
            f"{other} (host: {host_dir}/{other}, a ticket of {principal}): the sidecar shares only the file named "
            f"by KRB5_HOST_CCACHE_NAME ({path.name}) and ignores a `kinit -c` to any other file. Either "
            f"{self._kinit(principal)}, or share that file instead: `./platform setup -y --kerberos-ccache "
            f"{host_dir}/{other}` (sets KRB5_HOST_CCACHE_NAME), then `docker compose up -d developer-kerberos-service`"
        )

    def _no_access(self, path: Path, exc: OSError, need: str) -> str:
        return (
            f"cannot read {path}: {exc.strerror}. The sidecar runs as {_ids()}; {path} is {_owner(path)} and "
            f"needs {need} permission: the sidecar must run as the cache's owner (KRB5_HOST_UID, written by "
            "`./platform setup` from the cache's owner) or as root"
        )

    def _judge(self, info: dict, now: float) -> tuple[str, str | None]:
        """State and error of parsed source bytes at ``now``: valid, wrong_principal, no_tgt, expired."""
        principal = info["principal"]
        name, _, realm = principal.rpartition("@")
        if self.expected_realm and realm != self.expected_realm:
            return "wrong_principal", (
                f"source cache holds a ticket of {principal}, realm {realm}, expected realm {self.expected_realm}"
                + (f" ({self._who()})" if self.expected_principal else "")
                + f": {self._kinit()}, or correct KRB5_REALM/KRB5_PRINCIPAL with `./platform setup`"
            )
        if self.expected_principal:
            want = self.expected_principal.split("@", 1)[0]
            if name != want:
                who = self._who(realm)
                return "wrong_principal", (
                    f"source cache holds a ticket of {principal}, expected {who}: on the host run "
                    f"`kinit -c FILE:{self._host()} {who}`, or correct KRB5_PRINCIPAL with `./platform setup`"
                )
        if info["tgt_expires"] is None:
            return "no_tgt", (
                f"source cache of {principal} holds no TGT (only service tickets, e.g. from `kinit -S` or "
                f"`kvno`): {self._kinit(principal)} (a plain kinit, no -S)"
            )
        if info["tgt_expires"] <= now:
            return "expired", (
                f"source TGT of {principal} expired at {_iso(info['tgt_expires'])}: {self._kinit(principal)} (a "
                "new login: an expired ticket cannot be renewed, not even before its renew-until time)"
            )
        return "valid", None

    def _dest_changed(self) -> bool:
        try:
            return _signature(self.dest.stat()) != self._dest_sig
        except OSError:
            return True

    def _check_source(self, now: float) -> tuple[str, dict | None, bytes | None, str | None]:
        """Return (state, parsed info, bytes to share or None, error); reads only if the file changed."""
        state, st, error = self._stat_source()
        if st is None:
            self._source_sig = self._source_result = None
            return state, None, None, error
        sig = _signature(st)
        if sig == self._source_sig and self._source_result is not None:
            state, info, error = self._source_result
            if info is not None:
                state, error = self._judge(info, now)
            if state != "valid" or not self._dest_changed():
                return state, info, None, error  # unchanged: nothing to read or copy
            # A valid source whose shared copy vanished or was altered: read and copy again.
        path = Path(self.source_name.removeprefix("FILE:"))
        try:
            data = path.read_bytes()
        except PermissionError as exc:
            return "unreadable", None, None, self._no_access(path, exc, "read (r)")
        except OSError as exc:
            return "unreadable", None, None, f"cannot read source cache {path}: {exc.strerror}"
        self.reads += 1
        if not data:
            result = ("empty", None, f"source cache {path} is empty: {self._kinit()}")
            self._source_sig, self._source_result = sig, result
            return (*result[:2], None, result[2])
        try:
            info = _parse_ccache(data)
        except CcacheFormatError as exc:
            # A kinit in the middle of writing: do not remember, look again next cycle.
            self._source_sig = self._source_result = None
            return "unreadable", None, None, f"source cache is not usable: {exc}"
        state, error = self._judge(info, now)
        self._source_sig, self._source_result = sig, (state, info, error)
        return state, info, data, error

    def run_once(self) -> bool:
        """One cycle: check the source, copy if changed, write status. Returns True if the shared copy is valid.

        Never raises for I/O problems: every failure ends up in the status file.
        """
        now = time.time()
        source_info: dict = {"path": self.source_name, "host_path": self.host_path}
        error = write_error = None
        try:
            state, info, data, error = self._check_source(now)
            source_info["state"] = state
            if self.other_cache:  # the configured cache is missing, this one is not: a `kinit -c` elsewhere
                source_info["other_cache"] = self.other_cache
            if info is not None:
                source_info.update(principal=info["principal"], expires_at=_iso(info["tgt_expires"]))
            if state == "valid" and data is not None:
                self._copy_if_changed(data, info)
        except WriteFailure as exc:
            write_error = str(exc)
            self._dest_sig = None
        except Exception as exc:  # noqa: BLE001 - whatever happened, the status must say it
            write_error = f"cycle failed: {type(exc).__name__}: {exc}"
            self._dest_sig = None
        if error:
            LOG.error("%s%s", error, "; keeping the last good copy" if self.shared else "; nothing shared yet")
        if write_error:
            LOG.error("%s", write_error)
        shared_valid = bool(
            self.shared and self.shared["tgt_expires"] and self.shared["tgt_expires"] > now and self.dest.exists()
        )
        warning = None
        if shared_valid and self.shared["tgt_expires"] - now < self.warn_before:
            minutes = int((self.shared["tgt_expires"] - now) // 60)
            warning = (
                f"shared TGT of {self.shared['principal']} expires in {minutes} min "
                f"({_iso(self.shared['tgt_expires'])}): {self._renew(self.shared, now)}"
            )
            LOG.warning("%s", warning)
        self._write_status(now, source_info, error, write_error, warning, shared_valid)
        return shared_valid and not write_error

    def _copy_if_changed(self, data: bytes, info: dict) -> None:
        try:
            current = self.dest.read_bytes()
        except OSError:
            current = None
        if current != data:
            _atomic_write(self.dest, data, self.mode, self.gid)
            self.last_copy = time.time()
            self.copies += 1
            LOG.info("shared TGT of %s (expires %s) to %s", info["principal"], _iso(info["tgt_expires"]), self.dest)
        self.shared = info
        self._dest_sig = _signature(self.dest.stat())

    def _write_status(
        self, now: float, source: dict, error: str | None, write_error: str | None, warning: str | None, valid: bool
    ) -> None:
        shared = self.shared or {}
        if write_error:
            state = "failing"
        elif valid:
            state = "sharing"
        else:
            state = "waiting"
        status = {
            "status_version": STATUS_VERSION,
            "state": state,
            "pid": os.getpid(),
            "uid": os.geteuid(),
            "gid": os.getegid(),
            "interval_seconds": self.interval,
            "principal": shared.get("principal"),
            "expected_principal": self._who() if self.expected_principal or self.expected_realm else None,
            "expires_at": _iso(shared.get("tgt_expires")),
            "expires_at_epoch": shared.get("tgt_expires"),
            "shared_cache": str(self.dest),
            "shared_valid": valid,
            "last_check": _iso(now),
            "last_check_epoch": now,
            "last_copy": _iso(self.last_copy),
            "copies": self.copies,
            "source_reads": self.reads,
            "last_error": error,
            "write_error": write_error,
            "warning": warning,
            "kept_last_good_copy": bool(error and valid),
            "source": source,
        }
        # Status holds no secret (principal and times): world-readable so any diagnostics can read it.
        # Not fsynced: it is rewritten every cycle and only its freshness matters.
        try:
            _atomic_write(self.status_path, self._json(status), 0o644, None, durable=False)
        except WriteFailure as exc:
            status["state"] = "failing"
            status["write_error"] = "; ".join(filter(None, [write_error, f"status file: {exc}"]))
            LOG.error("%s", status["write_error"])
            try:
                _atomic_write(self.fallback_path, self._json(status), 0o644, None, durable=False)
            except WriteFailure as fallback_exc:
                LOG.error("cannot write the fallback status either: %s", fallback_exc)
        else:
            if self.fallback_path.exists():
                try:
                    self.fallback_path.unlink()
                except OSError:
                    pass

    @staticmethod
    def _json(status: dict) -> bytes:
        return (json.dumps(status, indent=2) + "\n").encode()

    def loop(self) -> None:
        stop = {"now": False}

        def _stop(signum, _frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        while not stop["now"]:
            self.run_once()
            deadline = time.monotonic() + self.interval
            while not stop["now"] and time.monotonic() < deadline:
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        LOG.info("stopping")


def _read_status(status_path: Path) -> tuple[dict | None, str | None]:
    """The newest of the status file and its fallback; (None, why) when neither is readable."""
    found, why = [], None
    for path in (status_path, _fallback_status(status_path)):
        try:
            found.append(json.loads(path.read_text()))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            why = f"{path}: {exc.__class__.__name__}"
    if not found:
        return None, why or f"no status file {status_path} yet"
    return max(found, key=lambda s: float(s.get("last_check_epoch", 0))), None


def healthcheck(status_path: Path, max_age: float | None) -> int:
    """Print one line, ``healthy:``/``waiting:``/``unhealthy:``; return 0 for the first two, 1 otherwise.

    Waiting (no valid ticket yet, or it expired) is healthy for the container: the platform
    must start before the developer's first kinit. Unhealthy means the sharer is broken: not
    running (stale status) or unable to write.
    """
    status, why = _read_status(status_path)
    if status is None:
        print(f"unhealthy: {why}: the sharer has not completed a cycle")
        return 1
    now = time.time()
    age_limit = max_age if max_age is not None else 2 * float(status.get("interval_seconds", DEFAULT_INTERVAL)) + 30
    age = now - float(status.get("last_check_epoch", 0))
    if age > age_limit:
        print(f"unhealthy: status last updated {int(age)}s ago (limit {int(age_limit)}s): is the sharer running?")
        return 1
    if status.get("write_error"):
        print(f"unhealthy: {status['write_error']}")
        return 1
    expires = status.get("expires_at_epoch")
    if not expires or expires <= now:
        reason = status.get("last_error") or "no ticket shared yet"
        when = f" (shared TGT expired at {status.get('expires_at')})" if expires else ""
        print(f"waiting: no valid ticket to share{when}: {reason}")
        return 0
    note = f"; host cache: {status['last_error']}" if status.get("last_error") else ""
    print(f"healthy: {status.get('principal')} until {status.get('expires_at')}{note}")
    return 0


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source-dir", default="/host-krb5", help="the host's cache directory as mounted (default /host-krb5)"
    )
    parser.add_argument(
        "--source-name",
        default=_env("KRB5_HOST_CCACHE_NAME", "krb5cc"),
        help="cache file name inside --source-dir [env KRB5_HOST_CCACHE_NAME]",
    )
    parser.add_argument(
        "--source", default=None, help="the cache as seen here (a path or KEYRING:/KCM: name); overrides the two above"
    )
    parser.add_argument(
        "--host-dir",
        default=os.environ.get("KRB5_HOST_CCACHE_DIR") or None,
        help="host path of --source-dir, for messages [env KRB5_HOST_CCACHE_DIR]",
    )
    parser.add_argument("--dest", default="/krb5/cache/krb5cc", help="shared copy (default /krb5/cache/krb5cc)")
    parser.add_argument("--status-file", default=None, help="status JSON (default: status.json next to --dest)")
    parser.add_argument(
        "--interval",
        type=float,
        default=float(_env("KRB5_SHARE_INTERVAL_SECONDS", str(DEFAULT_INTERVAL))),
        help=f"seconds between checks (default {DEFAULT_INTERVAL:g}) [env KRB5_SHARE_INTERVAL_SECONDS]",
    )
    parser.add_argument(
        "--gid",
        default=os.environ.get("KRB5_SHARE_GID") or None,
        help="group owning the copy (number) [env KRB5_SHARE_GID]; default: the process group",
    )
    parser.add_argument("--mode", default="0640", help="octal file mode of the copy (default 0640)")
    parser.add_argument(
        "--warn-before",
        type=float,
        default=3600.0,
        help="warn when the TGT expires within this many seconds (default 3600)",
    )
    parser.add_argument(
        "--principal",
        default=os.environ.get("KRB5_PRINCIPAL", ""),
        help="share only tickets of this principal (alice or alice@REALM) [env KRB5_PRINCIPAL]",
    )
    parser.add_argument(
        "--realm", default=os.environ.get("KRB5_REALM", ""), help="share only tickets of this realm [env KRB5_REALM]"
    )
    parser.add_argument(
        "--max-status-age",
        type=float,
        default=None,
        help="healthcheck: maximum status age in seconds (default 2*interval+30)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--once", action="store_true", help="one cycle, then exit (0 = shared copy valid)")
    group.add_argument("--healthcheck", action="store_true", help="check the status file and exit")
    args = parser.parse_args(argv)
    if args.interval <= 0:
        parser.error(f"--interval: expected seconds > 0, got {args.interval}")
    try:
        args.mode = int(str(args.mode), 8)
    except ValueError:
        parser.error(f"--mode: expected an octal mode such as 0640, got {args.mode!r}")
    if args.mode & 0o007:
        parser.error(f"--mode: the copy must not be readable by others, got {oct(args.mode)}")
    if args.gid is not None:
        if not str(args.gid).isdigit():
            parser.error(f"--gid: expected a numeric group id, got {args.gid!r}")
        args.gid = int(args.gid)
    if "/" in args.source_name or not args.source_name:
        parser.error(f"--source-name: expected a file name without '/', got {args.source_name!r}")
    if args.source is None:
        args.source = str(Path(args.source_dir) / args.source_name)
        args.host_path = f"{args.host_dir.rstrip('/')}/{args.source_name}" if args.host_dir else None
    else:
        args.host_path = f"{args.host_dir.rstrip('/')}/{Path(args.source).name}" if args.host_dir else None
    args.dest = Path(args.dest)
    args.status_file = Path(args.status_file) if args.status_file else args.dest.parent / "status.json"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s ticket-sharer: %(message)s"
    )
    if args.healthcheck:
        return healthcheck(args.status_file, args.max_status_age)
    try:
        args.dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        LOG.error("cannot create %s: %s", args.dest.parent, exc.strerror)
    sharer = Sharer(
        args.source,
        args.dest,
        args.status_file,
        args.interval,
        args.mode,
        args.gid,
        args.warn_before,
        args.host_path,
        args.principal,
        args.realm,
    )
    if args.once:
        return 0 if sharer.run_once() else 1
    LOG.info(
        "sharing %s (host %s) -> %s every %ss (mode %s, gid %s, as %s)",
        args.source,
        args.host_path or "unknown",
        args.dest,
        args.interval,
        oct(args.mode),
        args.gid if args.gid is not None else "unchanged",
        _ids(),
    )
    sharer.loop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

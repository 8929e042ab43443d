#!/usr/bin/env python3
"""Share the developer's Kerberos ticket cache with the platform containers.

Every ``--interval`` seconds (default 300) read the host's FILE ticket cache (mounted
read-only), and if it holds an unexpired TGT, copy it into the shared volume atomically
(temp file in the same directory, fsync, rename) with mode 0640 and a configurable group,
so consumers never see a torn file and nobody else can read it. A small JSON status file
(principal, expiry, last check/copy, last error) feeds the healthcheck and the diagnostics.
When the source is missing, empty, expired or has no TGT the last good copy is kept and the
status says so. Principal and expiry are logged; ticket bytes never are.

Validation reads the cache bytes itself (the MIT FILE ccache format, stdlib only) instead of
running ``klist -s`` or python-gssapi on the path: the bytes that are checked are exactly the
bytes that get written, so a ``kinit`` rewriting the host cache between "check" and "copy"
cannot slip a half-written or different cache through, and the image needs nothing but Python.

Exit codes: ``--once`` 0 if the shared copy is valid after the run, 1 otherwise;
``--healthcheck`` 0 healthy, 1 unhealthy (reason on stdout); 2 bad arguments.
Stdlib only; Python >= 3.9.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

LOG = logging.getLogger("ticket-sharer")
STATUS_VERSION = 1
NON_FILE_HINT = (
    "Only FILE: credential caches can be shared. Your cache is {kind}. On the host run "
    "`export KRB5CCNAME=FILE:$HOME/.krb5cc_platform && kinit you@REALM` (or set "
    "`default_ccache_name = FILE:/tmp/krb5cc_%{{uid}}` in krb5.conf) and point the sidecar's "
    "host mount (HOST_KRB5CCNAME) at that file."
)


# --- FILE ccache reader (kept in step with openmetadata_platform/kerberos/ccache.py) --------
class CcacheFormatError(ValueError):
    """Not a complete version 3/4 FILE credential cache."""


def _parse_ccache(data: bytes) -> dict:
    """Return {principal, tgt_expires (int|None), credentials} from ccache bytes; no secrets.

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
    expires, count = None, 0
    while pos < len(data):
        principal()
        s_realm, s_comps = principal()
        u16()
        if version == 3:
            u16()
        octets()  # key: skipped
        _auth, _start, end, _renew = u32(), u32(), u32(), u32()
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
            expires = end
    return {"principal": name, "tgt_expires": expires, "credentials": count}


# --- helpers -------------------------------------------------------------------------------
def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cache_type(name: str) -> str:
    """``"FILE"`` for paths and ``FILE:`` names, else the prefix (``KEYRING``, ``KCM``, ``DIR``...)."""
    head = name.split("/", 1)[0]
    return head.split(":", 1)[0].upper() if ":" in head else "FILE"


def _atomic_write(path: Path, data: bytes, mode: int, gid: int | None) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a mix."""
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.")
    try:
        # Permissions before content: the bytes are never readable with mkstemp's defaults
        # by anyone else, and never world-readable.
        if gid is not None:
            os.fchown(fd, -1, gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(str(path.parent), os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename durable
    finally:
        os.close(dir_fd)


class Sharer:
    """One source cache, one shared copy, one status file. See the module docstring."""

    def __init__(
        self,
        source: str,
        dest: Path,
        status: Path,
        interval: float,
        mode: int,
        gid: int | None,
        warn_before: float,
        host_ccname: str | None = None,
    ) -> None:
        self.source_name, self.dest, self.status_path = source, dest, status
        self.interval, self.mode, self.gid, self.warn_before = interval, mode, gid, warn_before
        self.host_ccname = host_ccname
        self.last_copy: float | None = None
        self.copies = 0
        self.shared: dict | None = None
        self._load_existing()

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

    def _read_source(self) -> tuple[str, bytes | None, str | None]:
        """Return (state, bytes, error) for the source cache."""
        kind = _cache_type(self.source_name)
        if kind != "FILE":
            return "not_file", None, NON_FILE_HINT.format(kind=f"{kind}: ({self.source_name})")
        path = Path(self.source_name.removeprefix("FILE:"))
        state, data, error = "present", None, None
        if path.is_dir():
            state, error = (
                "missing",
                (
                    f"source {path} is a directory: the host cache file did not exist when the "
                    "container started (Docker created a directory). Run kinit on the host, "
                    "then restart the sidecar."
                ),
            )
        else:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                state, error = "missing", f"source cache {path} does not exist: run kinit on the host"
            except OSError as exc:
                state, error = "unreadable", f"cannot read source cache {path}: {exc.strerror}"
            else:
                if not data:
                    state, data, error = "empty", None, f"source cache {path} is empty: run kinit on the host"
        host_kind = _cache_type(self.host_ccname or "")
        if error and host_kind != "FILE":
            # The mounted file is not where the host keeps tickets: say how to fix that.
            error += ". " + NON_FILE_HINT.format(kind=f"{host_kind}: (host KRB5CCNAME={self.host_ccname})")
        return state, data, error

    def run_once(self) -> bool:
        """One cycle: validate, copy if changed, write status. Returns True if the shared copy is valid."""
        now = time.time()
        state, data, error = self._read_source()
        source_info: dict = {"path": self.source_name, "state": state}
        if data is not None:
            try:
                info = _parse_ccache(data)
            except CcacheFormatError as exc:
                state, error = "unreadable", f"source cache is not usable: {exc}"
            else:
                source_info.update(principal=info["principal"], expires_at=_iso(info["tgt_expires"]))
                if info["tgt_expires"] is None:
                    state, error = "no_tgt", f"source cache of {info['principal']} holds no TGT: run kinit on the host"
                elif info["tgt_expires"] <= now:
                    state = "expired"
                    error = (
                        f"source TGT of {info['principal']} expired at {_iso(info['tgt_expires'])}: "
                        "run kinit on the host"
                    )
                else:
                    state = "valid"
                    self._copy_if_changed(data, info)
            source_info["state"] = state
        if error:
            LOG.error("%s%s", error, "; keeping the last good copy" if self.shared else "; nothing shared yet")
        shared_valid = bool(self.shared and self.shared["tgt_expires"] and self.shared["tgt_expires"] > now)
        warning = None
        if shared_valid and self.shared["tgt_expires"] - now < self.warn_before:
            minutes = int((self.shared["tgt_expires"] - now) // 60)
            warning = (
                f"shared TGT of {self.shared['principal']} expires in {minutes} min "
                f"({_iso(self.shared['tgt_expires'])}): renew with kinit on the host"
            )
            LOG.warning("%s", warning)
        self._write_status(now, source_info, error, warning, shared_valid)
        return shared_valid

    def _copy_if_changed(self, data: bytes, info: dict) -> None:
        try:
            current = self.dest.read_bytes()
        except OSError:
            current = None
        if current is not None and hashlib.sha256(current).digest() == hashlib.sha256(data).digest():
            self.shared = info
            return
        _atomic_write(self.dest, data, self.mode, self.gid)
        self.shared, self.last_copy = info, time.time()
        self.copies += 1
        LOG.info("shared TGT of %s (expires %s) to %s", info["principal"], _iso(info["tgt_expires"]), self.dest)

    def _write_status(self, now: float, source: dict, error: str | None, warning: str | None, valid: bool) -> None:
        shared = self.shared or {}
        status = {
            "status_version": STATUS_VERSION,
            "pid": os.getpid(),
            "interval_seconds": self.interval,
            "principal": shared.get("principal"),
            "expires_at": _iso(shared.get("tgt_expires")),
            "expires_at_epoch": shared.get("tgt_expires"),
            "shared_cache": str(self.dest),
            "shared_valid": valid,
            "last_check": _iso(now),
            "last_check_epoch": now,
            "last_copy": _iso(self.last_copy),
            "copies": self.copies,
            "last_error": error,
            "warning": warning,
            "kept_last_good_copy": bool(error and self.shared),
            "source": source,
        }
        # Status holds no secret (principal and times): world-readable so any diagnostics can read it.
        _atomic_write(self.status_path, (json.dumps(status, indent=2) + "\n").encode(), 0o644, self.gid)

    def loop(self) -> None:
        stop = {"now": False}

        def _stop(signum, _frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        while not stop["now"]:
            try:
                self.run_once()
            except OSError as exc:  # e.g. the shared volume is full or read-only: report, retry
                LOG.error("cycle failed: %s", exc)
            deadline = time.monotonic() + self.interval
            while not stop["now"] and time.monotonic() < deadline:
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        LOG.info("stopping")


def healthcheck(status_path: Path, max_age: float | None) -> int:
    """Return 0 if the status is fresh and the shared TGT is unexpired; print why not."""
    try:
        status = json.loads(status_path.read_text())
    except (OSError, ValueError) as exc:
        print(f"unhealthy: no readable status file {status_path} ({exc.__class__.__name__})")
        return 1
    now = time.time()
    age_limit = max_age if max_age is not None else 2 * float(status.get("interval_seconds", 300)) + 30
    age = now - float(status.get("last_check_epoch", 0))
    if age > age_limit:
        print(f"unhealthy: status last updated {int(age)}s ago (limit {int(age_limit)}s): is the sharer running?")
        return 1
    expires = status.get("expires_at_epoch")
    if not expires or expires <= now:
        reason = status.get("last_error") or "no ticket shared yet"
        print(f"unhealthy: no valid shared TGT (expires_at={status.get('expires_at')}): {reason}")
        return 1
    print(f"healthy: {status.get('principal')} until {status.get('expires_at')}")
    return 0


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source",
        default=_env("TICKET_SHARER_SOURCE", "/host-krb5/krb5cc"),
        help="host cache as mounted (FILE path) [env TICKET_SHARER_SOURCE]",
    )
    parser.add_argument(
        "--dest", default=_env("TICKET_SHARER_DEST", "/krb5/cache/krb5cc"), help="shared copy [env TICKET_SHARER_DEST]"
    )
    parser.add_argument(
        "--status-file",
        default=os.environ.get("TICKET_SHARER_STATUS"),
        help="status JSON (default: status.json next to --dest) [env TICKET_SHARER_STATUS]",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=float(_env("TICKET_SHARER_INTERVAL", "300")),
        help="seconds between copies [env TICKET_SHARER_INTERVAL]",
    )
    parser.add_argument(
        "--gid",
        default=os.environ.get("TICKET_SHARER_GID") or None,
        help="group owning the copy (number) [env TICKET_SHARER_GID]; default: process group",
    )
    parser.add_argument(
        "--mode",
        default=_env("TICKET_SHARER_MODE", "0640"),
        help="octal file mode of the copy [env TICKET_SHARER_MODE]",
    )
    parser.add_argument(
        "--warn-before",
        type=float,
        default=float(_env("TICKET_SHARER_WARN_BEFORE", "3600")),
        help="warn when the TGT expires within this many seconds [env TICKET_SHARER_WARN_BEFORE]",
    )
    parser.add_argument(
        "--host-ccname",
        default=os.environ.get("HOST_KRB5CCNAME") or None,
        help="the host's KRB5CCNAME, to explain KEYRING:/KCM: caches [env HOST_KRB5CCNAME]",
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
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    sharer = Sharer(
        args.source, args.dest, args.status_file, args.interval, args.mode, args.gid, args.warn_before, args.host_ccname
    )
    if args.once:
        return 0 if sharer.run_once() else 1
    LOG.info(
        "sharing %s -> %s every %ss (mode %s, gid %s)",
        args.source,
        args.dest,
        args.interval,
        oct(args.mode),
        args.gid if args.gid is not None else "unchanged",
    )
    sharer.loop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

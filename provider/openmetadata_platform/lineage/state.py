"""What the Airflow processes of a host share about one OpenMetadata server, in files.

Under the Task SDK every task is its own short-lived process, so anything worth keeping
between events lives in ``[openmetadata_lineage] state_dir`` (default
``{AIRFLOW_HOME}/openmetadata_lineage``), one sub-directory per server URL:

- :class:`Backoff`: "skip the server until T", tripped by a failed or slow call;
- :class:`HostCache`: OpenMetadata ids (pipeline, tables, owners) with an expiry, so a new
  task process does not look them up again;
- :class:`Outbox`: final run statuses and lineage that could not be sent, one JSON file
  each, sent later by whichever process flushes it first.

Every write is atomic (temporary file + rename), so a reader never sees half a file; the
cache's read-modify-write holds an ``flock``. Nothing here is secret (no token, no
connection): only entity names, ids, statuses and edges.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from pathlib import Path

log = logging.getLogger("openmetadata_platform.lineage")

# A claimed outbox item whose sender died is handed back after this many seconds.
STALE_CLAIM_SECONDS = 600


def default_state_dir() -> Path:
    """``{AIRFLOW_HOME}/openmetadata_lineage`` (``~/airflow`` when AIRFLOW_HOME is unset)."""
    home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return Path(home) / "openmetadata_lineage"


def server_dir(state_dir: str, host_port: str) -> Path:
    """The directory for one server: ``<state_dir>/<sha256(host_port)[:16]>``, created if missing."""
    base = Path(state_dir) if state_dir else default_state_dir()
    path = base / hashlib.sha256(host_port.encode()).hexdigest()[:16]
    path.mkdir(parents=True, exist_ok=True)
    return path


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class Backoff:
    """ "Skip OpenMetadata until T" (epoch seconds in the file ``backoff``).

    Args:
        directory: the server's state directory (:func:`server_dir`).
        seconds: how long a trip lasts.
    """

    def __init__(self, directory: Path, seconds: float):
        self.path = directory / "backoff"
        self.seconds = seconds

    def active_until(self) -> float:
        """Epoch seconds until which calls are skipped (0.0 when not backing off)."""
        try:
            until = float(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0.0
        return until if until > time.time() else 0.0

    def trip(self) -> None:
        """Start backing off for ``seconds`` from now."""
        with contextlib.suppress(OSError):
            _atomic_write(self.path, str(time.time() + self.seconds))

    def reset(self) -> None:
        """Stop backing off (a call succeeded in time)."""
        with contextlib.suppress(OSError):
            self.path.unlink()


class HostCache:
    """Small JSON values with an expiry, shared by the processes of a host (file ``cache.json``).

    Args:
        directory: the server's state directory.
        seconds: how long a stored value stays valid.
    """

    def __init__(self, directory: Path, seconds: float):
        self.path = directory / "cache.json"
        self.lock_path = directory / "cache.lock"
        self.seconds = seconds

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str):
        """The value stored under ``key``, or ``None`` when absent, expired or caching is off."""
        if self.seconds <= 0:
            return None
        entry = self._read().get(key)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] > time.time():
            return entry[1]
        return None

    def put(self, key: str, value) -> None:
        """Store ``value`` (JSON-serialisable) under ``key`` for ``seconds``; drops expired keys."""
        self._update(lambda data: data.__setitem__(key, [time.time() + self.seconds, value]))

    def drop(self, key: str) -> None:
        """Forget ``key`` (e.g. the entity was deleted in OpenMetadata)."""
        self._update(lambda data: data.pop(key, None))

    def _update(self, change) -> None:
        if self.seconds <= 0:
            return
        try:
            with open(self.lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                now = time.time()
                data = {k: v for k, v in self._read().items() if isinstance(v, list) and v and v[0] > now}
                change(data)
                _atomic_write(self.path, json.dumps(data))
        except OSError as exc:
            log.debug("OpenMetadata lineage: host cache not written (%s)", exc)


class Outbox:
    """Events waiting to be sent, one JSON file each (directory ``outbox``), oldest first.

    An item is a dict ``{"key", "kind", "payload"}``; a newer item with the same ``key``
    replaces the older one (e.g. a run's final status). At most ``max_items`` are kept: the
    oldest go first, counted in :attr:`dropped` and logged.

    Args:
        directory: the server's state directory.
        max_items: the bound.
    """

    def __init__(self, directory: Path, max_items: int):
        self.directory = directory / "outbox"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_items = max_items
        self.dropped = 0

    def _path(self, key: str) -> Path:
        return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"

    def put(self, key: str, kind: str, payload: dict) -> None:
        """Keep an event for later. Never raises (a full disk loses the event, with a warning)."""
        try:
            path = self._path(key)
            pending = [p for p in self.pending() if p != path]  # a replaced item makes no room
            excess = len(pending) + 1 - self.max_items
            for old in pending[: max(excess, 0)]:
                with contextlib.suppress(OSError):
                    old.unlink()
                    self.dropped += 1
            if excess > 0:
                log.warning("OpenMetadata lineage: outbox full (%d items): dropped the oldest", self.max_items)
            _atomic_write(path, json.dumps({"key": key, "kind": kind, "payload": payload}))
        except OSError as exc:
            log.warning("OpenMetadata lineage: could not keep %s for later (%s); it is lost", key, exc)

    def discard(self, key: str) -> None:
        """Forget the waiting item stored under ``key``, if any (it was delivered after all).

        An item another process has claimed meanwhile is left to it (sending it twice is
        harmless: every write is an idempotent PUT).
        """
        with contextlib.suppress(OSError):
            self._path(key).unlink()

    def pending(self) -> list[Path]:
        """Files of the waiting items, oldest first (stale claims are handed back first)."""
        now = time.time()
        for claimed in self.directory.glob("*.json.claimed-*"):
            with contextlib.suppress(OSError):
                if now - claimed.stat().st_mtime > STALE_CLAIM_SECONDS:
                    os.replace(claimed, claimed.with_name(claimed.name.split(".claimed-")[0]))
        items = []
        for path in self.directory.glob("*.json"):
            with contextlib.suppress(OSError):
                items.append((path.stat().st_mtime_ns, path))
        return [path for _, path in sorted(items)]

    def __len__(self) -> int:
        return len(self.pending())

    def claim(self, path: Path) -> tuple[Path, dict] | None:
        """Take one item for sending (atomic rename: two processes never both take it).

        Returns (claimed path, item), or ``None`` when another process was faster or the file
        is not a valid item (then it is removed).
        """
        claimed = path.with_name(f"{path.name}.claimed-{os.getpid()}")
        try:
            os.replace(path, claimed)
            item = json.loads(claimed.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                claimed.unlink()
            return None
        return claimed, item

    def release(self, claimed: Path) -> None:
        """Hand a claimed item back (it could not be sent now)."""
        with contextlib.suppress(OSError):
            os.replace(claimed, claimed.with_name(claimed.name.split(".claimed-")[0]))

    def done(self, claimed: Path) -> None:
        """Forget a claimed item (sent, or not sendable ever)."""
        with contextlib.suppress(OSError):
            claimed.unlink()

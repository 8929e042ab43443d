"""Delivery: events leave the Airflow thread that built them and reach OpenMetadata in the background.

- :func:`submit` puts an event on the process's bounded queue and returns at once: nothing
  on the scheduler's (or a task's) thread waits for the network. When the queue is full,
  progress statuses are dropped (counted, logged once a minute) and final statuses and
  edges go to the outbox.
- One daemon thread per process (:class:`Dispatcher`) delivers the queue with
  :func:`deliver`: every event within ``[openmetadata_lineage] timeout``, connection
  resolution included; a failed or slow call trips the host's back-off, during which
  durable events go straight to the outbox; after a delivery in time, the outbox is sent
  (:func:`flush_outbox`).
- Long-lived processes (the scheduler) also poll the runs they watch for progress and
  flush the outbox every ``flush_interval`` seconds, so what was missed during an outage
  arrives within one interval of the server's return.
- :func:`flush` waits, with a bound, for the queue to be delivered: the listener calls it
  when a task process stops; what is still queued then goes to the outbox.

The state shared between processes (back-off, host cache, outbox) is in :mod:`.state`.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field

from openmetadata_platform.lineage.client import OpenMetadataCallError, RestClient
from openmetadata_platform.lineage.config import SECTION, LineageConfig
from openmetadata_platform.lineage.events import event_from_item
from openmetadata_platform.lineage.sender import Sender, say_once
from openmetadata_platform.lineage.state import Backoff, HostCache, Outbox, server_dir

log = logging.getLogger("openmetadata_platform.lineage")

CONNECTION_CACHE_SECONDS = 60.0  # a slow secrets backend is asked at most once a minute per process
DROP_LOG_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class ServerConnection:
    """Where to send: the API base URL, the bot's JWT (never logged) and TLS verification."""

    host_port: str
    token: str = field(repr=False)
    verify: bool | str = True


def resolve_connection(conn_id: str) -> ServerConnection:
    """Server URL, token and TLS setting from the Airflow connection (via ``OpenMetadataHook``).

    Raises:
        OpenMetadataConnectionError, AirflowNotFoundException: missing/invalid connection.
    """
    from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

    config = OpenMetadataHook(openmetadata_conn_id=conn_id).get_server_config_dict()
    verify: bool | str = {"no-ssl": False, "ignore": False}.get(config["verifySSL"], True)
    if verify is True and config.get("sslConfig", {}).get("caCertificate"):
        verify = config["sslConfig"]["caCertificate"]
    return ServerConnection(config["hostPort"], config["securityConfig"]["jwtToken"], verify)


_connections: dict[str, tuple[float, ServerConnection | Exception]] = {}


def connection_for(conn_id: str) -> ServerConnection:
    """:func:`resolve_connection`, remembered (found or not) for a minute in this process.

    Raises:
        as :func:`resolve_connection` (the remembered error, within the minute).
    """
    cached = _connections.get(conn_id)
    if cached is None or cached[0] <= time.monotonic():
        try:
            found: ServerConnection | Exception = resolve_connection(conn_id)
        except Exception as exc:  # noqa: BLE001 - remembered and re-raised below
            found = exc
        cached = (time.monotonic() + CONNECTION_CACHE_SECONDS, found)
        _connections[conn_id] = cached
    if isinstance(cached[1], Exception):
        raise cached[1]
    return cached[1]


@dataclass
class ServerState:
    """The host's files for one server (:mod:`.state`)."""

    backoff: Backoff
    cache: HostCache
    outbox: Outbox

    @classmethod
    def of(cls, config: LineageConfig, connection: ServerConnection) -> ServerState:
        directory = server_dir(config.state_dir, connection.host_port)
        return cls(
            Backoff(directory, config.backoff_seconds),
            HostCache(directory, config.cache_seconds),
            Outbox(directory, config.outbox_max_items),
        )


def _misconfigured(config: LineageConfig, exc: Exception) -> None:
    problems: list[str] = []
    say_once(
        f"misconfigured {config.conn_id}",
        problems,
        f"OpenMetadata lineage is off: connection {config.conn_id!r} unusable ({type(exc).__name__}: {exc}); "
        f"set it or [{SECTION}] enabled = False",
    )
    for problem in problems:
        log.warning("%s", problem)


def deliver(event, config: LineageConfig, *, raise_errors: bool = False, flush_after: bool = True) -> int | None:
    """Send ``event`` now, in the calling thread, within ``config.timeout`` seconds.

    Logs at most one warning for the event. When the server is backing off, fails, or
    answers slower than ``slow_call_seconds``, a durable event is kept in the outbox and the
    back-off is tripped. After a delivery in time, the outbox is sent too (``flush_after``).

    Returns:
        the statuses or edges sent (edges to missing tables are skipped), or ``None`` when the
        event was not delivered.

    Raises (only with ``raise_errors``):
        OpenMetadataCallError: not delivered (back-off active, server failure or rejection).
    """
    try:
        connection = connection_for(config.conn_id)
    except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
        _misconfigured(config, exc)
        if raise_errors:
            raise OpenMetadataCallError(f"connection {config.conn_id!r} unusable: {exc}") from None
        return None
    state = ServerState.of(config, connection)
    until = state.backoff.active_until()
    if until:
        if event.durable:
            state.outbox.put(event.key, event.kind, event.as_dict())
        log.debug("OpenMetadata lineage: %s kept for later, server backing off", event.what)
        if raise_errors:
            raise OpenMetadataCallError(
                f"{event.what}: OpenMetadata calls are paused until {time.strftime('%H:%M:%S', time.localtime(until))} "
                f"after a failed or slow call (state in {state.backoff.path.parent})"
            )
        return None
    problems: list[str] = []
    failure: Exception | None = None
    sent = None
    with RestClient(connection.host_port, connection.token, config.timeout, connection.verify) as client:
        try:
            sent = Sender(client, state.cache, config.tag_classification).deliver(event, problems)
        except OpenMetadataCallError as exc:
            failure = exc
            if exc.server_unusable:
                state.backoff.trip()
                if event.durable:
                    state.outbox.put(event.key, event.kind, event.as_dict())
                problems.append(f"{exc}; pausing OpenMetadata calls for {config.backoff_seconds:.0f}s")
            else:
                problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug or an odd DAG must never fail the task
            failure = exc
            problems.append(f"{type(exc).__name__}: {exc}")
        slow = client.slowest >= config.slow_call_seconds
    if slow and failure is None:
        state.backoff.trip()
        problems.append(
            f"OpenMetadata answered in {client.slowest:.1f}s (slow_call_seconds = {config.slow_call_seconds:g}); "
            f"pausing OpenMetadata calls for {config.backoff_seconds:.0f}s"
        )
    if problems:
        log.warning("OpenMetadata lineage: %s: %s", event.what, " | ".join(problems))
    if failure is not None and raise_errors:
        raise OpenMetadataCallError(f"{event.what}: {failure}")
    if failure is None and not slow and flush_after:
        flush_outbox(config, connection, state, max_seconds=config.timeout)
    return sent if failure is None else None


def flush_outbox(config: LineageConfig, connection: ServerConnection, state: ServerState, max_seconds: float) -> int:
    """Send waiting outbox items, oldest first, for at most ``max_seconds``; returns items sent.

    Stops at the first item that trips the back-off (it stays in the outbox). An item the
    server rejects for good (a 4xx) or that this version cannot read is dropped, with a warning.
    """
    sent, deadline = 0, time.monotonic() + max_seconds
    for path in state.outbox.pending():
        if time.monotonic() >= deadline or state.backoff.active_until():
            break
        claimed = state.outbox.claim(path)
        if claimed is None:
            continue
        claimed_path, item = claimed
        try:
            event = event_from_item(item)
        except (KeyError, ValueError, TypeError):
            log.warning("OpenMetadata lineage: outbox item %s is unreadable; dropped", claimed_path.name)
            state.outbox.done(claimed_path)
            continue
        # On failure deliver() puts the event back (same key, same file), so the claim is done either way.
        delivered = deliver(event, config, flush_after=False)
        state.outbox.done(claimed_path)
        sent += int(delivered is not None)
    return sent


@dataclass
class _Watch:
    """A running DAG run whose progress is polled (scheduler side)."""

    poll: object  # () -> StatusEvent | None (None: the run is gone)
    config: LineageConfig
    last_sent: str = ""
    due: float = 0.0


def _digest(status: dict) -> str:
    return hashlib.sha256(json.dumps(status, sort_keys=True).encode()).hexdigest()


class Dispatcher:
    """The process's background sender: a bounded queue and one daemon thread.

    Use the module functions (:func:`submit`, :func:`flush`, :func:`watch`, ...), which act
    on the one dispatcher of the current process (a forked child gets a fresh one).
    """

    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self._pending = 0  # queued + being delivered
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._watched: dict[tuple[str, str], _Watch] = {}
        self._flush_config: LineageConfig | None = None
        self._next_flush = 0.0
        self.dropped = 0
        self._dropped_logged = 0.0
        self._exit_timeout = 3.0
        self._stopping = threading.Event()

    # -- producer side (any thread; never blocks on I/O) ------------------------------------
    def submit(self, event, config: LineageConfig) -> bool:
        """Queue ``event``; returns False when the queue was full (see the module docstring)."""
        with self._idle:
            if self._pending >= config.queue_size:
                self.dropped += 1
                self._log_drop()
                if event.durable:
                    self._spill(event, config)
                return False
            self._pending += 1
            self._exit_timeout = config.timeout
            self._ensure_thread()
        self._queue.put((event, config))
        return True

    def _log_drop(self) -> None:
        now = time.monotonic()
        if now - self._dropped_logged >= DROP_LOG_INTERVAL_SECONDS:
            self._dropped_logged = now
            log.warning(
                "OpenMetadata lineage: sender queue full; %d event(s) not queued so far in this process "
                "(final statuses and lineage go to the outbox; [%s] queue_size)",
                self.dropped,
                SECTION,
            )

    @staticmethod
    def _spill(event, config: LineageConfig) -> None:
        """Keep a durable event in the outbox (local files only; the connection must be known)."""
        cached = _connections.get(config.conn_id)
        if cached is None or isinstance(cached[1], Exception):
            return  # never resolved in this process: nowhere known to keep it
        ServerState.of(config, cached[1]).outbox.put(event.key, event.kind, event.as_dict())

    def watch(self, key: tuple[str, str], poll, config: LineageConfig, first: dict | None = None) -> None:
        """Poll ``poll()`` every ``config.status_interval`` seconds until it returns a final status."""
        if config.status_interval <= 0:
            return
        with self._idle:
            self._watched[key] = _Watch(
                poll, config, _digest(first) if first else "", time.monotonic() + config.status_interval
            )
            self._ensure_thread()

    def unwatch(self, key: tuple[str, str]) -> None:
        with self._idle:
            self._watched.pop(key, None)

    def flush_periodically(self, config: LineageConfig) -> None:
        """In a long-lived process: send the outbox every ``config.flush_interval`` seconds."""
        with self._idle:
            if self._flush_config is None:
                self._next_flush = time.monotonic() + config.flush_interval
            self._flush_config = config
            self._ensure_thread()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the queue to be delivered.

        Returns whether it was. Events still queued then are taken off the queue; durable
        ones go to the outbox (the one being delivered finishes in the background).
        """
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending > 0 and (remaining := deadline - time.monotonic()) > 0:
                self._idle.wait(remaining)
            drained = self._pending == 0
        if not drained:
            while True:
                try:
                    event, config = self._queue.get_nowait()
                except queue.Empty:
                    break
                if event.durable:
                    self._spill(event, config)
                with self._idle:
                    self._pending -= 1
        return drained

    # -- the thread -----------------------------------------------------------------------
    def _ensure_thread(self) -> None:  # holds self._idle
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="openmetadata-lineage", daemon=True)
            self._thread.start()
            atexit.register(self._at_exit)

    def _at_exit(self) -> None:
        self.flush(self._exit_timeout)

    def stop(self, timeout: float) -> None:
        """Stop the thread (after its current step, waiting up to ``timeout`` seconds): a
        replaced dispatcher must not keep polling or flushing with its old settings."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                event, config = self._queue.get(timeout=0.5)
            except queue.Empty:
                event = config = None
            if event is not None:
                try:
                    deliver(event, config)
                except Exception:  # the sender thread must survive anything
                    log.exception("OpenMetadata lineage: sending %s failed", getattr(event, "what", event))
                finally:
                    with self._idle:
                        self._pending -= 1
                        self._idle.notify_all()
            try:
                self._periodic()
            except Exception:  # the sender thread must survive anything
                log.exception("OpenMetadata lineage: periodic work failed")

    def _periodic(self) -> None:
        now = time.monotonic()
        with self._idle:
            due = [(key, w) for key, w in self._watched.items() if w.due <= now]
        for key, watch in due:
            watch.due = now + watch.config.status_interval
            status_event = watch.poll()
            if status_event is None or status_event.final:
                self.unwatch(key)
            if status_event is not None and _digest(status_event.status) != watch.last_sent:
                watch.last_sent = _digest(status_event.status)
                deliver(status_event, watch.config)
        config = self._flush_config
        if config is not None and now >= self._next_flush:
            self._next_flush = now + config.flush_interval
            try:
                connection = connection_for(config.conn_id)
            except Exception:  # noqa: BLE001 - reported by deliver() when an event needs it
                return
            state = ServerState.of(config, connection)
            if len(state.outbox) and not state.backoff.active_until():
                flush_outbox(config, connection, state, max_seconds=max(config.timeout, config.flush_interval / 2))


_dispatcher: Dispatcher | None = None
_dispatcher_lock = threading.Lock()


def dispatcher() -> Dispatcher:
    """The current process's dispatcher (created on first use)."""
    global _dispatcher
    with _dispatcher_lock:
        if _dispatcher is None:
            _dispatcher = Dispatcher()
        return _dispatcher


def _forget_after_fork() -> None:
    # A forked child (LocalExecutor workers, task processes) has none of the parent's
    # threads: it starts its own dispatcher and its own locks.
    global _dispatcher, _dispatcher_lock
    _dispatcher = None
    _dispatcher_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def forget_process_state() -> None:
    """Start over as a new process would: no sender, no remembered connection, nothing said yet.

    The host's files (back-off, cache, outbox) stay. For tests and for embedding code that
    reuses one interpreter for what Airflow runs in separate processes.
    """
    from openmetadata_platform.lineage import sender

    flush(10)
    if _dispatcher is not None:
        _dispatcher.stop(5)  # else its thread would go on caching connections for the new state
    _forget_after_fork()
    _connections.clear()
    sender.forget_said()


def submit(event, config: LineageConfig) -> bool:
    """Queue ``event`` for the background sender of this process (see :class:`Dispatcher`)."""
    return dispatcher().submit(event, config)


def flush(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for this process's queued events to be delivered."""
    return dispatcher().flush(timeout) if _dispatcher is not None else True

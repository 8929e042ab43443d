"""Delivery: events leave the Airflow thread that built them and reach OpenMetadata in the background.

- :func:`submit` puts an event (or a :class:`Deferred` one, built on the sender thread: the
  scheduler's hooks hand over only what they read off the DagRun) on the process's bounded
  queue and returns at once: nothing on the scheduler's (or a task's) thread waits for the
  network. When the queue is full, progress statuses are dropped (counted, logged once a
  minute) and final statuses and edges go to the outbox.
- One daemon thread per process (:class:`Dispatcher`) delivers the queue with
  :func:`deliver`: every event within ``[openmetadata_lineage] timeout``, connection
  resolution included; a failed or slow call trips the host's back-off, during which
  durable events go straight to the outbox; a delivery in time ends the back-off.
- Long-lived processes (the scheduler) also poll the runs they watch for progress and
  flush the outbox every ``flush_interval`` seconds. While the host backs off, each flush
  first probes the server with one cheap call (:func:`probe`); when it answers, the back-off
  ends and the outbox is sent, so what was missed during an outage arrives within one
  ``flush_interval`` of the server's return (not after the rest of ``backoff_seconds``).
- :func:`flush` waits, at most its budget, for the queue to be delivered: the listener calls
  it with ``task_end_budget`` (0.1 s by default) when a task process stops; what is still
  queued or being sent then is kept in the outbox, so nothing is lost and the task never
  waits on a hanging server.

The state shared between processes (back-off, host cache, outbox) is in :mod:`.state`.
"""

from __future__ import annotations

import atexit
import collections
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
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
    back-off is tripped. A delivery in time ends the host's back-off (another process may
    have tripped it meanwhile) and, with ``flush_after``, sends the outbox too.
    Calls: whatever :class:`~.sender.Sender` needs for the event (``PUT /v1/pipelines``,
    ``PUT /v1/pipelines/{fqn}/status``, ``PUT /v1/lineage``, lookups by name).

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
    if failure is None and not slow:
        # the server works: end a pause another process may have started meanwhile
        state.backoff.reset()
        if flush_after:
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


def probe(config: LineageConfig, connection: ServerConnection, state: ServerState) -> bool:
    """While the host backs off: ask the server once whether it is back; if so, end the back-off.

    One ``GET /api/v1/users/loggedInUser`` within ``config.timeout`` (authenticated, so a
    rejected token keeps the pause, unlike ``/system/version``, which answers without one).
    An answer in time that is not a server failure (:attr:`OpenMetadataCallError.server_unusable`)
    resets the back-off (:meth:`Backoff.reset`); otherwise the back-off starts again, so that
    while the server is down only this probe, once per ``flush_interval``, waits on it.
    Never raises.

    Returns:
        whether the server answered in time (the back-off is then over).
    """
    try:
        with RestClient(connection.host_port, connection.token, config.timeout, connection.verify) as client:
            try:
                client.call("GET", "/users/loggedInUser")
            except OpenMetadataCallError as exc:
                if exc.server_unusable:
                    log.debug("OpenMetadata lineage: server still unusable (%s)", exc)
                    state.backoff.trip()
                    return False
            if client.slowest >= config.slow_call_seconds:
                state.backoff.trip()
                return False
    except Exception as exc:  # noqa: BLE001 - the sender thread must survive anything
        log.debug("OpenMetadata lineage: probe failed (%s: %s)", type(exc).__name__, exc)
        state.backoff.trip()
        return False
    state.backoff.reset()
    log.info("OpenMetadata lineage: %s answers again; sending what waited", connection.host_port)
    return True


@dataclass(frozen=True)
class Deferred:
    """An event that is built on the sender thread, not on the thread that submits it.

    Attributes:
        what: what it is about, for log lines.
        durable: whether the built event is durable (kept in the outbox when not sent).
        build: ``() -> event | None``, called once on the sender thread (``None``: nothing to
            send); may read the metadata DB, never the network.
        build_here: ``() -> event | None`` for the rare case the queue is full and the event
            must be built in the submitting thread (e.g. from the scheduler's own session);
            ``None`` to use ``build``.
    """

    what: str
    durable: bool
    build: Callable[[], object]
    build_here: Callable[[], object] | None = None


def _built(item, here: bool = False):
    """The event an item stands for (built now for a :class:`Deferred`; ``None``: none)."""
    if not isinstance(item, Deferred):
        return item
    return (item.build_here or item.build)() if here else item.build()


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

    Every item is, at any time, either queued, being delivered, or in the outbox: :meth:`flush`
    with a short budget moves the queued ones AND the one being delivered to the outbox, so a
    process may exit at once (the delivery, if it still completes, takes its copy back out).
    """

    def __init__(self):
        self._items: collections.deque = collections.deque()  # (event or Deferred, config)
        self._pending = 0  # queued + being delivered
        self._idle = threading.Condition()
        self._current: tuple | None = None  # (event or Deferred, config) being delivered
        self._current_spilled = False  # the one being delivered is also in the outbox
        self._thread: threading.Thread | None = None
        self._watched: dict[tuple[str, str], _Watch] = {}
        self._flush_config: LineageConfig | None = None
        self._next_flush = 0.0
        self.dropped = 0
        self._dropped_logged = 0.0
        self._exit_timeout = LineageConfig.task_end_budget
        self._stopping = threading.Event()

    # -- producer side (any thread; never blocks on I/O) ------------------------------------
    def submit(self, event, config: LineageConfig) -> bool:
        """Queue ``event`` (an event or a :class:`Deferred`); returns False when the queue was
        full (see the module docstring). Never waits for the network."""
        with self._idle:
            if self._pending >= config.queue_size:
                self.dropped += 1
                self._log_drop()
                if event.durable:
                    built = _built(event, here=True)
                    if built is not None:
                        self._spill(built, config)
                return False
            self._pending += 1
            self._exit_timeout = config.task_end_budget
            self._items.append((event, config))
            self._ensure_thread()
            self._idle.notify_all()
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
    def _spill(event, config: LineageConfig) -> bool:
        """Keep a durable event in the outbox (local files only; the connection must be known).

        Returns whether it was kept.
        """
        cached = _connections.get(config.conn_id)
        if cached is None or isinstance(cached[1], Exception):
            return False  # never resolved in this process: nowhere known to keep it
        ServerState.of(config, cached[1]).outbox.put(event.key, event.kind, event.as_dict())
        return True

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
        """In a long-lived process: send the outbox every ``config.flush_interval`` seconds,
        probing the server first while the host backs off (:func:`probe`)."""
        with self._idle:
            if self._flush_config is None:
                self._next_flush = time.monotonic() + config.flush_interval
            self._flush_config = config
            self._ensure_thread()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the queue to be delivered.

        Returns whether it was. Otherwise every durable event not delivered yet is in the
        outbox when this returns: the queued ones are taken off the queue and kept there, and
        so is the one being delivered (its delivery goes on in the background and, if it
        completes, removes that copy). An event already kept so is not waited for again.
        """
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._unsafe() > 0 and (remaining := deadline - time.monotonic()) > 0:
                self._idle.wait(remaining)
            if self._pending == 0:
                return True
            queued = list(self._items)
            self._items.clear()
            self._pending -= len(queued)
            current = None if self._current_spilled else self._current
            self._current_spilled = self._current is not None
            self._idle.notify_all()
        # Outside the lock: writing files must not hold up the sender thread or a submitter.
        for item, config in ([current] if current else []) + queued:
            if item.durable:
                try:
                    built = _built(item)
                    if built is not None:
                        self._spill(built, config)
                except Exception:  # stopping must never fail
                    log.exception("OpenMetadata lineage: could not keep %s for later", item.what)
        return False

    def _unsafe(self) -> int:  # holds self._idle
        """Events neither delivered nor kept in the outbox."""
        return self._pending - int(self._current_spilled)

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
        with self._idle:
            self._idle.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _take(self) -> tuple | None:
        with self._idle:
            if not self._items and not self._stopping.is_set():
                self._idle.wait(0.5)
            if not self._items:
                return None
            self._current = self._items.popleft()
            self._current_spilled = False
            return self._current

    def _run(self) -> None:
        while not self._stopping.is_set():
            taken = self._take()
            if taken is not None:
                self._deliver_one(*taken)
            try:
                self._periodic()
            except Exception:  # the sender thread must survive anything
                log.exception("OpenMetadata lineage: periodic work failed")

    def _deliver_one(self, item, config: LineageConfig) -> None:
        delivered = event = None
        try:
            event = _built(item)
            if event is not None:
                with self._idle:
                    if not self._current_spilled:
                        self._current = (event, config)  # a flush from now on keeps the built event
                delivered = deliver(event, config, flush_after=False)
        except Exception:  # the sender thread must survive anything
            log.exception("OpenMetadata lineage: sending %s failed", getattr(item, "what", item))
        finally:
            with self._idle:
                spilled = self._current_spilled
                self._current, self._current_spilled = None, False
                self._pending -= 1
                self._idle.notify_all()
        if delivered is None:
            return
        try:
            if spilled and event.durable:
                connection = connection_for(config.conn_id)
                ServerState.of(config, connection).outbox.discard(event.key)  # delivered after all
            if self._flush_config is not None:
                # a long-lived process sends what waited after a delivery in time; a task
                # process does not (it may exit mid-way, leaving items claimed)
                self._flush_outbox(config)
        except Exception:  # the sender thread must survive anything
            log.exception("OpenMetadata lineage: after sending %s", event.what)

    @staticmethod
    def _flush_outbox(config: LineageConfig, probing: bool = False) -> None:
        try:
            connection = connection_for(config.conn_id)
        except Exception:  # noqa: BLE001 - reported by deliver() when an event needs it
            return
        state = ServerState.of(config, connection)
        if state.backoff.active_until() and not (probing and probe(config, connection, state)):
            return
        if len(state.outbox):
            flush_outbox(config, connection, state, max_seconds=max(config.timeout, config.flush_interval / 2))

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
            self._flush_outbox(config, probing=True)


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

"""A stand-in for the OpenMetadata REST API, for tests only (127.0.0.1, in-process).

The real server cannot run here (no Docker engine). This stand-in is strict where the
server is strict: every request body is parsed with the matching generated model from
``metadata.generated.schema`` (``extra='forbid'``, so unknown fields are rejected like the
server's Jackson parser does), parents and tags named by fullyQualifiedName must exist,
and every answer is validated against the generated entity model before it is sent, so a
client never sees a shape the real server would not produce. Anything it does not
implement answers 501 and is recorded in :attr:`StandInServer.unsupported`, so tests fail
loudly instead of passing on a silent gap.

Requests are served in parallel, like the server does (see :mod:`.store` for the
per-entity locking). Routes live with their area (:data:`ROUTE_MODULES`).

Start it with ``with StandInServer() as server:``; ``server.host_port`` is the
``hostPort`` for ``OpenMetadataConnection`` and ``server.token`` the bearer token it
accepts. ``server.requests`` records every request (method, path, query, status).
Faults are injected with :meth:`StandInServer.inject`.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass

from platform_bootstrap.local_postgres import free_port

from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.lineage import LineageStore
from tests.openmetadata_standin.pipelines import PipelineStatusStore
from tests.openmetadata_standin.routes import Call, Route, TextAnswer
from tests.openmetadata_standin.store import API, EntityStore
from tests.openmetadata_standin.system import server_version
from tests.openmetadata_standin.timeseries import EntityExtensions

# Area modules, in matching order: specific paths first, the generic entity routes last.
ROUTE_MODULES = (
    "tests.openmetadata_standin.system",
    "tests.openmetadata_standin.lineage_by_name",  # before lineage: its GET lineage/(.+) would match
    "tests.openmetadata_standin.lineage",
    "tests.openmetadata_standin.pipelines",
    "tests.openmetadata_standin.profiles",
    "tests.openmetadata_standin.data_quality",
    "tests.openmetadata_standin.table_joins",
    "tests.openmetadata_standin.table_relations",
    "tests.openmetadata_standin.list_filters",
    "tests.openmetadata_standin.queries",
    "tests.openmetadata_standin.ingestion_pipelines",
    "tests.openmetadata_standin.automations",
    "tests.openmetadata_standin.usage",
    "tests.openmetadata_standin.search_query",
    "tests.openmetadata_standin.auth",
    "tests.openmetadata_standin.governance",
    "tests.openmetadata_standin.data_contracts",
    "tests.openmetadata_standin.entity_routes",
)
# Resources whose body is a plain String, not JSON (TestCaseResource.addInspectionQuery: ``String query``).
TEXT_BODY_SUFFIXES = ("/inspectionQuery",)
# Media types whose body is handed over as text (the resource parses it: DataContractResource's YAML endpoints).
TEXT_MEDIA_TYPES = ("application/yaml", "text/yaml", "application/x-yaml")
# Endpoints the real server answers without a token (JwtFilter.EXCLUDED_ENDPOINTS).
UNAUTHENTICATED = {f"{API}/system/version", f"{API}/system/health", f"{API}/users/login"}

__all__ = ["API", "ApiError", "Fault", "RecordedRequest", "StandInServer", "free_port", "server_version"]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    status: int
    body: object = None
    seconds: float = 0.0  # time from arrival to answer
    at: float = 0.0  # wall-clock time of the answer (epoch seconds)


@dataclass
class Fault:
    """An injected misbehaviour for matching authenticated requests.

    ``method``/``path_prefix`` select requests (``None`` matches all; the prefix is of the
    full path, e.g. ``/api/v1/pipelines``); ``delay`` seconds are waited before answering
    (a slow server: the request is then served); ``status`` answers that HTTP status
    instead of serving; ``serve=False`` with a delay is a hang that never reaches the
    server (what a proxy in front of it does: after the delay, 504 and nothing written).
    """

    method: str | None = None
    path_prefix: str | None = None
    delay: float = 0.0
    status: int | None = None
    serve: bool = True

    def matches(self, method: str, path: str) -> bool:
        return self.method in (None, method) and path.startswith(self.path_prefix or "")


def load_routes() -> list[Route]:
    """The route table, from every module of :data:`ROUTE_MODULES` in order."""
    routes: list[Route] = []
    for name in ROUTE_MODULES:
        routes.extend(importlib.import_module(name).ROUTES)
    return routes


class StandInServer:
    """Runs the stand-in on <host>:<port> (default 127.0.0.1) in a background thread (uvicorn).

    Attributes:
        token: the ingestion bot's bearer token (a random string; the real server wants a JWT).
        admin_token: a human administrator's token ("admin", not a bot: PUT rules differ).
        requests: every request as :class:`RecordedRequest`, in arrival order.
        unsupported: "METHOD path" of every request the stand-in does not implement.
        internal_errors: "METHOD path: error" of every request a stand-in bug answered with 500.
        faults: the active :class:`Fault` rules (the first match applies).
    """

    def __init__(
        self, token: str | None = None, port: int | None = None, host: str = "127.0.0.1", public_url: str | None = None
    ):
        self.token = token or base64.urlsafe_b64encode(os.urandom(24)).decode()
        self.admin_token = base64.urlsafe_b64encode(os.urandom(24)).decode()
        self._principals = {f"Bearer {self.token}": "ingestion-bot", f"Bearer {self.admin_token}": "admin"}
        self.host = host
        self.port = port or free_port()
        # Where clients reach it (hrefs, the hostPort deployed pipelines call back): the listening
        # address unless it serves in a container under a service name (SERVER_HOST_API_URL).
        self.public_url = (public_url or f"http://{self.host}:{self.port}").rstrip("/")
        self.store = EntityStore(base_url=self.public_url)
        self.lineage = LineageStore(self.store)
        self.pipeline_statuses = PipelineStatusStore(self.store)
        self.extensions = EntityExtensions()  # profiles, test results, sample data (timeseries.py)
        self.routes = load_routes()
        self.requests: list[RecordedRequest] = []
        self.unsupported: list[str] = []
        self.internal_errors: list[str] = []
        self.faults: list[Fault] = []
        self._server = None
        self._thread = None

    @property
    def host_port(self) -> str:
        return f"{self.public_url}/api"

    # -- helpers for tests -----------------------------------------------------------
    def count(self, method: str, path_prefix: str) -> int:
        """Number of recorded requests with ``method`` whose path starts with ``path_prefix``."""
        return sum(1 for r in list(self.requests) if r.method == method and r.path.startswith(path_prefix))

    def reset(self) -> None:
        """Forget every entity, status, edge, recorded request and fault (a server shared by
        several tests, e.g. one a long-lived Airflow points at, starts each test empty)."""
        self.store = EntityStore(base_url=self.public_url)
        self.lineage = LineageStore(self.store)
        self.pipeline_statuses = PipelineStatusStore(self.store)
        self.reset_requests_and_extensions()
        self.faults.clear()

    def reset_requests_and_extensions(self) -> None:
        """Forget the entity extensions (profiles, test case results, sample data, profiler
        configs: :attr:`extensions`), the recorded requests, unsupported requests and internal
        errors; keep the entities, statuses, edges and faults. A profiler run after this one
        writes onto the same harvested tables as the one before (tests/bench_harvest.py)."""
        self.extensions = EntityExtensions()
        self.requests.clear()
        self.unsupported.clear()
        self.internal_errors.clear()

    def inject(self, **fault) -> Fault:
        """Add a :class:`Fault` (keyword arguments as its fields); returns it for :meth:`heal`."""
        rule = Fault(**fault)
        self.faults.append(rule)
        return rule

    def heal(self, rule: Fault | None = None) -> None:
        """Remove one injected fault, or all of them."""
        if rule is None:
            self.faults.clear()
        elif rule in self.faults:
            self.faults.remove(rule)

    def call(self, method: str, path: str, body=None, query: dict | None = None) -> tuple[int, object]:
        """Answer one authenticated request in-process (seeding helpers; not recorded).

        ``path`` is relative to ``/api/v1``, e.g. ``"/users"``. Returns (status, JSON body).
        """
        try:
            return self.dispatch(Call(method, path.lstrip("/"), dict(query or {}), body, user="admin"))
        except ApiError as exc:
            return exc.status, {"code": exc.status, "message": exc.message}

    def accept_token(self, token: str, principal: str) -> None:
        """Accept ``Bearer <token>`` as ``principal`` from now on (an access token a login handed out)."""
        self._principals[f"Bearer {token}"] = principal

    def entities(self, type_name: str) -> list[dict]:
        """All stored entities of an OpenMetadata entity type, e.g. ``"table"``."""
        return list(self.store.by_id[type_name].values())

    # -- serving -----------------------------------------------------------------------
    def dispatch(self, call: Call) -> tuple[int, object]:
        """Route ``call`` to its handler; 501 (recorded) when no route matches."""
        for route in self.routes:
            groups = route.match(call.method, call.path)
            if groups is not None:
                call.groups = groups
                return route.handler(self, call)
        self.unsupported.append(f"{call.method} {API}/{call.path}")
        return 501, {"code": 501, "message": f"stand-in does not implement {call.method} {API}/{call.path}"}

    def _app(self):
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route as StarletteRoute

        async def handle(request: Request):
            started = time.monotonic()
            path = request.url.path
            raw = await request.body()
            body = None
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            try:
                if raw and (path.endswith(TEXT_BODY_SUFFIXES) or content_type in TEXT_MEDIA_TYPES):
                    body = raw.decode("utf-8")
                elif raw:
                    try:
                        body = json.loads(raw)
                    except json.JSONDecodeError as exc:
                        raise ApiError(400, f"Malformed JSON body: {exc}") from None
                user = self._principals.get(request.headers.get("authorization", ""))
                if path not in UNAUTHENTICATED:
                    if user is None:
                        raise ApiError(401, "Not Authorized! Token verification failed")
                    fault = next((f for f in list(self.faults) if f.matches(request.method, path)), None)
                    if fault and fault.delay:
                        await asyncio.sleep(fault.delay)  # slow, not blocking the other requests
                    if fault and fault.status:
                        raise ApiError(fault.status, "Injected failure")
                    if fault and not fault.serve:
                        raise ApiError(504, "Injected hang: the request never reached the server")
                if not path.startswith(API + "/"):
                    raise ApiError(404, f"HTTP 404 Not Found: {path}")
                call = Call(
                    request.method,
                    path[len(API) + 1 :],
                    dict(request.query_params),
                    body,
                    user=user or "",
                    content_type=content_type,
                )
                status, payload = await run_in_threadpool(self.dispatch, call)
            except ApiError as exc:
                status, payload = exc.status, {"code": exc.status, "message": exc.message}
            except Exception as exc:
                logging.getLogger(__name__).exception("stand-in failed on %s %s", request.method, path)
                self.internal_errors.append(f"{request.method} {path}: {type(exc).__name__}: {exc}")
                status, payload = 500, {"code": 500, "message": f"stand-in error: {type(exc).__name__}: {exc}"}
            self.requests.append(
                RecordedRequest(
                    request.method, path, request.url.query, status, body, time.monotonic() - started, time.time()
                )
            )
            if status == 204:  # a resource returning null: JAX-RS answers 204 without a body
                return Response(status_code=204)
            if isinstance(payload, TextAnswer):
                return Response(payload.text, status_code=status, media_type=payload.media_type)
            return JSONResponse(payload, status_code=status)

        methods = ["GET", "PUT", "POST", "PATCH", "DELETE"]
        return Starlette(routes=[StarletteRoute("/{path:path}", handle, methods=methods)])

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> StandInServer:
        """Start uvicorn in a daemon thread and wait until it listens (again, after :meth:`stop`).

        Raises:
            RuntimeError: the server did not start within 10 s.
        """
        import uvicorn

        config = uvicorn.Config(
            self._app(), host=self.host, port=self.port, log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="openmetadata-standin", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("OpenMetadata stand-in did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop listening (connections are then refused) and wait for the thread; the store is kept."""
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> StandInServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# `make standin`: python -m tests.openmetadata_standin.server [--port N], serving until Ctrl-C.
if __name__ == "__main__":
    import argparse
    import signal
    import sys
    import warnings

    parser = argparse.ArgumentParser(
        prog="make standin",
        description="Serve the OpenMetadata stand-in (a test double of the REST API, in memory) until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    arguments = parser.parse_args()
    # openmetadata-ingestion's generated models name a field "schema"; pydantic warns about it on
    # first use. Nothing a user of the stand-in can change.
    warnings.filterwarnings("ignore", message='Field name "schema"', category=UserWarning)

    def _stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)  # `kill` stops it like Ctrl-C does
    if arguments.port is not None:
        import socket

        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", arguments.port))
            except OSError as exc:
                sys.exit(
                    f"error: cannot serve on 127.0.0.1:{arguments.port} ({exc.strerror}): choose another STANDIN_PORT, "
                    "or none for a free port"
                )
    try:
        standin = StandInServer(port=arguments.port).start()
    except RuntimeError as exc:
        sys.exit(f"error: {exc}")
    print(
        "OpenMetadata stand-in: a test double of OpenMetadata's REST API (in memory, no UI, nothing kept),\n"
        f"serving on {standin.public_url}. In another shell, then e.g. `make demo`:\n\n"
        f"export OPENMETADATA_HOST_PORT={standin.public_url}\n"
        f"export OPENMETADATA_JWT_TOKEN={standin.token}\n\n"
        "Ctrl-C stops it (what it holds is gone).",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
        print("\nStopped the OpenMetadata stand-in.", flush=True)

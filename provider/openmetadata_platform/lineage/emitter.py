"""The one code path that sends pipelines, run status and lineage to OpenMetadata.

Used by the listener (automatic) and by ``OpenMetadataLineageOperator`` (explicit task).
Every public method is bounded by ``[openmetadata_lineage] timeout`` for the whole event,
catches every error and logs at most ONE warning per event; a failure that says the
server is unusable (no answer, 5xx, 401/403) starts a back-off shared by the task
processes of the machine, during which events are skipped silently (debug log).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from openmetadata_platform.lineage import pipeline as model
from openmetadata_platform.lineage.client import (
    Backoff,
    OpenMetadataCallError,
    RestClient,
    quote_fqn,
)
from openmetadata_platform.lineage.config import SECTION, LineageConfig, load_config

log = logging.getLogger("openmetadata_platform.lineage")

# Per process: what has been said once, and what the server already has.
_said: set[str] = set()
_pipelines: dict[tuple[str, str], tuple[str, dict]] = {}  # (server, fqn) -> (request hash, entity ref)
_table_ids: dict[tuple[str, str], str] = {}  # (server, table fqn) -> id
_owners: dict[tuple[str, str], dict | None] = {}  # (server, Airflow owner) -> EntityReference, None: unknown


def _once(key: str, level: int, message: str, *args) -> None:
    if key not in _said:
        _said.add(key)
        log.log(level, message, *args)


@dataclass(frozen=True)
class Edge:
    """A table -> table edge; ``columns`` are ColumnLineage dicts (column FQNs)."""

    source: str
    target: str
    columns: tuple = ()


@dataclass
class Event:
    """Problems found while preparing one event, reported in its single warning."""

    what: str
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ServerConnection:
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


class Emitter:
    """Sends one DAG's metadata; build it with :meth:`for_dag`.

    Args:
        config: the section's settings.
        connection: where to send.
    """

    def __init__(self, config: LineageConfig, connection: ServerConnection):
        self.config = config
        self.connection = connection
        self.backoff = Backoff(connection.host_port, config.backoff_seconds)
        self._event: Event | None = None  # the event being run (collects problems of building blocks)

    @classmethod
    def for_dag(cls, dag_id: str, config: LineageConfig | None = None) -> Emitter | None:
        """An emitter when lineage is enabled, the DAG selected and the connection usable.

        Otherwise ``None`` after one log line per process (info when disabled, warning when
        misconfigured). Never raises.
        """
        try:
            config = config or load_config()
            if not config.enabled:
                _once("disabled", logging.INFO, "OpenMetadata lineage is disabled ([%s] enabled = False)", SECTION)
                return None
            if not config.dag_selected(dag_id):
                log.debug("OpenMetadata lineage: DAG %s excluded by [%s] patterns", dag_id, SECTION)
                return None
            return cls(config, resolve_connection(config.conn_id))
        except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
            _once(
                "misconfigured",
                logging.WARNING,
                "OpenMetadata lineage is off: connection %r unusable (%s: %s); set it or [%s] enabled = False",
                getattr(config, "conn_id", "?"),
                type(exc).__name__,
                exc,
                SECTION,
            )
            return None

    # -- one bounded event ----------------------------------------------------------------
    def run(self, event: Event, work: Callable[[RestClient], object], raise_errors: bool = False):
        """Run ``work(client)`` within the timeout; log one warning for problems or failure.

        Returns ``work``'s result, or ``None`` when skipped (back-off) or failed.
        Raises (only with ``raise_errors``): OpenMetadataCallError.
        """
        if self.backoff.active_until():
            log.debug("OpenMetadata lineage: %s skipped, server backing off", event.what)
            return None
        result, failure = None, None
        self._event = event
        try:
            with RestClient(
                self.connection.host_port, self.connection.token, self.config.timeout, self.connection.verify
            ) as client:
                result = work(client)
        except OpenMetadataCallError as exc:
            failure = exc
            if exc.status is None or exc.status >= 500 or exc.status in (401, 403):
                self.backoff.trip()
                event.problems.append(f"{exc}; pausing OpenMetadata calls for {self.config.backoff_seconds:.0f}s")
            else:
                event.problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - lineage must never fail a task  # a bug or odd DAG must never fail the task
            failure = exc
            event.problems.append(f"{type(exc).__name__}: {exc}")
        finally:
            self._event = None
        if event.problems:
            log.warning("OpenMetadata lineage: %s: %s", event.what, " | ".join(event.problems))
        if failure is not None and raise_errors:
            raise OpenMetadataCallError(f"{event.what}: {failure}")
        return result

    # -- building blocks (inside run) ---------------------------------------------------------
    def ensure_pipeline(self, client: RestClient, dag) -> dict:
        """PUT the DAG's Pipeline (and what it refers to when missing); return its reference.

        The request carries the DAG's owners (resolved to OpenMetadata users/teams, see
        :meth:`owner_ref`) and its tags as labels of ``[openmetadata_lineage]
        tag_classification``. Skipped when this process already sent the identical request.
        Calls ``PUT /v1/pipelines``; on a 404 (missing PipelineService, classification or tag)
        it PUTs ``/v1/services/pipelineServices``, ``/v1/classifications`` and ``/v1/tags``
        (all idempotent) and retries once, so the usual run costs no extra call.
        """
        service = self.config.pipeline_service_name
        request = model.pipeline_request(dag, service, model.airflow_base_url())
        tags = self._add_owners_and_tags(client, dag, request)
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        key = (self.connection.host_port, f"{service}.{dag.dag_id}")
        cached = _pipelines.get(key)
        if cached and cached[0] == digest:
            return cached[1]
        try:
            entity = client.call("PUT", "/pipelines", json=request)
        except OpenMetadataCallError as exc:
            if exc.status != 404:
                raise
            client.call("PUT", "/services/pipelineServices", json=model.service_request(service))
            if tags:
                classification = self.config.tag_classification
                client.call("PUT", "/classifications", json=model.classification_request(classification))
                for tag in tags:
                    client.call("PUT", "/tags", json=model.tag_request(classification, tag))
            entity = client.call("PUT", "/pipelines", json=request)
        ref = {"id": entity["id"], "type": "pipeline", "fullyQualifiedName": entity["fullyQualifiedName"]}
        _pipelines[key] = (digest, ref)
        return ref

    def _problem_once(self, key: str, message: str) -> None:
        """Report ``message`` once per process: in the running event's warning (else a log line)."""
        key = f"{self.connection.host_port} {key}"
        if key in _said:
            return
        _said.add(key)
        if self._event is not None:
            self._event.problems.append(message)
        else:
            log.warning("OpenMetadata lineage: %s", message)

    def _add_owners_and_tags(self, client: RestClient, dag, request: dict) -> list[str]:
        """Set ``owners`` (pipeline and tasks) and ``tags`` of a CreatePipelineRequest.

        Returns the DAG tag names used (the tags the pipeline's labels name).
        """
        from openmetadata_platform.lineage.config import _conf

        default_owner = _conf().get("operators", "default_owner", fallback="airflow") or "airflow"
        by_task = model.task_owners(dag, default_owner)
        refs = {name: self.owner_ref(client, name) for name in sorted({n for names in by_task.values() for n in names})}
        owners = {ref["id"]: ref for ref in refs.values() if ref is not None}
        if owners:
            request["owners"] = sorted(owners.values(), key=lambda r: r["id"])
        for task in request["tasks"]:
            task_refs = {refs[n]["id"]: refs[n] for n in by_task.get(task["name"], []) if refs.get(n)}
            if task_refs:
                task["owners"] = sorted(task_refs.values(), key=lambda r: r["id"])
        classification = self.config.tag_classification
        tags = []
        for tag in model.dag_tags(dag):
            why = model.invalid_name(tag)
            if why:
                self._problem_once(f"tag {tag}", f"DAG tag {tag!r} {why}; not sent as an OpenMetadata tag")
                continue
            tags.append(tag)
        if tags:
            prefix = model.quote_name(classification)
            request["tags"] = [model.tag_label(f"{prefix}.{model.quote_name(tag)}") for tag in tags]
        return tags

    def owner_ref(self, client: RestClient, owner: str) -> dict | None:
        """EntityReference of the OpenMetadata user (else Group team) named by an Airflow owner.

        ``owner`` may be an email: its local part is the user name (OpenMetadata names
        users so; names are stored lower-cased). Calls ``GET /v1/users/name/{name}`` and,
        when not found, ``GET /v1/teams/name/{name}``; cached per process (found or not).
        Not found: ``None`` and one warning per process.
        """
        key = (self.connection.host_port, owner)
        if key in _owners:
            return _owners[key]
        name = owner.split("@", 1)[0].strip().lower() if "@" in owner else owner.lower()
        candidates = [("user", "users")] + ([] if "@" in owner else [("team", "teams")])
        ref = None
        for type_name, collection in candidates:
            entity = self._get_by_name(client, collection, name)
            if entity is not None and (type_name == "user" or entity.get("teamType") == "Group"):
                ref = {"id": entity["id"], "type": type_name}
                break
        _owners[key] = ref
        if ref is None:
            self._problem_once(
                f"owner {owner}",
                f"owner {owner!r} is not an OpenMetadata user or group team; left out of the pipeline's owners",
            )
        return ref

    @staticmethod
    def _get_by_name(client: RestClient, collection: str, name: str) -> dict | None:
        try:
            return client.call("GET", f"/{collection}/name/{quote_fqn(name)}", ok_404=True)
        except OpenMetadataCallError as exc:
            if exc.status == 400:  # a name the server cannot even look up (e.g. with a quote)
                return None
            raise

    def update_task_status(self, client: RestClient, pipeline: dict, dag_run, status: dict) -> None:
        """Merge one TaskStatus into the run's PipelineStatus.

        Calls ``GET /v1/pipelines/{fqn}/status?startTs=&endTs=`` (the run's record) then
        ``PUT /v1/pipelines/{fqn}/status``; the server replaces the record with the same
        timestamp, so the stored task statuses are carried over.
        """
        fqn = quote_fqn(pipeline["fullyQualifiedName"])
        ts = model.run_timestamp(dag_run)
        stored = client.call("GET", f"/pipelines/{fqn}/status", params={"startTs": ts, "endTs": ts}) or {}
        previous = next((s for s in stored.get("data") or [] if s.get("timestamp") == ts), {})
        tasks = model.merge_task_statuses(previous.get("taskStatus"), [status])
        run_state = (
            previous.get("executionStatus") if previous.get("executionStatus") in ("Successful", "Failed") else None
        )
        body = model.pipeline_status(dag_run, run_state, tasks)
        if run_state:
            body["executionStatus"] = run_state
        client.call("PUT", f"/pipelines/{fqn}/status", json=body)

    def put_run_status(self, client: RestClient, pipeline: dict, status: dict) -> None:
        """Replace the run's PipelineStatus (``PUT /v1/pipelines/{fqn}/status``)."""
        client.call("PUT", f"/pipelines/{quote_fqn(pipeline['fullyQualifiedName'])}/status", json=status)

    def table_id(self, client: RestClient, fqn: str) -> str | None:
        """Id of a table by FQN (``GET /v1/tables/name/{fqn}``); ``None`` when it does not exist."""
        key = (self.connection.host_port, fqn)
        if key not in _table_ids:
            table = client.call("GET", f"/tables/name/{quote_fqn(fqn)}", ok_404=True)
            if table is None:
                return None
            _table_ids[key] = table["id"]
        return _table_ids[key]

    def send_edges(self, client: RestClient, pipeline: dict, edges: list[Edge], event: Event) -> int:
        """``PUT /v1/lineage`` per edge with the pipeline in its lineage details.

        Missing tables and rejected edges become problems of ``event``; returns edges sent.
        """
        sent = 0
        for edge in edges:
            ids = {fqn: self.table_id(client, fqn) for fqn in (edge.source, edge.target)}
            missing = [fqn for fqn, found in ids.items() if found is None]
            if missing:
                event.problems.append(
                    f"table {', '.join(missing)} not in OpenMetadata; edge {edge.source} -> {edge.target} skipped"
                )
                continue
            details = {"pipeline": {"id": pipeline["id"], "type": "pipeline"}, "source": "PipelineLineage"}
            if edge.columns:
                details["columnsLineage"] = [dict(c) for c in edge.columns]
            body = {
                "edge": {
                    "fromEntity": {"id": ids[edge.source], "type": "table"},
                    "toEntity": {"id": ids[edge.target], "type": "table"},
                    "lineageDetails": details,
                }
            }
            try:
                client.call("PUT", "/lineage", json=body)
                sent += 1
            except OpenMetadataCallError as exc:
                if exc.status is None or exc.status >= 500 or exc.status in (401, 403):
                    raise
                event.problems.append(f"edge {edge.source} -> {edge.target} rejected: {exc}")
        return sent

"""Orchestration: the OpenMetadata calls that deliver one event, with the host cache.

:class:`Sender` turns an event (:mod:`.events`) into calls on a :class:`~.client.RestClient`:

- the Pipeline (``PUT /v1/pipelines``) with owners resolved to users or Group teams
  (``GET /v1/users/name/{name}``, ``GET /v1/teams/name/{name}``) and DAG tags as labels of
  ``[openmetadata_lineage] tag_classification``; skipped when the host already sent the
  identical request (its hash is cached); on a 404 (a missing PipelineService,
  classification or tag) those are PUT (idempotent) and the Pipeline once more;
- a run's status (``PUT /v1/pipelines/{fqn}/status``); a 404 means the Pipeline was deleted
  in OpenMetadata: the cached entry is dropped and the Pipeline created again;
- lineage edges (``PUT /v1/lineage``), tables looked up by FQN (``GET /v1/tables/name/{fqn}``,
  cached with their column names, so a column the table does not have is reported here:
  the server would silently drop it).

Problems that concern one item (a missing table, an unknown owner) go to ``problems`` and
the rest of the event is still sent; a server that cannot take anything raises.
"""

from __future__ import annotations

import hashlib
import json
import logging

from openmetadata_platform.lineage import bodies
from openmetadata_platform.lineage.client import OpenMetadataCallError, RestClient, quote_fqn
from openmetadata_platform.lineage.events import EdgesEvent, PipelineSpec, StatusEvent
from openmetadata_platform.lineage.state import HostCache

log = logging.getLogger("openmetadata_platform.lineage")

# What was said once in this process (one warning per unknown owner, bad tag, ...).
_said: set[str] = set()


def say_once(key: str, problems: list[str], message: str) -> None:
    """Add ``message`` to ``problems`` the first time ``key`` comes up in this process."""
    if key not in _said:
        _said.add(key)
        problems.append(message)


def forget_said() -> None:
    """Let every once-per-process message be said again (see ``dispatch.forget_process_state``)."""
    _said.clear()


def log_once(key: str, level: int, message: str, *args) -> None:
    """Log ``message`` the first time ``key`` comes up in this process."""
    if key not in _said:
        _said.add(key)
        log.log(level, message, *args)


class Sender:
    """Delivers events to one server through ``client``.

    Args:
        client: the event's bounded client.
        cache: the host cache of that server.
        tag_classification: ``[openmetadata_lineage] tag_classification``.
    """

    def __init__(self, client: RestClient, cache: HostCache, tag_classification: str):
        self.client = client
        self.cache = cache
        self.tag_classification = tag_classification

    def deliver(self, event, problems: list[str]) -> int:
        """Send ``event`` (a StatusEvent or EdgesEvent); returns the statuses or edges sent.

        Raises:
            OpenMetadataCallError: a call failed in a way that concerns the whole event.
        """
        if isinstance(event, StatusEvent):
            self.put_status(event, problems)
            return 1
        if isinstance(event, EdgesEvent):
            try:
                return self.send_edges(self.ensure_pipeline(event.spec, problems), event.edges, problems)
            except _StaleReference:
                # An id this host cached is gone (deleted in OpenMetadata): look everything up again.
                self.cache.drop(f"pipeline {event.spec.fqn}")
                for edge in event.edges:
                    self.cache.drop(f"table {edge.source}")
                    self.cache.drop(f"table {edge.target}")
                return self.send_edges(self.ensure_pipeline(event.spec, problems), event.edges, problems, retry=False)
        raise TypeError(f"not an event: {event!r}")  # pragma: no cover - a programming error

    # -- pipeline -------------------------------------------------------------------------
    def ensure_pipeline(self, spec: PipelineSpec, problems: list[str]) -> dict:
        """PUT the Pipeline unless this host sent the identical request; return ``{"id", "fqn"}``."""
        for problem in spec.problems:
            say_once(f"{spec.fqn} {problem}", problems, problem)
        request = json.loads(json.dumps(spec.request))  # a copy the owners and tags go into
        self._add_owners(request, spec.owners, problems)
        if spec.tags:
            prefix = bodies.quote_name(self.tag_classification)
            request["tags"] = [bodies.tag_label(f"{prefix}.{bodies.quote_name(tag)}") for tag in spec.tags]
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        key = f"pipeline {spec.fqn}"
        cached = self.cache.get(key)
        if cached and cached.get("hash") == digest:
            return cached["ref"]
        try:
            entity = self.client.call("PUT", "/pipelines", json=request)
        except OpenMetadataCallError as exc:
            if exc.status != 404:
                raise
            self.client.call("PUT", "/services/pipelineServices", json=bodies.service_request(spec.service))
            if spec.tags:
                classification = self.tag_classification
                self.client.call("PUT", "/classifications", json=bodies.classification_request(classification))
                for tag in spec.tags:
                    self.client.call("PUT", "/tags", json=bodies.tag_request(classification, tag))
            entity = self.client.call("PUT", "/pipelines", json=request)
        ref = {"id": entity["id"], "fqn": entity["fullyQualifiedName"]}
        self.cache.put(key, {"hash": digest, "ref": ref})
        return ref

    def _add_owners(self, request: dict, owners: dict[str, list[str]], problems: list[str]) -> None:
        refs = {name: self.owner_ref(name, problems) for name in sorted({n for ns in owners.values() for n in ns})}
        everyone = {ref["id"]: ref for ref in refs.values() if ref}
        if everyone:
            request["owners"] = sorted(everyone.values(), key=lambda r: r["id"])
        for task in request.get("tasks", []):
            mine = {refs[n]["id"]: refs[n] for n in owners.get(task["name"], []) if refs.get(n)}
            if mine:
                task["owners"] = sorted(mine.values(), key=lambda r: r["id"])

    def owner_ref(self, owner: str, problems: list[str]) -> dict | None:
        """EntityReference of the OpenMetadata user (else Group team) an Airflow owner names.

        ``owner`` may be an email: its local part is the user name (OpenMetadata names users
        so; names are stored lower-cased). Found or not, the answer is cached on the host.
        """
        key = f"owner {owner}"
        cached = self.cache.get(key)
        if cached is not None:
            return cached.get("ref")
        name = owner.split("@", 1)[0].strip().lower() if "@" in owner else owner.lower()
        candidates = [("user", "users")] + ([] if "@" in owner else [("team", "teams")])
        ref = None
        for type_name, collection in candidates:
            entity = self._get_by_name(collection, name)
            if entity is not None and (type_name == "user" or entity.get("teamType") == "Group"):
                ref = {"id": entity["id"], "type": type_name}
                break
        self.cache.put(key, {"ref": ref})
        if ref is None:
            say_once(
                f"owner {owner}",
                problems,
                f"owner {owner!r} is not an OpenMetadata user or group team; left out of the pipeline's owners",
            )
        return ref

    def _get_by_name(self, collection: str, name: str) -> dict | None:
        try:
            return self.client.call("GET", f"/{collection}/name/{quote_fqn(name)}", ok_404=True)
        except OpenMetadataCallError as exc:
            if exc.status == 400:  # a name the server cannot even look up (e.g. with a quote)
                return None
            raise

    # -- statuses -------------------------------------------------------------------------
    def put_status(self, event: StatusEvent, problems: list[str]) -> None:
        """``PUT /v1/pipelines/{fqn}/status``; on a 404 the Pipeline is created again first."""
        if event.spec is not None:
            self.ensure_pipeline(event.spec, problems)
        path = f"/pipelines/{quote_fqn(event.pipeline_fqn)}/status"
        try:
            self.client.call("PUT", path, json=event.status)
        except OpenMetadataCallError as exc:
            if exc.status != 404 or event.spec is None:
                raise
            self.cache.drop(f"pipeline {event.spec.fqn}")  # deleted in OpenMetadata since cached
            self.ensure_pipeline(event.spec, problems)
            self.client.call("PUT", path, json=event.status)

    # -- lineage --------------------------------------------------------------------------
    def table(self, fqn: str) -> dict | None:
        """``{"id", "columns"}`` of a table by FQN (cached on the host); ``None`` when missing."""
        key = f"table {fqn}"
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        entity = self.client.call("GET", f"/tables/name/{quote_fqn(fqn)}", ok_404=True)
        if entity is None:
            return None
        found = {"id": entity["id"], "columns": sorted(_column_fqns(entity.get("columns") or []))}
        self.cache.put(key, found)
        return found

    def send_edges(self, pipeline: dict, edges, problems: list[str], retry: bool = True) -> int:
        """``PUT /v1/lineage`` per edge with the pipeline in its lineage details; returns edges sent.

        Missing tables and rejected edges become ``problems``; a server that cannot take
        anything raises. A 404 for an edge means a cached id is stale: with ``retry`` it raises
        ``_StaleReference`` so that :meth:`deliver` looks the ids up again.
        """
        sent = 0
        for edge in edges:
            tables = {fqn: self.table(fqn) for fqn in (edge.source, edge.target)}
            missing = [fqn for fqn, found in tables.items() if found is None]
            if missing:
                problems.append(
                    f"table {', '.join(missing)} not in OpenMetadata; edge {edge.source} -> {edge.target} skipped"
                )
                continue
            columns = self._known_columns(edge, tables, problems)
            body = bodies.lineage_request(tables[edge.source]["id"], tables[edge.target]["id"], pipeline["id"], columns)
            try:
                self.client.call("PUT", "/lineage", json=body)
                sent += 1
            except OpenMetadataCallError as exc:
                if exc.server_unusable:
                    raise
                if exc.status == 404 and retry:
                    raise _StaleReference(str(exc)) from None
                problems.append(f"edge {edge.source} -> {edge.target} rejected: {exc}")
        return sent

    @staticmethod
    def _known_columns(edge, tables: dict, problems: list[str]) -> list[dict]:
        known = set(tables[edge.source]["columns"]) | set(tables[edge.target]["columns"])
        kept = []
        for entry in edge.columns:
            unknown = [c for c in [*entry["fromColumns"], entry["toColumn"]] if c not in known]
            if unknown:
                problems.append(
                    f"column lineage {entry['fromColumns']} -> {entry['toColumn']} skipped: no column "
                    f"{', '.join(unknown)} in OpenMetadata"
                )
            else:
                kept.append(entry)
        return kept


class _StaleReference(Exception):
    """A cached pipeline or table id no longer exists in OpenMetadata."""


def _column_fqns(columns: list[dict]) -> list[str]:
    found = []
    for column in columns:
        if column.get("fullyQualifiedName"):
            found.append(column["fullyQualifiedName"])
        found.extend(_column_fqns(column.get("children") or []))
    return found

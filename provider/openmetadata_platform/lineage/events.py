"""What the listener hands to its sender: events built from Airflow objects without any I/O.

An event is plain data (it outlives the Airflow objects it was built from, and the durable
ones are written to the outbox as JSON):

- :class:`PipelineSpec`: a DAG's Pipeline as the listener knows it before talking to the
  server (the request body, the Airflow owner names per task, the DAG's tag names);
- :class:`StatusEvent`: a DAG run's PipelineStatus, progress or final (only the scheduler
  side sends statuses: one writer per run, so no status is ever overwritten by a stale one);
- :class:`EdgesEvent`: the lineage edges of one finished task.

Final statuses and edges are ``durable``: when they cannot be sent now they wait in the
outbox. Progress statuses are not (the next one, or the final one, supersedes them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openmetadata_platform.lineage import bodies
from openmetadata_platform.lineage.edges import Edge


@dataclass(frozen=True)
class PipelineSpec:
    """A DAG's Pipeline before owners and tags are resolved against the server.

    Attributes:
        service: the PipelineService name.
        request: ``CreatePipelineRequest`` without ``owners`` and ``tags``.
        owners: task name -> Airflow owner names (Airflow's default owner left out).
        tags: the DAG's tag names that are valid OpenMetadata tag names.
        problems: why other DAG tags were left out (reported once per process).
    """

    service: str
    request: dict
    owners: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    problems: tuple[str, ...] = ()

    @property
    def fqn(self) -> str:
        """The Pipeline's fullyQualifiedName, ``<service>.<dag_id>`` (dotted parts quoted)."""
        return f"{bodies.quote_name(self.service)}.{bodies.quote_name(self.request['name'])}"

    @classmethod
    def from_dag(cls, dag, service: str, default_owner: str, base_url: str | None = None) -> PipelineSpec:
        """Build from a Task SDK DAG or the scheduler's serialized DAG (same result for both).

        Args:
            default_owner: Airflow's ``[operators] default_owner`` (nobody in particular).
            base_url: the Airflow UI base URL (default ``[api] base_url``).
        """
        request = bodies.pipeline_request(dag, service, base_url or bodies.airflow_base_url())
        tags, problems = [], []
        for tag in bodies.dag_tags(dag):
            why = bodies.invalid_name(tag)
            if why:
                problems.append(f"DAG tag {tag!r} {why}; not sent as an OpenMetadata tag")
            else:
                tags.append(tag)
        return cls(service, request, bodies.task_owners(dag, default_owner), tags, tuple(problems))

    def as_dict(self) -> dict:
        return {"service": self.service, "request": self.request, "owners": self.owners, "tags": self.tags}

    @classmethod
    def from_dict(cls, data: dict) -> PipelineSpec:
        return cls(data["service"], data["request"], data.get("owners") or {}, data.get("tags") or [])


@dataclass(frozen=True)
class StatusEvent:
    """A DAG run's PipelineStatus for the Pipeline ``spec`` describes.

    ``spec`` is ``None`` when the DAG was not at hand (the Pipeline must then exist already).
    """

    pipeline_fqn: str
    status: dict
    final: bool
    spec: PipelineSpec | None = None

    kind = "status"

    @property
    def durable(self) -> bool:
        return self.final

    @property
    def key(self) -> str:
        return f"status {self.pipeline_fqn} {self.status['timestamp']}"

    @property
    def what(self) -> str:
        return f"DAG run {self.status.get('executionId')} of {self.pipeline_fqn}"

    def as_dict(self) -> dict:
        return {
            "pipeline_fqn": self.pipeline_fqn,
            "status": self.status,
            "final": self.final,
            "spec": self.spec.as_dict() if self.spec else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> StatusEvent:
        spec = PipelineSpec.from_dict(data["spec"]) if data.get("spec") else None
        return cls(data["pipeline_fqn"], data["status"], bool(data["final"]), spec)


@dataclass(frozen=True)
class EdgesEvent:
    """The lineage edges of one task try (``task`` is ``<run_id> <task_id> <map_index> <try>``)."""

    spec: PipelineSpec
    task: str
    edges: tuple[Edge, ...]

    kind = "edges"
    durable = True

    @property
    def key(self) -> str:
        return f"edges {self.spec.fqn} {self.task}"

    @property
    def what(self) -> str:
        return f"lineage of task {self.spec.request['name']}.{self.task.split(' ')[1]}"

    def as_dict(self) -> dict:
        return {"spec": self.spec.as_dict(), "task": self.task, "edges": [e.as_dict() for e in self.edges]}

    @classmethod
    def from_dict(cls, data: dict) -> EdgesEvent:
        edges = tuple(Edge.from_dict(e) for e in data["edges"])
        return cls(PipelineSpec.from_dict(data["spec"]), data["task"], edges)


EVENT_KINDS = {StatusEvent.kind: StatusEvent, EdgesEvent.kind: EdgesEvent}


def event_from_item(item: dict):
    """The event an outbox item holds.

    Raises:
        KeyError, ValueError, TypeError: not an item this version wrote.
    """
    return EVENT_KINDS[item["kind"]].from_dict(item["payload"])

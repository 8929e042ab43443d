"""The ``[openmetadata_lineage]`` Airflow config section: options, defaults, reading.

:data:`OPTIONS` is published in the provider info (so ``airflow config list`` shows the
section with its defaults) and used as the fallback when reading, so the defaults hold
even where provider configuration is not loaded (e.g. a bare Task SDK worker).
"""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass

SECTION = "openmetadata_lineage"

# What the provider info publishes (type: boolean | string | float | integer, as Airflow's
# config schema allows) and what load_config falls back to.
OPTIONS: dict[str, dict] = {
    "enabled": {
        "description": "Send pipeline metadata, run status and lineage of DAGs to OpenMetadata.",
        "version_added": "0.1.0",
        "type": "boolean",
        "example": None,
        "default": "True",
    },
    "conn_id": {
        "description": "Airflow connection (type openmetadata) of the OpenMetadata server.",
        "version_added": "0.1.0",
        "type": "string",
        "example": None,
        "default": "openmetadata_default",
    },
    "pipeline_service_name": {
        "description": "Name of the OpenMetadata PipelineService that holds this deployment's DAGs.",
        "version_added": "0.1.0",
        "type": "string",
        "example": "airflow_prod",
        "default": "airflow",
    },
    "dag_allow_patterns": {
        "description": "Comma-separated shell patterns (fnmatch) of DAG ids to report; empty means all.",
        "version_added": "0.1.0",
        "type": "string",
        "example": "etl_*,reporting_*",
        "default": "",
    },
    "dag_deny_patterns": {
        "description": "Comma-separated shell patterns of DAG ids never to report (wins over allow).",
        "version_added": "0.1.0",
        "type": "string",
        "example": "tmp_*",
        "default": "",
    },
    "only_keep_dag_lineage": {
        "description": "Send only the lineage declared in the DAG (task inlets/outlets); ignore what "
        "hooks report through Airflow's hook lineage collector.",
        "version_added": "0.1.0",
        "type": "boolean",
        "example": None,
        "default": "False",
    },
    "tag_classification": {
        "description": "OpenMetadata classification that holds the DAG tags (created on demand); "
        "each DAG tag becomes a tag in it, attached to the DAG's Pipeline.",
        "version_added": "0.1.0",
        "type": "string",
        "example": "Airflow",
        "default": "AirflowTags",
    },
    "timeout": {
        "description": "Upper bound in seconds for all OpenMetadata calls made for one event (sent by a "
        "background thread; see task_end_budget for what a task waits).",
        "version_added": "0.1.0",
        "type": "float",
        "example": None,
        "default": "3.0",
    },
    "task_end_budget": {
        "description": "Most seconds a task process (or any Airflow component, when it stops) waits at its end "
        "for its lineage to reach OpenMetadata; what is not sent by then waits in the outbox under state_dir and "
        "is sent by the scheduler within flush_interval. Nothing is lost; a hanging server costs a task at most "
        "this much.",
        "version_added": "0.3.0",
        "type": "float",
        "example": None,
        "default": "0.1",
    },
    "backoff_seconds": {
        "description": "After a failed or slow call, skip OpenMetadata for this many seconds (shared through "
        "state_dir) and keep what could not be sent in the outbox, instead of retrying on every event.",
        "version_added": "0.1.0",
        "type": "float",
        "example": None,
        "default": "60",
    },
    "slow_call_seconds": {
        "description": "An answer slower than this many seconds counts as a failure for the back-off.",
        "version_added": "0.2.0",
        "type": "float",
        "example": None,
        "default": "1.5",
    },
    "state_dir": {
        "description": "Directory for what the Airflow processes of a host share: the back-off, a short-lived "
        "cache of OpenMetadata ids and the outbox of final run statuses and lineage not sent yet. Empty means "
        "{AIRFLOW_HOME}/openmetadata_lineage. With workers on several hosts (Celery, Kubernetes), point it at "
        "a path every host mounts, so they share one back-off and one outbox.",
        "version_added": "0.2.0",
        "type": "string",
        "example": "/shared/airflow/openmetadata_lineage",
        "default": "",
    },
    "status_interval": {
        "description": "Seconds between progress updates of a running DAG run's status in OpenMetadata, sent "
        "from the scheduler; 0 sends only the start and the final status.",
        "version_added": "0.2.0",
        "type": "float",
        "example": None,
        "default": "10",
    },
    "flush_interval": {
        "description": "Seconds between attempts, on the scheduler, to send the outbox. While calls are paused "
        "(backoff_seconds), each attempt first probes the server with one cheap call (GET "
        "/api/v1/users/loggedInUser); when it answers in time the pause ends at once, so what waited arrives "
        "within one flush_interval of the server's return.",
        "version_added": "0.2.0",
        "type": "float",
        "example": None,
        "default": "30",
    },
    "queue_size": {
        "description": "Events a process keeps waiting for its sender; beyond it, progress updates are dropped "
        "(counted, logged once a minute) and final statuses and lineage go to the outbox.",
        "version_added": "0.2.0",
        "type": "integer",
        "example": None,
        "default": "1000",
    },
    "outbox_max_items": {
        "description": "Most final statuses and lineage events kept in the outbox; the oldest are dropped first "
        "(counted and logged).",
        "version_added": "0.2.0",
        "type": "integer",
        "example": None,
        "default": "1000",
    },
    "log_hook_timing": {
        "description": "Log, at INFO, how long each scheduler-side hook held the scheduler (one line per DAG "
        "run start and end); for measuring, off in normal use.",
        "version_added": "0.2.0",
        "type": "boolean",
        "example": None,
        "default": "False",
    },
    "cache_seconds": {
        "description": "How long the processes of a host reuse OpenMetadata ids (pipeline, tables, owners) "
        "before looking them up again.",
        "version_added": "0.2.0",
        "type": "float",
        "example": None,
        "default": "300",
    },
}

# Options that must be > 0 (the others of type float/integer must be >= 0).
_POSITIVE = {"timeout", "slow_call_seconds", "queue_size", "outbox_max_items"}

log = logging.getLogger("openmetadata_platform.lineage")


def _patterns(raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (raw or "").split(",") if p.strip())


@dataclass(frozen=True)
class LineageConfig:
    """Settings of the ``[openmetadata_lineage]`` section (see :data:`OPTIONS`)."""

    enabled: bool = True
    conn_id: str = "openmetadata_default"
    pipeline_service_name: str = "airflow"
    dag_allow_patterns: tuple[str, ...] = ()
    dag_deny_patterns: tuple[str, ...] = ()
    only_keep_dag_lineage: bool = False
    tag_classification: str = "AirflowTags"
    timeout: float = 3.0  # seconds
    task_end_budget: float = 0.1  # seconds
    backoff_seconds: float = 60.0
    slow_call_seconds: float = 1.5
    state_dir: str = ""  # "" = {AIRFLOW_HOME}/openmetadata_lineage
    status_interval: float = 10.0  # seconds; 0 = start and end only
    flush_interval: float = 30.0  # seconds
    queue_size: int = 1000
    outbox_max_items: int = 1000
    cache_seconds: float = 300.0
    log_hook_timing: bool = False

    def dag_selected(self, dag_id: str) -> bool:
        """Whether ``dag_id`` passes the allow/deny patterns (deny wins; empty allow = all)."""
        if any(fnmatch.fnmatchcase(dag_id, p) for p in self.dag_deny_patterns):
            return False
        return not self.dag_allow_patterns or any(fnmatch.fnmatchcase(dag_id, p) for p in self.dag_allow_patterns)


def airflow_conf():
    """Airflow's config object: the Task SDK's where tasks run, airflow-core's elsewhere."""
    try:
        from airflow.sdk.configuration import conf  # where tasks run (Task SDK)
    except ImportError:  # pragma: no cover - older layouts
        from airflow.configuration import conf
    return conf


def _parse(name: str, option: dict, raw: str):
    """One option's value from its text. Raises ValueError naming what was expected."""
    kind = option["type"]
    if kind == "boolean":
        lowered = str(raw).strip().lower()
        if lowered not in ("true", "false", "1", "0", "t", "f"):
            raise ValueError(f"expected True or False, got {raw!r}")
        return lowered in ("true", "1", "t")
    if kind in ("float", "integer"):
        value = float(raw) if kind == "float" else int(raw)
        if value < 0 or (value == 0 and name in _POSITIVE):
            raise ValueError(f"expected a number {'>' if name in _POSITIVE else '>='} 0, got {raw!r}")
        return value
    return str(raw or "")


def load_config() -> LineageConfig:
    """Read the section; an invalid value logs one warning and falls back to its default.

    Reads ``airflow.sdk.configuration.conf`` (env ``AIRFLOW__OPENMETADATA_LINEAGE__*`` and
    airflow.cfg). Never raises: the defaults in :data:`OPTIONS` always parse.
    """
    conf = airflow_conf()
    values: dict = {}
    for name, option in OPTIONS.items():
        default = option["default"]
        try:
            values[name] = _parse(name, option, conf.get(SECTION, name, fallback=default))
        except Exception as exc:  # noqa: BLE001 - a misconfiguration must never break a task
            log.warning("OpenMetadata lineage: [%s] %s is invalid (%s); using default %r", SECTION, name, exc, default)
            values[name] = _parse(name, option, default)
    values["dag_allow_patterns"] = _patterns(values["dag_allow_patterns"])
    values["dag_deny_patterns"] = _patterns(values["dag_deny_patterns"])
    return LineageConfig(**values)

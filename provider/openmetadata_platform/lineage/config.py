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
        "description": "Upper bound in seconds for all OpenMetadata calls made for one task or DAG run event.",
        "version_added": "0.1.0",
        "type": "float",
        "example": None,
        "default": "3.0",
    },
    "backoff_seconds": {
        "description": "After a failed call, skip OpenMetadata for this many seconds (shared by the "
        "task processes of one machine) instead of retrying on every task.",
        "version_added": "0.1.0",
        "type": "float",
        "example": None,
        "default": "60",
    },
}

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
    backoff_seconds: float = 60.0

    def dag_selected(self, dag_id: str) -> bool:
        """Whether ``dag_id`` passes the allow/deny patterns (deny wins; empty allow = all)."""
        if any(fnmatch.fnmatchcase(dag_id, p) for p in self.dag_deny_patterns):
            return False
        return not self.dag_allow_patterns or any(fnmatch.fnmatchcase(dag_id, p) for p in self.dag_allow_patterns)


def _conf():
    try:
        from airflow.sdk.configuration import conf  # where tasks run (Task SDK)
    except ImportError:  # pragma: no cover - older layouts
        from airflow.configuration import conf
    return conf


def load_config() -> LineageConfig:
    """Read the section; an invalid value logs one warning and falls back to its default.

    Reads ``airflow.sdk.configuration.conf`` (env ``AIRFLOW__OPENMETADATA_LINEAGE__*`` and
    airflow.cfg). Never raises.
    """
    conf = _conf()
    values: dict = {}
    for name, option in OPTIONS.items():
        default = option["default"]
        try:
            if option["type"] == "boolean":
                values[name] = conf.getboolean(SECTION, name, fallback=default == "True")
            elif option["type"] == "float":
                values[name] = float(conf.get(SECTION, name, fallback=default))
                if values[name] <= 0 and name == "timeout":
                    raise ValueError("must be > 0")
            else:
                values[name] = conf.get(SECTION, name, fallback=default) or default
        except Exception as exc:  # noqa: BLE001 - lineage must never fail a task  # misconfiguration must never break a task
            log.warning("OpenMetadata lineage: [%s] %s is invalid (%s); using default %r", SECTION, name, exc, default)
            values[name] = {"boolean": default == "True", "float": float(default or 0)}.get(option["type"], default)
    values["dag_allow_patterns"] = _patterns(values["dag_allow_patterns"])
    values["dag_deny_patterns"] = _patterns(values["dag_deny_patterns"])
    return LineageConfig(**values)

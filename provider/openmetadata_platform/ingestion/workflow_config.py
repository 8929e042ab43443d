"""Build and validate OpenMetadata ingestion workflow configs (the YAML/JSON that
``metadata ingest -c`` reads), from typed arguments.

Argument checks here are cheap (no ``openmetadata-ingestion`` import) so operators can run
them at DAG parse time; :func:`validate_workflow_config` parses the finished config with
OpenMetadata's own ``OpenMetadataWorkflowConfig`` model at task start.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# Workflow types (sourceConfig.config.type) and the operator that runs each one; the
# metadata operators run only "metadata", the others have an operator of their own
# (operators/ingestion.py), so a wrong workflow_type names the right operator.
WORKFLOW_TYPES = {
    "metadata": "DatabaseMetadata",
    "profiler": "Profiler",
    "data_quality": "TestSuite",
    "lineage": "DatabaseLineage",
    "usage": "DatabaseUsage",
    "auto_classification": "AutoClassification",
}
WORKFLOW_OPERATORS = {
    "metadata": "PostgresMetadataIngestionOperator / MssqlMetadataIngestionOperator",
    "profiler": "PostgresProfilerOperator",
    "data_quality": "PostgresDataQualityOperator",
    "lineage": "PostgresQueryLineageOperator",
    "usage": "PostgresQueryUsageOperator",
    "auto_classification": "PostgresAutoClassificationOperator",
}
SUPPORTED_WORKFLOW_TYPES = ("metadata",)  # what the metadata operators accept
# OpenMetadata's entityName: 1-256 characters, no "::" (basic.json#/definitions/entityName).
_ENTITY_NAME = re.compile(r"^(?!.*::).{1,256}$", re.DOTALL)


class IngestionConfigError(ValueError):
    """An ingestion argument is invalid; the message names the field and what was expected."""


def check_entity_name(field_name: str, value: object) -> str:
    """Return ``value`` if it is a valid OpenMetadata entity name, else raise naming ``field_name``.

    Raises:
        IngestionConfigError: not a string, empty, longer than 256 characters, or contains "::".
    """
    if not isinstance(value, str) or not value.strip() or not _ENTITY_NAME.match(value):
        raise IngestionConfigError(
            f"{field_name}={value!r}: expected a non-empty OpenMetadata entity name "
            "(at most 256 characters, without '::')"
        )
    return value


def check_patterns(field_name: str, patterns: Sequence[str] | None) -> list[str]:
    """Return ``patterns`` as a list after compiling each as a Python regex.

    Raises:
        IngestionConfigError: not a list of strings, or a pattern is not a valid regex.
    """
    if patterns is None:
        return []
    if isinstance(patterns, str) or not all(isinstance(p, str) for p in patterns):
        raise IngestionConfigError(f"{field_name}={patterns!r}: expected a list of regular expressions (strings)")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise IngestionConfigError(f"{field_name}: {pattern!r} is not a valid regular expression: {exc}") from None
    return list(patterns)


@dataclass(frozen=True)
class FilterPattern:
    """Include/exclude regexes (OpenMetadata ``filterPattern``); empty means no filter."""

    includes: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)

    @classmethod
    def from_args(
        cls, field_name: str, includes: Sequence[str] | None, excludes: Sequence[str] | None
    ) -> FilterPattern:
        return cls(
            check_patterns(f"{field_name}_includes", includes), check_patterns(f"{field_name}_excludes", excludes)
        )

    def as_config(self) -> dict | None:
        if not self.includes and not self.excludes:
            return None
        config: dict = {}
        if self.includes:
            config["includes"] = self.includes
        if self.excludes:
            config["excludes"] = self.excludes
        return config


@dataclass(frozen=True)
class DatabaseMetadataOptions:
    """``sourceConfig.config`` of a database metadata workflow (type ``DatabaseMetadata``)."""

    database_filter: FilterPattern = field(default_factory=FilterPattern)
    schema_filter: FilterPattern = field(default_factory=FilterPattern)
    table_filter: FilterPattern = field(default_factory=FilterPattern)
    include_tables: bool = True
    include_views: bool = True
    include_stored_procedures: bool = True
    include_tags: bool = True
    mark_deleted_tables: bool = True

    def as_config(self) -> dict:
        config = {
            "type": WORKFLOW_TYPES["metadata"],
            "includeTables": self.include_tables,
            "includeViews": self.include_views,
            "includeStoredProcedures": self.include_stored_procedures,
            "includeTags": self.include_tags,
            "markDeletedTables": self.mark_deleted_tables,
        }
        for key, pattern in (
            ("databaseFilterPattern", self.database_filter),
            ("schemaFilterPattern", self.schema_filter),
            ("tableFilterPattern", self.table_filter),
        ):
            if pattern.as_config():
                config[key] = pattern.as_config()
        return config


def build_workflow_config(
    *,
    source_type: str,
    service_name: str,
    service_connection: dict | None,
    source_config: dict,
    server_config: dict,
    logger_level: str = "INFO",
    steps: dict | None = None,
) -> dict:
    """Assemble the workflow config dict ``<Workflow>.create`` takes (``metadata ingest/profile/
    test/classify -c`` read the same shape).

    Args:
        source_type: connector name, e.g. ``"postgres"``, ``"postgres-lineage"``, ``"testsuite"``
            (source.type).
        service_name: DatabaseService name in OpenMetadata (a test suite's name for ``testsuite``).
        service_connection: ``serviceConnection.config`` (contains the source's secret); ``None``
            for sources that carry their connection elsewhere (the test suite's
            ``sourceConfig.serviceConnections``).
        source_config: ``sourceConfig.config`` (e.g. :meth:`DatabaseMetadataOptions.as_config`).
        server_config: ``workflowConfig.openMetadataServerConfig`` (contains the JWT).
        logger_level: ``DEBUG``/``INFO``/``WARN``/``ERROR``.
        steps: the steps after the source, e.g. ``{"processor": {...}, "sink": {...}}`` or
            ``{"processor": ..., "stage": ..., "bulkSink": ...}``; default: the REST sink.

    The result holds secrets: never log it or push it to XCom.
    """
    source = {"type": source_type, "serviceName": service_name, "sourceConfig": {"config": source_config}}
    if service_connection is not None:
        source["serviceConnection"] = {"config": service_connection}
    return {
        "source": source,
        **(steps if steps is not None else {"sink": {"type": "metadata-rest", "config": {}}}),
        "workflowConfig": {"loggerLevel": logger_level, "openMetadataServerConfig": server_config},
    }


def validate_workflow_config(config: dict) -> None:
    """Parse ``config`` with ``OpenMetadataWorkflowConfig`` (openmetadata-ingestion).

    Raises:
        IngestionConfigError: naming each invalid field (values are not echoed, they may be secret).
    """
    from metadata.generated.schema.metadataIngestion.workflow import OpenMetadataWorkflowConfig
    from pydantic import ValidationError

    try:
        OpenMetadataWorkflowConfig.model_validate(config)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:10])
        raise IngestionConfigError(f"Invalid OpenMetadata workflow config: {problems}") from None

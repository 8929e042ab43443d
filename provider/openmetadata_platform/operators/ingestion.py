"""Operators that run OpenMetadata ingestion workflows inside an Airflow task.

The OpenMetadata server comes from :class:`~openmetadata_platform.hooks.openmetadata.OpenMetadataHook`,
the source from an Airflow connection, the rest from typed arguments checked when the
DAG is parsed. The task's return value (XCom) is the workflow summary: counts and wall
time, never a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from openmetadata_platform.ingestion.workflow_config import (
    SUPPORTED_WORKFLOW_TYPES,
    WORKFLOW_TYPES,
    DatabaseMetadataOptions,
    FilterPattern,
    IngestionConfigError,
    build_workflow_config,
    check_entity_name,
)

LOGGER_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")


class OpenMetadataIngestionOperator(BaseOperator):
    """Run one OpenMetadata ingestion workflow (``metadata ingest``) in the task.

    Subclasses say where the source connection comes from (:meth:`build_service_connection`)
    and what the workflow extracts (:meth:`build_source_config`).

    Args:
        service_name: OpenMetadata service name (DatabaseService) to create or update.
        source_type: connector name as OpenMetadata spells it in ``source.type`` (``postgres``).
        workflow_type: one of ``metadata``, ``profiler``, ``lineage``, ``usage``,
            ``auto_classification``; only ``metadata`` runs today.
        openmetadata_conn_id: Airflow connection of type ``openmetadata``.
        logger_level: ``DEBUG``, ``INFO``, ``WARN`` or ``ERROR`` for the workflow's loggers.

    Raises (at DAG parse time):
        IngestionConfigError: an argument is invalid; the message names it.
    """

    template_fields: Sequence[str] = ("service_name",)
    ui_color = "#7147e8"

    def __init__(
        self,
        *,
        service_name: str,
        source_type: str,
        workflow_type: str = "metadata",
        openmetadata_conn_id: str = "openmetadata_default",
        logger_level: str = "INFO",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if "{{" not in str(service_name):  # templated names are checked at task start
            check_entity_name("service_name", service_name)
        if workflow_type not in WORKFLOW_TYPES:
            raise IngestionConfigError(
                f"workflow_type={workflow_type!r}: expected one of {', '.join(WORKFLOW_TYPES)}"
            )
        if workflow_type not in SUPPORTED_WORKFLOW_TYPES:
            raise IngestionConfigError(
                f"workflow_type={workflow_type!r} is not supported by this provider yet; "
                f"supported: {', '.join(SUPPORTED_WORKFLOW_TYPES)}"
            )
        if logger_level not in LOGGER_LEVELS:
            raise IngestionConfigError(f"logger_level={logger_level!r}: expected one of {', '.join(LOGGER_LEVELS)}")
        self.service_name = service_name
        self.source_type = source_type
        self.workflow_type = workflow_type
        self.openmetadata_conn_id = openmetadata_conn_id
        self.logger_level = logger_level

    def build_service_connection(self) -> dict:
        """Return ``source.serviceConnection.config`` (may hold a secret)."""
        raise NotImplementedError

    def build_source_config(self) -> dict:
        """Return ``source.sourceConfig.config``."""
        raise NotImplementedError

    def build_workflow_config(self) -> dict:
        """Assemble and validate the full workflow config (holds secrets: never logged).

        Raises:
            IngestionConfigError: a connection field or the assembled config is invalid.
        """
        from openmetadata_platform.hooks.openmetadata import OpenMetadataHook
        from openmetadata_platform.ingestion.workflow_config import validate_workflow_config

        check_entity_name("service_name", self.service_name)
        config = build_workflow_config(
            source_type=self.source_type,
            service_name=self.service_name,
            service_connection=self.build_service_connection(),
            source_config=self.build_source_config(),
            server_config=OpenMetadataHook(self.openmetadata_conn_id).get_server_config_dict(),
            logger_level=self.logger_level,
        )
        validate_workflow_config(config)
        return config

    def execute(self, context: Any) -> dict:
        """Run the workflow; return its summary for XCom.

        Raises:
            IngestionConfigError: invalid connection or config (before anything is written).
            IngestionWorkflowError: the workflow failed; the message says what failed.
        """
        from openmetadata_platform.ingestion.runner import run_metadata_workflow

        config = self.build_workflow_config()
        self.log.info(
            "Running OpenMetadata %s ingestion: service '%s' (%s) into %s",
            self.workflow_type, self.service_name, self.source_type,
            config["workflowConfig"]["openMetadataServerConfig"]["hostPort"],
        )
        summary = run_metadata_workflow(config, self.service_name)
        self.log.info("%s", summary.describe())
        return summary.as_dict()


class PostgresMetadataIngestionOperator(OpenMetadataIngestionOperator):
    """Harvest a PostgreSQL database's schemas, tables, views and their columns and
    constraints into OpenMetadata (connector ``postgres``, workflow ``DatabaseMetadata``).

    Args:
        postgres_conn_id: Airflow connection of type ``postgres`` (host, port, login,
            password; ``schema`` = database unless ``database`` is given).
        database: database to harvest (one database per service run).
        schema_includes / schema_excludes: regexes on schema names (e.g. ``["^public$"]``).
        table_includes / table_excludes: regexes on table names.
        include_views: harvest views and materialized views with their definitions.
        include_stored_procedures: harvest stored procedures.
        mark_deleted_tables: soft-delete tables in OpenMetadata that vanished from the source.
        **kwargs: see :class:`OpenMetadataIngestionOperator` (``service_name`` is required).
    """

    template_fields: Sequence[str] = ("service_name", "database")

    def __init__(
        self,
        *,
        postgres_conn_id: str = "postgres_default",
        database: str | None = None,
        schema_includes: Sequence[str] | None = None,
        schema_excludes: Sequence[str] | None = None,
        table_includes: Sequence[str] | None = None,
        table_excludes: Sequence[str] | None = None,
        include_views: bool = True,
        include_stored_procedures: bool = True,
        mark_deleted_tables: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("source_type", "postgres")
        super().__init__(**kwargs)
        for name, value in (
            ("include_views", include_views),
            ("include_stored_procedures", include_stored_procedures),
            ("mark_deleted_tables", mark_deleted_tables),
        ):
            if not isinstance(value, bool):
                raise IngestionConfigError(f"{name}={value!r}: expected True or False")
        if database is not None and not (isinstance(database, str) and database.strip()):
            raise IngestionConfigError(f"database={database!r}: expected a database name or None")
        self.postgres_conn_id = postgres_conn_id
        self.database = database
        self.options = DatabaseMetadataOptions(
            schema_filter=FilterPattern.from_args("schema", schema_includes, schema_excludes),
            table_filter=FilterPattern.from_args("table", table_includes, table_excludes),
            include_views=include_views,
            include_stored_procedures=include_stored_procedures,
            mark_deleted_tables=mark_deleted_tables,
        )

    def build_service_connection(self) -> dict:
        from openmetadata_platform.ingestion.sources import postgres_service_connection

        return postgres_service_connection(self.postgres_conn_id, self.database)

    def build_source_config(self) -> dict:
        return self.options.as_config()

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
            raise IngestionConfigError(f"workflow_type={workflow_type!r}: expected one of {', '.join(WORKFLOW_TYPES)}")
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

    def check_source(self, service_connection: dict) -> None:
        """Fail fast with the real reason when the source is unreachable (override per source)."""

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

    def preflight(self, config: dict) -> None:
        """Check OpenMetadata (reachable, version, token) and the source before any write.

        Raises:
            OpenMetadataConnectionError / IngestionConfigError: with the cause and the fix.
        """
        from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

        self.log.info("%s", OpenMetadataHook(self.openmetadata_conn_id).check())
        self.check_source(config["source"]["serviceConnection"]["config"])

    def execute(self, context: Any) -> dict:
        """Run the workflow; return its summary for XCom.

        Raises:
            IngestionConfigError: invalid connection or config (before anything is written).
            IngestionWorkflowError: the workflow failed; the message says what failed.
        """
        from openmetadata_platform.ingestion.runner import run_metadata_workflow

        config = self.build_workflow_config()
        self.preflight(config)
        self.log.info(
            "Running OpenMetadata %s ingestion: service '%s' (%s) into %s",
            self.workflow_type,
            self.service_name,
            self.source_type,
            config["workflowConfig"]["openMetadataServerConfig"]["hostPort"],
        )
        summary = run_metadata_workflow(config, self.service_name)
        self.log.info("%s", summary.describe())
        return summary.as_dict()


class DatabaseMetadataIngestionOperator(OpenMetadataIngestionOperator):
    """Shared base of the database metadata operators (workflow ``DatabaseMetadata``).

    Args:
        database_includes / database_excludes: regexes on database names.
        schema_includes / schema_excludes: regexes on schema names (e.g. ``["^public$"]``).
        table_includes / table_excludes: regexes on table names.
        include_views: harvest views and materialized views with their definitions.
        include_stored_procedures: harvest stored procedures.
        mark_deleted_tables: soft-delete tables in OpenMetadata that vanished from the source.
        filters_variable: name of an Airflow Variable holding JSON that overrides any of the
            filter/include arguments above at task start (keys named like the arguments),
            so operators change filters without a deploy. Checked like the arguments.
        kerberos_ccache: Kerberos ticket cache for the source login (``"/krb5/cache/krb5cc"``
            or ``"FILE:..."``; default ``$KRB5CCNAME``), used when ``kerberos=True``.
        kerberos: log in to the source with the Kerberos ticket, no password; the task
            first checks the ticket (principal, expiry) and fails fast with the fix.
        **kwargs: see :class:`OpenMetadataIngestionOperator` (``service_name`` is required).
    """

    FILTER_ARGUMENTS = (
        "database_includes",
        "database_excludes",
        "schema_includes",
        "schema_excludes",
        "table_includes",
        "table_excludes",
        "include_views",
        "include_stored_procedures",
        "mark_deleted_tables",
    )

    def __init__(
        self,
        *,
        database_includes: Sequence[str] | None = None,
        database_excludes: Sequence[str] | None = None,
        schema_includes: Sequence[str] | None = None,
        schema_excludes: Sequence[str] | None = None,
        table_includes: Sequence[str] | None = None,
        table_excludes: Sequence[str] | None = None,
        include_views: bool = True,
        include_stored_procedures: bool = True,
        mark_deleted_tables: bool = True,
        filters_variable: str | None = None,
        kerberos: bool = False,
        kerberos_ccache: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(kerberos, bool):
            raise IngestionConfigError(f"kerberos={kerberos!r}: expected True or False")
        self.filters = {
            "database_includes": database_includes,
            "database_excludes": database_excludes,
            "schema_includes": schema_includes,
            "schema_excludes": schema_excludes,
            "table_includes": table_includes,
            "table_excludes": table_excludes,
            "include_views": include_views,
            "include_stored_procedures": include_stored_procedures,
            "mark_deleted_tables": mark_deleted_tables,
        }
        self.options = self._options(self.filters)  # checked at parse time
        self.filters_variable = filters_variable
        self.kerberos = kerberos
        self.kerberos_ccache = kerberos_ccache

    @staticmethod
    def _options(filters: dict) -> DatabaseMetadataOptions:
        for name in ("include_views", "include_stored_procedures", "mark_deleted_tables"):
            if not isinstance(filters[name], bool):
                raise IngestionConfigError(f"{name}={filters[name]!r}: expected True or False")
        return DatabaseMetadataOptions(
            database_filter=FilterPattern.from_args(
                "database", filters["database_includes"], filters["database_excludes"]
            ),
            schema_filter=FilterPattern.from_args("schema", filters["schema_includes"], filters["schema_excludes"]),
            table_filter=FilterPattern.from_args("table", filters["table_includes"], filters["table_excludes"]),
            include_views=filters["include_views"],
            include_stored_procedures=filters["include_stored_procedures"],
            mark_deleted_tables=filters["mark_deleted_tables"],
        )

    def build_source_config(self) -> dict:
        """``sourceConfig.config`` from the arguments, overridden by ``filters_variable``.

        Calls ``airflow.sdk.Variable.get`` (through the Task SDK) when a variable is named.

        Raises:
            IngestionConfigError: the Variable is not a JSON object of known, valid keys.
        """
        if not self.filters_variable:
            return self.options.as_config()
        from airflow.sdk import Variable

        try:
            overrides = Variable.get(self.filters_variable, deserialize_json=True)
        except Exception as exc:  # noqa: BLE001 - missing Variable or not JSON: one clear error
            raise IngestionConfigError(
                f"filters_variable={self.filters_variable!r}: expected an Airflow Variable holding a JSON "
                f"object ({type(exc).__name__}: {exc})"
            ) from None
        if not isinstance(overrides, dict) or set(overrides) - set(self.FILTER_ARGUMENTS):
            unknown = sorted(set(overrides) - set(self.FILTER_ARGUMENTS)) if isinstance(overrides, dict) else overrides
            raise IngestionConfigError(
                f"Variable {self.filters_variable!r}: unexpected {unknown!r}; expected a JSON object with keys "
                f"among {', '.join(self.FILTER_ARGUMENTS)}"
            )
        try:
            return self._options({**self.filters, **overrides}).as_config()
        except IngestionConfigError as exc:
            raise IngestionConfigError(f"Variable {self.filters_variable!r}: {exc}") from None

    def check_source(self, service_connection: dict) -> None:
        """With ``kerberos=True``: check the TGT first (FreeTDS/libpq only say "cannot connect")."""
        if self.kerberos:
            from openmetadata_platform.kerberos.preflight import check_kerberos_ticket

            ticket = check_kerberos_ticket(self.kerberos_ccache)
            self.log.info(
                "Kerberos ticket of %s valid until %s (%s)",
                ticket.principal,
                ticket.expires_at.isoformat(),
                ticket.cache,
            )

    def execute(self, context: Any) -> dict:
        if not (self.kerberos and self.kerberos_ccache):
            return super().execute(context)
        # The source drivers (libpq, ODBC) read the cache named by KRB5CCNAME: set it for
        # this run only, so nothing else in the process inherits it.
        import os

        previous = os.environ.get("KRB5CCNAME")
        os.environ["KRB5CCNAME"] = self.kerberos_ccache
        try:
            return super().execute(context)
        finally:
            if previous is None:
                os.environ.pop("KRB5CCNAME", None)
            else:
                os.environ["KRB5CCNAME"] = previous


class PostgresMetadataIngestionOperator(DatabaseMetadataIngestionOperator):
    """Harvest a PostgreSQL database's schemas, tables, views and their columns and
    constraints into OpenMetadata (connector ``postgres``, workflow ``DatabaseMetadata``).

    Args:
        postgres_conn_id: Airflow connection of type ``postgres`` (host, port, login,
            password; ``schema`` = database unless ``database`` is given). With
            ``kerberos=True`` the password must be empty: libpq logs in with GSSAPI.
        database: database to harvest (one database per service run).
        **kwargs: filters and Kerberos, see :class:`DatabaseMetadataIngestionOperator`.
    """

    template_fields: Sequence[str] = ("service_name", "database")

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", database: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("source_type", "postgres")
        super().__init__(**kwargs)
        if database is not None and not (isinstance(database, str) and database.strip()):
            raise IngestionConfigError(f"database={database!r}: expected a database name or None")
        self.postgres_conn_id = postgres_conn_id
        self.database = database

    def build_service_connection(self) -> dict:
        from openmetadata_platform.ingestion.sources import postgres_service_connection

        return postgres_service_connection(self.postgres_conn_id, self.database, kerberos=self.kerberos)

    def check_source(self, service_connection: dict) -> None:
        from openmetadata_platform.ingestion.sources import check_postgres

        super().check_source(service_connection)
        check_postgres(service_connection)


class MssqlMetadataIngestionOperator(DatabaseMetadataIngestionOperator):
    """Harvest SQL Server schemas into OpenMetadata over ODBC (connector ``mssql``,
    ``mssql+pyodbc``), with Kerberos integrated security by default: no user, no password.

    Args:
        mssql_conn_id: Airflow connection (type ``mssql`` or generic): ``host``, ``port``
            (1433), ``schema`` = initial database; ``extra`` may set ``driver`` (ODBC driver
            name, default "ODBC Driver 18 for SQL Server"; "FreeTDS" where that is
            installed), ``encrypt`` (bool, default true), ``trust_server_certificate``
            (bool, default false) and ``server_spn`` (e.g. "MSSQLSvc/db1.corp:1433").
        database: initial database; defaults to the connection's ``schema`` or ``master``.
        kerberos: must stay True: the platform harvests SQL Server only with Kerberos.
        **kwargs: filters, see :class:`DatabaseMetadataIngestionOperator`; use
            ``database_includes`` to harvest more than the initial database.
    """

    template_fields: Sequence[str] = ("service_name", "database")

    def __init__(
        self, *, mssql_conn_id: str = "mssql_default", database: str | None = None, kerberos: bool = True, **kwargs: Any
    ) -> None:
        kwargs.setdefault("source_type", "mssql")
        if kerberos is not True:
            raise IngestionConfigError("kerberos=False: SQL Server harvests use Kerberos only (no passwords)")
        super().__init__(kerberos=True, **kwargs)
        self.mssql_conn_id = mssql_conn_id
        self.database = database

    def build_service_connection(self) -> dict:
        from openmetadata_platform.ingestion.sources import mssql_service_connection

        include_all = bool(self.options.database_filter.includes or self.options.database_filter.excludes)
        return mssql_service_connection(self.mssql_conn_id, self.database, ingest_all_databases=include_all)

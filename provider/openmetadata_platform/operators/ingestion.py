"""Operators that run OpenMetadata ingestion workflows inside an Airflow task, one per workflow.

The OpenMetadata server comes from :class:`~openmetadata_platform.hooks.openmetadata.OpenMetadataHook`,
the source from an Airflow connection, the rest from typed arguments checked when the DAG is
parsed (a templated value, ``"{{ ... }}"``, is checked at task start, once rendered). The task
first checks the server and the source (the real cause, before anything is written), then runs
the workflow; its return value (XCom) is the workflow summary: counts and names, never a secret
or a sample row.

- metadata: :class:`PostgresMetadataIngestionOperator`, :class:`MssqlMetadataIngestionOperator`;
- profiles: :class:`PostgresProfilerOperator`;
- data-quality tests declared in YAML: :class:`PostgresDataQualityOperator`;
- PII classification: :class:`PostgresAutoClassificationOperator`;
- lineage and usage from the query log (``pg_stat_statements``):
  :class:`PostgresQueryLineageOperator`, :class:`PostgresQueryUsageOperator`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

from openmetadata_platform.ingestion.workflow_config import (
    SUPPORTED_WORKFLOW_TYPES,
    WORKFLOW_OPERATORS,
    WORKFLOW_TYPES,
    DatabaseMetadataOptions,
    FilterPattern,
    IngestionConfigError,
    build_workflow_config,
    check_entity_name,
)

LOGGER_LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")


def service_connection_of(config: dict) -> dict:
    """``serviceConnection.config`` of a workflow config (a test suite carries it in its sourceConfig)."""
    source = config["source"]
    if "serviceConnection" in source:
        return source["serviceConnection"]["config"]
    return source["sourceConfig"]["config"]["serviceConnections"][0]["serviceConnection"]["config"]


def check_database_argument(database: object) -> None:
    """``database`` is a name, ``None`` or a template (checked once rendered).

    Raises:
        IngestionConfigError: anything else.
    """
    if database is not None and not (isinstance(database, str) and database.strip()):
        raise IngestionConfigError(f"database={database!r}: expected a database name or None")


def is_templated(value: object) -> bool:
    """Whether ``value`` (or a string inside it) is a Jinja template Airflow renders at task start."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, dict):
        return any(is_templated(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_templated(v) for v in value)
    return False


class OpenMetadataIngestionOperator(BaseOperator):
    """Run one OpenMetadata ingestion workflow (``metadata ingest``) in the task.

    Subclasses say where the source connection comes from (:meth:`build_service_connection`)
    and what the workflow extracts (:meth:`build_source_config`).

    Args:
        service_name: OpenMetadata service name (DatabaseService) to create or update.
        source_type: connector name as OpenMetadata spells it in ``source.type`` (``postgres``).
        workflow_type: the workflow this operator runs (``metadata`` here; each other workflow has
            its own operator, named by the error).
        openmetadata_conn_id: Airflow connection of type ``openmetadata``.
        logger_level: ``DEBUG``, ``INFO``, ``WARN`` or ``ERROR`` for the workflow's loggers.

    Raises (at DAG parse time):
        IngestionConfigError: an argument is invalid; the message names it.
    """

    template_fields: Sequence[str] = ("service_name", "openmetadata_conn_id")
    ui_color = "#7147e8"
    ACCEPTED_WORKFLOW_TYPES: tuple[str, ...] = SUPPORTED_WORKFLOW_TYPES

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
        if workflow_type not in self.ACCEPTED_WORKFLOW_TYPES:
            raise IngestionConfigError(
                f"workflow_type={workflow_type!r} is not run by {type(self).__name__}; "
                f"use {WORKFLOW_OPERATORS[workflow_type]}"
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

    def build_steps(self) -> dict | None:
        """The workflow's steps after the source (``processor``/``sink``/...); ``None``: REST sink."""
        return None

    def workflow_source_type(self) -> str:
        """``source.type`` of the workflow (``postgres``, ``postgres-lineage``, ``testsuite``...)."""
        return self.source_type

    def build_workflow_config(self) -> dict:
        """Assemble and validate the full workflow config (holds secrets: never logged).

        Raises:
            IngestionConfigError: a connection field or the assembled config is invalid.
        """
        from openmetadata_platform.hooks.openmetadata import OpenMetadataHook
        from openmetadata_platform.ingestion.workflow_config import validate_workflow_config

        check_entity_name("service_name", self.service_name)
        config = build_workflow_config(
            source_type=self.workflow_source_type(),
            service_name=self.service_name,
            service_connection=self.build_service_connection(),
            source_config=self.build_source_config(),
            server_config=OpenMetadataHook(self.openmetadata_conn_id).get_server_config_dict(),
            logger_level=self.logger_level,
            steps=self.build_steps(),
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
        self.check_source(service_connection_of(config))

    def adjust_config(self, config: dict) -> dict:
        """Change ``config`` after the preflight with what the source check found (default: as is)."""
        return config

    def run_workflow(self, config: dict):
        """Run the workflow for ``config`` (after the preflight); return its ``WorkflowSummary``.

        Applies the measured openmetadata-ingestion fixes of
        :mod:`openmetadata_platform.ingestion.upstream_fixes` for this workflow first.

        Raises:
            IngestionWorkflowError: the workflow failed; the message says what failed.
        """
        from openmetadata_platform.ingestion import upstream_fixes
        from openmetadata_platform.ingestion.runner import run_workflow

        upstream_fixes.apply(self.workflow_type)
        return run_workflow(config, self.service_name, self.workflow_type)

    def execute(self, context: Any) -> dict:
        """Run the workflow; return its summary for XCom.

        Raises:
            IngestionConfigError: invalid connection or config (before anything is written).
            IngestionWorkflowError: the workflow failed; the message says what failed.
        """
        from openmetadata_platform.ingestion.summaries import results_table

        config = self.build_workflow_config()
        self.preflight(config)
        self.log.info(
            "Running OpenMetadata %s ingestion: service '%s' (%s) into %s",
            self.workflow_type,
            self.service_name,
            self.source_type,
            config["workflowConfig"]["openMetadataServerConfig"]["hostPort"],
        )
        summary = self.run_workflow(self.adjust_config(config))
        self.log.info("%s", summary.describe())
        table = results_table(summary)
        if table:
            self.log.info("What the %s workflow wrote:\n%s", self.workflow_type, table)
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
            first checks the ticket (principal, realm, expiry) and fails fast with the fix.
        kerberos_min_lifetime_seconds: with ``kerberos=True``, fail at task start when the TGT
            has less than this many seconds left (default 600 = 10 minutes), so a harvest does
            not die half-way; the error says when the ticket ends and what to run.
        kerberos_principal / kerberos_realm: the principal (``"alice"`` or ``"alice@EXAMPLE.COM"``)
            and realm the ticket must belong to; default ``$KRB5_PRINCIPAL``/``$KRB5_REALM`` at
            task start (written by the platform wizard), ``""`` to skip the check.
        **kwargs: see :class:`OpenMetadataIngestionOperator` (``service_name`` is required).
    """

    template_fields: Sequence[str] = (
        "service_name",
        "openmetadata_conn_id",
        "filters",
        "filters_variable",
        "kerberos_ccache",
    )
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
        kerberos_min_lifetime_seconds: int = 600,
        kerberos_principal: str | None = None,
        kerberos_realm: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(kerberos, bool):
            raise IngestionConfigError(f"kerberos={kerberos!r}: expected True or False")
        if (
            isinstance(kerberos_min_lifetime_seconds, bool)
            or not isinstance(kerberos_min_lifetime_seconds, int)
            or kerberos_min_lifetime_seconds < 0
        ):
            raise IngestionConfigError(
                f"kerberos_min_lifetime_seconds={kerberos_min_lifetime_seconds!r}: expected whole seconds >= 0"
            )
        self.kerberos_min_lifetime_seconds = kerberos_min_lifetime_seconds
        self.kerberos_principal = kerberos_principal
        self.kerberos_realm = kerberos_realm
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
        # Checked at parse time; templated filters are checked at task start, once rendered.
        self.options = None if is_templated(self.filters) else self._options(self.filters)
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
            return self._options(self.filters).as_config()
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

            ticket = check_kerberos_ticket(
                self.kerberos_ccache,
                min_lifetime_seconds=self.kerberos_min_lifetime_seconds,
                expected_principal=self.kerberos_principal,
                expected_realm=self.kerberos_realm,
            )
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

    template_fields: Sequence[str] = (
        *DatabaseMetadataIngestionOperator.template_fields,
        "postgres_conn_id",
        "database",
    )

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", database: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("source_type", "postgres")
        super().__init__(**kwargs)
        check_database_argument(database)
        self.postgres_conn_id = postgres_conn_id
        self.database = database

    def build_service_connection(self) -> dict:
        from openmetadata_platform.sources.postgres import postgres_service_connection

        return postgres_service_connection(self.postgres_conn_id, self.database, kerberos=self.kerberos)

    def check_source(self, service_connection: dict) -> None:
        from openmetadata_platform.sources.postgres import check_postgres

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

    template_fields: Sequence[str] = (
        *DatabaseMetadataIngestionOperator.template_fields,
        "mssql_conn_id",
        "database",
    )

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
        from openmetadata_platform.sources.mssql import mssql_service_connection

        database_filter = self._options(self.filters).database_filter
        include_all = bool(database_filter.includes or database_filter.excludes)
        return mssql_service_connection(self.mssql_conn_id, self.database, ingest_all_databases=include_all)


# -- helpers of the workflow operators ------------------------------------------------------
FILTER_ARGUMENT_NAMES = (
    "database_includes",
    "database_excludes",
    "schema_includes",
    "schema_excludes",
    "table_includes",
    "table_excludes",
)


def _rendered_number(name: str, value: Any, integer: bool = False) -> Any:
    """A number argument as rendered: a template renders to a string, read back as a number.

    Raises:
        IngestionConfigError: the rendered string is not a number.
    """
    if not isinstance(value, str):
        return value
    try:
        return int(value) if integer else float(value)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise IngestionConfigError(f"{name}={value!r}: expected {kind}") from None


def _rendered_bool(name: str, value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, str):
        raise IngestionConfigError(f"{name}={value!r}: expected True or False")
    return value


class _WorkflowOperator(OpenMetadataIngestionOperator):
    """Shared by the operators of the workflows beyond metadata: table filters, deferred checks.

    Subclasses declare their arguments in ``OPTION_KINDS`` (name -> how a rendered template is
    read back: ``"number"``, ``"integer"``, ``"bool"`` or ``"value"`` as is) and the options
    class in :meth:`options_class` (a ``checked(filters=..., **arguments)`` constructor with
    ``as_config()`` and ``steps()``). The options are checked when the DAG is parsed unless an
    argument is templated, then at task start (once rendered).
    """

    OPTION_KINDS: dict[str, str] = {}
    WORKFLOW_TYPE = ""

    def __init__(
        self,
        *,
        database_includes: Sequence[str] | None = None,
        database_excludes: Sequence[str] | None = None,
        schema_includes: Sequence[str] | None = None,
        schema_excludes: Sequence[str] | None = None,
        table_includes: Sequence[str] | None = None,
        table_excludes: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("workflow_type", self.WORKFLOW_TYPE)
        super().__init__(**kwargs)
        self.filters = {
            "database_includes": database_includes,
            "database_excludes": database_excludes,
            "schema_includes": schema_includes,
            "schema_excludes": schema_excludes,
            "table_includes": table_includes,
            "table_excludes": table_excludes,
        }

    def _check_at_parse_time(self) -> None:
        values = [self.filters, *(getattr(self, name) for name in self.OPTION_KINDS)]
        if not is_templated(values):
            self.options()

    def table_filters(self):
        """The filter arguments as :class:`~openmetadata_platform.ingestion.table_filters.TableFilters`.

        Raises:
            IngestionConfigError: a pattern is not a valid regex (names the argument).
        """
        from openmetadata_platform.ingestion.table_filters import TableFilters

        return TableFilters.from_args(**self.filters)

    @staticmethod
    def options_class():
        """The options class of the workflow (imported when needed: parsing stays light)."""
        raise NotImplementedError

    def options(self):
        """The workflow's options from the (rendered) arguments, checked.

        Raises:
            IngestionConfigError: naming the argument and what was expected.
        """
        readers = {
            "number": lambda name, value: _rendered_number(name, value),
            "integer": lambda name, value: _rendered_number(name, value, integer=True),
            "bool": _rendered_bool,
            "value": lambda name, value: value,
        }
        arguments = {name: readers[kind](name, getattr(self, name)) for name, kind in self.OPTION_KINDS.items()}
        return self.options_class().checked(filters=self.table_filters(), **arguments)

    def build_source_config(self) -> dict:
        return self.options().as_config()

    def build_steps(self) -> dict:
        return self.options().steps()


class _UnpopulatedViewsLeftOut:
    """PostgreSQL: leave out materialized views that were never refreshed (reading one fails)."""

    def adjust_config(self, config: dict) -> dict:
        from openmetadata_platform.sources.postgres import unpopulated_materialized_views

        views = unpopulated_materialized_views(service_connection_of(config))
        if not views:
            return config
        names = sorted({name for _, name in views})
        self.log.warning(
            "Leaving out materialized views that were never refreshed (REFRESH MATERIALIZED VIEW includes "
            "them again): %s",
            ", ".join(f"{schema}.{name}" for schema, name in views),
        )
        source_config = config["source"]["sourceConfig"]["config"]
        pattern = dict(source_config.get("tableFilterPattern") or {})
        pattern["excludes"] = [*pattern.get("excludes", []), *(f"^{re.escape(name)}$" for name in names)]
        source_config["tableFilterPattern"] = pattern
        return config


class ProfilerOperator(_WorkflowOperator):
    """Profile tables (``ProfilerWorkflow``, what ``metadata profile`` runs): row counts, and per
    column null, distinct and unique counts and proportions, min/max/mean, quartiles...

    Args:
        database_includes ... table_excludes: regexes on names (``["^public$"]``), as the metadata
            operators take them.
        sample_percentage: profile this share of each table's rows (0 < x <= 100), or
        sample_rows: this many rows per table; default: every row.
        metrics: metric names (OpenMetadata's ``MetricType``, e.g. ``["rowCount", "nullCount"]``);
            default: OpenMetadata's default set.
        thread_count: metric queries run in parallel per table (1..64; default 5).
        timeout_seconds: give up on one table after this long (default 12 h).
        include_views: profile views too (default False).
        compute_table_metrics / compute_column_metrics: turn either part off.
        **kwargs: ``service_name`` (the harvested DatabaseService) and the base's arguments.

    XCom: tables profiled (their FQNs) and column profiles written, with the common counts.
    """

    WORKFLOW_TYPE = "profiler"
    ACCEPTED_WORKFLOW_TYPES = ("profiler",)
    OPTION_KINDS = {
        "sample_percentage": "number",
        "sample_rows": "integer",
        "metrics": "value",
        "thread_count": "integer",
        "timeout_seconds": "integer",
        "include_views": "bool",
        "compute_table_metrics": "bool",
        "compute_column_metrics": "bool",
    }
    template_fields: Sequence[str] = (*OpenMetadataIngestionOperator.template_fields, "filters", *OPTION_KINDS)

    def __init__(
        self,
        *,
        sample_percentage: float | None = None,
        sample_rows: int | None = None,
        metrics: Sequence[str] | None = None,
        thread_count: int | None = None,
        timeout_seconds: int = 43200,
        include_views: bool = False,
        compute_table_metrics: bool = True,
        compute_column_metrics: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sample_percentage = sample_percentage
        self.sample_rows = sample_rows
        self.metrics = list(metrics) if isinstance(metrics, (list, tuple)) else metrics
        self.thread_count = thread_count
        self.timeout_seconds = timeout_seconds
        self.include_views = include_views
        self.compute_table_metrics = compute_table_metrics
        self.compute_column_metrics = compute_column_metrics
        self._check_at_parse_time()

    @staticmethod
    def options_class():
        from openmetadata_platform.ingestion.profiler_config import ProfilerOptions

        return ProfilerOptions


class AutoClassificationOperator(_WorkflowOperator):
    """Tag sensitive columns (``AutoClassificationWorkflow``, what ``metadata classify`` runs).

    Samples each table and scores its columns with the recognizers of the server's
    auto-classification tags (a fresh server: ``PII.Sensitive``, ``PII.NonSensitive``), then adds
    the winning tag to each column as a suggested label. Needs the spaCy model of the language
    installed in the image (the task checks it first and never downloads it).

    Args:
        database_includes ... table_excludes: regexes on names.
        confidence: minimum score (0..100) for a tag (default 80, OpenMetadata's).
        sample_rows: rows sampled per table (1..1000, default 50).
        store_sample_data: also store the sample rows in OpenMetadata (default False).
        include_views: sample views too (default True).
        language: recognizers' language (``en``).
        **kwargs: ``service_name`` and the base's arguments.

    XCom: columns tagged with their tags, tables sampled, and the common counts.
    """

    WORKFLOW_TYPE = "auto_classification"
    ACCEPTED_WORKFLOW_TYPES = ("auto_classification",)
    OPTION_KINDS = {
        "confidence": "number",
        "sample_rows": "integer",
        "store_sample_data": "bool",
        "include_views": "bool",
        "language": "value",
    }
    template_fields: Sequence[str] = (*OpenMetadataIngestionOperator.template_fields, "filters", *OPTION_KINDS)

    def __init__(
        self,
        *,
        confidence: float = 80,
        sample_rows: int = 50,
        store_sample_data: bool = False,
        include_views: bool = True,
        language: str = "en",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.confidence = confidence
        self.sample_rows = sample_rows
        self.store_sample_data = store_sample_data
        self.include_views = include_views
        self.language = language
        self._check_at_parse_time()

    @staticmethod
    def options_class():
        from openmetadata_platform.ingestion.classification_config import ClassificationOptions

        return ClassificationOptions

    def preflight(self, config: dict) -> None:
        """Also check the spaCy model first (a missing one would be downloaded, or hang)."""
        from openmetadata_platform.ingestion.nlp_model import check_model

        model = check_model(self.options().language)
        self.log.info("spaCy model %s is installed", model)
        super().preflight(config)


class _QueryLogOperator(_WorkflowOperator):
    OPTION_KINDS = {
        "query_log_days": "integer",
        "result_limit": "integer",
        "filter_condition": "value",
        "parsing_timeout_seconds": "integer",
    }
    template_fields: Sequence[str] = (*OpenMetadataIngestionOperator.template_fields, "filters", *OPTION_KINDS)

    def __init__(
        self,
        *,
        query_log_days: int = 1,
        result_limit: int = 1000,
        filter_condition: str | None = None,
        parsing_timeout_seconds: int = 300,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.query_log_days = query_log_days
        self.result_limit = result_limit
        self.filter_condition = filter_condition
        self.parsing_timeout_seconds = parsing_timeout_seconds
        self._check_at_parse_time()

    @staticmethod
    def options_class():
        from openmetadata_platform.ingestion.query_log_config import QueryLogOptions

        return QueryLogOptions

    def build_steps(self) -> dict | None:
        return None  # the REST sink; usage stages its files first (its own steps)


class QueryLineageOperator(_QueryLogOperator):
    """Lineage from the database's query log (``<connector>-lineage`` source, ``metadata ingest``).

    ``INSERT ... SELECT``, ``CREATE TABLE ... AS SELECT``, ``UPDATE`` and ``MERGE`` statements
    become table lineage edges, with column lineage where the SQL parser resolves it; the
    statements are stored as Query entities.

    Args:
        query_log_days: days of log to read (sources that keep time; PostgreSQL's
            ``pg_stat_statements`` is the whole log since its last reset).
        result_limit: at most this many statements (default 1000).
        filter_condition: extra SQL condition on the log query, or None.
        parsing_timeout_seconds: per statement (default 300).
        database_includes ... table_excludes: regexes on what edges may touch.
        **kwargs: ``service_name`` and the base's arguments.

    XCom: lineage edges (``from -> to``), queries read and written, and the common counts.
    """

    WORKFLOW_TYPE = "lineage"
    ACCEPTED_WORKFLOW_TYPES = ("lineage",)

    def workflow_source_type(self) -> str:
        return f"{self.source_type}-lineage"

    def build_source_config(self) -> dict:
        return self.options().lineage_config()


class QueryUsageOperator(_QueryLogOperator):
    """Usage from the database's query log (``<connector>-usage`` source, ``UsageWorkflow``): how
    often each table is queried, and the queries that touch it.

    Args: as :class:`QueryLineageOperator` (the filters do not apply to usage).

    XCom: queries read, tables whose usage was written, and the common counts.
    """

    WORKFLOW_TYPE = "usage"
    ACCEPTED_WORKFLOW_TYPES = ("usage",)
    _stage_dir: str | None = None

    def workflow_source_type(self) -> str:
        return f"{self.source_type}-usage"

    def _stage_file(self) -> str:
        import os
        import tempfile

        if self._stage_dir is None:
            self._stage_dir = tempfile.mkdtemp(prefix="openmetadata-usage-")
        return os.path.join(self._stage_dir, "table_usage")

    def build_source_config(self) -> dict:
        return self.options().usage_config(self._stage_file())

    def build_steps(self) -> dict:
        return self.options().usage_steps(self._stage_file())

    def execute(self, context: Any) -> dict:
        import shutil

        try:
            return super().execute(context)
        finally:  # the stage files hold query texts: never left behind
            if self._stage_dir is not None:
                shutil.rmtree(self._stage_dir, ignore_errors=True)
                self._stage_dir = None


class DataQualityOperator(OpenMetadataIngestionOperator):
    """Run the data-quality test cases declared in a YAML file (``TestSuiteWorkflow`` per table,
    what ``metadata test`` runs); results are kept in OpenMetadata as each test case's history.
    Only the YAML's cases run (a table's suite may hold others, made in the UI or by another
    DAG); a case whose parameters changed in the YAML is updated (``forceUpdate``), a rerun
    adds results, never a second test case.

    Args:
        test_cases_file: path of the YAML (see :mod:`openmetadata_platform.ingestion
            .data_quality_config` for its format: OpenMetadata's test definition names and
            parameters); checked when the DAG is parsed, against the server at task start.
        schema: schema of the tables the YAML names by their name alone (default ``public``).
        fail_on_failed_tests: fail the task when a test fails (default False: the results are
            recorded and the XCom lists the failed tests; an aborted test always fails the task).
        **kwargs: ``service_name`` (the harvested DatabaseService) and the base's arguments.

    XCom: tests passed, failed and aborted (names of the failed and aborted ones), and the
    common counts summed over the tables.
    """

    WORKFLOW_TYPE = "data_quality"
    ACCEPTED_WORKFLOW_TYPES = ("data_quality",)
    template_fields: Sequence[str] = (*OpenMetadataIngestionOperator.template_fields, "test_cases_file", "schema")

    def __init__(
        self, *, test_cases_file: str, schema: str = "public", fail_on_failed_tests: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("workflow_type", self.WORKFLOW_TYPE)
        super().__init__(**kwargs)
        if not isinstance(fail_on_failed_tests, bool):
            raise IngestionConfigError(f"fail_on_failed_tests={fail_on_failed_tests!r}: expected True or False")
        self.test_cases_file = str(test_cases_file)
        self.schema = schema
        self.fail_on_failed_tests = fail_on_failed_tests
        if not is_templated([self.test_cases_file, schema]):
            check_entity_name("schema", schema)
            self.test_suites()

    def test_suites(self):
        """The test cases of the YAML file, checked (cheap: no openmetadata-ingestion import).

        Raises:
            IngestionConfigError: naming the file and the YAML path of the problem.
        """
        from openmetadata_platform.ingestion.data_quality_config import load_test_suites

        return load_test_suites(self.test_cases_file)

    def workflow_source_type(self) -> str:
        return "testsuite"

    def _database(self, service_connection: dict) -> str:
        return service_connection["database"]

    def _table_fqns(self, suites, service_connection: dict) -> dict[str, str]:
        database = self._database(service_connection)
        return {suite.table: suite.table_fqn(self.service_name, database, self.schema) for suite in suites}

    def build_workflow_config(self) -> dict:
        """The config of the first table's suite (the others differ only in table and cases).

        Raises:
            IngestionConfigError: a connection field, the YAML or the assembled config is invalid.
        """
        from openmetadata_platform.ingestion import data_quality_config

        check_entity_name("schema", self.schema)
        suites = self.test_suites()
        self._suites = suites
        self._service_connection = self.build_service_connection()
        self._fqns = self._table_fqns(suites, self._service_connection)
        return self._suite_config(suites[0], data_quality_config)

    def _suite_config(self, suite, data_quality_config, validate: bool = True) -> dict:
        """One table's config; ``validate=False`` for the tables after the first: the same shape,
        their cases checked by the preflight (``TestCaseDefinition`` and the server)."""
        from openmetadata_platform.hooks.openmetadata import OpenMetadataHook
        from openmetadata_platform.ingestion.workflow_config import validate_workflow_config

        config = build_workflow_config(
            source_type="testsuite",
            service_name=self.service_name,
            service_connection=None,
            source_config=data_quality_config.source_config(
                self._fqns[suite.table], self.service_name, self._service_connection, suite.cases
            ),
            server_config=OpenMetadataHook(self.openmetadata_conn_id).get_server_config_dict(),
            logger_level=self.logger_level,
            steps=data_quality_config.steps(suite.cases),
        )
        if validate:
            validate_workflow_config(config)
        return config

    def preflight(self, config: dict) -> None:
        """Server, source, then every test case against the server's definitions and tables."""
        from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
            OpenMetadataConnection,
        )
        from metadata.ingestion.ometa.ometa_api import OpenMetadata

        from openmetadata_platform.ingestion.data_quality_config import check_against_server

        super().preflight(config)
        server = OpenMetadataConnection.model_validate(config["workflowConfig"]["openMetadataServerConfig"])
        check_against_server(OpenMetadata(server), self._suites, self._fqns)
        self.log.info(
            "%d test cases on %d tables checked against the server's test definitions",
            sum(len(s.cases) for s in self._suites),
            len(self._suites),
        )

    def run_workflow(self, config: dict):
        """One ``TestSuiteWorkflow`` per table; one summary over all of them.

        Raises:
            IngestionWorkflowError: a test could not run (aborted) or a workflow failed, or, with
                ``fail_on_failed_tests``, a test failed; after every table ran.
        """
        from openmetadata_platform.ingestion import data_quality_config, upstream_fixes
        from openmetadata_platform.ingestion.runner import IngestionWorkflowError, run_workflow
        from openmetadata_platform.ingestion.summaries import DataQualityResults, WorkflowSummary

        upstream_fixes.apply(self.workflow_type)
        results = DataQualityResults()
        runs = []
        for index, suite in enumerate(self._suites):
            suite_config = config if index == 0 else self._suite_config(suite, data_quality_config, validate=False)
            run = run_workflow(suite_config, self.service_name, self.workflow_type, raise_on_failure=False)
            results.merge(run.results)
            runs.append(run)
        summary = WorkflowSummary(
            workflow_type=self.workflow_type,
            service_name=self.service_name,
            success=all(run.success for run in runs),
            records_processed=sum(run.records_processed for run in runs),
            records_updated=sum(run.records_updated for run in runs),
            warnings=sum(run.warnings for run in runs),
            filtered=sum(run.filtered for run in runs),
            failures=sum(run.failures for run in runs),
            wall_time_seconds=round(sum(run.wall_time_seconds for run in runs), 3),
            steps=[step for run in runs for step in run.steps],
            results=results.as_dict(),
        )
        problems = [message for step in summary.steps for message in step.failure_messages]
        if not summary.success:
            raise IngestionWorkflowError(f"{summary.describe()}. Failures: {'; '.join(problems)}", summary)
        if self.fail_on_failed_tests and summary.results["tests_failed"]:
            raise IngestionWorkflowError(
                f"{summary.describe()}: failed tests: {', '.join(summary.results['failed_tests'])}", summary
            )
        return summary


# -- PostgreSQL -----------------------------------------------------------------------------
class _PostgresSource:
    """The source is an Airflow ``postgres`` connection (password login), as for the harvest."""

    postgres_conn_id: str
    database: str | None

    def build_service_connection(self) -> dict:
        from openmetadata_platform.sources.postgres import postgres_service_connection

        return postgres_service_connection(self.postgres_conn_id, self.database)

    def check_source(self, service_connection: dict) -> None:
        from openmetadata_platform.sources.postgres import check_postgres

        check_postgres(service_connection)


_POSTGRES_ARGS_DOC = """
    Args:
        postgres_conn_id: Airflow connection of type ``postgres`` (the one the harvest uses).
        database: database (default: the connection's ``schema`` field).
"""


class PostgresProfilerOperator(_UnpopulatedViewsLeftOut, _PostgresSource, ProfilerOperator):
    __doc__ = f"""{ProfilerOperator.__doc__}
    PostgreSQL source.{_POSTGRES_ARGS_DOC}"""

    template_fields: Sequence[str] = (*ProfilerOperator.template_fields, "postgres_conn_id", "database")

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", database: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("source_type", "postgres")
        check_database_argument(database)
        self.postgres_conn_id = postgres_conn_id
        self.database = database
        super().__init__(**kwargs)


class PostgresAutoClassificationOperator(_UnpopulatedViewsLeftOut, _PostgresSource, AutoClassificationOperator):
    __doc__ = f"""{AutoClassificationOperator.__doc__}
    PostgreSQL source.{_POSTGRES_ARGS_DOC}"""

    template_fields: Sequence[str] = (*AutoClassificationOperator.template_fields, "postgres_conn_id", "database")

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", database: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("source_type", "postgres")
        check_database_argument(database)
        self.postgres_conn_id = postgres_conn_id
        self.database = database
        super().__init__(**kwargs)


class PostgresDataQualityOperator(_PostgresSource, DataQualityOperator):
    __doc__ = f"""{DataQualityOperator.__doc__}
    PostgreSQL source.{_POSTGRES_ARGS_DOC}"""

    template_fields: Sequence[str] = (*DataQualityOperator.template_fields, "postgres_conn_id", "database")

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", database: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("source_type", "postgres")
        check_database_argument(database)
        self.postgres_conn_id = postgres_conn_id
        self.database = database
        super().__init__(**kwargs)


class _PostgresQueryLog(_PostgresSource):
    def check_source(self, service_connection: dict) -> None:
        """The database, then ``pg_stat_statements`` (present, preloaded, readable by the user)."""
        from openmetadata_platform.sources.postgres import check_query_log

        super().check_source(service_connection)
        self.log.info("pg_stat_statements holds %d statements", check_query_log(service_connection))


class PostgresQueryLineageOperator(_PostgresQueryLog, QueryLineageOperator):
    __doc__ = f"""{QueryLineageOperator.__doc__}
    PostgreSQL source: ``pg_stat_statements`` (the task checks it is preloaded, created in the
    database and readable by the user).{_POSTGRES_ARGS_DOC}"""

    template_fields: Sequence[str] = (*QueryLineageOperator.template_fields, "postgres_conn_id", "database")

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", database: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("source_type", "postgres")
        check_database_argument(database)
        self.postgres_conn_id = postgres_conn_id
        self.database = database
        super().__init__(**kwargs)


class PostgresQueryUsageOperator(_PostgresQueryLog, QueryUsageOperator):
    __doc__ = f"""{QueryUsageOperator.__doc__}
    PostgreSQL source: ``pg_stat_statements``, as :class:`PostgresQueryLineageOperator`.{_POSTGRES_ARGS_DOC}"""

    template_fields: Sequence[str] = (*QueryUsageOperator.template_fields, "postgres_conn_id", "database")

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", database: str | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("source_type", "postgres")
        check_database_argument(database)
        self.postgres_conn_id = postgres_conn_id
        self.database = database
        super().__init__(**kwargs)

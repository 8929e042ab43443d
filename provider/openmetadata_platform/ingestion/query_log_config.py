"""The query-log workflows' configs: lineage (``DatabaseLineage``) and usage (``DatabaseUsage``).

Both read the database's own query log (PostgreSQL: ``pg_stat_statements``) through the
``<connector>-lineage`` / ``<connector>-usage`` sources. Lineage parses ``INSERT ... SELECT``,
``CREATE TABLE ... AS SELECT``, ``UPDATE`` and ``MERGE`` statements into table and column
lineage edges (``MetadataWorkflow`` with the REST sink); usage counts how often each table
is queried (``UsageWorkflow``: ``query-parser`` -> ``table-usage`` stage file ->
``metadata-usage`` bulk sink), as ``openmetadata_managed_apis.workflows.ingestion.lineage``
and ``.usage`` build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openmetadata_platform.ingestion.table_filters import TableFilters
from openmetadata_platform.ingestion.workflow_config import WORKFLOW_TYPES, IngestionConfigError


@dataclass(frozen=True)
class QueryLogOptions:
    """Which queries are read.

    Attributes:
        filters: lineage only: which databases, schemas and tables edges may touch.
        query_log_days: how many days of the log (PostgreSQL's ``pg_stat_statements`` keeps no
            time: it is the whole log since its last reset; kept for other sources), >= 1.
        result_limit: at most this many statements (>= 1).
        filter_condition: extra SQL condition on the log query (e.g. ``s.calls > 1``), or None.
        parsing_timeout_seconds: lineage only: give up parsing one statement after this long.
    """

    filters: TableFilters = field(default_factory=TableFilters)
    query_log_days: int = 1
    result_limit: int = 1000
    filter_condition: str | None = None
    parsing_timeout_seconds: int = 300

    @classmethod
    def checked(
        cls,
        *,
        filters: TableFilters,
        query_log_days: int = 1,
        result_limit: int = 1000,
        filter_condition: str | None = None,
        parsing_timeout_seconds: int = 300,
    ) -> QueryLogOptions:
        """Check every argument; return the options.

        Raises:
            IngestionConfigError: naming the argument and what was expected.
        """
        for name, value in (
            ("query_log_days", query_log_days),
            ("result_limit", result_limit),
            ("parsing_timeout_seconds", parsing_timeout_seconds),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise IngestionConfigError(f"{name}={value!r}: expected a whole number >= 1")
        if filter_condition is not None and (not isinstance(filter_condition, str) or not filter_condition.strip()):
            raise IngestionConfigError(f"filter_condition={filter_condition!r}: expected an SQL condition or None")
        return cls(filters, query_log_days, result_limit, filter_condition, parsing_timeout_seconds)

    def lineage_config(self) -> dict:
        """``sourceConfig.config`` (``DatabaseServiceQueryLineagePipeline``)."""
        config = {
            "type": WORKFLOW_TYPES["lineage"],
            **self.filters.as_config(),
            "queryLogDuration": self.query_log_days,
            "resultLimit": self.result_limit,
            "parsingTimeoutLimit": self.parsing_timeout_seconds,
        }
        if self.filter_condition:
            config["filterCondition"] = self.filter_condition
        return config

    def usage_config(self, stage_file: str) -> dict:
        """``sourceConfig.config`` (``DatabaseServiceQueryUsagePipeline``); ``stage_file`` is a
        path the stage writes and the bulk sink reads (a temporary directory of the run)."""
        config = {
            "type": WORKFLOW_TYPES["usage"],
            "queryLogDuration": self.query_log_days,
            "resultLimit": self.result_limit,
            "stageFileLocation": stage_file,
            # Query cost records (POST /queryCostRecord) are a separate feature; off by default.
            "processQueryCostAnalysis": False,
        }
        if self.filter_condition:
            config["filterCondition"] = self.filter_condition
        return config

    @staticmethod
    def usage_steps(stage_file: str) -> dict:
        return {
            "processor": {"type": "query-parser", "config": {}},
            "stage": {"type": "table-usage", "config": {"filename": stage_file}},
            "bulkSink": {"type": "metadata-usage", "config": {"filename": stage_file}},
        }

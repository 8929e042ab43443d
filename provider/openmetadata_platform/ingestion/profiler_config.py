"""The profiler workflow's config (``sourceConfig.config`` of type ``Profiler``) from typed arguments.

Checked without importing openmetadata-ingestion (the operators check at DAG parse time); the
finished config is parsed with ``OpenMetadataWorkflowConfig`` at task start
(:func:`.workflow_config.validate_workflow_config`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from openmetadata_platform.ingestion.table_filters import TableFilters
from openmetadata_platform.ingestion.workflow_config import WORKFLOW_TYPES, IngestionConfigError

# metadata.generated.schema.configuration.profilerConfiguration.MetricType (2.0.6); a test
# compares this list with the installed enum, so a new metric is noticed.
PROFILER_METRICS = (
    "mean valuesCount countInSet columnCount distinctCount distinctProportion iLikeCount likeCount "
    "notLikeCount regexCount notRegexCount max maxLength min minLength nullCount rowCount stddev sum "
    "uniqueCount uniqueProportion columnNames duplicateCount iLikeRatio likeRatio nullProportion "
    "interQuartileRange nonParametricSkew median firstQuartile thirdQuartile system histogram "
    "cardinalityDistribution valueRank nullMissingCount"
).split()
MAX_THREADS = 64


def _check_number(name: str, value, low: float, high: float, integer: bool = False):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        kind = "a whole number" if integer else "a number"
        raise IngestionConfigError(f"{name}={value!r}: expected {kind} between {low:g} and {high:g}")
    if not low <= value <= high:
        raise IngestionConfigError(f"{name}={value!r}: expected a value between {low:g} and {high:g}")
    return value


@dataclass(frozen=True)
class ProfilerOptions:
    """What the profiler computes and on how much data.

    Attributes:
        filters: which databases, schemas and tables are profiled.
        sample_percentage: share of each table's rows to profile (0 < x <= 100; ``None``: all).
        sample_rows: or a fixed number of rows per table (``None``: all).
        metrics: metric names (``MetricType`` values); empty: OpenMetadata's default set.
        thread_count: metric queries run in parallel per table (1..64; ``None``: the workflow's
            default of 5).
        timeout_seconds: give up on a table after this long (default 43200, OpenMetadata's).
        include_views: profile views too (OpenMetadata's default: no).
        compute_table_metrics / compute_column_metrics: turn either part off.
    """

    filters: TableFilters = field(default_factory=TableFilters)
    sample_percentage: float | None = None
    sample_rows: int | None = None
    metrics: tuple[str, ...] = ()
    thread_count: int | None = None
    timeout_seconds: int = 43200
    include_views: bool = False
    compute_table_metrics: bool = True
    compute_column_metrics: bool = True

    @classmethod
    def checked(
        cls,
        *,
        filters: TableFilters,
        sample_percentage: float | None = None,
        sample_rows: int | None = None,
        metrics: Sequence[str] | None = None,
        thread_count: int | None = None,
        timeout_seconds: int = 43200,
        include_views: bool = False,
        compute_table_metrics: bool = True,
        compute_column_metrics: bool = True,
    ) -> ProfilerOptions:
        """Check every argument; return the options.

        Raises:
            IngestionConfigError: naming the argument and what was expected.
        """
        if sample_percentage is not None:
            _check_number("sample_percentage", sample_percentage, 0, 100)
            if sample_percentage == 0:
                raise IngestionConfigError("sample_percentage=0: expected a value above 0 and at most 100")
        _check_number("sample_rows", sample_rows, 1, 10**12, integer=True)
        if sample_percentage is not None and sample_rows is not None:
            raise IngestionConfigError("sample_percentage and sample_rows: expected at most one of them")
        if metrics is not None and (isinstance(metrics, str) or not all(isinstance(m, str) for m in metrics)):
            raise IngestionConfigError(f"metrics={metrics!r}: expected a list of metric names")
        unknown = sorted(set(metrics or ()) - set(PROFILER_METRICS))
        if unknown:
            raise IngestionConfigError(
                f"metrics: unknown {unknown}; expected names among {', '.join(PROFILER_METRICS)}"
            )
        _check_number("thread_count", thread_count, 1, MAX_THREADS, integer=True)
        _check_number("timeout_seconds", timeout_seconds, 1, 7 * 24 * 3600, integer=True)
        for name, value in (
            ("include_views", include_views),
            ("compute_table_metrics", compute_table_metrics),
            ("compute_column_metrics", compute_column_metrics),
        ):
            if not isinstance(value, bool):
                raise IngestionConfigError(f"{name}={value!r}: expected True or False")
        return cls(
            filters,
            sample_percentage,
            sample_rows,
            tuple(metrics or ()),
            thread_count,
            timeout_seconds,
            include_views,
            compute_table_metrics,
            compute_column_metrics,
        )

    def as_config(self) -> dict:
        """``sourceConfig.config`` (``DatabaseServiceProfilerPipeline``)."""
        config = {
            "type": WORKFLOW_TYPES["profiler"],
            **self.filters.as_config(),
            "includeViews": self.include_views,
            "computeTableMetrics": self.compute_table_metrics,
            "computeColumnMetrics": self.compute_column_metrics,
            "timeoutSeconds": self.timeout_seconds,
        }
        if self.metrics:
            config["metrics"] = list(self.metrics)
        if self.thread_count is not None:
            config["threadCount"] = self.thread_count
        if self.sample_percentage is not None or self.sample_rows is not None:
            sample = (
                {"profileSample": self.sample_percentage, "profileSampleType": "PERCENTAGE"}
                if self.sample_percentage is not None
                else {"profileSample": self.sample_rows, "profileSampleType": "ROWS"}
            )
            config["profileSampleConfig"] = {"sampleConfigType": "STATIC", "config": sample}
        return config

    @staticmethod
    def steps() -> dict:
        """The steps after the source: ``orm-profiler`` then the REST sink (``metadata profile``)."""
        return {"processor": {"type": "orm-profiler", "config": {}}, "sink": {"type": "metadata-rest", "config": {}}}

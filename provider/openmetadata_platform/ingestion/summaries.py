"""What a workflow run did, as the task's XCom: counts and names only (no secret, no sample row).

:class:`WorkflowSummary` holds what every workflow reports (records, warnings, failures, wall
time, per step); ``results`` adds the workflow's own counts, collected from the records its
last step wrote (:mod:`.runner` feeds them to a :class:`Results` collector):

- profiler: tables profiled (names) and column profiles written;
- data quality: test cases passed, failed and aborted (names of the failed and aborted ones);
- auto-classification: columns tagged, with their tags;
- query-log lineage: lineage edges written (``from -> to``) and the queries read;
- query-log usage: queries read and tables whose usage was written.

Everything here is JSON-serialisable and imports nothing from openmetadata-ingestion at
module level.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class StepSummary:
    """Counts of one workflow step (source, processor, sink), as OpenMetadata's Status tracks them."""

    name: str
    records: int
    updated: int
    warnings: int
    filtered: int
    failures: int
    failure_messages: list[str] = field(default_factory=list)


@dataclass
class WorkflowSummary:
    """What a workflow run did; JSON-serialisable (pushed to XCom), holds no secret.

    ``records_processed``/``records_updated``/``warnings``/``failures`` are summed over
    the steps; ``wall_time_seconds`` is the workflow's wall-clock duration; ``results`` the
    workflow's own counts and names (see the module docstring).
    """

    workflow_type: str
    service_name: str
    success: bool
    records_processed: int
    records_updated: int
    warnings: int
    filtered: int
    failures: int
    wall_time_seconds: float
    steps: list[StepSummary]
    results: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """One line for the task log, e.g. ``profiler of 'pagila': 15 tables profiled ... in 3.1 s``."""
        headline = RESULT_HEADLINES.get(self.workflow_type)
        if headline is None:
            return (
                f"{self.workflow_type} ingestion of service '{self.service_name}': "
                f"{self.records_processed} records processed, {self.records_updated} updated, "
                f"{self.warnings} warnings, {self.filtered} filtered, {self.failures} failures "
                f"in {self.wall_time_seconds:.1f} s"
            )
        return (
            f"{self.workflow_type} of service '{self.service_name}': {headline(self.results)}; "
            f"{self.warnings} warnings, {self.failures} failures in {self.wall_time_seconds:.1f} s"
        )


class Results:
    """Collects a workflow's own counts from the records a step (the last, by default) handled."""

    counted_step = -1  # index in the workflow's steps of the step whose records are counted

    def add(self, record) -> None:
        """Count one record the sink wrote (records of other types are ignored)."""

    def finish(self, workflow) -> None:
        """Read what only the steps' statuses know, after the run (``workflow`` is the workflow)."""

    def as_dict(self) -> dict:
        return {}


class ProfilerResults(Results):
    def __init__(self):
        self.tables: list[str] = []
        self.column_profiles = 0

    def add(self, record) -> None:
        profile = getattr(record, "profile", None)
        table = getattr(record, "table", None)
        if profile is None or table is None:
            return
        self.tables.append(table.fullyQualifiedName.root)
        self.column_profiles += len(profile.columnProfile or [])

    def as_dict(self) -> dict:
        return {
            "tables_profiled": len(self.tables),
            "column_profiles": self.column_profiles,
            "tables": sorted(self.tables),
        }


class DataQualityResults(Results):
    def __init__(self):
        self.by_status: dict[str, list[str]] = {"Success": [], "Failed": [], "Aborted": [], "Queued": []}

    def add(self, record) -> None:
        for response in getattr(record, "test_results", None) or []:
            status = response.testCaseResult.testCaseStatus
            name = response.testCase.fullyQualifiedName.root
            self.by_status.setdefault(status.value if status else "Queued", []).append(name)

    def merge(self, other: dict) -> None:
        """Add the results of another table's run (one TestSuiteWorkflow per table)."""
        for key, status in (("passed", "Success"), ("failed", "Failed"), ("aborted", "Aborted")):
            self.by_status[status].extend(other.get(f"{key}_tests", []))

    def as_dict(self) -> dict:
        return {
            "tests_passed": len(self.by_status["Success"]),
            "tests_failed": len(self.by_status["Failed"]),
            "tests_aborted": len(self.by_status["Aborted"]),
            "passed_tests": sorted(self.by_status["Success"]),
            "failed_tests": sorted(self.by_status["Failed"]),
            "aborted_tests": sorted(self.by_status["Aborted"]),
        }


class ClassificationResults(Results):
    def __init__(self):
        self.tags: dict[str, list[str]] = {}
        self.tables = 0

    def add(self, record) -> None:
        if not hasattr(record, "column_tags"):
            return
        self.tables += 1
        for column_tag in record.column_tags or []:
            self.tags.setdefault(column_tag.column_fqn, []).append(column_tag.tag_label.tagFQN.root)

    def as_dict(self) -> dict:
        return {
            "tables_sampled": self.tables,
            "columns_tagged": len(self.tags),
            "column_tags": {column: sorted(tags) for column, tags in sorted(self.tags.items())},
        }


class LineageResults(Results):
    def __init__(self):
        self.edges: set[str] = set()
        self.queries_read = 0

    def add(self, record) -> None:
        kind = type(record).__name__
        if kind == "OMetaLineageRequest":
            record = record.lineage_request
            kind = type(record).__name__
        if kind == "OMetaFQNLineageRequest":
            self.edges.add(f"{record.from_entity_fqn} -> {record.to_entity_fqn}")
        elif kind == "AddLineageRequest":
            edge = record.edge
            names = [
                (ref.fullyQualifiedName or ref.name or str(ref.id.root)) for ref in (edge.fromEntity, edge.toEntity)
            ]
            self.edges.add(f"{names[0]} -> {names[1]}")

    def finish(self, workflow) -> None:
        # The lineage source reads the query log itself; what it kept is the source's records.
        self.queries_read = workflow.source.get_status().record_count or len(workflow.source.get_status().records)

    def as_dict(self) -> dict:
        return {
            "lineage_edges": len(self.edges),
            "queries_read": self.queries_read,
            "edges": sorted(self.edges),
        }


class UsageResults(Results):
    """Usage runs through a stage file and a bulk sink (no per-record step at the end): the
    queries are counted where the parser takes them, the tables from the bulk sink's status."""

    counted_step = 0  # the query-parser processor: each record is a batch of TableQueries

    def __init__(self):
        self.queries_read = 0
        self.tables: list[str] = []

    def add(self, record) -> None:
        self.queries_read += len(getattr(record, "queries", None) or [])

    def finish(self, workflow) -> None:
        bulk_sink = workflow.steps[-1].get_status()
        self.tables = sorted({str(name).removeprefix("Table: ") for name in bulk_sink.records})

    def as_dict(self) -> dict:
        return {"queries_read": self.queries_read, "tables_with_usage": len(self.tables), "tables": sorted(self.tables)}


def _short(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(name.rsplit(".", 1)[-1] for name in names[:limit])
    return f" ({shown}{', ...' if len(names) > limit else ''})" if names else ""


RESULT_HEADLINES = {
    "profiler": lambda r: f"{r['tables_profiled']} tables profiled, {r['column_profiles']} column profiles",
    "data_quality": lambda r: (
        f"{r['tests_passed']} tests passed, {r['tests_failed']} failed{_short(r['failed_tests'])}, "
        f"{r['tests_aborted']} aborted"
    ),
    "auto_classification": lambda r: (
        f"{r['columns_tagged']} columns tagged in {r['tables_sampled']} tables"
        + (
            " ("
            + ", ".join(f"{c.split('.', 3)[-1]}={'/'.join(t)}" for c, t in list(r["column_tags"].items())[:3])
            + (", ..." if len(r["column_tags"]) > 3 else "")
            + ")"
            if r["column_tags"]
            else ""
        )
    ),
    "lineage": lambda r: f"{r['lineage_edges']} lineage edges from {r['queries_read']} queries read",
    "usage": lambda r: f"{r['queries_read']} queries read, usage of {r['tables_with_usage']} tables",
}


def _rows(summary: WorkflowSummary) -> list[tuple[str, str]]:
    r = summary.results
    if summary.workflow_type == "profiler":
        return [(name, "profiled") for name in r.get("tables", [])]
    if summary.workflow_type == "data_quality":
        return [
            (name, status)
            for status, key in (("FAILED", "failed_tests"), ("ABORTED", "aborted_tests"), ("passed", "passed_tests"))
            for name in r.get(key, [])
        ]
    if summary.workflow_type == "auto_classification":
        return [(column, ", ".join(tags)) for column, tags in r.get("column_tags", {}).items()]
    if summary.workflow_type == "lineage":
        return [(edge, "lineage edge") for edge in r.get("edges", [])]
    if summary.workflow_type == "usage":
        return [(name, "usage written") for name in r.get("tables", [])]
    return []


def results_table(summary: WorkflowSummary, limit: int = 40) -> str:
    """A short two-column text table of what the workflow wrote (names only), for the task log."""
    rows = _rows(summary)
    if not rows:
        return ""
    shown = rows[:limit]
    width = min(max(len(name) for name, _ in shown), 80)
    lines = [f"  {name[:width]:<{width}}  {value}" for name, value in shown]
    if len(rows) > limit:
        lines.append(f"  ... and {len(rows) - limit} more")
    return "\n".join(lines)

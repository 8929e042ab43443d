"""Run an OpenMetadata ingestion workflow in-process and summarise its outcome."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field

log = logging.getLogger(__name__)

# How many failures to quote in a task's error message (each one trimmed).
MAX_QUOTED_FAILURES = 5
MAX_FAILURE_CHARS = 300


@dataclass
class StepSummary:
    """Counts of one workflow step (source or sink), as OpenMetadata's Status tracks them."""

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
    the steps; ``wall_time_seconds`` is the workflow's wall-clock duration.
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

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """One line for the task log, e.g. ``metadata ingestion of 'pagila': 30 records, ...``."""
        return (
            f"{self.workflow_type} ingestion of service '{self.service_name}': "
            f"{self.records_processed} records processed, {self.records_updated} updated, "
            f"{self.warnings} warnings, {self.filtered} filtered, {self.failures} failures "
            f"in {self.wall_time_seconds:.1f} s"
        )


class IngestionWorkflowError(RuntimeError):
    """The workflow failed; ``summary`` says what failed (no secrets)."""

    def __init__(self, message: str, summary: WorkflowSummary | None = None):
        super().__init__(message)
        self.summary = summary


def _step_summary(step) -> StepSummary:
    status = step.get_status()
    messages = [
        f"{failure.name}: {(failure.error or '')[:MAX_FAILURE_CHARS]}"
        for failure in status.failures[:MAX_QUOTED_FAILURES]
    ]
    return StepSummary(
        name=step.name,
        records=status.record_count or len(status.records),
        updated=len(status.updated_records),
        warnings=len(status.warnings),
        filtered=len(status.filtered),
        failures=len(status.failures),
        failure_messages=messages,
    )


def run_metadata_workflow(config: dict, service_name: str) -> WorkflowSummary:
    """Create, execute and stop ``MetadataWorkflow`` for ``config``; return its summary.

    Calls ``MetadataWorkflow.create(config)`` / ``execute()`` / ``stop()`` from
    ``metadata.workflow.metadata`` (what ``metadata ingest -c`` does).

    Raises:
        IngestionWorkflowError: the workflow could not start (server, source connection)
            or finished with failures above its success threshold; the message summarises them.
    """
    from metadata.workflow.metadata import MetadataWorkflow

    started = time.monotonic()
    try:
        workflow = MetadataWorkflow.create(config)
    except Exception as exc:  # noqa: BLE001 - any start-up failure fails the task with its cause
        raise IngestionWorkflowError(
            f"metadata ingestion of service '{service_name}' could not start: {type(exc).__name__}: {exc}"
        ) from None
    try:
        workflow.execute()
        failed = None
    except Exception as exc:  # noqa: BLE001 - execute() raises WorkflowExecutionError and friends; summarised below
        failed = f"{type(exc).__name__}: {exc}"
    finally:
        workflow.stop()
    steps = [_step_summary(step) for step in workflow.workflow_steps()]
    summary = WorkflowSummary(
        workflow_type="metadata",
        service_name=service_name,
        success=failed is None and not any(step.failures for step in steps),
        records_processed=sum(step.records for step in steps),
        records_updated=sum(step.updated for step in steps),
        warnings=sum(step.warnings for step in steps),
        filtered=sum(step.filtered for step in steps),
        failures=sum(step.failures for step in steps),
        wall_time_seconds=round(time.monotonic() - started, 3),
        steps=steps,
    )
    if not summary.success:
        details = [f"{step.name}: {message}" for step in steps for message in step.failure_messages]
        reason = f" ({failed})" if failed else ""
        raise IngestionWorkflowError(
            f"{summary.describe()}{reason}. Failures: " + ("; ".join(details) or "none reported by the steps"),
            summary,
        )
    return summary

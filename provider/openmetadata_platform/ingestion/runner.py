"""Run an OpenMetadata ingestion workflow in-process and summarise its outcome.

One runner for every workflow the operators run: ``MetadataWorkflow`` (metadata, and the
query-log lineage source), ``ProfilerWorkflow``, ``TestSuiteWorkflow``,
``AutoClassificationWorkflow`` and ``UsageWorkflow`` (query-log usage): what ``metadata
ingest/profile/test/classify/usage -c`` run. The summary (:mod:`.summaries`) counts what the
workflow's last step wrote, so the XCom says what arrived in OpenMetadata, not what was tried.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass

from openmetadata_platform.ingestion import summaries
from openmetadata_platform.ingestion.summaries import StepSummary, WorkflowSummary

log = logging.getLogger(__name__)

__all__ = [
    "WORKFLOWS",
    "IngestionWorkflowError",
    "StepSummary",
    "WorkflowKind",
    "WorkflowSummary",
    "run_metadata_workflow",
    "run_workflow",
]

# How many failures to quote in a task's error message (each one trimmed).
MAX_QUOTED_FAILURES = 5
MAX_FAILURE_CHARS = 300


@dataclass(frozen=True)
class WorkflowKind:
    """One workflow the operators run: its class (dotted path) and its results collector."""

    workflow_type: str
    workflow_class: str
    results: type[summaries.Results]

    def load(self):
        module, _, name = self.workflow_class.rpartition(".")
        return getattr(importlib.import_module(module), name)


WORKFLOWS: dict[str, WorkflowKind] = {
    kind.workflow_type: kind
    for kind in (
        WorkflowKind("metadata", "metadata.workflow.metadata.MetadataWorkflow", summaries.Results),
        WorkflowKind("profiler", "metadata.workflow.profiler.ProfilerWorkflow", summaries.ProfilerResults),
        WorkflowKind("data_quality", "metadata.workflow.data_quality.TestSuiteWorkflow", summaries.DataQualityResults),
        WorkflowKind(
            "auto_classification",
            "metadata.workflow.classification.AutoClassificationWorkflow",
            summaries.ClassificationResults,
        ),
        WorkflowKind("lineage", "metadata.workflow.metadata.MetadataWorkflow", summaries.LineageResults),
        WorkflowKind("usage", "metadata.workflow.usage.UsageWorkflow", summaries.UsageResults),
    )
}


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


def _count_written(step, results: summaries.Results) -> None:
    """Feed every record ``step`` (the last one) wrote successfully to ``results``.

    Wraps the step instance's ``_run`` (``Step.run`` calls it once per record and turns its
    ``Either`` into the status): only records answered with a ``right`` are counted.
    """
    original = step._run

    def counting_run(record, *args, **kwargs):
        result = original(record, *args, **kwargs)
        if result is not None and getattr(result, "right", None) is not None and getattr(result, "left", None) is None:
            results.add(record)
        return result

    step._run = counting_run


def run_workflow(
    config: dict, service_name: str, workflow_type: str = "metadata", raise_on_failure: bool = True
) -> WorkflowSummary:
    """Create, execute and stop the workflow of ``workflow_type`` for ``config``; return its summary.

    Calls ``<Workflow>.create(config)`` / ``execute()`` / ``stop()`` (``metadata.workflow.*``),
    as the OpenMetadata CLI does.

    Args:
        config: the full workflow config (holds secrets: never logged).
        service_name: the service (or test suite) name, for the summary and the messages.
        workflow_type: a key of :data:`WORKFLOWS`.
        raise_on_failure: raise when a step reported failures (the summary is on the error).

    Raises:
        IngestionWorkflowError: the workflow could not start (server, source connection) or a
            step reported failures; the message summarises them.
    """
    kind = WORKFLOWS[workflow_type]
    started = time.monotonic()
    try:
        workflow = kind.load().create(config)
    except Exception as exc:  # noqa: BLE001 - any start-up failure fails the task with its cause
        raise IngestionWorkflowError(
            f"{workflow_type} workflow of service '{service_name}' could not start: {type(exc).__name__}: {exc}"
        ) from None
    results = kind.results()
    if workflow.steps:
        _count_written(workflow.steps[results.counted_step], results)
    try:
        workflow.execute()
        failed = None
    except Exception as exc:  # noqa: BLE001 - execute() raises WorkflowExecutionError and friends; summarised below
        failed = f"{type(exc).__name__}: {exc}"
    finally:
        workflow.stop()
    results.finish(workflow)
    steps = [_step_summary(step) for step in workflow.workflow_steps()]
    summary = WorkflowSummary(
        workflow_type=workflow_type,
        service_name=service_name,
        success=failed is None and not any(step.failures for step in steps),
        records_processed=sum(step.records for step in steps),
        records_updated=sum(step.updated for step in steps),
        warnings=sum(step.warnings for step in steps),
        filtered=sum(step.filtered for step in steps),
        failures=sum(step.failures for step in steps),
        wall_time_seconds=round(time.monotonic() - started, 3),
        steps=steps,
        results=results.as_dict(),
    )
    if not summary.success and raise_on_failure:
        details = [f"{step.name}: {message}" for step in steps for message in step.failure_messages]
        reason = f" ({failed})" if failed else ""
        raise IngestionWorkflowError(
            f"{summary.describe()}{reason}. Failures: " + ("; ".join(details) or "none reported by the steps"),
            summary,
        )
    return summary


def run_metadata_workflow(config: dict, service_name: str) -> WorkflowSummary:
    """``MetadataWorkflow`` for ``config`` (see :func:`run_workflow`).

    Raises:
        IngestionWorkflowError: the workflow could not start or finished with failures.
    """
    return run_workflow(config, service_name, "metadata")

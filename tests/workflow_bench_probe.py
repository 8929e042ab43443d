"""One timed workflow run in a fresh interpreter, for tests/bench_workflows.py and tests/scale_bench.py.

``python -m tests.workflow_bench_probe <workflow> <mode> [json options]`` imports everything
first, then times one run and prints ``{"seconds": ...}`` as its last line:

- ``operator``: the provider's operator (preflight, our upstream fixes, the summary);
- ``workflow``: the bare OpenMetadata workflow class on the config the operator builds, what
  ``metadata profile/test/classify/ingest -c`` runs (fixes applied only with ``fixes=on``);
- ``config``: print those configs as a JSON list instead (they hold secrets: the caller writes
  them to a private file for the CLI, never to a terminal);
- ``cli``: OpenMetadata's own CLI as a whole process (nothing imported first, nothing timed
  here) after our upstream fixes: ``{"command": "ingest", "config": "<file>"}`` runs what
  ``metadata ingest -c <file>`` runs, with the fixes the operator applies (tests/bench_harvest.py
  side (d)).

The source and server come from ``AIRFLOW_CONN_PAGILA_POSTGRES`` / ``AIRFLOW_CONN_OPENMETADATA_DEFAULT``.
"""

from __future__ import annotations

import json
import sys
import time

WORKFLOW_MODULES = {
    "metadata": ("metadata.workflow.metadata", "MetadataWorkflow", "PostgresMetadataIngestionOperator"),
    "profiler": ("metadata.workflow.profiler", "ProfilerWorkflow", "PostgresProfilerOperator"),
    "data_quality": ("metadata.workflow.data_quality", "TestSuiteWorkflow", "PostgresDataQualityOperator"),
    "auto_classification": (
        "metadata.workflow.classification",
        "AutoClassificationWorkflow",
        "PostgresAutoClassificationOperator",
    ),
}


def operator(workflow: str, options: dict):
    from openmetadata_platform.operators import ingestion

    args = {"task_id": "bench", "postgres_conn_id": "pagila_postgres", "service_name": "pagila", **options}
    return getattr(ingestion, WORKFLOW_MODULES[workflow][2])(**args)


def configs(task) -> list[dict]:
    """The config(s) the operator would run (one per table for data quality)."""
    from openmetadata_platform.ingestion import data_quality_config

    first = task.build_workflow_config()
    if task.workflow_type != "data_quality":
        return [task.adjust_config(first)] if hasattr(task, "adjust_config") else [first]
    return [first, *(task._suite_config(suite, data_quality_config) for suite in task._suites[1:])]


def cli_with_fixes(workflow: str, options: dict) -> None:
    """``metadata <command> -c <config>`` in this process, after ``upstream_fixes.apply(workflow)``."""
    from openmetadata_platform.ingestion import upstream_fixes

    upstream_fixes.apply(workflow)
    from metadata.cmd import metadata

    metadata([options["command"], "-c", options["config"]])


def main() -> None:
    import importlib

    workflow, mode = sys.argv[1], sys.argv[2]
    options = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    if mode == "cli":  # before any import below: the whole process is what is timed
        cli_with_fixes(workflow, options)
        return
    fixes = options.pop("fixes", "on" if mode == "operator" else "off")
    module, class_name, _ = WORKFLOW_MODULES[workflow]
    workflow_class = getattr(importlib.import_module(module), class_name)
    importlib.import_module("metadata.ingestion.source.database.postgres.metadata")
    importlib.import_module("metadata.ingestion.sink.metadata_rest")
    task = operator(workflow, options)
    run_configs = [] if mode == "operator" else configs(task)
    if mode == "config":
        print(json.dumps(run_configs))
        return
    if fixes == "on":
        from openmetadata_platform.ingestion import upstream_fixes

        upstream_fixes.apply(workflow)
    started = time.perf_counter()
    if mode == "operator":
        summary = task.execute(context={})
    else:
        for config in run_configs:
            run = workflow_class.create(config)
            run.execute()
            run.stop()
        summary = {}
    print(json.dumps({"seconds": time.perf_counter() - started, "results": summary.get("results", {})}))


if __name__ == "__main__":
    main()

"""The pagila_data_catalog DAG: parses cheaply, runs every workflow in order, XComs say what arrived."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import DAGS_FOLDER, REPO_ROOT, load_dag

TASKS = (
    "harvest_schema",
    "profile_tables",
    "run_quality_tests",
    "classify_pii",
    "query_log_lineage",
    "query_log_usage",
)


def test_dag_order_and_parse_without_openmetadata_ingestion(airflow_db):
    dag = load_dag("pagila_data_catalog.py", "pagila_data_catalog")
    assert set(dag.task_ids) == set(TASKS)
    chain = [dag.get_task(t) for t in TASKS]
    for upstream, downstream in zip(chain[:3], chain[1:4], strict=True):
        assert downstream.upstream_task_ids == {upstream.task_id}
    assert chain[4].upstream_task_ids == chain[5].upstream_task_ids == {"classify_pii"}
    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m == 'metadata' or m.startswith('metadata.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(DAGS_FOLDER / "pagila_data_catalog.py")],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_every_task_succeeded_and_returned_its_counts(catalog):
    assert catalog.states == dict.fromkeys(TASKS, "success"), catalog.states
    x = catalog.xcoms
    assert x["profile_tables"]["results"]["tables_profiled"] > 10
    assert x["run_quality_tests"]["results"]["tests_passed"] == 7
    assert x["classify_pii"]["results"]["columns_tagged"] > 0
    assert x["query_log_lineage"]["results"]["lineage_edges"] >= 2
    assert x["query_log_usage"]["results"]["queries_read"] >= len(catalog.server.entities("query")) > 0
    for task, value in x.items():
        json.dumps(value)  # JSON-serialisable
        assert catalog.server.token not in json.dumps(value), task
        assert catalog.postgres.password not in json.dumps(value), task
    assert catalog.server.unsupported == []

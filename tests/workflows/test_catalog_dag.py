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
GOVERNANCE_TASKS = ("apply_governance", "contract_results")


def test_dag_order_and_parse_without_openmetadata_ingestion(airflow_db):
    dag = load_dag("pagila_data_catalog.py", "pagila_data_catalog")
    assert set(dag.task_ids) == set(TASKS + GOVERNANCE_TASKS)
    chain = [dag.get_task(t) for t in TASKS]
    for upstream, downstream in zip(chain[:3], chain[1:4], strict=True):
        assert downstream.upstream_task_ids == {upstream.task_id}
    assert chain[4].upstream_task_ids == chain[5].upstream_task_ids == {"classify_pii"}
    # governance needs the harvested tables, and the contract its apply
    assert dag.get_task("apply_governance").upstream_task_ids == {"harvest_schema"}
    assert dag.get_task("contract_results").upstream_task_ids == {"apply_governance"}
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
    assert catalog.states == dict.fromkeys(TASKS + GOVERNANCE_TASKS, "success"), catalog.states
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


def test_pagila_governance_applied_then_plans_cleanly(catalog):
    """The run applied dags/governance/pagila; planned again against the harvested tables, the
    folder has nothing left to change, and rental's contract passed."""
    from openmetadata_platform.governance import build_plan, load_folder

    from tests.workflows.conftest import SCHEMA_FQN

    applied = catalog.xcoms["apply_governance"]
    assert ("dataContract", f"{SCHEMA_FQN}.rental", "create") in {
        (e["type"], e["fqn"], e["action"]) for e in applied["entities"]
    }
    results = catalog.xcoms["contract_results"]
    assert [(c["table"], c["outcome"]) for c in results["contracts"]] == [(f"{SCHEMA_FQN}.rental", "passed")]
    client = _client(catalog.server)
    since = len(catalog.server.requests)
    plan = build_plan(client, load_folder(DAGS_FOLDER / "governance" / "pagila"))
    assert plan.empty, plan.to_dict()
    # the plan's only POST is the server's ODCS validation, which stores nothing
    assert [r.path for r in catalog.writes(since) if not r.path.endswith("/odcs/validate/yaml")] == []
    rental = client.get_by_name(entity=_table_class(), fqn=f"{SCHEMA_FQN}.rental", fields=["owners", "domains", "tags"])
    assert [o.name for o in rental.owners.root] == ["pagila-stewards"]
    assert [d.name for d in rental.domains.root] == ["Pagila"]
    assert "Pagila.Rental" in {t.tagFQN.root for t in rental.tags}


def _table_class():
    from metadata.generated.schema.entity.data.table import Table

    return Table


def _client(server):
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    return OpenMetadata(
        OpenMetadataConnection(
            hostPort=server.host_port, authProvider="openmetadata", securityConfig={"jwtToken": server.token}
        )
    )

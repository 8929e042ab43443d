"""Data-quality tests on pagila: passing ones pass, a failing one fails with the rows that fail it,
results are a history, and a rerun adds results, never a second test case."""

from __future__ import annotations

import pytest

from tests.workflows.conftest import table_fqn

FAILING = """
tables:
  customer:
    - name: store_id_unique
      testDefinitionName: columnValuesToBeUnique
      columnName: store_id
      computePassedFailedRowCount: true
    - name: customer_id_unique
      testDefinitionName: columnValuesToBeUnique
      columnName: customer_id
"""


def _results(server, fqn: str) -> list[dict]:
    status, answer = server.call(
        "GET", f"/dataQuality/testCases/testCaseResults/{fqn}", query={"startTs": 0, "endTs": 2**62}
    )
    assert status == 200, answer
    return answer["data"]


def test_the_dag_tests_pass_and_are_kept_in_openmetadata(catalog):
    results = catalog.xcoms["run_quality_tests"]["results"]
    assert (results["tests_failed"], results["tests_aborted"]) == (0, 0)
    for fqn in results["passed_tests"]:
        (result,) = _results(catalog.server, fqn)
        assert result["testCaseStatus"] == "Success", fqn
    cases = {c["fullyQualifiedName"] for c in catalog.server.entities("testCase")}
    assert set(results["passed_tests"]) <= cases
    # one basic suite per tested table, named after the table
    suites = {s["fullyQualifiedName"] for s in catalog.server.entities("testSuite")}
    assert {table_fqn(t) + ".testSuite" for t in ("customer", "rental", "film", "inventory")} <= suites


@pytest.fixture(scope="module")
def failing_runs(catalog, tmp_path_factory):
    """The failing YAML run twice (a rerun must add results, not test cases)."""
    from tests.workflows.conftest import catalog_environment

    path = tmp_path_factory.mktemp("dq") / "failing.yaml"
    path.write_text(FAILING)
    from openmetadata_platform.operators.ingestion import PostgresDataQualityOperator

    runs = []
    with catalog_environment(catalog):
        for _ in range(2):
            before = len(catalog.server.entities("testCase"))
            operator = PostgresDataQualityOperator(
                task_id="dq", postgres_conn_id="pagila_postgres", service_name="pagila", test_cases_file=str(path)
            )
            runs.append((before, operator.execute(context={}), len(catalog.server.entities("testCase"))))
    return runs


def test_a_uniqueness_test_on_a_non_unique_column_fails_with_its_sample(catalog, failing_runs):
    fqn = table_fqn("customer") + ".store_id.store_id_unique"
    _, summary, _ = failing_runs[0]
    assert summary["results"]["failed_tests"] == [fqn]
    assert summary["results"]["passed_tests"] == [table_fqn("customer") + ".customer_id.customer_id_unique"]
    latest = _results(catalog.server, fqn)[0]
    assert latest["testCaseStatus"] == "Failed"
    duplicated = {
        int(v) for (v,) in catalog.rows("SELECT store_id FROM customer GROUP BY store_id HAVING count(*) > 1")
    }
    assert duplicated
    (case,) = [c for c in catalog.server.entities("testCase") if c["fullyQualifiedName"] == fqn]
    status, sample = catalog.server.call("GET", f"/dataQuality/testCases/{case['id']}/failedRowsSample")
    assert status == 200, sample
    assert "store_id" in sample["columns"] and sample["rows"]
    store_ids = {int(row[sample["columns"].index("store_id")]) for row in sample["rows"]}
    assert store_ids <= duplicated


def test_a_rerun_adds_a_result_not_a_test_case(catalog, failing_runs):
    (before_1, first, after_1), (before_2, second, after_2) = failing_runs
    assert after_1 == before_1 + 2  # both cases created by the first run
    assert after_2 == before_2 == after_1  # none by the second
    assert first["results"]["tests_failed"] == second["results"]["tests_failed"] == 1
    history = _results(catalog.server, table_fqn("customer") + ".store_id.store_id_unique")
    assert [r["testCaseStatus"] for r in history] == ["Failed", "Failed"]
    assert history[0]["timestamp"] >= history[1]["timestamp"]  # newest first


def test_failing_tests_can_fail_the_task(catalog_connections, tmp_path):
    from openmetadata_platform.ingestion.runner import IngestionWorkflowError
    from openmetadata_platform.operators.ingestion import PostgresDataQualityOperator

    path = tmp_path / "failing.yaml"
    path.write_text(FAILING)
    operator = PostgresDataQualityOperator(
        task_id="dq",
        postgres_conn_id="pagila_postgres",
        service_name="pagila",
        test_cases_file=str(path),
        fail_on_failed_tests=True,
    )
    with pytest.raises(IngestionWorkflowError, match="store_id_unique"):
        operator.execute(context={})

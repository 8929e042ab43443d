"""The pagila task fails clearly, quickly and without leaking a secret when something is wrong."""

from __future__ import annotations

import time

import pytest

from tests.conftest import connection_env, load_dag

# Generous bound: guards against hanging on TCP timeouts or the client's 30 s retry waits,
# not a performance target (those live in `make bench`).
FAIL_WITHIN_SECONDS = 60


def _set(monkeypatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def pagila_dag(airflow_db):
    dag = load_dag("pagila_metadata_ingestion.py", "pagila_metadata_ingestion")
    for task in dag.tasks:
        task.retries = 0
    return dag


CASES = {
    "openmetadata_unreachable": (
        lambda om, pg: connection_env(
            "openmetadata_default", conn_type="openmetadata", host="127.0.0.1", port=1, schema="http", password=om.token
        ),
        ["OpenMetadata at http://127.0.0.1:1/api", "Connection refused"],
    ),
    "openmetadata_wrong_token": (
        lambda om, pg: connection_env(
            "openmetadata_default",
            conn_type="openmetadata",
            host="127.0.0.1",
            port=om.port,
            schema="http",
            password="wrong-" + om.token,
        ),
        ["HTTP 401", "JWT", "rejected"],
    ),
    "postgres_down": (
        lambda om, pg: connection_env(
            "pagila_postgres",
            conn_type="postgres",
            host="127.0.0.1",
            port=1,
            login="postgres",
            password=pg.password,
            schema="pagila",
        ),
        ["PostgreSQL 127.0.0.1:1/pagila", "not reachable", "Connection refused"],
    ),
    "postgres_wrong_password": (
        lambda om, pg: connection_env(
            "pagila_postgres",
            conn_type="postgres",
            host=pg.host,
            port=pg.port,
            login="postgres",
            password="wrong-" + pg.password,
            schema="pagila",
        ),
        ['password authentication failed for user "postgres"'],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_task_fails_clearly_fast_and_without_secrets(
    case, pagila_dag, openmetadata_connection, pagila_connection, monkeypatch, capfd
):
    make_env, expected_fragments = CASES[case]
    env = make_env(openmetadata_connection, pagila_connection)
    _set(monkeypatch, env)
    started = time.monotonic()
    run = pagila_dag.test()
    elapsed = time.monotonic() - started
    output = capfd.readouterr()
    text = output.out + output.err

    assert run.state == "failed"
    assert elapsed < FAIL_WITHIN_SECONDS
    for fragment in expected_fragments:
        assert fragment in text, fragment
    # The harvest wrote no database metadata (the lineage listener may report the pipeline).
    harvest_paths = (
        "/api/v1/services/databaseServices",
        "/api/v1/databases",
        "/api/v1/databaseSchemas",
        "/api/v1/tables",
        "/api/v1/storedProcedures",
    )
    assert not [
        r
        for r in openmetadata_connection.requests
        if r.method in ("PUT", "POST", "PATCH", "DELETE") and r.path.startswith(harvest_paths)
    ]
    # No secret in the task's output: neither the right nor the wrong ones.
    secrets = {openmetadata_connection.token, pagila_connection.password}
    secrets |= {"wrong-" + openmetadata_connection.token, "wrong-" + pagila_connection.password}
    for secret in secrets:
        assert secret not in text


def test_failed_workflow_reports_what_failed(openmetadata_connection, pagila_connection, airflow_db):
    """A workflow whose table writes fail (server answers 500) fails the task with a summary."""
    from openmetadata_platform.ingestion.runner import IngestionWorkflowError
    from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

    operator = PostgresMetadataIngestionOperator(
        task_id="harvest",
        postgres_conn_id="pagila_postgres",
        service_name="pagila",
        database="pagila",
        schema_includes=["^public$"],
    )
    openmetadata_connection.inject(status=500, method="PUT", path_prefix="/api/v1/tables/bulk")

    with pytest.raises(IngestionWorkflowError) as failure:
        operator.execute(context={})
    message = str(failure.value)
    summary = failure.value.summary
    assert summary is not None and summary.failures > 0 and not summary.success
    assert f"{summary.failures} failures" in message
    assert "Failed to flush entities to bulk API" in message  # what failed, quoted from the sink
    assert openmetadata_connection.token not in message
    assert pagila_connection.password not in message

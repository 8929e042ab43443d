"""Templated arguments (issue 12: template_fields): rendered by Airflow, checked once rendered."""

from __future__ import annotations

from datetime import datetime

import pytest


def _render(task, **context):
    """Airflow's own renderer (``Templater.render_template_fields``) with a minimal context."""
    task.render_template_fields(context)
    return task


def test_metadata_operator_renders_connections_filters_variable_and_ccache():
    from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

    task = PostgresMetadataIngestionOperator(
        task_id="harvest",
        service_name="{{ params.service }}",
        openmetadata_conn_id="{{ params.om }}",
        postgres_conn_id="{{ params.pg }}",
        database="{{ params.db }}",
        schema_includes=["^{{ params.schema }}$"],
        table_excludes=["{{ params.bad_regex }}"],
        filters_variable="{{ params.variable }}",
        kerberos_ccache="/krb5/{{ params.user }}/cache",
    )
    assert task.options is None  # templated filters: not checked at parse time
    _render(
        task,
        params={
            "service": "pagila",
            "om": "om_prod",
            "pg": "pg_prod",
            "db": "pagila",
            "schema": "sales",
            "bad_regex": "(",
            "variable": "pagila_filters",
            "user": "alice",
        },
    )
    assert (task.service_name, task.openmetadata_conn_id, task.postgres_conn_id) == ("pagila", "om_prod", "pg_prod")
    assert task.filters["schema_includes"] == ["^sales$"] and task.filters_variable == "pagila_filters"
    assert task.kerberos_ccache == "/krb5/alice/cache"
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

    task.filters_variable = None
    with pytest.raises(IngestionConfigError, match="table_excludes"):  # checked at task start, once rendered
        task.build_source_config()


def test_workflow_operators_render_and_check_their_arguments_at_task_start():
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError
    from openmetadata_platform.operators.ingestion import PostgresAutoClassificationOperator, PostgresProfilerOperator

    profiler = PostgresProfilerOperator(
        task_id="p", service_name="pagila", sample_percentage="{{ params.pct }}", table_includes=["^{{ params.t }}$"]
    )
    _render(profiler, params={"pct": "25", "t": "customer"})
    config = profiler.build_source_config()
    assert config["profileSampleConfig"]["config"] == {"profileSample": 25.0, "profileSampleType": "PERCENTAGE"}
    assert config["tableFilterPattern"] == {"includes": ["^customer$"]}

    out_of_range = PostgresAutoClassificationOperator(task_id="c", service_name="pagila", confidence="{{ params.c }}")
    _render(out_of_range, params={"c": "250"})
    with pytest.raises(IngestionConfigError, match="^confidence"):
        out_of_range.build_source_config()


def test_a_templated_sample_percentage_reaches_the_profiler(catalog_connections):
    """Rendered by Airflow's renderer, then run: the profile shows the sample was applied."""
    from airflow.sdk import DAG
    from openmetadata_platform.operators.ingestion import PostgresProfilerOperator

    server = catalog_connections.server
    with DAG(dag_id="templated_profile", schedule=None, start_date=datetime(2026, 1, 1), params={"pct": 10}):
        task = PostgresProfilerOperator(
            task_id="profile",
            postgres_conn_id="{{ params.conn }}",
            service_name="pagila",
            schema_includes=["^{{ 'public' }}$"],
            table_includes=["^rental$"],
            metrics=["rowCount"],
            sample_percentage="{{ params.pct }}",
        )
    _render(task, params={"pct": 10, "conn": "pagila_postgres"})
    before = len(server.requests)
    summary = task.execute(context={})
    assert summary["results"]["tables"] == ["pagila.pagila.public.rental"]
    (write,) = [r for r in server.requests[before:] if r.path.endswith("/tableProfile")]
    profile = write.body["tableProfile"]
    assert profile["profileSample"] == 10 and profile["profileSampleType"] == "PERCENTAGE"

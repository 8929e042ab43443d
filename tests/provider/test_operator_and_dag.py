"""Operator arguments are checked at DAG parse time; DAG files stay cheap to parse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import DAGS_FOLDER, REPO_ROOT, load_dag


def _operator(**overrides):
    from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

    args = {"task_id": "harvest", "service_name": "pagila", "database": "pagila"}
    args.update(overrides)
    return PostgresMetadataIngestionOperator(**args)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"service_name": ""}, "service_name"),
        ({"service_name": "a::b"}, "service_name"),
        ({"schema_includes": ["("]}, "schema_includes"),
        ({"table_excludes": "^tmp_"}, "table_excludes"),
        ({"include_views": "yes"}, "include_views"),
        ({"workflow_type": "metadta"}, "workflow_type"),
        ({"workflow_type": "profiler"}, "workflow_type"),
        ({"logger_level": "LOUD"}, "logger_level"),
        ({"database": " "}, "database"),
    ],
)
def test_invalid_arguments_name_the_field(overrides, field):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

    with pytest.raises(IngestionConfigError) as error:
        _operator(**overrides)
    assert str(error.value).startswith(field)


def test_source_config_from_arguments():
    operator = _operator(schema_includes=["^public$"], table_excludes=["^tmp_"], include_views=False)
    config = operator.build_source_config()
    assert config["type"] == "DatabaseMetadata"
    assert config["schemaFilterPattern"] == {"includes": ["^public$"]}
    assert config["tableFilterPattern"] == {"excludes": ["^tmp_"]}
    assert config["includeViews"] is False
    assert "databaseFilterPattern" not in config


def test_workflow_config_is_valid_for_openmetadata(openmetadata_connection, pagila_connection):
    from metadata.generated.schema.metadataIngestion.workflow import OpenMetadataWorkflowConfig

    config = _operator(postgres_conn_id="pagila_postgres").build_workflow_config()
    parsed = OpenMetadataWorkflowConfig.model_validate(config)
    assert parsed.source.serviceName == "pagila"
    assert parsed.source.serviceConnection.root.config.database == "pagila"


def test_missing_database_names_the_fields(monkeypatch):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError
    from openmetadata_platform.sources.postgres import postgres_service_connection

    from tests.conftest import connection_env

    for key, value in connection_env("pg_no_db", conn_type="postgres", host="h", login="u", password="p").items():
        monkeypatch.setenv(key, value)
    with pytest.raises(IngestionConfigError) as error:
        postgres_service_connection("pg_no_db")
    assert "'schema' field" in str(error.value) and "'database' argument" in str(error.value)


def test_dag_parses_with_doc_and_does_not_import_openmetadata_ingestion(airflow_db):
    dag = load_dag("pagila_metadata_ingestion.py", "pagila_metadata_ingestion")
    assert dag.doc_md and "pagila" in dag.doc_md
    from openmetadata_platform.lineage.bodies import schedule_summary

    assert schedule_summary(dag) == "0 0 * * *"  # @daily, as the DAG file says
    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m == 'metadata' or m.startswith('metadata.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(DAGS_FOLDER / "pagila_metadata_ingestion.py")],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_provider_modules_do_not_import_openmetadata_ingestion():
    modules = [
        "openmetadata_platform",
        "openmetadata_platform.hooks.openmetadata",
        "openmetadata_platform.operators.ingestion",
        "openmetadata_platform.operators.lineage",
        "openmetadata_platform.lineage",
        "openmetadata_platform.plugins",
    ]
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'metadata' or m.startswith('metadata.')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_dag_configuration_from_environment(airflow_db, monkeypatch):
    monkeypatch.setenv("PAGILA_OPENMETADATA_SERVICE", "pagila_prod")
    monkeypatch.setenv("PAGILA_SCHEMAS", "public, sales")
    dag = load_dag("pagila_metadata_ingestion.py", "pagila_metadata_ingestion")
    task = dag.get_task("harvest_pagila_schema")
    assert task.service_name == "pagila_prod"
    assert task.build_source_config()["schemaFilterPattern"] == {"includes": ["^public$", "^sales$"]}

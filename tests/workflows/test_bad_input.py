"""Bad input fails when the DAG is parsed or in the preflight, naming the field; nothing is written."""

from __future__ import annotations

import re
import textwrap

import pytest

GOOD_CASE = {"name": "id_unique", "testDefinitionName": "columnValuesToBeUnique", "columnName": "customer_id"}


def _yaml(tmp_path, *cases: dict) -> str:
    import yaml

    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump({"tables": {"customer": list(cases)}}))
    return str(path)


def _dq(path: str, **kwargs):
    from openmetadata_platform.operators.ingestion import PostgresDataQualityOperator

    return PostgresDataQualityOperator(
        task_id="dq", postgres_conn_id="pagila_postgres", service_name="pagila", test_cases_file=path, **kwargs
    )


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ({**GOOD_CASE, "testDefinitionName": "columnValuesToBeUniqe"}, "tables.customer[0].testDefinitionName"),
        ({k: v for k, v in GOOD_CASE.items() if k != "columnName"}, "tables.customer[0].columnName"),
        ({**GOOD_CASE, "testDefinition": "x"}, "unknown key(s) ['testDefinition']"),
        ({**GOOD_CASE, "parameterValues": [{"name": "a"}]}, "tables.customer[0].parameterValues[0]"),
        ({**GOOD_CASE, "name": "a::b"}, "tables.customer[0].name"),
    ],
)
def test_yaml_mistakes_fail_when_the_dag_is_parsed(tmp_path, case, field):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

    with pytest.raises(IngestionConfigError, match=re.escape(field)):
        _dq(_yaml(tmp_path, case))


def test_a_dag_with_an_unknown_test_definition_is_an_import_error(airflow_db, tmp_path):
    from airflow.dag_processing.dagbag import DagBag

    path = _yaml(tmp_path, {**GOOD_CASE, "testDefinitionName": "columnValuesToBeUniqe"})
    (tmp_path / "dq_dag.py").write_text(
        textwrap.dedent(f"""
        from datetime import datetime
        from airflow.sdk import DAG
        from openmetadata_platform.operators.ingestion import PostgresDataQualityOperator
        with DAG(dag_id="bad_dq", schedule=None, start_date=datetime(2026, 1, 1)):
            PostgresDataQualityOperator(task_id="dq", service_name="pagila", test_cases_file={path!r})
        """)
    )
    bag = DagBag(dag_folder=str(tmp_path / "dq_dag.py"))
    (error,) = bag.import_errors.values()
    assert "testDefinitionName='columnValuesToBeUniqe'" in error and "columnValuesToBeUnique" in error


@pytest.mark.parametrize(
    ("operator", "arguments", "field"),
    [
        ("PostgresProfilerOperator", {"sample_percentage": 150}, "sample_percentage"),
        ("PostgresProfilerOperator", {"sample_percentage": 0}, "sample_percentage"),
        ("PostgresProfilerOperator", {"metrics": ["rowCount", "nullCnt"]}, "metrics"),
        ("PostgresProfilerOperator", {"thread_count": 0}, "thread_count"),
        ("PostgresAutoClassificationOperator", {"confidence": 101}, "confidence"),
        ("PostgresAutoClassificationOperator", {"sample_rows": 5000}, "sample_rows"),
        ("PostgresAutoClassificationOperator", {"language": "xx"}, "language"),
        ("PostgresQueryLineageOperator", {"result_limit": 0}, "result_limit"),
        ("PostgresQueryUsageOperator", {"query_log_days": "many"}, "query_log_days"),
        ("PostgresProfilerOperator", {"table_includes": ["("]}, "table_includes"),
    ],
)
def test_workflow_arguments_are_checked_at_parse_time(operator, arguments, field):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError
    from openmetadata_platform.operators import ingestion

    with pytest.raises(IngestionConfigError) as error:
        getattr(ingestion, operator)(task_id="t", service_name="pagila", **arguments)
    assert str(error.value).startswith(field), str(error.value)


@pytest.mark.parametrize(
    ("case", "field"),
    [
        (
            {
                "name": "rows",
                "testDefinitionName": "tableRowCountToBeBetween",
                "parameterValues": [{"name": "minValu", "value": 1}],
            },
            "parameterValues: 'minValu' is not a parameter of tableRowCountToBeBetween",
        ),
        (
            {
                "name": "rows",
                "testDefinitionName": "tableRowCountToBeBetween",
                "parameterValues": [{"name": "minValue", "value": 10}, {"name": "maxValue", "value": 5}],
            },
            "minValue=10 must be LESS_THAN_OR_EQUALS maxValue=5",
        ),
        (
            {**GOOD_CASE, "name": "mail_unique", "columnName": "e_mail"},
            "columnName='e_mail': table pagila.pagila.public.customer has no such column",
        ),
        (
            {"name": "in_set", "testDefinitionName": "columnValuesToBeInSet", "columnName": "email"},
            "columnValuesToBeInSet requires 'allowedValues'",
        ),
        (
            {"name": "max", "testDefinitionName": "columnValueMaxToBeBetween", "columnName": "email"},
            "does not support its type TEXT",
        ),
    ],
)
def test_cases_are_checked_against_the_server_before_anything_is_written(catalog_connections, tmp_path, case, field):
    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

    server = catalog_connections.server
    operator = _dq(_yaml(tmp_path, GOOD_CASE, case))  # parses: the server's definitions decide
    before, cases = len(server.requests), len(server.entities("testCase"))
    with pytest.raises(IngestionConfigError, match=re.escape(field)):
        operator.execute(context={})
    assert catalog_connections.writes(before) == [] and len(server.entities("testCase")) == cases


def test_a_missing_spacy_model_fails_fast_with_the_fix_and_is_never_downloaded(catalog, monkeypatch):
    import importlib
    import sys

    from openmetadata_platform.ingestion.workflow_config import IngestionConfigError
    from openmetadata_platform.operators.ingestion import PostgresAutoClassificationOperator

    for key, value in catalog.env().items():  # the connections, but not the model's directory
        monkeypatch.setenv(key, value)
    assert str(catalog.model_dir) not in sys.path
    importlib.invalidate_caches()
    before = len(catalog.server.requests)
    operator = PostgresAutoClassificationOperator(
        task_id="c", postgres_conn_id="pagila_postgres", service_name="pagila"
    )
    with pytest.raises(IngestionConfigError) as error:
        operator.execute(context={})
    assert "en_core_web_md" in str(error.value) and "SPACY_MODEL_PACKAGE" in str(error.value)
    assert catalog.server.requests[before:] == []  # failed before even asking the server

    from openmetadata_platform.ingestion import upstream_fixes

    upstream_fixes.forbid_spacy_download()
    from metadata.pii.algorithms import presidio_utils

    with pytest.raises(OSError, match="SPACY_MODEL_PACKAGE"):
        presidio_utils.download("en_core_web_md")

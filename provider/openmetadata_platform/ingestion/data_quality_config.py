"""Data-quality test cases declared in YAML beside the DAG, and the test suite workflows that run them.

The YAML uses OpenMetadata's own names: each test case is a ``TestCaseDefinition`` of the
``orm-test-runner`` processor (``metadata.data_quality.api.models``; what ``metadata test -c``
reads), grouped by table::

    tables:
      customer:                      # a table of the operator's schema, or a full table FQN
        - name: customer_email_not_null
          testDefinitionName: columnValuesToBeNotNull
          columnName: email
        - name: customer_rows
          testDefinitionName: tableRowCountToBeBetween
          parameterValues:
            - {name: minValue, value: 1}
            - {name: maxValue, value: 100000}

Checked in two stages, because importing the generated models costs 4-6 s (measured on this
machine: ``metadata.generated.schema.tests.testCase`` 4.1 s, ``metadata.data_quality.api
.models`` 5.7 s), far more than a DAG file may take to parse:

- at parse time (:func:`load_test_suites`, no openmetadata-ingestion import): the YAML's shape,
  the keys (exactly ``TestCaseDefinition``'s fields), unique names, definition names the
  installed client can run on a SQL source (the validators under
  ``metadata/data_quality/validations/{column,table}/sqlalchemy/``, listed without importing
  them) and whether each needs a ``columnName``;
- at task start, before anything is written (:func:`check_against_server`): each case parsed
  with ``TestCaseDefinition``, then against the server's test definition (it must exist; the
  parameters must be the ones it defines, required ones given, validation rules met) and the
  table in OpenMetadata (it must exist; the column too, of a type the definition supports).
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from openmetadata_platform.ingestion.workflow_config import WORKFLOW_TYPES, IngestionConfigError, check_entity_name

CASE_KEYS = (
    "name",
    "displayName",
    "description",
    "testDefinitionName",
    "columnName",
    "parameterValues",
    "computePassedFailedRowCount",
)
# Rule-library validators are generic SQL expressions, not definitions a YAML names.
_NOT_DEFINITIONS = re.compile(r"RuleLibrary|^_")


@cache
def runnable_definitions() -> dict[str, str]:
    """Test definition names the installed client can run on a SQL source -> ``COLUMN``/``TABLE``.

    Lists ``metadata/data_quality/validations/{column,table}/sqlalchemy/*.py`` of the installed
    openmetadata-ingestion (``importlib.util.find_spec`` finds the package without importing it).

    Raises:
        IngestionConfigError: openmetadata-ingestion is not installed.
    """
    spec = importlib.util.find_spec("metadata")
    if spec is None or not spec.submodule_search_locations:
        raise IngestionConfigError("openmetadata-ingestion is not installed: no data-quality validators")
    found = {}
    for location in spec.submodule_search_locations:
        for entity_type in ("column", "table"):
            directory = Path(location) / "data_quality" / "validations" / entity_type / "sqlalchemy"
            for path in directory.glob("*.py"):
                if not _NOT_DEFINITIONS.search(path.stem):
                    found[path.stem] = entity_type.upper()
    return found


@dataclass(frozen=True)
class TestCaseSpec:
    """One test case as the YAML declares it (``TestCaseDefinition`` fields, values as strings)."""

    name: str
    testDefinitionName: str
    columnName: str | None = None
    parameterValues: tuple[tuple[str, str], ...] = ()
    displayName: str | None = None
    description: str | None = None
    computePassedFailedRowCount: bool = False

    def as_definition(self) -> dict:
        """The ``processor.config.testCases`` entry."""
        case = {"name": self.name, "testDefinitionName": self.testDefinitionName}
        for key in ("columnName", "displayName", "description"):
            if getattr(self, key) is not None:
                case[key] = getattr(self, key)
        if self.parameterValues:
            case["parameterValues"] = [{"name": n, "value": v} for n, v in self.parameterValues]
        if self.computePassedFailedRowCount:
            case["computePassedFailedRowCount"] = True
        return case


@dataclass(frozen=True)
class TableTests:
    """The test cases of one table (``table``: a name in the operator's schema, or a table FQN)."""

    table: str
    cases: tuple[TestCaseSpec, ...] = field(default_factory=tuple)

    def table_fqn(self, service: str, database: str, schema: str) -> str:
        return self.table if self.table.count(".") >= 3 else f"{service}.{database}.{schema}.{self.table}"


def _parameter_value(where: str, value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (int, float, str)) for v in value):
        return json.dumps(value)  # ARRAY parameters (e.g. allowedValues) are JSON arrays in a string
    raise IngestionConfigError(f"{where}: expected a string, number, boolean or list of them, got {value!r}")


def _case(where: str, raw) -> TestCaseSpec:
    if not isinstance(raw, dict):
        raise IngestionConfigError(f"{where}: expected a mapping with keys among {', '.join(CASE_KEYS)}")
    unknown = sorted(set(raw) - set(CASE_KEYS))
    if unknown:
        raise IngestionConfigError(f"{where}: unknown key(s) {unknown}; expected keys among {', '.join(CASE_KEYS)}")
    for key in ("name", "testDefinitionName"):
        if key not in raw:
            raise IngestionConfigError(f"{where}: '{key}' is required")
    check_entity_name(f"{where}.name", raw["name"])
    definition = raw["testDefinitionName"]
    runnable = runnable_definitions()
    if definition not in runnable:
        raise IngestionConfigError(
            f"{where}.testDefinitionName={definition!r}: not an OpenMetadata test definition this client can "
            f"run on a database; expected one of {', '.join(sorted(runnable))}"
        )
    column = raw.get("columnName")
    if runnable[definition] == "COLUMN" and not (isinstance(column, str) and column):
        raise IngestionConfigError(f"{where}.columnName: {definition} is a column test; name the column")
    if runnable[definition] == "TABLE" and column is not None:
        raise IngestionConfigError(f"{where}.columnName: {definition} is a table test; remove the column")
    parameters = raw.get("parameterValues") or []
    if not isinstance(parameters, list):
        raise IngestionConfigError(f"{where}.parameterValues: expected a list of {{name, value}} mappings")
    values = []
    for index, parameter in enumerate(parameters):
        at = f"{where}.parameterValues[{index}]"
        if not isinstance(parameter, dict) or set(parameter) != {"name", "value"}:
            raise IngestionConfigError(f"{at}: expected a mapping with exactly 'name' and 'value'")
        if not isinstance(parameter["name"], str) or not parameter["name"]:
            raise IngestionConfigError(f"{at}.name: expected a parameter name")
        values.append((parameter["name"], _parameter_value(f"{at}.value", parameter["value"])))
    names = [name for name, _ in values]
    if len(set(names)) != len(names):
        raise IngestionConfigError(f"{where}.parameterValues: a parameter is given twice ({names})")
    for key in ("displayName", "description"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise IngestionConfigError(f"{where}.{key}: expected a string")
    compute = raw.get("computePassedFailedRowCount", False)
    if not isinstance(compute, bool):
        raise IngestionConfigError(f"{where}.computePassedFailedRowCount: expected true or false")
    return TestCaseSpec(
        raw["name"], definition, column, tuple(values), raw.get("displayName"), raw.get("description"), compute
    )


def parse_test_suites(document, source: str = "test cases") -> tuple[TableTests, ...]:
    """Check a parsed YAML document (see the module docstring); return the tests per table.

    Raises:
        IngestionConfigError: naming the YAML path of the first problem (e.g.
            ``pagila_data_quality.yaml: tables.customer[1].testDefinitionName=...``).
    """
    if not isinstance(document, dict) or set(document) != {"tables"} or not isinstance(document["tables"], dict):
        raise IngestionConfigError(f"{source}: expected a mapping with one key 'tables' (table -> list of test cases)")
    suites = []
    for table, cases in document["tables"].items():
        where = f"{source}: tables.{table}"
        if not isinstance(table, str) or not table:
            raise IngestionConfigError(f"{where}: expected a table name")
        if not isinstance(cases, list) or not cases:
            raise IngestionConfigError(f"{where}: expected a non-empty list of test cases")
        specs = tuple(_case(f"{where}[{index}]", raw) for index, raw in enumerate(cases))
        names = [spec.name for spec in specs]
        duplicate = next((name for name in names if names.count(name) > 1), None)
        if duplicate:
            raise IngestionConfigError(f"{where}: test case name {duplicate!r} is used twice")
        suites.append(TableTests(table, specs))
    return tuple(suites)


def load_test_suites(path: str | Path) -> tuple[TableTests, ...]:
    """Read and check the YAML file at ``path`` (PyYAML's ``safe_load``; cheap, no models).

    Raises:
        IngestionConfigError: the file is missing, not YAML, or has an invalid test case.
    """
    import yaml

    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise IngestionConfigError(f"test_cases_file={str(path)!r}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise IngestionConfigError(f"test_cases_file={str(path)!r}: not valid YAML ({exc})") from None
    return parse_test_suites(document, path.name)


def source_config(table_fqn: str, service_name: str, service_connection: dict, cases=()) -> dict:
    """``sourceConfig.config`` (``TestSuitePipeline``) of one table's basic suite.

    The connection is given here (``serviceConnections``) so the workflow never needs the
    secret stored on the server's DatabaseService. ``testCases`` limits the run to the YAML's
    cases: the table's suite may hold others (made in the UI, or by another DAG's YAML), which
    ``TestSuiteSource`` would otherwise run too.
    """
    config = {
        "type": WORKFLOW_TYPES["data_quality"],
        "entityFullyQualifiedName": table_fqn,
        "serviceConnections": [{"serviceName": service_name, "serviceConnection": {"config": service_connection}}],
    }
    if cases:
        config["testCases"] = [case.name for case in cases]
    return config


def steps(cases: tuple[TestCaseSpec, ...]) -> dict:
    """``orm-test-runner`` with the cases (``forceUpdate``: the YAML is the source of truth, a
    changed parameter is patched onto the existing test case), then the REST sink."""
    return {
        "processor": {
            "type": "orm-test-runner",
            "config": {"testCases": [case.as_definition() for case in cases], "forceUpdate": True},
        },
        "sink": {"type": "metadata-rest", "config": {}},
    }


def _compare(rule: str, value: float, against: float) -> bool:
    """TestCaseRepository.compareAndValidateParameterRule (True: the rule holds)."""
    return {
        "GREATER_THAN_OR_EQUALS": value >= against,
        "LESS_THAN_OR_EQUALS": value <= against,
        "EQUALS": abs(value - against) <= 0.0001,
        "NOT_EQUALS": abs(value - against) >= 0.0001,
    }.get(rule, True)


def check_case_with_definition(where: str, case: TestCaseSpec, definition, table) -> None:
    """Check one case against the server's ``TestDefinition`` and the OpenMetadata ``Table``.

    Mirrors the server's checks on create (``TestCaseRepository.prepare``/
    ``validateTestParameters``/``validateColumnTestCase``), plus the runner's data type filter
    (``TestCaseRunner.filter_incompatible_test_cases``), so a bad case stops the task before
    any suite or case is written.

    Raises:
        IngestionConfigError: naming the YAML path and the field.
    """
    defined = {p.name: p for p in definition.parameterDefinition or []}
    given = dict(case.parameterValues)
    for name in given:
        if name not in defined:
            raise IngestionConfigError(
                f"{where}.parameterValues: {name!r} is not a parameter of {case.testDefinitionName}; "
                f"expected among {sorted(defined) or 'none'}"
            )
    for name, parameter in defined.items():
        if parameter.required and given.get(name) is None:
            raise IngestionConfigError(f"{where}.parameterValues: {case.testDefinitionName} requires {name!r}")
        rule = parameter.validationRule
        if rule and name in given and rule.parameterField in given:
            try:
                value, against = float(given[name]), float(given[rule.parameterField])
            except ValueError:
                continue
            if not _compare(rule.rule.value, value, against):
                raise IngestionConfigError(
                    f"{where}.parameterValues: {name}={given[name]} must be {rule.rule.value} "
                    f"{rule.parameterField}={given[rule.parameterField]}"
                )
    if case.columnName is not None:
        columns = {column.name.root: column for column in table.columns}
        column = columns.get(case.columnName)
        if column is None:
            raise IngestionConfigError(
                f"{where}.columnName={case.columnName!r}: table {table.fullyQualifiedName.root} has no such column; "
                f"expected one of {', '.join(sorted(columns))}"
            )
        supported = {t.value for t in definition.supportedDataTypes or []}
        if supported and column.dataType.value not in supported:
            raise IngestionConfigError(
                f"{where}.columnName={case.columnName!r}: {case.testDefinitionName} does not support its type "
                f"{column.dataType.value}; supported: {', '.join(sorted(supported))}"
            )


def check_against_server(metadata, suites, table_fqns: dict[str, str]) -> None:
    """Task-start checks of every case (before any write); see the module docstring.

    Args:
        metadata: an ``OpenMetadata`` client (``metadata.ingestion.ometa.ometa_api``).
        suites: the :class:`TableTests` to run.
        table_fqns: table key of the YAML -> table FQN.

    Raises:
        IngestionConfigError: naming the YAML path and the field.
    """
    from metadata.data_quality.api.models import TestCaseDefinition
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.tests.testDefinition import TestDefinition
    from pydantic import ValidationError

    definitions = {}
    for suite in suites:
        fqn = table_fqns[suite.table]
        table = metadata.get_by_name(entity=Table, fqn=fqn, fields=["columns"])
        if table is None:
            raise IngestionConfigError(
                f"tables.{suite.table}: table {fqn} is not in OpenMetadata; run the metadata harvest first"
            )
        for index, case in enumerate(suite.cases):
            where = f"tables.{suite.table}[{index}]"
            try:
                TestCaseDefinition.model_validate(case.as_definition())
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
                raise IngestionConfigError(f"{where}: {problems}") from None
            name = case.testDefinitionName
            if name not in definitions:
                definitions[name] = metadata.get_by_name(entity=TestDefinition, fqn=name)
            if definitions[name] is None:
                raise IngestionConfigError(
                    f"{where}.testDefinitionName={name!r}: the OpenMetadata server has no such test definition"
                )
            check_case_with_definition(where, case, definitions[name], table)

"""Test definitions, basic test suites, test cases and test case results (``/dataQuality/...``).

Mirrors open-metadata/OpenMetadata 2.0 (``openmetadata-service/src/main/java/org/openmetadata/
service/``; TestCaseRepository read in its 2.x form, TestSuiteResource with ``/basic`` and the
deprecated ``/executable``):

- Test definitions are seeded like a fresh server seeds them (``EntityRepository
  .initSeedDataFromResources`` over ``json/data/tests/*.json``; the definitions and their
  provenance are in :mod:`.seeded_test_definitions`), here on first use of a ``dataQuality``
  route so that other suites see an empty store. GET by id, by name and list.
- ``TestSuiteResource.createOrUpdateExecutable`` / ``createOrUpdateBasic`` (``PUT
  /dataQuality/testSuites/executable|basic``): ``CreateTestSuite`` whose
  ``basicEntityReference`` names an existing table (404 otherwise); ``basic = true``; the FQN
  is ``<table FQN>.testSuite`` (``TestSuiteRepository.setFullyQualifiedName``; the client
  builds the same, ``fqn.build(TestSuite)``). One basic suite per table.
- ``TestCaseRepository.prepare`` (``PUT``/``POST /dataQuality/testCases``): the entity link
  must parse and name an existing table (404) and, for a column link, an existing column
  (``validateColumn``: 400 ``Invalid column name X``); the test definition must exist
  (404 ``testDefinition instance for X not found``) and be enabled for a new case;
  ``validateTestParameters``: a parameter the definition does not define is 400 ``Parameter
  'x' is not defined in the test definition. Defined parameters are: [...]``, a missing
  required one 400 ``Required parameter x is not passed in parameterValues``, a violated
  ``validationRule`` (``compareAndValidateParameterRule``) 400 ``Value a  is not less than
  b``; parameter values on a definition without parameters 400 ``Parameter Values doesn't
  match Test Definition Parameters``; ``validateColumnTestCase``: a COLUMN definition needs a
  ``::columns::<name>`` link (400). The basic suite of the table is created when missing
  (``getOrCreateTestSuite``). FQN ``<link's field FQN>.<quoted name>``
  (``setFullyQualifiedName``). ``testSuite``, ``testSuites``, ``testDefinition`` and
  ``testCaseResult`` are relationships, not stored JSON (``getFieldsStrippedFromStorageJson``):
  a GET shows them only with ``fields`` (``clearFields``).
- ``POST /dataQuality/testCases/testCaseResults/{fqn}`` (``TestCaseResultRepository
  .addTestCaseResult``): the test case must exist and not be deleted (404); the timestamp must
  be milliseconds (``RestUtil.validateTimestampMilliseconds``); each result is INSERTED as a
  new row of the test case's time series (a history, never a replacement). Incidents (the
  ``testCaseResolutionStatus`` a failed result opens) are not modelled: ``incidentId`` is left
  unset. ``GET .../testCaseResults/{fqn}?startTs&endTs`` lists them newest first.
- ``PATCH /dataQuality/testCases/{id}`` (what ``forceUpdate`` sends when a YAML parameter
  changed) re-runs the create checks on the patched case.
"""

from __future__ import annotations

import copy
import threading
import uuid
from functools import cache

from tests.openmetadata_standin import timeseries as ts
from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.entity_writes import write_entity
from tests.openmetadata_standin.errors import ApiError, validated
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.store import API, check_include
from tests.openmetadata_standin.views import COMMON_ON_REQUEST, page, requested_fields

_seed_lock = threading.Lock()
# Relationship fields of a test case (TestCaseRepository.getFieldsStrippedFromStorageJson).
TEST_CASE_RELATIONS = ("testSuite", "testSuites", "testDefinition", "testCaseResult")


@cache
def _validated_definitions() -> tuple[dict, ...]:
    """The seed definitions as stored entities, validated once per process."""
    from metadata.generated.schema.tests.testDefinition import TestDefinition

    from tests.openmetadata_standin.seeded_test_definitions import TEST_DEFINITIONS

    entities = []
    for seed in TEST_DEFINITIONS:
        entity_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"openmetadata-seed/testDefinition/{seed['name']}"))
        entity = {
            "provider": "system",
            **copy.deepcopy(seed),
            "id": entity_id,
            "fullyQualifiedName": seed["name"],
            "version": 0.1,
            "updatedAt": 0,
            "updatedBy": "admin",
            "deleted": False,
        }
        TestDefinition.model_validate(entity)
        entities.append(entity)
    return tuple(entities)


def ensure_seeded(server) -> None:
    """Seed the test definitions into ``server``'s store once (a fresh server has them)."""
    store = server.store
    if store.fqn_index["testDefinition"]:
        return
    with _seed_lock:
        if store.fqn_index["testDefinition"]:
            return
        for seed in _validated_definitions():
            entity = {**copy.deepcopy(seed), "href": f"{store.base_url}{API}/dataQuality/testDefinitions/{seed['id']}"}
            store.by_id["testDefinition"][entity["id"]] = entity
            store.fqn_index["testDefinition"][entity["fullyQualifiedName"]] = entity["id"]


def _write(server, type_name: str, entity: dict, user: str) -> tuple[dict, int]:
    return write_entity(server, type_name, entity, user)


# -- test definitions ----------------------------------------------------------------------
def _definition_view(entity: dict, fields: set[str]) -> dict:
    return {k: copy.deepcopy(v) for k, v in entity.items() if k not in COMMON_ON_REQUEST or k in fields}


def _by_id_or_fqn(server, type_name: str, call: Call) -> dict:
    """The entity of a ``/{id}`` or ``/name/{fqn}`` route, honouring ``include``."""
    include = check_include(call.query.get("include"))
    if "fqn" in call.groups:
        return server.store.get_by_fqn(type_name, call.groups["fqn"], include)
    return server.store.get_by_id(type_name, call.groups["id"], include)


def get_definition(server, call: Call):
    ensure_seeded(server)
    kind = KINDS["testDefinition"]
    fields = requested_fields(kind, call.query.get("fields"))
    entity = _by_id_or_fqn(server, "testDefinition", call)
    return 200, _definition_view(entity, fields)


def list_definitions(server, call: Call):
    ensure_seeded(server)
    kind = KINDS["testDefinition"]
    query = call.query
    fields = requested_fields(kind, query.get("fields"))
    items = server.store.list(kind, {}, check_include(query.get("include")))
    if query.get("entityType"):
        items = [d for d in items if d.get("entityType") == query["entityType"]]
    if query.get("testPlatform"):
        items = [d for d in items if query["testPlatform"] in d.get("testPlatforms", [])]
    return 200, page(items, query, lambda d: _definition_view(d, fields))


# -- test suites -----------------------------------------------------------------------------
def _basic_suite(server, table: dict, user: str, request: dict | None = None) -> dict:
    """The basic (executable) suite of ``table``, created when missing."""
    fqn = f"{table['fullyQualifiedName']}.testSuite"
    existing_id = server.store.fqn_index["testSuite"].get(fqn)
    if existing_id and request is None:
        return server.store.by_id["testSuite"][existing_id]
    request = request or {"name": fqn}
    entity = {k: v for k, v in request.items() if k not in ("basicEntityReference", "executableEntityReference")}
    entity.update(
        name=request.get("name", fqn),
        fullyQualifiedName=fqn,
        basic=True,
        executable=True,
        basicEntityReference=server.store.reference("table", table),
        executableEntityReference=server.store.reference("table", table),
    )
    return _write(server, "testSuite", entity, user)[0]


def put_basic_suite(server, call: Call):
    from metadata.generated.schema.api.tests.createTestSuite import CreateTestSuiteRequest

    request = validated(CreateTestSuiteRequest, call.body, "CreateTestSuite")
    data = request.model_dump(mode="json", exclude_none=True, by_alias=True)
    reference = data.get("basicEntityReference") or data.get("executableEntityReference")
    if not reference:
        raise ApiError(400, "basicEntityReference must not be null for a basic test suite")
    table = server.store.get_by_fqn("table", reference)
    fqn = f"{table['fullyQualifiedName']}.testSuite"
    status = 200 if fqn in server.store.fqn_index["testSuite"] else 201
    return status, _suite_view(server, _basic_suite(server, table, call.user, data), set())


def _suite_view(server, suite: dict, fields: set[str]) -> dict:
    answer = {k: copy.deepcopy(v) for k, v in suite.items() if k not in COMMON_ON_REQUEST or k in fields}
    if "tests" in fields:
        answer["tests"] = [
            server.store.reference("testCase", case)
            for case in server.store.by_id["testCase"].values()
            if (case.get("testSuite") or {}).get("id") == suite["id"] and not case.get("deleted")
        ]
    if "summary" in fields or "testCaseResultSummary" in fields:
        answer["summary"] = _suite_summary(server, suite)
    return answer


def _suite_summary(server, suite: dict) -> dict:
    counts = {"Success": 0, "Failed": 0, "Aborted": 0, "Queued": 0}
    total = 0
    for case in list(server.store.by_id["testCase"].values()):
        if (case.get("testSuite") or {}).get("id") != suite["id"] or case.get("deleted"):
            continue
        total += 1
        latest = server.extensions.latest(case["fullyQualifiedName"], ts.TEST_CASE_RESULT)
        if latest and latest.get("testCaseStatus") in counts:
            counts[latest["testCaseStatus"]] += 1
    return {
        "success": counts["Success"],
        "failed": counts["Failed"],
        "aborted": counts["Aborted"],
        "queued": counts["Queued"],
        "total": total,
    }


def get_suite(server, call: Call):
    kind = KINDS["testSuite"]
    fields = requested_fields(kind, call.query.get("fields"))
    suite = _by_id_or_fqn(server, "testSuite", call)
    return 200, _suite_view(server, suite, fields)


def list_suites(server, call: Call):
    kind = KINDS["testSuite"]
    fields = requested_fields(kind, call.query.get("fields"))
    items = server.store.list(kind, {}, check_include(call.query.get("include")))
    return 200, page(items, call.query, lambda suite: _suite_view(server, suite, fields))


# -- test cases -----------------------------------------------------------------------------
def _parse_link(link: str) -> list[str]:
    from metadata.utils import entity_link

    try:
        return entity_link.split(link)
    except Exception:  # noqa: BLE001 - the ANTLR parser raises its own errors: one 400
        raise ApiError(400, f"Invalid entity link {link}") from None


def _check_parameters(definition: dict, values: list[dict] | None) -> None:
    """``TestCaseRepository.validateTestParameters`` (+ ``validateParameterRule``)."""
    if values is None:
        return
    parameters = definition.get("parameterDefinition") or []
    if not parameters and values:
        raise ApiError(400, "Parameter Values doesn't match Test Definition Parameters")
    if "GreatExpectations" in definition.get("testPlatforms", []) or definition["name"] == "tableDiff":
        return
    defined = {p["name"] for p in parameters}
    given = {}
    for value in values:
        if value.get("name") not in defined:
            raise ApiError(
                400,
                f"Parameter '{value.get('name')}' is not defined in the test definition. "
                f"Defined parameters are: [{', '.join(sorted(defined))}]",
            )
        given[value["name"]] = value.get("value")
    for parameter in parameters:
        if parameter.get("required") and given.get(parameter["name"]) is None:
            raise ApiError(400, f"Required parameter {parameter['name']} is not passed in parameterValues")
        rule = parameter.get("validationRule")
        if rule and given.get(parameter["name"]) is not None and given.get(rule["parameterField"]) is not None:
            _compare(str(given[parameter["name"]]), str(given[rule["parameterField"]]), rule["rule"])


def _compare(value: str, against: str, rule: str) -> None:
    """``compareAndValidateParameterRule``; non-numbers are skipped (the server logs a warning)."""
    try:
        a, b = float(value), float(against)
    except ValueError:
        return
    # String.format("Value %s %s %s", double, " is not ... than ", double): Java prints doubles as 5.0.
    if rule == "GREATER_THAN_OR_EQUALS" and a < b:
        raise ApiError(400, f"Value {a}  is not greater than  {b}")
    if rule == "LESS_THAN_OR_EQUALS" and a > b:
        raise ApiError(400, f"Value {a}  is not less than  {b}")
    if rule == "EQUALS" and abs(a - b) > 0.0001:
        raise ApiError(400, f"Value {a}  is not equal to  {b}")
    if rule == "NOT_EQUALS" and abs(a - b) < 0.0001:
        raise ApiError(400, f"Value {a}  is equal to  {b}")


def _columns(table: dict) -> set[str]:
    return {column["name"] for column in table.get("columns", [])}


def create_test_case(server, call: Call):
    from metadata.generated.schema.api.tests.createTestCase import CreateTestCaseRequest
    from metadata.utils import fqn as fqn_utils

    ensure_seeded(server)
    request = validated(CreateTestCaseRequest, call.body, "CreateTestCase")
    data = request.model_dump(mode="json", exclude_none=True, by_alias=True)
    parts = _parse_link(data["entityLink"])
    if len(parts) < 2 or parts[0] != "table":
        raise ApiError(400, f"Invalid entity link {data['entityLink']}: test cases apply to tables")
    table = server.store.get_by_fqn("table", parts[1], "all")  # Entity.getEntity(entityLink, ..., ALL)
    definition = server.store.get_by_fqn("testDefinition", data["testDefinition"])
    field_fqn = table["fullyQualifiedName"]
    if definition.get("entityType") == "COLUMN":
        if len(parts) < 3:
            raise ApiError(
                400,
                "Column test case must have a field name and an array field name in the entity link. "
                "e.g. <#E::table::{entityFqn}::columns::{columnName}>",
            )
        if parts[2] != "columns":
            raise ApiError(
                400,
                f"Invalid field name '{parts[2]}' for column test case. It should be 'columns'. "
                "e.g. <#E::table::{entityFqn}::columns::{columnName}>",
            )
    if len(parts) >= 4 and parts[2] == "columns":
        if parts[3] not in _columns(table):
            raise ApiError(400, f"Invalid column name {parts[3]}")
        field_fqn = f"{field_fqn}.{fqn_utils.quote_name(parts[3])}"
    for column in data.get("dimensionColumns") or []:
        if column not in _columns(table):
            raise ApiError(400, f"Invalid column name {column}")
    case_fqn = f"{field_fqn}.{fqn_utils.quote_name(data['name'])}"
    existing_id = server.store.fqn_index["testCase"].get(case_fqn)
    if existing_id is None and definition.get("enabled") is False:
        raise ApiError(
            400, f"Test definition '{definition['name']}' is disabled and cannot be used to create test cases"
        )
    _check_parameters(definition, data.get("parameterValues"))
    if existing_id and call.method == "POST":
        raise ApiError(409, f"Entity already exists: {case_fqn}")
    suite = _basic_suite(server, table, call.user)  # created only after every check passed
    entity = {
        **{k: v for k, v in data.items() if k != "testDefinition"},
        "fullyQualifiedName": case_fqn,
        "entityFQN": field_fqn,
        "testDefinition": server.store.reference("testDefinition", definition),
        "testSuite": server.store.reference("testSuite", suite),
    }
    stored, status = _write(server, "testCase", entity, call.user)
    return status, _case_view(server, stored, set(TEST_CASE_RELATIONS))


def patch_test_case(server, call: Call):
    """``PATCH /dataQuality/testCases/{id}`` (``EntityRepository.patch`` -> ``TestCaseRepository.prepare``
    on the result): the patched case must still name an existing definition and column, with
    valid parameters (the same checks as a create); relationships cannot be patched away."""
    import jsonpatch

    case = server.store.get_by_id("testCase", call.groups["id"])
    if not isinstance(call.body, list):
        raise ApiError(400, "JSON Patch body must be an array of operations")
    try:
        patched = jsonpatch.apply_patch(case, call.body)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise ApiError(400, f"Invalid JSON Patch: {exc}") from None
    for name in ("id", "fullyQualifiedName", "href", "version", "updatedAt", "updatedBy", "testSuite", "entityFQN"):
        if name in case:
            patched[name] = case[name]
    definition = server.store.get_by_id("testDefinition", patched["testDefinition"]["id"])
    _check_parameters(definition, patched.get("parameterValues"))
    parts = _parse_link(patched["entityLink"])
    table = server.store.get_by_fqn("table", parts[1], "all")
    if len(parts) >= 4 and parts[3] not in _columns(table):
        raise ApiError(400, f"Invalid column name {parts[3]}")
    stored, _ = _write(server, "testCase", patched, call.user)
    return 200, _case_view(server, stored, {"testSuite", "testDefinition"})


def _case_view(server, case: dict, fields: set[str]) -> dict:
    answer = {k: copy.deepcopy(v) for k, v in case.items() if k not in COMMON_ON_REQUEST or k in fields}
    for name in TEST_CASE_RELATIONS:
        if name not in fields:
            answer.pop(name, None)
    if "testSuites" in fields:  # every suite holding the case (here: its basic suite), as entities
        suite = server.store.by_id["testSuite"].get(case["testSuite"]["id"])
        answer["testSuites"] = [_suite_view(server, suite, set())] if suite else []
    if "testCaseResult" in fields:
        latest = server.extensions.latest(case["fullyQualifiedName"], ts.TEST_CASE_RESULT)
        if latest:
            answer["testCaseResult"] = latest
            answer["testCaseStatus"] = latest.get("testCaseStatus")
    return answer


def get_test_case(server, call: Call):
    kind = KINDS["testCase"]
    fields = requested_fields(kind, call.query.get("fields"))
    case = _by_id_or_fqn(server, "testCase", call)
    return 200, _case_view(server, case, fields)


def list_test_cases(server, call: Call):
    """``GET /dataQuality/testCases`` with ``testSuiteId``/``entityLink``/``entityFQN`` filters."""
    kind = KINDS["testCase"]
    query = call.query
    fields = requested_fields(kind, query.get("fields"))
    items = server.store.list(kind, {}, check_include(query.get("include")))
    if query.get("testSuiteId"):
        server.store.get_by_id("testSuite", query["testSuiteId"], "all")
        items = [c for c in items if c["testSuite"]["id"] == query["testSuiteId"]]
    if query.get("entityLink"):
        items = [c for c in items if c["entityLink"] == query["entityLink"]]
    if query.get("entityFQN"):
        items = [c for c in items if c.get("entityFQN", "").startswith(query["entityFQN"])]
    return 200, page(items, query, lambda case: _case_view(server, case, fields))


# -- test case results ------------------------------------------------------------------------
def add_result(server, call: Call):
    from metadata.generated.schema.api.tests.createTestCaseResult import CreateTestCaseResult
    from metadata.generated.schema.tests.basic import TestCaseResult

    case = server.store.get_by_fqn("testCase", call.groups["fqn"])
    request = validated(CreateTestCaseResult, call.body, "CreateTestCaseResult")
    data = request.model_dump(mode="json", exclude_none=True, by_alias=True)
    ts.check_timestamp_ms(data.get("timestamp"))
    result = {k: v for k, v in data.items() if k in TestCaseResult.model_fields}
    result.update(id=str(uuid.uuid4()), testCaseFQN=case["fullyQualifiedName"])
    TestCaseResult.model_validate(result)
    server.extensions.insert(case["fullyQualifiedName"], ts.TEST_CASE_RESULT, result)
    return 200, result


def list_results(server, call: Call):
    from metadata.generated.schema.tests.basic import TestCaseResult

    case = server.store.get_by_fqn("testCase", call.groups["fqn"], "all")
    start, end = ts.time_range(call.query)
    rows = server.extensions.between(case["fullyQualifiedName"], ts.TEST_CASE_RESULT, start, end)
    for row in rows:
        TestCaseResult.model_validate(row)
    return 200, ts.result_list(rows, start, end)


def put_failed_rows_sample(server, call: Call):
    """``PUT /dataQuality/testCases/{id}/failedRowsSample`` (``TestCaseResource.addFailedRowsData``):
    only for a test case whose latest result failed; with ``validate`` (default) the columns
    must be the table's."""
    from metadata.generated.schema.entity.data.table import TableData

    case = server.store.get_by_id("testCase", call.groups["id"])
    sample = validated(TableData, call.body, "TableData").model_dump(mode="json", exclude_none=True)
    latest = server.extensions.latest(case["fullyQualifiedName"], ts.TEST_CASE_RESULT)
    if latest is None or latest.get("testCaseStatus") != "Failed":  # TestCaseResource.addFailedRowsData
        raise ApiError(400, "Failed rows can only be added to a failed test case.")
    table = server.store.get_by_fqn("table", _parse_link(case["entityLink"])[1], "all")
    if call.query.get("validate", "true") != "false":  # addFailedRowsSample(..., validate)
        for name in sample.get("columns", []):
            if name not in _columns(table):
                raise ApiError(400, f"Invalid column name {name}")
    server.extensions.put_value(case["id"], "testCase.failedRowsSample", sample)
    return 200, {**_case_view(server, case, set()), "failedRowsSample": sample}


def put_inspection_query(server, call: Call):
    """``PUT /dataQuality/testCases/{id}/inspectionQuery`` (``TestCaseRepository.addInspectionQuery``):
    the body is the SQL text; it is stored on the test case."""
    case = server.store.get_by_id("testCase", call.groups["id"])
    if not isinstance(call.body, str) or not call.body.strip():
        raise ApiError(400, "inspectionQuery must be a non-empty SQL string")
    stored, _ = _write(server, "testCase", {**case, "inspectionQuery": call.body}, call.user)
    return 200, _case_view(server, stored, {"testSuite", "testDefinition"})


def get_failed_rows_sample(server, call: Call):
    case = server.store.get_by_id("testCase", call.groups["id"])
    sample = server.extensions.get_value(case["id"], "testCase.failedRowsSample")
    if sample is None:
        raise ApiError(404, f"testCase.failedRowsSample instance for {case['id']} not found")
    return 200, sample


_ID = r"(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
_DQ = "dataQuality"

ROUTES = [
    Route("GET", rf"{_DQ}/testDefinitions", list_definitions),
    Route("GET", rf"{_DQ}/testDefinitions/name/(?P<fqn>.+)", get_definition),
    Route("GET", rf"{_DQ}/testDefinitions/{_ID}", get_definition),
    Route("PUT", rf"{_DQ}/testSuites/(?:executable|basic)", put_basic_suite),
    Route("GET", rf"{_DQ}/testSuites", list_suites),
    Route("GET", rf"{_DQ}/testSuites/name/(?P<fqn>.+)", get_suite),
    Route("GET", rf"{_DQ}/testSuites/{_ID}", get_suite),
    Route("POST", rf"{_DQ}/testCases/testCaseResults/(?P<fqn>.+)", add_result),
    Route("GET", rf"{_DQ}/testCases/testCaseResults/(?P<fqn>.+)", list_results),
    Route("PUT", rf"{_DQ}/testCases", create_test_case),
    Route("POST", rf"{_DQ}/testCases", create_test_case),
    Route("GET", rf"{_DQ}/testCases", list_test_cases),
    Route("PUT", rf"{_DQ}/testCases/{_ID}/failedRowsSample", put_failed_rows_sample),
    Route("GET", rf"{_DQ}/testCases/{_ID}/failedRowsSample", get_failed_rows_sample),
    Route("PUT", rf"{_DQ}/testCases/{_ID}/inspectionQuery", put_inspection_query),
    Route("PATCH", rf"{_DQ}/testCases/{_ID}", patch_test_case),
    Route("GET", rf"{_DQ}/testCases/name/(?P<fqn>.+)", get_test_case),
    Route("GET", rf"{_DQ}/testCases/{_ID}", get_test_case),
]

"""The stand-in's new endpoints refuse what the server refuses (citations in each module)."""

from __future__ import annotations

import time

import pytest

TABLE = "svc.db.public.orders"


@pytest.fixture
def server(openmetadata):
    from tests.openmetadata_standin.seed import create_tables

    create_tables(openmetadata, {TABLE: ["id", "amount"], "svc.db.public.items": ["id", "order_id"]})
    return openmetadata


def _table(server, fqn=TABLE):
    return server.store.get_by_fqn("table", fqn)


def _profile(ts=None, column="id"):
    ts = ts or int(time.time() * 1000)
    return {
        "tableProfile": {"timestamp": ts, "rowCount": 3, "columnCount": 2},
        "columnProfile": [{"name": column, "timestamp": ts, "nullCount": 0}],
    }


def test_table_profiles(server):
    table = _table(server)
    assert server.call("GET", "/system/settings/profilerConfiguration")[0] == 204
    status, answer = server.call("PUT", f"/tables/{table['id']}/tableProfile", _profile(column="nope"))
    assert (status, answer["message"]) == (400, "Invalid column name nope")
    status, answer = server.call("PUT", f"/tables/{table['id']}/tableProfile", _profile(ts=1_700_000_000))
    assert status == 400 and "should be in milliseconds" in answer["message"]
    assert server.extensions.all_rows("table.tableProfile") == {}  # a refused request stores nothing
    status, answer = server.call("PUT", f"/tables/{table['id']}/tableProfile", _profile())
    assert status == 200 and answer["profile"]["rowCount"] == 3
    status, latest = server.call("GET", f"/tables/{TABLE}/tableProfile/latest")
    assert latest["profile"]["rowCount"] == 3 and latest["columns"][0]["profile"]["nullCount"] == 0
    status, listed = server.call("GET", f"/tables/{TABLE}.id/columnProfile", query={"startTs": 0, "endTs": 2**62})
    assert status == 200 and listed["paging"]["total"] == 1
    assert server.call("GET", f"/tables/{TABLE}/tableProfile")[0] == 400  # startTs/endTs are required


def test_test_cases_follow_the_definitions(server):
    link = f"<#E::table::{TABLE}::columns::amount>"
    case = {"name": "amount_between", "testDefinition": "columnValuesToBeBetween", "entityLink": link}
    cases = [
        ({**case, "testDefinition": "nope"}, 404, "testDefinition instance for nope not found"),
        ({**case, "parameterValues": [{"name": "min", "value": "1"}]}, 400, "Parameter 'min' is not defined"),
        ({**case, "entityLink": f"<#E::table::{TABLE}>"}, 400, "Column test case must have a field name"),
        ({**case, "entityLink": f"<#E::table::{TABLE}::columns::x>"}, 400, "Invalid column name x"),
        ({**case, "entityLink": "<#E::table::svc.db.public.none::columns::x>"}, 404, "not found"),
        (
            {
                **case,
                "testDefinition": "tableRowCountToBeBetween",
                "entityLink": f"<#E::table::{TABLE}>",
                "parameterValues": [{"name": "minValue", "value": "5"}, {"name": "maxValue", "value": "1"}],
            },
            400,
            "Value 5.0  is not less than  1.0",
        ),
        (
            {**case, "testDefinition": "columnValuesToBeInSet"},
            400,
            "Required parameter allowedValues is not passed in parameterValues",
        ),
    ]
    for body, status, message in cases:
        got, answer = server.call(
            "PUT", "/dataQuality/testCases", body if "parameterValues" in body else {**body, "parameterValues": []}
        )
        assert (got, message in answer["message"]) == (status, True), (body, answer)
    assert server.entities("testCase") == [] and server.entities("testSuite") == []  # nothing half-written
    status, created = server.call("PUT", "/dataQuality/testCases", case)
    assert status == 201 and created["fullyQualifiedName"] == f"{TABLE}.amount.amount_between"
    assert created["testSuite"]["fullyQualifiedName"] == f"{TABLE}.testSuite"
    assert server.call("PUT", "/dataQuality/testCases", case)[0] == 200  # same case: an update, no duplicate
    assert len(server.entities("testCase")) == 1
    fqn = created["fullyQualifiedName"]
    result = {"timestamp": int(time.time() * 1000), "testCaseStatus": "Success", "result": "ok", "testResultValue": []}
    assert server.call("POST", f"/dataQuality/testCases/testCaseResults/{fqn}", {**result, "timestamp": 12})[0] == 400
    assert (
        server.call(
            "PUT", f"/dataQuality/testCases/{created['id']}/failedRowsSample", {"columns": ["amount"], "rows": [[1]]}
        )[0]
        == 400
    )
    for _ in range(2):
        assert server.call("POST", f"/dataQuality/testCases/testCaseResults/{fqn}", result)[0] == 200
    status, history = server.call(
        "GET", f"/dataQuality/testCases/testCaseResults/{fqn}", query={"startTs": 0, "endTs": 2**62}
    )
    assert len(history["data"]) == 2  # results are a history


def test_lineage_by_name_queries_joins_and_search(server):
    from tests.openmetadata_standin.queries import checksum

    path = f"/lineage/table/name/{TABLE}/table/name/svc.db.public.items"
    assert server.call("GET", f"/lineage/getLineageEdge/table/name/{TABLE}/table/name/svc.db.public.items")[0] == 404
    assert server.call("PUT", f"/lineage/table/name/{TABLE}/table/name/svc.db.public.none", {})[0] == 404
    details = {
        "columnsLineage": [
            {"fromColumns": [f"{TABLE}.id"], "toColumn": "svc.db.public.items.order_id"},
            {"fromColumns": [f"{TABLE}.x"], "toColumn": "svc.db.public.items.order_id"},
        ]
    }
    assert server.call("PUT", path, details)[0] == 200
    status, edge = server.call("GET", f"/lineage/getLineageEdge/table/name/{TABLE}/table/name/svc.db.public.items")
    assert status == 200 and edge["edge"]["columnsLineage"] == [details["columnsLineage"][0]]  # unknown column dropped

    sql = "SELECT * FROM orders"
    status, query = server.call("PUT", "/queries", {"query": sql, "service": "svc", "dialect": "postgres"})
    assert status == 201 and query["fullyQualifiedName"] == f"svc.{checksum(sql)}" and "dialect" not in query
    assert server.call("PUT", "/queries", {"query": sql, "service": "nope"})[0] == 404
    hits = server.call(
        "GET",
        "/search/fieldQuery",
        query={"index": "table_search_index", "fieldName": "fullyQualifiedName", "fieldValue": "svc.db.*.orders"},
    )[1]
    assert [h["_source"]["fullyQualifiedName"] for h in hits["hits"]["hits"]] == [TABLE]

    table = _table(server)
    joins = {"startDate": "2001-01-01", "dayCount": 1, "columnJoins": [], "directTableJoins": []}
    status, answer = server.call("PUT", f"/tables/{table['id']}/joins", joins)
    assert (status, answer["message"]) == (400, "Date range can only include past 30 days starting today")
    today = time.strftime("%Y-%m-%d")
    bad_column = {**joins, "startDate": today, "columnJoins": [{"columnName": "nope", "joinedWith": []}]}
    assert server.call("PUT", f"/tables/{table['id']}/joins", bad_column)[1]["message"] == "Invalid column name nope"


def test_a_patched_test_case_is_checked_like_a_new_one(server):
    link = f"<#E::table::{TABLE}>"
    body = {
        "name": "rows",
        "testDefinition": "tableRowCountToBeBetween",
        "entityLink": link,
        "parameterValues": [{"name": "minValue", "value": "1"}],
    }
    status, case = server.call("PUT", "/dataQuality/testCases", body)
    assert status == 201
    bad = [{"op": "add", "path": "/parameterValues/0/name", "value": "minValu"}]
    status, answer = server.call("PATCH", f"/dataQuality/testCases/{case['id']}", bad)
    assert status == 400 and "Parameter 'minValu' is not defined" in answer["message"]
    good = [{"op": "replace", "path": "/parameterValues/0/value", "value": "2"}]
    status, answer = server.call("PATCH", f"/dataQuality/testCases/{case['id']}", good)
    assert status == 200 and answer["parameterValues"] == [{"name": "minValue", "value": "2"}]
    assert answer["version"] == 0.2

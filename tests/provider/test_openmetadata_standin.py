"""The stand-in rejects what the real server rejects, and answers in the server's shape."""

from __future__ import annotations

import pytest
import requests


@pytest.fixture
def api(openmetadata):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {openmetadata.token}"
    base = openmetadata.host_port + "/v1"

    def call(method, path, body=None):
        return session.request(method, base + path, json=body, timeout=10)

    call("PUT", "/services/databaseServices", {"name": "svc", "serviceType": "Postgres"})
    call("PUT", "/databases", {"name": "db", "service": "svc"})
    call("PUT", "/databaseSchemas", {"name": "sch", "database": "svc.db"})
    return call


TABLE = {"name": "t1", "databaseSchema": "svc.db.sch", "columns": [{"name": "id", "dataType": "INT"}]}


def test_entity_answers_in_the_server_shape(api):
    from metadata.generated.schema.entity.data.table import Table

    created = api("PUT", "/tables", TABLE)
    assert created.status_code == 201
    table = Table.model_validate(created.json())
    assert table.fullyQualifiedName.root == "svc.db.sch.t1"
    assert table.service.name == "svc" and table.database.name == "db"
    assert table.columns[0].fullyQualifiedName.root == "svc.db.sch.t1.id"
    assert table.version.root == 0.1
    again = api("PUT", "/tables", TABLE)
    assert again.status_code == 200 and again.json()["version"] == 0.1  # no change, no new version
    changed = api("PUT", "/tables", {**TABLE, "description": "now described"})
    assert changed.json()["version"] == 0.2 and changed.json()["id"] == created.json()["id"]
    assert api("GET", "/tables/name/svc.db.sch.t1").json()["description"] == "now described"


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({**TABLE, "unknownField": 1}, 400, "unknownField"),
        ({"name": "t1", "databaseSchema": "svc.db.sch"}, 400, "columns"),
        ({**TABLE, "databaseSchema": "svc.db.nope"}, 404, "databaseSchema instance for svc.db.nope not found"),
        (
            {
                **TABLE,
                "tags": [
                    {
                        "tagFQN": "PII.Sensitive",
                        "source": "Classification",
                        "labelType": "Automated",
                        "state": "Confirmed",
                    }
                ],
            },
            404,
            "PII.Sensitive",
        ),
        (
            {
                **TABLE,
                "tableConstraints": [
                    {"constraintType": "FOREIGN_KEY", "columns": ["id"], "referredColumns": ["svc.db.sch.missing.id"]}
                ],
            },
            400,
            "Table not found",
        ),
    ],
)
def test_rejects_what_the_server_rejects(api, openmetadata, body, status, fragment):
    response = api("PUT", "/tables", body)
    assert response.status_code == status
    assert fragment in response.json()["message"]
    assert openmetadata.entities("table") == []


def test_bulk_rejects_the_whole_batch_on_one_invalid_body(api, openmetadata):
    response = api("PUT", "/tables/bulk", [TABLE, {**TABLE, "name": "t2", "bogus": True}])
    assert response.status_code == 400
    assert openmetadata.entities("table") == []
    ok = api("PUT", "/tables/bulk", [TABLE, {**TABLE, "name": "t2", "databaseSchema": "svc.db.nope"}])
    assert ok.json()["numberOfRowsPassed"] == 1 and ok.json()["numberOfRowsFailed"] == 1
    assert [t["name"] for t in openmetadata.entities("table")] == ["t1"]


def test_authentication_and_unsupported_calls(openmetadata):
    assert requests.get(openmetadata.host_port + "/v1/system/version", timeout=5).status_code == 200
    assert requests.get(openmetadata.host_port + "/v1/tables", timeout=5).status_code == 401
    response = requests.get(
        openmetadata.host_port + "/v1/topics", timeout=5, headers={"Authorization": f"Bearer {openmetadata.token}"}
    )
    assert response.status_code == 501
    assert openmetadata.unsupported == ["GET /api/v1/topics"]


def test_patch_is_json_patch_and_keeps_identity(api):
    table = api("PUT", "/tables", TABLE).json()
    patched = api(
        "PATCH",
        f"/tables/{table['id']}",
        [
            {"op": "add", "path": "/description", "value": "patched"},
            {"op": "replace", "path": "/fullyQualifiedName", "value": "hijack"},
        ],
    )
    assert patched.status_code == 200
    assert patched.json()["description"] == "patched"
    assert patched.json()["fullyQualifiedName"] == "svc.db.sch.t1"
    assert patched.json()["version"] == 0.2
    assert api("PATCH", f"/tables/{table['id']}", {"op": "add"}).status_code == 400


def test_post_creates_once_then_conflicts(api, openmetadata):
    assert api("POST", "/tables", TABLE).status_code == 201
    again = api("POST", "/tables", TABLE)
    assert again.status_code == 409 and "svc.db.sch.t1" in again.json()["message"]
    assert [t["version"] for t in openmetadata.entities("table")] == [0.1]


# -- the server's update rules (citations in tests/openmetadata_standin/update_rules.py, views.py) --


@pytest.fixture
def admin(openmetadata):
    """Calls as a human administrator (not a bot), on the same stand-in as ``api``."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {openmetadata.admin_token}"
    base = openmetadata.host_port + "/v1"
    return lambda method, path, body=None: session.request(method, base + path, json=body, timeout=10)


def _tag(openmetadata, classification: str, name: str) -> dict:
    assert openmetadata.call("PUT", "/classifications", {"name": classification, "description": "c"})[0] in (200, 201)
    assert openmetadata.call("PUT", "/tags", {"name": name, "classification": classification, "description": "t"})[
        0
    ] in (200, 201)
    return {
        "tagFQN": f"{classification}.{name}",
        "source": "Classification",
        "labelType": "Manual",
        "state": "Confirmed",
    }


def test_a_bot_put_keeps_a_description_a_human_put_replaces_it(api, admin):
    described = {**TABLE, "description": "curated", "columns": [{"name": "id", "dataType": "INT", "description": "pk"}]}
    assert api("PUT", "/tables", described).status_code == 201
    by_bot = api("PUT", "/tables", {**TABLE, "description": "from the source"}).json()
    assert by_bot["description"] == "curated" and by_bot["columns"][0]["description"] == "pk"
    by_human = admin("PUT", "/tables", {**TABLE, "description": "rewritten"}).json()
    assert by_human["description"] == "rewritten"
    assert "description" not in by_human["columns"][0]  # a human's PUT without it deletes it


def test_put_merges_tags_keeps_owners_and_patch_replaces_tags(api, openmetadata):
    from tests.openmetadata_standin.seed import create_user

    first, second = _tag(openmetadata, "Tier", "Tier1"), _tag(openmetadata, "Quality", "Gold")
    user = create_user(openmetadata, "alice")
    created = api("PUT", "/tables", {**TABLE, "tags": [first], "owners": [{"id": user["id"], "type": "user"}]}).json()
    merged = api("PUT", "/tables", {**TABLE, "tags": [second]}).json()
    assert [t["tagFQN"] for t in merged["tags"]] == ["Quality.Gold", "Tier.Tier1"]
    assert [o["name"] for o in merged["owners"]] == ["alice"]  # a PUT without owners keeps them
    assert merged["version"] == round(created["version"] + 0.1, 1)
    patched = api("PATCH", f"/tables/{created['id']}", [{"op": "remove", "path": "/tags/0"}]).json()
    assert [t["tagFQN"] for t in patched["tags"]] == ["Tier.Tier1"]


def test_get_leaves_out_what_fields_does_not_ask_for(api, openmetadata):
    tag = _tag(openmetadata, "Tier", "Tier1")
    column = {"name": "id", "dataType": "INT", "tags": [tag]}
    constraint = {"constraintType": "PRIMARY_KEY", "columns": ["id"]}
    api("PUT", "/tables", {**TABLE, "columns": [column], "tags": [tag], "tableConstraints": [constraint]})
    plain = api("GET", "/tables/name/svc.db.sch.t1").json()
    assert "tags" not in plain and "tableConstraints" not in plain and "tags" not in plain["columns"][0]
    assert plain["columns"][0]["name"] == "id" and plain["service"]["name"] == "svc"
    asked = api("GET", "/tables/name/svc.db.sch.t1?fields=tags,columns,tableConstraints").json()
    assert asked["tags"][0]["tagFQN"] == "Tier.Tier1" and asked["columns"][0]["tags"][0]["tagFQN"] == "Tier.Tier1"
    assert asked["tableConstraints"][0]["constraintType"] == "PRIMARY_KEY"
    bad = api("GET", "/tables/name/svc.db.sch.t1?fields=tags,nonsense")
    assert bad.status_code == 400 and bad.json()["message"] == "Invalid field name nonsense"


def test_soft_deleted_entities_are_404_unless_included_and_a_put_restores_them(api):
    table = api("PUT", "/tables", TABLE).json()
    deleted = api("DELETE", f"/tables/{table['id']}")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert api("GET", "/tables/name/svc.db.sch.t1").status_code == 404
    assert api("GET", f"/tables/{table['id']}").status_code == 404
    assert api("GET", "/tables/name/svc.db.sch.t1?include=deleted").json()["deleted"] is True
    assert api("GET", "/tables/name/svc.db.sch.t1?include=all").status_code == 200
    assert api("GET", "/tables?databaseSchema=svc.db.sch").json()["data"] == []
    assert (
        api("PATCH", f"/tables/{table['id']}", [{"op": "add", "path": "/description", "value": "x"}]).status_code == 404
    )
    restored = api("PUT", "/tables", TABLE).json()
    assert restored["id"] == table["id"] and restored["deleted"] is False
    assert api("GET", "/tables/name/svc.db.sch.t1?include=deleted").status_code == 404
    schema = api("GET", "/databaseSchemas/name/svc.db.sch").json()
    assert api("DELETE", f"/databaseSchemas/{schema['id']}").status_code == 400  # not empty, not recursive
    assert api("DELETE", f"/databaseSchemas/{schema['id']}?recursive=true&hardDelete=true").status_code == 200
    assert api("GET", "/tables/name/svc.db.sch.t1?include=all").status_code == 404


def test_removing_a_column_is_a_major_version(api):
    two = {**TABLE, "columns": [{"name": "id", "dataType": "INT"}, {"name": "x", "dataType": "INT"}]}
    assert api("PUT", "/tables", two).json()["version"] == 0.1
    assert api("PUT", "/tables", TABLE).json()["version"] == 1.1


def test_an_unrecorded_pipeline_field_alone_is_no_change(api):
    api("PUT", "/services/pipelineServices", {"name": "airflow", "serviceType": "Airflow"})
    pipeline = {"name": "p", "service": "airflow", "tasks": [{"name": "t"}]}
    created = api("PUT", "/pipelines", pipeline).json()
    same = api("PUT", "/pipelines", {**pipeline, "scheduleInterval": "0 0 * * *"}).json()
    assert same["version"] == created["version"] and "scheduleInterval" not in same  # PipelineUpdater: no step
    moved = api("PUT", "/pipelines", {**pipeline, "scheduleInterval": "0 0 * * *", "sourceUrl": "http://a/p"}).json()
    assert moved["version"] == 0.2 and moved["scheduleInterval"] == "0 0 * * *"


def test_pipeline_statuses_newest_first(api):
    api("PUT", "/services/pipelineServices", {"name": "airflow", "serviceType": "Airflow"})
    api("PUT", "/pipelines", {"name": "p", "service": "airflow", "tasks": [{"name": "t"}]})
    for ts in (1000, 3000, 2000):
        answer = api("PUT", "/pipelines/airflow.p/status", {"timestamp": ts, "executionStatus": "Successful"})
        assert answer.status_code == 200 and answer.json()["version"] == 0.1  # a status is no new version
    listed = api("GET", "/pipelines/airflow.p/status?startTs=0&endTs=5000").json()
    assert [s["timestamp"] for s in listed["data"]] == [3000, 2000, 1000]
    limited = api("GET", "/pipelines/airflow.p/status?startTs=0&endTs=5000&limit=2").json()
    assert [s["timestamp"] for s in limited["data"]] == [3000, 2000] and limited["paging"]["total"] == 3
    latest = api("GET", "/pipelines/name/airflow.p?fields=pipelineStatus").json()
    assert latest["pipelineStatus"]["timestamp"] == 3000 and "tasks" not in latest
    bad = api(
        "PUT",
        "/pipelines/airflow.p/status",
        {"timestamp": 1, "executionStatus": "Failed", "taskStatus": [{"name": "nope", "executionStatus": "Failed"}]},
    )
    assert bad.status_code == 400 and "Invalid task name nope" in bad.json()["message"]


def test_lineage_drops_unknown_columns_and_replaces_details(api, openmetadata):
    source = api("PUT", "/tables", TABLE).json()
    target = api("PUT", "/tables", {**TABLE, "name": "t2"}).json()
    columns = [
        {"fromColumns": ["svc.db.sch.t1.id"], "toColumn": "svc.db.sch.t2.id"},
        {"fromColumns": ["svc.db.sch.t1.nope"], "toColumn": "svc.db.sch.t2.id"},
        {"fromColumns": ["svc.db.sch.t1.id"], "toColumn": "svc.db.sch.t2.nope"},
    ]
    edge = {"fromEntity": {"id": source["id"], "type": "table"}, "toEntity": {"id": target["id"], "type": "table"}}
    assert api("PUT", "/lineage", {"edge": {**edge, "lineageDetails": {"columnsLineage": columns}}}).status_code == 200
    stored = api("GET", f"/lineage/getLineageEdge/{source['id']}/{target['id']}").json()["edge"]
    assert stored["columnsLineage"] == [columns[0]]
    api("PUT", "/lineage", {"edge": {**edge, "lineageDetails": {"description": "again"}}})
    again = api("GET", f"/lineage/getLineageEdge/{source['id']}/{target['id']}").json()["edge"]
    assert "columnsLineage" not in again and again["createdAt"] >= stored["createdAt"]
    assert api("DELETE", f"/lineage/table/{source['id']}/table/{target['id']}").status_code == 200
    gone = api("DELETE", f"/lineage/table/{source['id']}/table/{target['id']}")
    assert gone.status_code == 404 and gone.json()["message"] == "Lineage edge not found"

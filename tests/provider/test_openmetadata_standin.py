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
        openmetadata.host_port + "/v1/glossaries", timeout=5, headers={"Authorization": f"Bearer {openmetadata.token}"}
    )
    assert response.status_code == 501
    assert openmetadata.unsupported == ["GET /api/v1/glossaries"]


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

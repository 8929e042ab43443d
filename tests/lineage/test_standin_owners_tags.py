"""The stand-in's users, teams, classifications and tags, and its owner / tag-label checks:
it rejects what the real server rejects and answers in the server's shape."""

from __future__ import annotations

import pytest
import requests

LABEL = {"source": "Classification", "labelType": "Automated", "state": "Confirmed"}


@pytest.fixture
def api(openmetadata):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {openmetadata.token}"
    base = openmetadata.host_port + "/v1"

    def call(method, path, body=None):
        return session.request(method, base + path, json=body, timeout=10)

    assert call("PUT", "/services/pipelineServices", {"name": "airflow", "serviceType": "Airflow"}).status_code == 201
    return call


@pytest.fixture
def people(api):
    """A user, a Group team and a Department team (which may not own entities)."""
    user = api("PUT", "/users", {"name": "Jane.Doe", "email": "Jane.Doe@Example.com"}).json()
    group = api("PUT", "/teams", {"name": "data-platform", "teamType": "Group"}).json()
    department = api("PUT", "/teams", {"name": "engineering", "teamType": "Department"}).json()
    return user, group, department


@pytest.fixture
def tags(api):
    assert api("PUT", "/classifications", {"name": "AirflowTags", "description": "DAG tags"}).status_code == 201
    for name in ("etl", "v1.2"):
        assert (
            api(
                "PUT", "/tags", {"name": name, "classification": "AirflowTags", "description": f"tag {name}"}
            ).status_code
            == 201
        )
    assert (
        api("PUT", "/classifications", {"name": "Tier", "description": "tiers", "mutuallyExclusive": True}).status_code
        == 201
    )
    for name in ("Tier1", "Tier2"):
        api("PUT", "/tags", {"name": name, "classification": "Tier", "description": name})


def test_user_is_stored_lower_cased_and_found_by_name_and_id(api, people):
    from metadata.generated.schema.entity.teams.user import User

    user = User.model_validate(people[0])
    assert (user.name.root, user.email.root, user.fullyQualifiedName.root) == (
        "jane.doe",
        "jane.doe@example.com",
        '"jane.doe"',
    )
    by_name = api("GET", "/users/name/jane.doe")  # the server quotes the name itself
    assert by_name.status_code == 200 and by_name.json()["id"] == people[0]["id"]
    assert api("GET", f"/users/{people[0]['id']}").json()["name"] == "jane.doe"
    missing = api("GET", "/users/name/nobody")
    assert missing.status_code == 404 and missing.json()["message"] == "user instance for nobody not found"
    assert api("PUT", "/users", {"name": "no-email"}).status_code == 400  # email is required
    again = api("PUT", "/users", {"name": "JANE.DOE", "email": "jane.doe@example.com"})
    assert again.status_code == 200 and again.json()["id"] == people[0]["id"]


def test_tag_fqn_quotes_dotted_names_and_needs_its_classification(api, tags):
    from metadata.generated.schema.entity.classification.tag import Tag

    tag = Tag.model_validate(api("GET", '/tags/name/AirflowTags."v1.2"').json())
    assert tag.classification.name == "AirflowTags" and tag.name.root == "v1.2"
    assert api("GET", "/classifications/name/AirflowTags").json()["name"] == "AirflowTags"
    orphan = api("PUT", "/tags", {"name": "x", "classification": "Nope", "description": "x"})
    assert orphan.status_code == 404 and "classification instance for Nope not found" in orphan.json()["message"]
    assert api("PUT", "/tags", {"name": "a::b", "classification": "AirflowTags", "description": "x"}).status_code == 400
    assert api("PUT", "/tags", {"name": 'x"y', "classification": "AirflowTags", "description": "x"}).status_code == 400
    assert api("PUT", "/tags", {"name": "x", "description": "x"}).status_code == 400  # no classification/parent


def test_pipeline_owners_and_tags_are_stored_as_the_server_does(api, people, tags):
    from metadata.generated.schema.entity.data.pipeline import Pipeline

    user, group, _ = people
    body = {
        "name": "etl",
        "service": "airflow",
        "owners": [{"id": user["id"], "type": "user"}, {"id": group["id"], "type": "team"}],
        "tags": [{**LABEL, "tagFQN": 'AirflowTags."v1.2"'}, {**LABEL, "tagFQN": "AirflowTags.etl"}],
        "tasks": [{"name": "load", "owners": [{"id": user["id"], "type": "user"}]}],
    }
    created = api("PUT", "/pipelines", body)
    assert created.status_code == 201, created.json()
    pipeline = Pipeline.model_validate(created.json())
    assert [(o.type, o.name) for o in pipeline.owners.root] == [("team", "data-platform"), ("user", "jane.doe")]
    assert pipeline.tasks[0].owners.root[0].fullyQualifiedName == '"jane.doe"'
    labels = {t.tagFQN.root: t for t in pipeline.tags}
    assert set(labels) == {"AirflowTags.etl", 'AirflowTags."v1.2"'}
    assert labels["AirflowTags.etl"].description.root == "tag etl"  # the tag's fields are filled in
    again = api("PUT", "/pipelines", body)
    assert again.status_code == 200 and again.json()["version"] == 0.1  # same owners and tags: no change


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"tags": [{**LABEL, "tagFQN": "AirflowTags.missing"}]}, 404, "tag instance for AirflowTags.missing not found"),
        ({"tags": [{**LABEL, "tagFQN": "PII.Sensitive"}]}, 404, "tag instance for PII.Sensitive not found"),
        ({"tags": [{**LABEL, "tagFQN": "Glossary.Term", "source": "Glossary"}]}, 404, "glossaryTerm instance"),
        ({"tags": [{**LABEL, "tagFQN": "Tier.Tier1"}, {**LABEL, "tagFQN": "Tier.Tier2"}]}, 400, "mutually exclusive"),
        (
            {"owners": [{"id": "00000000-0000-0000-0000-0000000000aa", "type": "user"}]},
            404,
            "user instance for 00000000-0000-0000-0000-0000000000aa not found",
        ),
        ({"owners": [{"id": "<group>", "type": "user"}]}, 404, "user instance for"),  # a team's id as a user
        ({"owners": [{"id": "<department>", "type": "team"}]}, 400, "Only Team of type Group can own"),
        ({"owners": [{"id": "<user>", "type": "table"}]}, 400, "Entity of type table can't be the owner"),
        (
            {"tasks": [{"name": "t", "owners": [{"id": "00000000-0000-0000-0000-0000000000aa", "type": "user"}]}]},
            404,
            "user instance for",
        ),
    ],
)
def test_create_rejects_unknown_owners_and_tags(api, openmetadata, people, tags, change, status, fragment):
    ids = {"<user>": people[0]["id"], "<group>": people[1]["id"], "<department>": people[2]["id"]}
    for owner in change.get("owners", []):
        owner["id"] = ids.get(owner["id"], owner["id"])
    response = api("PUT", "/pipelines", {"name": "etl", "service": "airflow", **change})
    assert response.status_code == status
    assert fragment in response.json()["message"]
    assert openmetadata.entities("pipeline") == []


def test_patch_checks_owners_and_tags(api, people, tags):
    pipeline = api("PUT", "/pipelines", {"name": "etl", "service": "airflow"}).json()
    path = f"/pipelines/{pipeline['id']}"
    bad_tag = api("PATCH", path, [{"op": "add", "path": "/tags", "value": [{**LABEL, "tagFQN": "PII.Sensitive"}]}])
    assert bad_tag.status_code == 404
    bad_owner = api(
        "PATCH",
        path,
        [{"op": "add", "path": "/owners", "value": [{"id": "00000000-0000-0000-0000-0000000000aa", "type": "user"}]}],
    )
    assert bad_owner.status_code == 404
    good = api(
        "PATCH",
        path,
        [
            {"op": "add", "path": "/owners", "value": [{"id": people[0]["id"], "type": "user"}]},
            {"op": "add", "path": "/tags", "value": [{**LABEL, "tagFQN": "AirflowTags.etl"}]},
        ],
    )
    assert good.status_code == 200, good.json()
    assert good.json()["owners"][0]["name"] == "jane.doe"
    assert good.json()["tags"][0]["name"] == "etl" and good.json()["version"] == 0.2

"""Plan, apply, re-apply and drift against the OpenMetadata stand-in."""

from __future__ import annotations

import json

import pytest
from openmetadata_platform.governance import (
    DriftError,
    GovernanceInputError,
    apply,
    build_plan,
    drift,
    load_folder,
    render_plan,
)

from tests.governance.conftest import TABLE, write, writes

RENTAL = f"""
table: {TABLE}
description: One row per film rental.
owners:
  - user: alice
  - team: rentals
tags: [PII.Sensitive]
tier: Tier2
domain: Sales
dataProducts: [Rentals]
glossaryTerms: [Business.Rental]
customProperties:
  retentionDays: 365
define:
  domains:
    - name: Sales
      description: Selling and renting films
  dataProducts:
    - name: Rentals
      domain: Sales
      description: Rental facts
  glossaries:
    - name: Business
      description: Business vocabulary
      terms:
        - name: Rental
          description: A customer borrowing a film
"""


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "governance"
    write(folder, "rental.yaml", RENTAL)
    return folder


def test_plan_lists_changes_and_writes_nothing(client, catalog, folder):
    plan = build_plan(client, load_folder(folder))
    data = plan.to_dict()
    json.dumps(data)  # XCom-safe
    assert writes(catalog) == []
    kinds = [(e["type"], e["fqn"], e["action"]) for e in data["entities"]]
    assert kinds == [
        ("domain", "Sales", "create"),
        ("dataProduct", "Rentals", "create"),
        ("glossary", "Business", "create"),
        ("glossaryTerm", "Business.Rental", "create"),
        ("table", TABLE, "update"),
    ]
    table = data["entities"][-1]
    fields = {(c["field"], c["action"], json.dumps(c.get("after"))) for c in table["changes"]}
    assert ("owners", "add", '"user:alice"') in fields
    assert ("owners", "add", '"team:rentals"') in fields
    assert ("tier", "add", '"Tier.Tier2"') in fields
    assert ("glossaryTerms", "add", '"Business.Rental"') in fields
    assert ("customProperties.retentionDays", "add", "365") in fields
    text = render_plan(plan)
    assert f"~ table {TABLE}  (governance/rental.yaml:1)" in text
    assert "+ owners: user:alice" in text
    assert "Plan: 4 to create, 1 to update" in text
    assert catalog.token not in text and catalog.token not in json.dumps(data)


def test_apply_then_reapply_is_a_no_op(client, catalog, folder):
    spec = load_folder(folder)
    result = apply(client, spec)
    assert result["applied"] == 5
    table = client.get_by_name(
        entity=__import__("metadata.generated.schema.entity.data.table", fromlist=["Table"]).Table,
        fqn=TABLE,
        fields=["owners", "tags", "domains", "dataProducts", "extension"],
    )
    assert sorted(o.name for o in table.owners.root) == ["alice", "rentals"]
    assert {t.tagFQN.root for t in table.tags} == {"PII.Sensitive", "Tier.Tier2", "Business.Rental"}
    assert [d.name for d in table.domains.root] == ["Sales"]
    assert table.extension.root == {"retentionDays": 365}
    patches = [r for r in writes(catalog) if r.method == "PATCH"]
    assert len(patches) == 1  # one JSON Patch for the table: all its fields at once

    catalog.requests.clear()
    again = apply(client, load_folder(folder))
    assert again["applied"] == 0 and again["entities"] == []
    assert writes(catalog) == []
    assert drift(client, load_folder(folder))["drift"] is False


def test_drift_after_an_edit_in_the_ui(client, catalog, folder):
    apply(client, load_folder(folder))
    table = catalog.entities("table")
    rental = next(t for t in table if t["fullyQualifiedName"] == TABLE)
    bob = next(u for u in catalog.entities("user") if u["name"] == "bob")
    # Someone replaces the owners and the tier in the UI (a PATCH as the admin).
    status, answer = catalog.call(
        "PATCH",
        f"/tables/{rental['id']}",
        [
            {"op": "replace", "path": "/owners", "value": [{"id": bob["id"], "type": "user"}]},
            {"op": "replace", "path": "/description", "value": "edited by hand"},
        ],
    )
    assert status == 200, answer
    report = drift(client, load_folder(folder))
    assert report["drift"] is True
    changes = {(c["field"], c["action"]) for c in report["entities"][0]["changes"]}
    assert ("owners", "add") in changes and ("description", "change") in changes
    assert ("owners", "remove") not in changes  # bob stays unless prune
    pruned = drift(client, load_folder(folder), prune=True)
    assert ("owners", "remove") in {(c["field"], c["action"]) for c in pruned["entities"][0]["changes"]}
    with pytest.raises(DriftError, match="owners: user:alice"):
        drift(client, load_folder(folder), fail=True)
    apply(client, load_folder(folder), prune=True)
    assert drift(client, load_folder(folder), prune=True)["drift"] is False


def test_unknown_owner_and_term_in_unknown_glossary_write_nothing(client, catalog, tmp_path):
    folder = tmp_path / "governance"
    write(
        folder,
        "rental.yaml",
        f"""
        table: {TABLE}
        owners:
          - user: carol
        glossaryTerms: [Finance.Revenue]
        define:
          domains:
            - name: Sales
              description: Selling
        """,
    )
    with pytest.raises(GovernanceInputError) as err:
        apply(client, load_folder(folder))
    found = {(p.file, p.line, p.field): p.message for p in err.value.problems}
    assert "user 'carol' not found" in found[("governance/rental.yaml", 3, "owners[0].user")]
    assert "unknown glossary 'Finance'" in found[("governance/rental.yaml", 4, "glossaryTerms[0]")]
    assert "nothing was written" in str(err.value)
    assert writes(catalog) == []


def test_table_not_in_catalog(client, catalog, tmp_path):
    folder = tmp_path / "governance"
    write(folder, "x.yaml", "table: pagila_local.pagila.public.nope\ntier: Tier1\n")
    with pytest.raises(
        GovernanceInputError, match=r"governance/x.yaml:1: \(file\): table .*nope is not in the catalog"
    ):
        build_plan(client, load_folder(folder))


def test_teams_declared_in_the_files_are_created_and_own_the_table(client, catalog, tmp_path):
    from metadata.generated.schema.entity.data.table import Table

    folder = tmp_path / "governance"
    write(
        folder,
        "rental.yaml",
        f"""
        table: {TABLE}
        owners: [{{team: rental-desk}}]
        define:
          teams:
            - name: rental-desk
              description: Runs the rental counter
        """,
    )
    plan = build_plan(client, load_folder(folder)).to_dict()
    assert [(e["type"], e["fqn"], e["action"]) for e in plan["entities"]] == [
        ("team", "rental-desk", "create"),
        ("table", TABLE, "update"),
    ]
    assert writes(catalog) == []
    apply(client, load_folder(folder))
    (team,) = [t for t in catalog.entities("team") if t["name"] == "rental-desk"]
    assert team["teamType"] == "Group"
    table = client.get_by_name(entity=Table, fqn=TABLE, fields=["owners"])
    assert [(o.type, o.name) for o in table.owners.root] == [("team", "rental-desk")]
    catalog.requests.clear()
    assert apply(client, load_folder(folder))["entities"] == [] and writes(catalog) == []

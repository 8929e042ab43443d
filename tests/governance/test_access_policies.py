"""Access policies and roles declared under ``define:``, against the stand-in."""

from __future__ import annotations

import pytest
from openmetadata_platform.governance import GovernanceInputError, apply, build_plan, load_folder, render_plan

from tests.governance.conftest import TABLE, write, writes

POLICIES = f"""
table: {TABLE}
define:
  policies:
    - name: RentalsReadOnly
      description: Read rental data
      rules:
        - name: view-rentals
          resources: [table]
          operations: [ViewSampleData, ViewBasic]
          effect: allow
        - name: no-pii-edits
          resources: [table]
          operations: [EditTags]
          effect: deny
          condition: matchAnyTag('PII.Sensitive')
  roles:
    - name: RentalAnalyst
      description: Analyses rentals
      policies: [RentalsReadOnly]
"""


def _policy(catalog, name):
    return next(p for p in catalog.entities("policy") if p["name"] == name)


def _role(catalog, name):
    return next(r for r in catalog.entities("role") if r["name"] == name)


def test_policies_and_roles_are_planned_created_and_reapplied_as_no_op(client, catalog, tmp_path):
    folder = tmp_path / "governance"
    write(folder, "rental.yaml", POLICIES)
    plan = build_plan(client, load_folder(folder))
    assert writes(catalog) == []
    data = plan.to_dict()
    assert [(e["type"], e["fqn"], e["action"]) for e in data["entities"]] == [
        ("policy", "RentalsReadOnly", "create"),
        ("role", "RentalAnalyst", "create"),
    ]
    text = render_plan(plan)
    assert "+ policy RentalsReadOnly  (governance/rental.yaml:4)" in text
    # Operations shown sorted, as the server stores them (PolicyRepository.validateRules).
    assert "+ rules.view-rentals: 'allow ViewBasic,ViewSampleData on table'" in text
    assert "+ rules.no-pii-edits: \"deny EditTags on table if matchAnyTag('PII.Sensitive')\"" in text
    assert "+ role RentalAnalyst  (governance/rental.yaml:17)" in text
    assert "+ policies: RentalsReadOnly" in text

    apply(client, load_folder(folder))
    policy = _policy(catalog, "RentalsReadOnly")
    assert [r["name"] for r in policy["rules"]] == ["no-pii-edits", "view-rentals"]
    assert policy["rules"][0]["condition"] == "matchAnyTag('PII.Sensitive')"
    assert [p["name"] for p in _role(catalog, "RentalAnalyst")["policies"]] == ["RentalsReadOnly"]

    catalog.requests.clear()
    again = apply(client, load_folder(folder))
    assert again["entities"] == [] and again["applied"] == 0
    assert writes(catalog) == []


def test_changed_rules_and_role_policies_are_one_patch_each(client, catalog, tmp_path):
    folder = tmp_path / "governance"
    write(folder, "rental.yaml", POLICIES)
    apply(client, load_folder(folder))
    # The files now widen a rule, add one, and give the role a second (new) policy.
    changed = (
        POLICIES.replace("[ViewSampleData, ViewBasic]", "[ViewAll]")
        .replace(
            "  roles:",
            """    - name: RentalsSteward
      description: Curates rentals
      rules:
        - name: edit-docs
          resources: [table, glossaryTerm]
          operations: [EditDescription]
          effect: allow
  roles:""",
        )
        .replace("policies: [RentalsReadOnly]", "policies: [RentalsReadOnly, RentalsSteward]")
    )
    write(folder, "rental.yaml", changed)
    plan = build_plan(client, load_folder(folder))
    text = render_plan(plan)
    assert "~ policy RentalsReadOnly" in text
    assert "~ rules.view-rentals: 'allow ViewBasic,ViewSampleData on table' -> 'allow ViewAll on table'" in text
    assert "+ policy RentalsSteward" in text
    assert "~ role RentalAnalyst" in text and "+ policies: RentalsSteward" in text
    catalog.requests.clear()
    apply(client, load_folder(folder))
    patches = [r.path for r in writes(catalog) if r.method == "PATCH"]
    policy_id, role_id = _policy(catalog, "RentalsReadOnly")["id"], _role(catalog, "RentalAnalyst")["id"]
    assert sorted(patches) == sorted([f"/api/v1/policies/{policy_id}", f"/api/v1/roles/{role_id}"])
    assert _policy(catalog, "RentalsReadOnly")["rules"][1]["operations"] == ["ViewAll"]
    assert [p["name"] for p in _role(catalog, "RentalAnalyst")["policies"]] == ["RentalsReadOnly", "RentalsSteward"]
    catalog.requests.clear()
    assert apply(client, load_folder(folder))["entities"] == [] and writes(catalog) == []


def test_a_rule_edited_in_the_ui_is_drift_and_prune_removes_an_undeclared_rule(client, catalog, tmp_path):
    from openmetadata_platform.governance import drift

    folder = tmp_path / "governance"
    write(folder, "rental.yaml", POLICIES)
    apply(client, load_folder(folder))
    policy = _policy(catalog, "RentalsReadOnly")
    extra = {"name": "zz-ui", "effect": "allow", "operations": ["EditOwners"], "resources": ["table"]}
    status, answer = catalog.call(
        "PATCH",
        f"/policies/{policy['id']}",
        [
            {"op": "replace", "path": "/rules/0/effect", "value": "allow"},
            {"op": "add", "path": "/rules/-", "value": extra},
        ],
    )
    assert status == 200, answer
    report = drift(client, load_folder(folder))
    changes = {(c["field"], c["action"]) for c in report["entities"][0]["changes"]}
    assert changes == {("rules.no-pii-edits", "change")}  # the extra rule stays without prune
    apply(client, load_folder(folder), prune=True)
    assert [r["name"] for r in _policy(catalog, "RentalsReadOnly")["rules"]] == ["no-pii-edits", "view-rentals"]
    assert _policy(catalog, "RentalsReadOnly")["rules"][0]["effect"] == "deny"
    assert drift(client, load_folder(folder), prune=True)["drift"] is False


def test_unknown_operation_and_effect_name_file_line_and_field(tmp_path):
    folder = tmp_path / "governance"
    write(
        folder,
        "access.yaml",
        f"""
        table: {TABLE}
        define:
          policies:
            - name: Broken
              description: Bad rules
              rules:
                - name: r1
                  resources: [table]
                  operations: [ViewBasic, VeiwAll]
                  effect: allow
                - name: r2
                  resources: [table]
                  operations: [EditTags]
                  effect: permit
        """,
    )
    with pytest.raises(GovernanceInputError) as err:
        load_folder(folder)
    found = {(p.file, p.line, p.field): p.message for p in err.value.problems}
    effect = found[("governance/access.yaml", 14, "define.policies[0].rules[1].effect")]
    assert "'permit' is not one of ['allow', 'deny']" in effect
    # Schema errors are reported first; once the effect is fixed the operation is checked.
    write(folder, "access.yaml", (folder / "access.yaml").read_text().replace("permit", "deny"))
    with pytest.raises(GovernanceInputError) as err:
        load_folder(folder)
    (problem,) = err.value.problems
    assert (problem.file, problem.line, problem.field) == (
        "governance/access.yaml",
        9,
        "define.policies[0].rules[0].operations[1]",
    )
    assert "unknown operation 'VeiwAll'; did you mean ViewAll" in problem.message
    assert "nothing was written" in str(err.value)


def test_role_naming_an_unknown_policy_writes_nothing(client, catalog, tmp_path):
    folder = tmp_path / "governance"
    write(
        folder,
        "access.yaml",
        POLICIES.replace("policies: [RentalsReadOnly]", "policies: [RentalsReadOnly, NoSuchPolicy]"),
    )
    with pytest.raises(GovernanceInputError) as err:
        apply(client, load_folder(folder))
    (problem,) = err.value.problems
    assert (problem.file, problem.line, problem.field) == ("governance/access.yaml", 19, "define.roles[0].policies[1]")
    assert "policy 'NoSuchPolicy' not found" in problem.message
    assert writes(catalog) == []


def test_a_role_may_name_an_existing_policy(client, catalog, tmp_path):
    status, answer = catalog.call(
        "PUT",
        "/policies",
        {
            "name": "DataConsumerPolicy",
            "description": "seeded",
            "rules": [{"name": "view", "effect": "allow", "operations": ["ViewAll"], "resources": ["All"]}],
        },
    )
    assert status in (200, 201), answer
    folder = tmp_path / "governance"
    write(
        folder,
        "access.yaml",
        f"""
        table: {TABLE}
        define:
          roles:
            - name: Reader
              description: Reads everything
              policies: [DataConsumerPolicy]
        """,
    )
    apply(client, load_folder(folder))
    assert [p["name"] for p in _role(catalog, "Reader")["policies"]] == ["DataConsumerPolicy"]

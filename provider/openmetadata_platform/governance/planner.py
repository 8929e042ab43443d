"""Pure planning: declared fields vs an entity's current JSON -> changes and a JSON Patch.

No I/O: references (owners, domains, data products) come already resolved as OpenMetadata
``EntityReference`` dicts (see :mod:`.catalog`). Only the fields a file declares are looked
at; a list field (owners, tags, glossary terms, data products, custom properties) gains what
is declared and, with ``prune``, loses what is not; a single value (description, tier,
domain) is replaced.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from openmetadata_platform.governance.model import PolicySpec, RoleSpec, TableSpec
from openmetadata_platform.governance.plan import ADD, CHANGE, REMOVE, Change, EntityPlan

# Resolves ("user"|"team"|"domain"|"dataProduct"|"policy", name) to an EntityReference dict
# ({"id", "type", "name", ...}); a reference to an entity apply creates first has id None.
RefResolver = Callable[[str, str], dict]

CLASSIFICATION, GLOSSARY = "Classification", "Glossary"


def _label(fqn: str, source: str) -> dict:
    """A TagLabel as a user adds it in the UI (labelType Manual, state Confirmed)."""
    return {"tagFQN": fqn, "source": source, "labelType": "Manual", "state": "Confirmed"}


def _tag_kind(label: dict) -> str:
    if label.get("source") == GLOSSARY:
        return "glossaryTerms"
    return "tier" if str(label.get("tagFQN", "")).startswith("Tier.") else "tags"


def _ref_key(ref: dict) -> str:
    return f"{ref.get('type')}:{ref.get('name') or ref.get('fullyQualifiedName')}"


def _merge_list(field: str, current: list, declared: list, key, make, prune: bool, changes: list) -> list:
    """``current`` plus the declared items it lacks (minus undeclared ones with ``prune``)."""
    have = {key(item) for item in current}
    want = {key(item) if not isinstance(item, str) else item for item in declared}
    result = [item for item in current if not prune or key(item) in want]
    for item in current:
        if prune and key(item) not in want:
            changes.append(Change(field, REMOVE, before=key(item)))
    for item in declared:
        name = item if isinstance(item, str) else key(item)
        if name not in have:
            result.append(make(item))
            changes.append(Change(field, ADD, after=name))
    return result


def diff_table(spec: TableSpec, current: dict, resolve: RefResolver, prune: bool = False) -> EntityPlan:
    """Plan one table: its declared fields against ``current`` (the table as GET returns it
    with ``fields=owners,tags,domains,dataProducts,extension``).

    Args:
        spec: the declared table.
        current: the table's JSON (``id`` used only for the patch; never shown).
        resolve: reference resolver (see :data:`RefResolver`).
        prune: remove list items the file no longer declares (only in declared fields).

    Returns:
        An :class:`EntityPlan` with action ``update`` (and its JSON Patch) or ``noop``.
    """
    desired = copy.deepcopy(current)
    changes: list[Change] = []
    fields = spec.fields

    if "description" in fields and (change := _description_change(current, fields["description"])):
        changes.append(change)
        desired["description"] = fields["description"]

    if "owners" in fields:
        refs = [resolve(kind, name) for kind, name in fields["owners"]]
        desired["owners"] = _merge_list(
            "owners",
            current.get("owners") or [],
            refs,
            _ref_key,
            lambda r: {"id": r["id"], "type": r["type"]},
            prune,
            changes,
        )

    labels = list(current.get("tags") or [])
    if "tier" in fields:
        tiers = [lab for lab in labels if _tag_kind(lab) == "tier"]
        if [t["tagFQN"] for t in tiers] != [fields["tier"]]:
            before = tiers[0]["tagFQN"] if tiers else None
            changes.append(Change("tier", CHANGE if before else ADD, before, fields["tier"]))
            labels = [lab for lab in labels if _tag_kind(lab) != "tier"] + [_label(fields["tier"], CLASSIFICATION)]
    for name, source in (("tags", CLASSIFICATION), ("glossaryTerms", GLOSSARY)):
        if name in fields:
            mine = [lab for lab in labels if _tag_kind(lab) == name]
            others = [lab for lab in labels if _tag_kind(lab) != name]
            merged = _merge_list(
                name, mine, fields[name], lambda lab: lab["tagFQN"], lambda f, s=source: _label(f, s), prune, changes
            )
            labels = others + merged if merged != mine else labels
    if labels != list(current.get("tags") or []):
        desired["tags"] = labels

    if "domain" in fields:
        current_domains = current.get("domains") or []
        ref = resolve("domain", fields["domain"])
        if [_ref_key(d) for d in current_domains] != [_ref_key(ref)]:
            before = ", ".join(d.get("name", "") for d in current_domains) or None
            changes.append(Change("domain", CHANGE if before else ADD, before, fields["domain"]))
            desired["domains"] = [{"id": ref["id"], "type": "domain"}]

    if "dataProducts" in fields:
        refs = [resolve("dataProduct", name) for name in fields["dataProducts"]]
        desired["dataProducts"] = _merge_list(
            "dataProducts",
            current.get("dataProducts") or [],
            refs,
            lambda r: r.get("name") or r.get("fullyQualifiedName"),
            lambda r: {"id": r["id"], "type": "dataProduct"},
            prune,
            changes,
        )

    if "customProperties" in fields:
        extension = dict(current.get("extension") or {})
        for key, value in fields["customProperties"].items():
            if key not in extension:
                changes.append(Change(f"customProperties.{key}", ADD, after=value))
            elif extension[key] != value:
                changes.append(Change(f"customProperties.{key}", CHANGE, extension[key], value))
            extension[key] = value
        if prune:
            for key in [k for k in extension if k not in fields["customProperties"]]:
                changes.append(Change(f"customProperties.{key}", REMOVE, before=extension.pop(key)))
        desired["extension"] = extension
        if not extension and "extension" not in current:
            desired.pop("extension")

    # One "add" per changed field: RFC 6902 "add" sets a member whether or not it exists, so
    # the patch does not depend on how the server spells an empty field (absent or []).
    ops = [
        {"op": "add", "path": f"/{name}", "value": desired[name]}
        for name in ("description", "owners", "tags", "domains", "dataProducts", "extension")
        if name in desired and desired[name] != current.get(name)
    ]
    return EntityPlan("table", spec.fqn, "update" if changes else "noop", spec.origin.where, changes=changes, ops=ops)


def diff_description(entity_type: str, fqn: str, declared_at: str, current: dict, description: str) -> EntityPlan:
    """Plan an existing domain / data product / glossary / term: its description only."""
    change = _description_change(current, description)
    if change is None:
        return EntityPlan(entity_type, fqn, "noop", declared_at)
    return EntityPlan(
        entity_type,
        fqn,
        "update",
        declared_at,
        changes=[change],
        ops=[{"op": "add", "path": "/description", "value": description}],
    )


def _description_change(current: dict, description: str) -> Change | None:
    """The change from the stored description (absent counts as empty) to the declared one."""
    before = current.get("description")
    if (before or "") == description:
        return None
    return Change("description", CHANGE if before else ADD, before, description)


def create_plan(entity_type: str, fqn: str, declared_at: str, fields: dict[str, Any], payload: Any) -> EntityPlan:
    """Plan the creation of a missing entity: its declared fields as adds."""
    changes = [Change(name, ADD, after=value) for name, value in fields.items() if value not in (None, [], "")]
    return EntityPlan(entity_type, fqn, "create", declared_at, changes=changes, payload=payload)


def normalise_rules(rules: list[dict]) -> list[dict]:
    """Rules as the server stores them, so declared and stored rules compare equal.

    OpenMetadata's ``PolicyRepository.validateRules`` (on create and on every PATCH) sorts
    each rule's resources (case-insensitive) and operations, drops those made redundant by
    ``All`` / ``ViewAll`` / ``EditAll``, and sorts the rules by name. Only the fields of
    OpenMetadata's ``Rule`` the format declares are kept (not the server's rule FQN).

    Args:
        rules: ``Rule`` JSON dicts (declared or as ``GET /api/v1/policies/name/{fqn}`` returns them).
    """
    result = []
    for rule in rules:
        resources = sorted(rule.get("resources") or [], key=str.lower)
        if any(r.lower() == "all" for r in resources):
            resources = ["All"]  # Entity.ALL_RESOURCES, matched ignoring case
        operations = sorted(rule.get("operations") or [])
        for family in ("View", "Edit"):
            if f"{family}All" in operations:
                operations = [o for o in operations if o == f"{family}All" or not o.startswith(family)]
        item = {"name": rule["name"], "effect": rule.get("effect"), "operations": operations, "resources": resources}
        for key in ("description", "condition"):
            if rule.get(key):
                item[key] = rule[key]
        result.append(item)
    return sorted(result, key=lambda r: r["name"])


def rule_summary(rule: dict) -> str:
    """One line for a plan: ``allow ViewBasic,ViewSampleData on table if isOwner()``."""
    text = f"{rule['effect']} {','.join(rule['operations'])} on {','.join(rule['resources'])}"
    return text + (f" if {rule['condition']}" if rule.get("condition") else "")


def policy_changes(rules: list[dict]) -> list[Change]:
    """The rules of a policy to create, one add each (for :func:`create_plan`'s changes)."""
    return [Change(f"rules.{rule['name']}", ADD, after=rule_summary(rule)) for rule in normalise_rules(rules)]


def diff_policy(spec: PolicySpec, current: dict, prune: bool = False) -> EntityPlan:
    """Plan an existing policy: its description and its rules, matched by rule name.

    Args:
        spec: the declared policy.
        current: the policy as ``GET /api/v1/policies/name/{fqn}`` returns it.
        prune: remove rules the file does not declare (otherwise they are kept).

    Returns:
        An :class:`EntityPlan` (``update`` with one JSON Patch setting ``/description`` and/or
        ``/rules`` as a whole, or ``noop``).
    """
    changes: list[Change] = []
    ops: list[dict] = []
    if change := _description_change(current, spec.description):
        changes.append(change)
        ops.append({"op": "add", "path": "/description", "value": spec.description})
    stored = {rule["name"]: rule for rule in normalise_rules(current.get("rules") or [])}
    declared = {rule["name"]: rule for rule in normalise_rules(spec.rules)}
    rules = {name: rule for name, rule in stored.items() if not prune or name in declared}
    for name in stored:
        if prune and name not in declared:
            changes.append(Change(f"rules.{name}", REMOVE, before=rule_summary(stored[name])))
    for name, rule in declared.items():
        if name not in stored:
            changes.append(Change(f"rules.{name}", ADD, after=rule_summary(rule)))
        elif stored[name] != rule:
            before, after = rule_summary(stored[name]), rule_summary(rule)
            if before == after:  # only the rule's description differs
                field = f"rules.{name}.description"
                before, after = stored[name].get("description"), rule.get("description")
            else:
                field = f"rules.{name}"
            changes.append(Change(field, CHANGE, before, after))
        rules[name] = rule
    if any(c.field.startswith("rules.") for c in changes):
        # The whole list: rules are matched by name, and the server re-sorts them anyway.
        ops.append({"op": "add", "path": "/rules", "value": normalise_rules(list(rules.values()))})
    return EntityPlan("policy", spec.name, "update" if changes else "noop", spec.origin.where, changes, ops)


def diff_role(spec: RoleSpec, current: dict, resolve: RefResolver, prune: bool = False) -> EntityPlan:
    """Plan an existing role: its description and its policies (added; removed with ``prune``).

    Args:
        spec: the declared role.
        current: the role as ``GET /api/v1/roles/name/{fqn}?fields=policies`` returns it.
        resolve: resolves ``("policy", name)`` to a reference (id None for one apply creates).
        prune: remove policies the file does not declare.
    """
    changes: list[Change] = []
    ops: list[dict] = []
    if change := _description_change(current, spec.description):
        changes.append(change)
        ops.append({"op": "add", "path": "/description", "value": spec.description})
    refs = [resolve("policy", name) for name in spec.policies]
    stored = current.get("policies") or []
    policies = _merge_list(
        "policies",
        stored,
        refs,
        lambda r: r.get("name") or r.get("fullyQualifiedName"),
        lambda r: r,
        prune,
        changes,
    )
    if [p.get("name") for p in policies] != [p.get("name") for p in stored]:
        ops.append({"op": "add", "path": "/policies", "value": [{"id": p["id"], "type": "policy"} for p in policies]})
    return EntityPlan("role", spec.name, "update" if changes else "noop", spec.origin.where, changes, ops)

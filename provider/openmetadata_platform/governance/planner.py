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

from openmetadata_platform.governance.model import TableSpec
from openmetadata_platform.governance.plan import ADD, CHANGE, REMOVE, Change, EntityPlan

# Resolves ("user"|"team"|"domain"|"dataProduct", name) to an EntityReference dict
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

    if "description" in fields and (current.get("description") or "") != fields["description"]:
        changes.append(
            Change(
                "description",
                CHANGE if current.get("description") else ADD,
                current.get("description"),
                fields["description"],
            )
        )
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
    if (current.get("description") or "") == description:
        return EntityPlan(entity_type, fqn, "noop", declared_at)
    return EntityPlan(
        entity_type,
        fqn,
        "update",
        declared_at,
        changes=[
            Change(
                "description", CHANGE if current.get("description") else ADD, current.get("description"), description
            )
        ],
        ops=[{"op": "add", "path": "/description", "value": description}],
    )


def create_plan(entity_type: str, fqn: str, declared_at: str, fields: dict[str, Any], payload: Any) -> EntityPlan:
    """Plan the creation of a missing entity: its declared fields as adds."""
    changes = [Change(name, ADD, after=value) for name, value in fields.items() if value not in (None, [], "")]
    return EntityPlan(entity_type, fqn, "create", declared_at, changes=changes, payload=payload)

"""ODCS v3 data contracts: checked locally, validated by the server, versioned semantically.

For a table whose file names ``contract: <path>``:

1. the ODCS YAML is parsed with line numbers and checked with openmetadata-ingestion's
   ``ODCSDataContract`` model;
2. the server validates it against the table (``POST /api/v1/dataContracts/odcs/validate/yaml``);
3. the stored contract (``GET /api/v1/dataContracts/entity`` then ``GET .../{id}/odcs``) is
   compared with it: the same version and content is a no-op; a breaking change (a removed
   or retyped column, a tightened quality rule, a shorter or removed SLA) needs a new major
   version, anything else a higher version;
4. apply creates or updates it from ODCS (``PUT /api/v1/dataContracts/odcs``, the client's
   ``create_or_update_from_odcs``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from openmetadata_platform.governance.errors import GovernanceApplyError, GovernanceInputError, Problem
from openmetadata_platform.governance.model import Origin, SourceFile, TableSpec
from openmetadata_platform.governance.plan import ADD, CHANGE, REMOVE, Change, EntityPlan

if TYPE_CHECKING:  # pragma: no cover - typing only
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

VERSION_PROPERTY = "odcsVersion"  # custom property of dataContract holding the applied ODCS version
SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")
# Seconds per SLA unit (ODCS slaProperties.unit), to compare "4h" with "180m".
UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
    "y": 31536000,
    "yr": 31536000,
    "year": 31536000,
    "years": 31536000,
}
LOWER_BOUNDS = ("mustBeGreaterThan", "mustBeGreaterOrEqualTo")
UPPER_BOUNDS = ("mustBeLessThan", "mustBeLessOrEqualTo")


def parse_semver(value: str) -> tuple[int, int, int] | None:
    """``"1.2.3"`` -> ``(1, 2, 3)``; None when not semantic versioning."""
    match = SEMVER.match(str(value).strip())
    return tuple(int(g) for g in match.groups()[:3]) if match else None


def _columns(doc: dict) -> dict[str, dict]:
    """Column name -> {logicalType, physicalType, required, index path} over all schema objects."""
    columns = {}
    for i, obj in enumerate(doc.get("schema") or []):
        for j, prop in enumerate(obj.get("properties") or []):
            columns[prop["name"]] = {
                "logicalType": prop.get("logicalType"),
                "physicalType": (prop.get("physicalType") or "").lower() or None,
                "required": bool(prop.get("required")),
                "path": ("schema", i, "properties", j),
            }
    return columns


def _quality(doc: dict) -> dict[str, dict]:
    """Quality rules by ``column/name`` (column '' for object level) with their path."""
    rules = {}

    def add(items, column, path):
        for k, rule in enumerate(items or []):
            key = f"{column}/{rule.get('name') or rule.get('metric') or rule.get('rule') or k}"
            rules[key] = {**rule, "path": path + ("quality", k)}

    add(doc.get("quality"), "", ())
    for i, obj in enumerate(doc.get("schema") or []):
        add(obj.get("quality"), "", ("schema", i))
        for j, prop in enumerate(obj.get("properties") or []):
            add(prop.get("quality"), prop["name"], ("schema", i, "properties", j))
    return rules


def _sla(doc: dict) -> dict[str, dict]:
    sla = {}
    for i, item in enumerate(doc.get("slaProperties") or []):
        key = item["property"] + (f"@{item['element']}" if item.get("element") else "")
        sla[key] = {**item, "path": ("slaProperties", i)}
    return sla


def _seconds(item: dict) -> float | None:
    try:
        value = float(item.get("value"))
    except (TypeError, ValueError):
        return None
    return value * UNIT_SECONDS.get(str(item.get("unit") or "s").lower(), 1)


def _tightened(old: dict, new: dict) -> str | None:
    """Why ``new`` is stricter than ``old`` (a quality rule's thresholds), or None."""
    for name in LOWER_BOUNDS:
        if old.get(name) is not None and new.get(name) is not None and new[name] > old[name]:
            return f"{name} raised from {old[name]} to {new[name]}"
        if old.get(name) is None and new.get(name) is not None:
            return f"{name} {new[name]} added"
    for name in UPPER_BOUNDS:
        if old.get(name) is not None and new.get(name) is not None and new[name] < old[name]:
            return f"{name} lowered from {old[name]} to {new[name]}"
        if old.get(name) is None and new.get(name) is not None:
            return f"{name} {new[name]} added"
    if old.get("mustBeBetween") and new.get("mustBeBetween"):
        (lo, hi), (nlo, nhi) = old["mustBeBetween"], new["mustBeBetween"]
        if nlo > lo or nhi < hi:
            return f"mustBeBetween narrowed from {old['mustBeBetween']} to {new['mustBeBetween']}"
    if old.get("mustBe") != new.get("mustBe") and new.get("mustBe") is not None:
        return f"mustBe changed from {old.get('mustBe')} to {new['mustBe']}"
    return None


def compare_contracts(old: dict, new: dict) -> tuple[list[tuple[str, tuple]], list[Change]]:
    """Compare two ODCS documents (plain dicts).

    Returns:
        ``(breaking, changes)``: ``breaking`` as ``(description, path in new doc)`` pairs; ``changes``
        every difference (breaking or not) as plan :class:`~.plan.Change` entries.
    """
    breaking: list[tuple[str, tuple]] = []
    changes: list[Change] = []
    old_cols, new_cols = _columns(old), _columns(new)
    for name, col in old_cols.items():
        if name not in new_cols:
            breaking.append((f"column {name!r} removed", ("schema",)))
            changes.append(Change(f"schema.{name}", REMOVE, before=col["logicalType"] or col["physicalType"]))
            continue
        now = new_cols[name]
        for attr in ("logicalType", "physicalType"):
            if col[attr] and now[attr] and col[attr] != now[attr]:
                breaking.append((f"column {name!r} retyped: {attr} {col[attr]} -> {now[attr]}", now["path"] + (attr,)))
                changes.append(Change(f"schema.{name}.{attr}", CHANGE, col[attr], now[attr]))
        if now["required"] and not col["required"]:
            breaking.append((f"column {name!r} became required", now["path"] + ("required",)))
            changes.append(Change(f"schema.{name}.required", CHANGE, False, True))
    for name, col in new_cols.items():
        if name not in old_cols:
            changes.append(Change(f"schema.{name}", ADD, after=col["logicalType"] or col["physicalType"]))
    old_rules, new_rules = _quality(old), _quality(new)
    for key, rule in new_rules.items():
        strip = {k: v for k, v in rule.items() if k != "path"}
        if key not in old_rules:
            changes.append(Change(f"quality.{key}", ADD, after=strip))
            continue
        before = {k: v for k, v in old_rules[key].items() if k != "path"}
        why = _tightened(before, strip)
        if why:
            breaking.append((f"quality rule {key!r} tightened: {why}", rule["path"]))
        if _thresholds(before) != _thresholds(strip):
            changes.append(Change(f"quality.{key}", CHANGE, _thresholds(before), _thresholds(strip)))
    for key in old_rules:
        if key not in new_rules:
            changes.append(Change(f"quality.{key}", REMOVE, before=key))
    old_sla, new_sla = _sla(old), _sla(new)
    for key, item in old_sla.items():
        if key not in new_sla:
            breaking.append((f"SLA {key!r} removed", ("slaProperties",)))
            changes.append(Change(f"sla.{key}", REMOVE, before=f"{item.get('value')} {item.get('unit') or ''}".strip()))
            continue
        now = new_sla[key]
        old_s, new_s = _seconds(item), _seconds(now)
        text_old = f"{item.get('value')} {item.get('unit') or ''}".strip()
        text_new = f"{now.get('value')} {now.get('unit') or ''}".strip()
        if old_s is not None and new_s is not None and new_s < old_s:
            breaking.append((f"SLA {key!r} shortened from {text_old} to {text_new}", now["path"] + ("value",)))
        # "4 h" and "4 hour" are the same SLA (the server spells units out on export).
        numeric = old_s is not None and new_s is not None
        if (new_s != old_s) if numeric else text_old != text_new:
            changes.append(Change(f"sla.{key}", CHANGE, text_old, text_new))
    for key, item in new_sla.items():
        if key not in old_sla:
            changes.append(Change(f"sla.{key}", ADD, after=f"{item.get('value')} {item.get('unit') or ''}".strip()))
    return breaking, changes


def _thresholds(rule: dict) -> dict:
    return {k: v for k, v in rule.items() if k.startswith("must") or k in ("validValues", "metric", "rule")}


def check_version(old_version: str, new_version: str, breaking: list, changed: bool) -> str | None:
    """Why ``new_version`` is not acceptable after ``old_version``, or None.

    Breaking changes need a higher major; other changes a higher version; no change, any.
    """
    old, new = parse_semver(old_version), parse_semver(new_version)
    if new is None:
        return f"version {new_version!r} is not semantic versioning; expected MAJOR.MINOR.PATCH"
    if old is None:
        return None  # the stored one predates semver: accept any
    if breaking and new[0] <= old[0]:
        return f"breaking change with version {old_version} -> {new_version}; expected a major bump to {old[0] + 1}.0.0"
    if changed and new <= old:
        return f"the contract changed but its version {new_version} is not above the stored {old_version}"
    if new < old:
        return f"version {new_version} is lower than the stored {old_version}"
    return None


def read_contract(table: TableSpec) -> tuple[dict, str, SourceFile]:
    """Read and locally check ``table.contract``.

    Returns:
        ``(document, yaml_text, source)``.

    Raises:
        GovernanceInputError: missing file, invalid YAML or a document ``ODCSDataContract`` rejects.
    """
    from metadata.generated.schema.entity.datacontract.odcs.odcsDataContract import ODCSDataContract
    from pydantic import ValidationError

    from openmetadata_platform.governance.files import load_yaml_with_lines

    path = FsPath(table.contract)
    if not path.is_file():
        raise GovernanceInputError(
            [table.contract_origin.problem(f"contract file {path} not found; expected an ODCS v3 YAML file")]
        )
    name = table.contract_name or str(path)
    text = path.read_text()
    data, source = load_yaml_with_lines(text, name)
    if not isinstance(data, dict):
        raise GovernanceInputError(
            [
                Problem(
                    name, 1, "", "expected an ODCS v3 document (a mapping with apiVersion, kind, id, version, status)"
                )
            ]
        )
    try:
        ODCSDataContract.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(p if p != "schema_" else "schema" for p in error["loc"])
            problems.append(Origin(source, loc).problem(f"{error['msg']} (ODCS v3)"))
        raise GovernanceInputError(problems) from None
    return data, text, source


def _server_validation(client: OpenMetadata, table_id: str, text: str) -> list[str]:
    """Errors the server's ODCS validation reports for the table (empty: valid).

    Calls ``POST /api/v1/dataContracts/odcs/validate/yaml?entityId=..&entityType=table``. Sent
    through the client's REST layer rather than ``validate_odcs_yaml``, which logs and
    swallows the server's refusal: the refusal's message is what the user needs.
    """
    from metadata.generated.schema.entity.data.dataContract import DataContract
    from metadata.ingestion.ometa.client import APIError

    # application/yaml: the resource @Consumes application/yaml or text/yaml (the mixin's
    # application/x-yaml is a 415).
    url = f"{client.get_suffix(DataContract)}/odcs/validate/yaml?entityId={table_id}&entityType=table"
    try:
        answer = client.client.post(url, data=text, headers={"Content-Type": "application/yaml"})
    except APIError as exc:
        return [f"HTTP {exc.status_code}: {exc}"]
    answer = answer or {}
    if answer.get("valid", True):
        return []
    errors = []
    schema = answer.get("schemaValidation") or {}
    for name in schema.get("failedFields") or []:
        errors.append(f"field {name} does not match the table")
    for key in ("entityErrors", "constraintErrors"):
        errors.extend(str(e) for e in answer.get(key) or [])
    return errors or ["the server's ODCS validation failed"]


def plan_contract(client: OpenMetadata, table: TableSpec, current: dict, problems: list[Problem]) -> EntityPlan | None:
    """Plan the table's contract; problems (local, server-side, versioning) are appended.

    Args:
        client: connected ``OpenMetadata`` client.
        table: the declared table (``table.contract`` set).
        current: the table's JSON (its ``id`` is used).
        problems: list the problems are appended to (nothing is raised, so every file's
            problems are reported together).

    Returns:
        The contract's :class:`~.plan.EntityPlan` (``create``, ``update`` or ``noop``), or None
        when a problem was found.

    Calls ``POST /api/v1/dataContracts/odcs/validate/yaml``, ``GET /api/v1/dataContracts/entity``
    (``get_data_contract_by_entity_id``) and ``GET /api/v1/dataContracts/{id}/odcs`` (``export_to_odcs``).
    """
    try:
        doc, text, source = read_contract(table)
    except GovernanceInputError as exc:
        problems.extend(exc.problems)
        return None
    top = Origin(source, ())
    errors = _server_validation(client, current["id"], text)
    if errors:
        problems.extend(top.problem(f"OpenMetadata rejected the contract for {table.fqn}: {e}") for e in errors)
        return None
    from metadata.generated.schema.entity.datacontract.odcs.odcsDataContract import ODCSDataContract

    odcs = ODCSDataContract.model_validate(doc)
    stored = client.get_data_contract_by_entity_id(current["id"], "table")
    where = top.where
    if stored is None:
        changes = [Change("version", ADD, after=doc["version"])]
        changes += [
            Change(f"schema.{n}", ADD, after=c["logicalType"] or c["physicalType"]) for n, c in _columns(doc).items()
        ]
        if parse_semver(doc["version"]) is None:
            problems.append(
                top.child("version").problem(
                    f"version {doc['version']!r} is not semantic versioning; expected MAJOR.MINOR.PATCH"
                )
            )
            return None
        return EntityPlan("dataContract", table.fqn, "create", where, changes=changes, payload=(odcs, current["id"]))
    exported = client.export_to_odcs(stored.id)
    old = exported.model_dump(mode="json", by_alias=True, exclude_none=True) if exported is not None else {}
    # The server keeps no ODCS version string (its export gives the entity version, "0.1"):
    # apply stores the file's version in the contract's custom property VERSION_PROPERTY.
    with_extension = client.get_by_id(entity=type(stored), entity_id=stored.id, fields=["extension"])
    extension = (with_extension.extension.root if with_extension and with_extension.extension else None) or {}
    old_version = str(extension.get(VERSION_PROPERTY) or "0.0.0")
    breaking, changes = compare_contracts(old, doc)
    reason = check_version(old_version, str(doc["version"]), breaking, bool(changes))
    if reason:
        problems.append(top.child("version").problem(f"contract for {table.fqn}: {reason}"))
        for text_, path in breaking:
            problems.append(Origin(source, path).problem(f"breaking change: {text_}"))
        return None
    if not changes and old_version == str(doc["version"]):
        return EntityPlan("dataContract", table.fqn, "noop", where)
    changes.insert(0, Change("version", CHANGE, old_version, doc["version"]))
    return EntityPlan("dataContract", table.fqn, "update", where, changes=changes, payload=(odcs, current["id"]))


def ensure_version_property(client: OpenMetadata) -> None:
    """Define the ``odcsVersion`` string custom property on ``dataContract`` when missing.

    Calls ``GET /api/v1/metadata/types/name/dataContract?fields=customProperties`` and, when
    missing, ``PUT /api/v1/metadata/types/{id}``; through the client's REST layer because
    ``create_or_update_custom_property`` has no mapping for DataContract in 2.0.6.
    """
    contract_type = client.client.get("/metadata/types/name/dataContract?fields=customProperties")
    if any(p.get("name") == VERSION_PROPERTY for p in contract_type.get("customProperties") or []):
        return
    string_type = client.client.get("/metadata/types/name/string?category=field")
    body = {
        "name": VERSION_PROPERTY,
        "description": "ODCS version of the contract as last applied from git (openmetadata-platform governance).",
        "propertyType": {"id": string_type["id"], "type": "type"},
    }
    client.client.put(f"/metadata/types/{contract_type['id']}", data=json.dumps(body))


def apply_contract(client: OpenMetadata, entity: EntityPlan, define_property: bool = True) -> None:
    """Create or update the contract from ODCS, then record its version.

    Args:
        client: connected ``OpenMetadata`` client.
        entity: the contract's plan entry (from :func:`plan_contract`).
        define_property: run :func:`ensure_version_property` first (once per apply is enough).

    Calls ``PUT /api/v1/dataContracts/odcs?entityId=..&entityType=table``
    (``create_or_update_from_odcs``) and ``PATCH /api/v1/dataContracts/{id}`` (``/extension``),
    after :func:`ensure_version_property`.

    Raises:
        GovernanceApplyError: the server did not store it (the client logs its answer).
    """
    odcs, table_id = entity.payload
    if define_property:
        ensure_version_property(client)
    contract = client.create_or_update_from_odcs(odcs, table_id, "table")
    if contract is None:
        raise GovernanceApplyError(
            f"OpenMetadata did not store the contract of {entity.fqn} (declared at {entity.declared_at}); "
            "see the client's warning above for the server's answer"
        )
    extension = dict(contract.extension.root) if contract.extension else {}
    extension[VERSION_PROPERTY] = odcs.version
    client.client.patch(
        path=f"{client.get_suffix(type(contract))}/{contract.id.root}",
        data=json.dumps([{"op": "add", "path": "/extension", "value": extension}]),
    )


def contract_breaking_problems(problems: list[Problem]) -> bool:
    """Whether some problem is a refused breaking change (to raise the specific error)."""
    return any(p.message.startswith("breaking change") or "breaking change with version" in p.message for p in problems)

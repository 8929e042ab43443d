"""Governance for the stand-in: domains, data products, glossaries and terms, roles and policies,
custom properties on entity types, and the JSON Patch of a table that sets them.

Citations are to open-metadata/OpenMetadata (``openmetadata-service/src/main/java/org/
openmetadata/service/``), read in the ``open-metadata/OpenMetadata`` mirror of the code search:

- ``jdbi3/DomainRepository.setFullyQualifiedName``: a top-level domain's FQN is its quoted name,
  a sub-domain's ``parent FQN + "." + name``; ``restorePatchAttributes``: a PATCH cannot change
  ``parent`` or ``children``. The parent (``CreateDomain.parent``, an FQN) must exist (404).
- ``jdbi3/DataProductRepository``: ``domains`` name existing domains by FQN (404 otherwise); the
  product's FQN is its quoted name (``EntityRepository.setFullyQualifiedName`` default; the 2.0
  model has a list of domains, so no domain prefix).
- ``jdbi3/GlossaryTermRepository.setFullyQualifiedName``: a root term is
  ``FullyQualifiedName.build(glossary FQN, name)``, a child ``FullyQualifiedName.add(parent FQN,
  name)``; ``prepare`` reads the glossary and the parent by FQN, so an unknown one is a 404
  (``glossary instance for X not found``); ``restorePatchAttributes``: a PATCH cannot change
  ``children``. ``relatedTerms`` and ``reviewers`` must exist.
- ``jdbi3/RoleRepository.prepare``/``validatePolicies``: a role names existing policies by FQN
  (404); ``PolicyRepository``: the body's rules are parsed with the generated model;
  ``validateRules`` (``prepare``, so on create and on every PATCH): no rules is a 400, each rule's
  resources are sorted case-insensitively and operations by value, ``filterRedundantResources``
  keeps only ``All`` when present, ``filterRedundantOperations`` drops ``View*`` / ``Edit*`` next
  to ``ViewAll`` / ``EditAll`` (``OperationContext.isViewOperation``: value starts with
  ``View``), and the rules are sorted by name.
- ``jdbi3/TypeRepository.addCustomProperty`` (``PUT /v1/metadata/types/{id}``, body a
  ``CustomProperty``): the property type must be an existing type of category ``field`` (404);
  a property of the same name is replaced; the type's version moves by 0.1.
- ``jdbi3/EntityRepository.validateExtension``: every key of an entity's ``extension`` must be a
  custom property of its type (``CatalogExceptionMessage.unknownCustomField``: 400 ``Unknown
  custom field X``) and its value must match the property type's JSON schema (400 ``Custom field
  X has invalid JSON ...``).
- ``jdbi3/EntityRepository.patch``: the JSON Patch is applied to the stored entity
  (``JsonUtils.applyPatch``, RFC 6902: an op on a path that does not exist fails, 400 here as in
  :meth:`.store.EntityStore.patch`), then the result goes through ``prepareInternal`` (owners must
  exist: ``EntityRepository.validateOwners``; tag labels: ``TagLabelUtil``) and
  ``EntityUpdater`` (a change is +0.1, no change keeps the version). Resources ``@Consumes
  (MediaType.APPLICATION_JSON_PATCH_JSON)``: another media type is a 415.

Seeded at first use, as a fresh server has them (``TypeRepository.initSeedDataFromResources``
from ``json/schema/type/customProperties``/``entity``): the field types custom properties use
and the entity types of the kinds served here (:func:`ensure_types`).
"""

from __future__ import annotations

import copy
import threading
import time
import uuid

from tests.openmetadata_standin import owners_tags
from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.entity_writes import write_entity
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.store import API, check_include
from tests.openmetadata_standin.views import requested_fields, view

_ID = r"(?P<id>[0-9a-fA-F-]{36})"
JSON_PATCH = "application/json-patch+json"
# Bookkeeping a PATCH cannot change (EntityRepository.restorePatchAttributes: id, name, FQN).
_IDENTITY = ("id", "name", "fullyQualifiedName", "href", "version", "updatedAt", "updatedBy")

# Field types for custom properties (json/schema/type/customProperties/*), with the check of a value.
# Not seeded: date-cp, dateTime-cp, time-cp (the generated Type model's name pattern ^\w+$ rejects them).
FIELD_TYPES = {
    "string": lambda v, c: isinstance(v, str),
    "markdown": lambda v, c: isinstance(v, str),
    "sqlQuery": lambda v, c: isinstance(v, str),
    "email": lambda v, c: isinstance(v, str) and "@" in v,
    "integer": lambda v, c: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v, c: isinstance(v, (int, float)) and not isinstance(v, bool),
    "timestamp": lambda v, c: isinstance(v, int) and not isinstance(v, bool),
    "duration": lambda v, c: isinstance(v, str),
    "enum": lambda v, c: _valid_enum(v, c),
    "timeInterval": lambda v, c: isinstance(v, dict) and {"start", "end"} <= set(v),
    "entityReference": lambda v, c: isinstance(v, dict) and {"id", "type"} <= set(v),
    "entityReferenceList": lambda v, c: isinstance(v, list) and all(isinstance(i, dict) for i in v),
}
# Entity types that can carry custom properties here: the kinds the stand-in stores.
ENTITY_TYPES = (
    "table",
    "database",
    "databaseSchema",
    "storedProcedure",
    "pipeline",
    "glossaryTerm",
    "domain",
    "dataProduct",
    "dataContract",
)
_seed_lock = threading.Lock()


def _valid_enum(value, config) -> bool:
    # enum.json: the value is an array of the configured values (one at most unless multiSelect).
    config = config or {}
    allowed = set(config.get("values") or [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
        return False
    return bool(config.get("multiSelect")) or len(value) <= 1


# -- seeding -------------------------------------------------------------------------------
def ensure_types(server) -> dict[str, dict]:
    """Seed the field and entity types once; return the stored types by name."""
    store = server.store
    if not store.fqn_index["type"]:
        with _seed_lock:
            if not store.fqn_index["type"]:
                categories = [(name, "field") for name in FIELD_TYPES] + [(name, "entity") for name in ENTITY_TYPES]
                for name, category in categories:
                    type_id = str(uuid.uuid4())
                    entity = {
                        "id": type_id,
                        "name": name,
                        "fullyQualifiedName": name,
                        "displayName": name,
                        "description": f"`{name}` type",
                        "category": category,
                        "nameSpace": "data",
                        "schema": "{}",
                        "version": 0.1,
                        "updatedAt": int(time.time() * 1000),
                        "updatedBy": "admin",
                        "href": f"{store.base_url}{API}/metadata/types/{type_id}",
                    }
                    if category == "entity":
                        entity["customProperties"] = []
                    KINDS["type"].entity_model.model_validate(entity)
                    store.by_id["type"][type_id] = entity
                    store.fqn_index["type"][name] = type_id
    return {t["name"]: t for t in store.by_id["type"].values()}


def seed_tiers(server) -> None:
    """Create the ``Tier`` classification and ``Tier.Tier1``..``Tier5``, as a fresh server seeds them
    (``json/data/tags/tierTags.json``: a mutually exclusive classification)."""
    status, answer = server.call(
        "PUT",
        "/classifications",
        {"name": "Tier", "description": "Tags related to tiering of the data.", "mutuallyExclusive": True},
    )
    assert status in (200, 201), answer
    for level in range(1, 6):
        status, answer = server.call(
            "PUT", "/tags", {"name": f"Tier{level}", "description": f"Tier {level}", "classification": "Tier"}
        )
        assert status in (200, 201), answer


# -- shared checks --------------------------------------------------------------------------
def check_patch_media(call: Call) -> None:
    """415 for a PATCH that is not ``application/json-patch+json`` (in-process calls have none)."""
    if call.content_type and call.content_type != JSON_PATCH:
        raise ApiError(415, "HTTP 415 Unsupported Media Type")


def _quote(name: str) -> str:
    from metadata.utils import fqn as fqn_utils

    try:
        return fqn_utils.quote_name(name)
    except ValueError:  # FullyQualifiedName.quoteName: IllegalArgumentException
        raise ApiError(400, f"Invalid name {name}") from None


def refs_by_fqn(store, type_name: str, fqns) -> list[dict]:
    """References to the entities named by ``fqns`` (404 for one that does not exist)."""
    return [store.reference(type_name, store.get_by_fqn(type_name, str(fqn))) for fqn in fqns or []]


def refs_by_id(store, type_name: str, refs) -> list[dict]:
    """Full references for EntityReferences given by id (``EntityUtil.populateEntityReferences``).

    Raises:
        ApiError: 400 a reference of another type, 404 an unknown id.
    """
    result = []
    for ref in refs or []:
        if not isinstance(ref, dict) or ref.get("type") != type_name or not ref.get("id"):
            raise ApiError(400, f"Invalid {type_name} reference {ref}")
        result.append(store.reference(type_name, store.get_by_id(type_name, str(ref["id"]))))
    return result


def user_refs(store, refs) -> list[dict]:
    """Reviewers given as user/team references: they must exist (404)."""
    result = []
    for ref in refs or []:
        kind = ref.get("type")
        if kind not in ("user", "team"):
            raise ApiError(400, f"Invalid reviewer type {kind}")
        result.append(store.reference(kind, store.get_by_id(kind, str(ref["id"]))))
    return sorted(result, key=lambda r: r["name"])


def check_extension(server, entity_type: str, extension) -> None:
    """``EntityRepository.validateExtension`` against the entity type's custom properties.

    Raises:
        ApiError: 400 an unknown custom field or a value its type rejects.
    """
    if extension is None:
        return
    if not isinstance(extension, dict):
        raise ApiError(400, "extension must be a JSON object")
    entity_type_def = ensure_types(server).get(entity_type) or {}
    properties = {p["name"]: p for p in entity_type_def.get("customProperties") or []}
    for name, value in extension.items():
        prop = properties.get(name)
        if prop is None:
            raise ApiError(400, f"Unknown custom field {name}")
        check = FIELD_TYPES.get(prop["propertyType"]["name"])
        config = (prop.get("customPropertyConfig") or {}).get("config")
        if check is not None and not check(value, config):
            raise ApiError(400, f"Custom field {name} has invalid JSON [{prop['propertyType']['name']}: {value!r}]")


def _normalise(server, type_name: str, entity: dict) -> dict:
    """Owners, tags and the extension of a governance entity, checked as the server's prepare does."""
    store = server.store
    if "owners" in entity:
        entity["owners"] = owners_tags.check_owners(store, entity["owners"])
    if "tags" in entity:
        entity["tags"] = owners_tags.check_tags(store, entity["tags"])
    if entity.get("reviewers"):
        entity["reviewers"] = user_refs(store, entity["reviewers"])
    check_extension(server, type_name, entity.get("extension"))
    return entity


def create(server, call: Call, type_name: str, entity: dict) -> tuple[int, dict]:
    """Write a built entity: POST answers 409 for an existing FQN, PUT updates (entity_writes)."""
    store = server.store
    if call.method == "POST" and entity["fullyQualifiedName"] in store.fqn_index[type_name]:
        raise ApiError(409, f"Entity already exists: {entity['fullyQualifiedName']}")
    existing_id = store.fqn_index[type_name].get(entity["fullyQualifiedName"])
    if existing_id:
        existing = store.by_id[type_name][existing_id]
        for name in ("createdAt", "createdBy"):  # set once, on create
            if name in existing:
                entity[name] = existing[name]
    stored, status = write_entity(server, type_name, entity, call.user)
    return status, stored


def patch_entity(server, type_name: str, entity_id: str, operations, user: str, read_only=(), check=None) -> dict:
    """Apply a JSON Patch to a governance entity and store it (+0.1 on a change).

    ``read_only`` fields keep their stored value (the repository's ``restorePatchAttributes``);
    ``check(server, patched) -> patched`` runs the kind's ``prepare`` checks.

    Raises:
        ApiError: 400 a malformed patch, an op on a missing path, or a result the model rejects;
            404 an unknown id or a reference to nothing.
    """
    import jsonpatch
    from pydantic import ValidationError

    store = server.store
    kind = KINDS[type_name]
    fqn = store.get_by_id(type_name, entity_id)["fullyQualifiedName"]
    with store.lock(type_name, fqn):
        original = store.get_by_id(type_name, entity_id)
        if not isinstance(operations, list):
            raise ApiError(400, "JSON Patch body must be an array of operations")
        # The server patches the entity as read with its fields: no tags read as [] (EntityRepository.getTags).
        base = {"tags": [], **original} if "tags" in kind.field_names else original
        try:
            patched = jsonpatch.apply_patch(base, operations)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise ApiError(400, f"Invalid JSON Patch: {exc}") from None
        if patched.get("tags") == [] and "tags" not in original:
            del patched["tags"]
        if patched.get("deleted", False) != original.get("deleted", False):
            raise ApiError(400, f"{type_name} attribute deleted can't be modified")  # readOnlyAttribute
        for name in (*_IDENTITY, *read_only):
            if name in original:
                patched[name] = original[name]
            else:
                patched.pop(name, None)
        patched = _normalise(server, type_name, patched)
        if check is not None:
            patched = check(server, patched)
        volatile = {"version", "updatedAt", "updatedBy", "changeDescription", "incrementalChangeDescription"}
        if {k: v for k, v in patched.items() if k not in volatile} == {
            k: v for k, v in original.items() if k not in volatile
        }:
            return original
        patched["version"] = round(original["version"] + 0.1, 1)
        patched["updatedAt"], patched["updatedBy"] = int(time.time() * 1000), user
        try:
            kind.entity_model.model_validate(patched)
        except ValidationError as exc:
            raise ApiError(400, f"Patched {type_name} is invalid: {exc.errors()[:3]}") from None
        store.by_id[type_name][entity_id] = patched
        return patched


def _request(server, type_name: str, body) -> dict:
    request = server.store.validate_request(KINDS[type_name], body)
    return request.model_dump(mode="json", exclude_none=True, by_alias=True)


# -- domains and data products ----------------------------------------------------------
def put_domain(server, call: Call):
    data = _request(server, "domain", call.body)
    store = server.store
    entity = {k: v for k, v in data.items() if k not in ("parent", "experts", "fullyQualifiedName")}
    if data.get("parent"):
        parent = store.get_by_fqn("domain", data["parent"])
        entity["parent"] = store.reference("domain", parent)
        entity["fullyQualifiedName"] = f"{parent['fullyQualifiedName']}.{_quote(data['name'])}"
    else:
        entity["fullyQualifiedName"] = _quote(data["name"])
    if data.get("experts"):  # CreateDomain.experts: user names
        entity["experts"] = sorted(
            (store.reference("user", store.get_by_fqn("user", _quote(n.lower()))) for n in data["experts"]),
            key=lambda r: r["name"],
        )
    return create(server, call, "domain", _normalise(server, "domain", entity))


def put_data_product(server, call: Call):
    data = _request(server, "dataProduct", call.body)
    store = server.store
    if data.get("assets"):
        raise ApiError(501, "stand-in does not implement dataProduct field 'assets' (set dataProducts on the asset)")
    entity = {k: v for k, v in data.items() if k not in ("domains", "experts", "fullyQualifiedName")}
    entity["domains"] = refs_by_fqn(store, "domain", data["domains"])
    entity["fullyQualifiedName"] = _quote(data["name"])
    if data.get("experts"):
        entity["experts"] = sorted(
            (store.reference("user", store.get_by_fqn("user", _quote(n.lower()))) for n in data["experts"]),
            key=lambda r: r["name"],
        )
    return create(server, call, "dataProduct", _normalise(server, "dataProduct", entity))


def patch_domain(server, call: Call):
    check_patch_media(call)
    return 200, patch_entity(
        server, "domain", call.groups["id"], call.body, call.user, read_only=("parent", "children")
    )


def _check_product(server, patched: dict) -> dict:
    patched["domains"] = refs_by_id(server.store, "domain", patched.get("domains"))
    return patched


def patch_data_product(server, call: Call):
    check_patch_media(call)
    return 200, patch_entity(server, "dataProduct", call.groups["id"], call.body, call.user, check=_check_product)


# -- glossaries and terms -----------------------------------------------------------------
def put_glossary(server, call: Call):
    data = _request(server, "glossary", call.body)
    if data.get("domains"):
        raise ApiError(501, "stand-in does not implement glossary field 'domains'")
    entity = {**data, "fullyQualifiedName": _quote(data["name"])}
    return create(server, call, "glossary", _normalise(server, "glossary", entity))


def put_glossary_term(server, call: Call):
    data = _request(server, "glossaryTerm", call.body)
    store = server.store
    if data.get("domains"):
        raise ApiError(501, "stand-in does not implement glossaryTerm field 'domains'")
    glossary = store.get_by_fqn("glossary", data["glossary"])  # 404 glossary instance for X not found
    entity = {k: v for k, v in data.items() if k not in ("glossary", "parent", "relatedTerms")}
    entity["glossary"] = store.reference("glossary", glossary)
    if data.get("parent"):
        parent = store.get_by_fqn("glossaryTerm", data["parent"])
        entity["parent"] = store.reference("glossaryTerm", parent)
        entity["fullyQualifiedName"] = f"{parent['fullyQualifiedName']}.{_quote(data['name'])}"
    else:
        entity["fullyQualifiedName"] = f"{glossary['fullyQualifiedName']}.{_quote(data['name'])}"
    if data.get("relatedTerms"):
        entity["relatedTerms"] = refs_by_fqn(store, "glossaryTerm", data["relatedTerms"])
    return create(server, call, "glossaryTerm", _normalise(server, "glossaryTerm", entity))


def patch_glossary(server, call: Call):
    check_patch_media(call)
    return 200, patch_entity(server, "glossary", call.groups["id"], call.body, call.user)


def patch_glossary_term(server, call: Call):
    check_patch_media(call)
    return 200, patch_entity(
        server, "glossaryTerm", call.groups["id"], call.body, call.user, read_only=("children", "glossary", "parent")
    )


# -- roles and policies ----------------------------------------------------------------------
def put_policy(server, call: Call):
    data = _request(server, "policy", call.body)
    if data.get("domains"):
        raise ApiError(501, "stand-in does not implement policy field 'domains'")
    names = [rule["name"] for rule in data["rules"]]
    if len(names) != len(set(names)):
        raise ApiError(400, f"Duplicate rule names in policy {data['name']}")
    entity = {**data, "fullyQualifiedName": _quote(data["name"])}
    entity.setdefault("enabled", True)
    return create(server, call, "policy", _validate_rules(server, _normalise(server, "policy", entity)))


def _validate_rules(server, policy: dict) -> dict:
    """``PolicyRepository.validateRules``: see the module docstring."""
    rules = policy.get("rules") or []
    if not rules:
        raise ApiError(400, "At least one rule is required in a policy")  # EMPTY_RULES_IN_POLICY
    for rule in rules:
        resources = sorted(rule.get("resources") or [], key=str.lower)
        rule["resources"] = ["All"] if any(r.lower() == "all" for r in resources) else resources
        operations = sorted(rule.get("operations") or [])
        for family in ("View", "Edit"):
            if f"{family}All" in operations:
                operations = [o for o in operations if o == f"{family}All" or not o.startswith(family)]
        rule["operations"] = operations
    policy["rules"] = sorted(rules, key=lambda r: r["name"])
    return policy


def put_role(server, call: Call):
    data = _request(server, "role", call.body)
    if data.get("domains"):
        raise ApiError(501, "stand-in does not implement role field 'domains'")
    entity = {**data, "fullyQualifiedName": _quote(data["name"])}
    entity["policies"] = refs_by_fqn(server.store, "policy", data["policies"])
    return create(server, call, "role", entity)


def _check_role(server, patched: dict) -> dict:
    patched["policies"] = refs_by_id(server.store, "policy", patched.get("policies"))
    return patched


def patch_role(server, call: Call):
    check_patch_media(call)
    return 200, patch_entity(server, "role", call.groups["id"], call.body, call.user, check=_check_role)


def patch_policy(server, call: Call):
    check_patch_media(call)
    return 200, patch_entity(server, "policy", call.groups["id"], call.body, call.user, check=_validate_rules)


# -- types and custom properties ------------------------------------------------------------
def _type_view(server, entity: dict, call: Call) -> dict:
    fields = requested_fields(KINDS["type"], call.query.get("fields"))
    return view(KINDS["type"], entity, fields)


def get_type_by_name(server, call: Call):
    ensure_types(server)
    entity = server.store.get_by_fqn("type", call.groups["fqn"], check_include(call.query.get("include")))
    return 200, _type_view(server, entity, call)


def get_type_by_id(server, call: Call):
    ensure_types(server)
    entity = server.store.get_by_id("type", call.groups["id"], check_include(call.query.get("include")))
    return 200, _type_view(server, entity, call)


def list_types(server, call: Call):
    from tests.openmetadata_standin.views import page

    ensure_types(server)
    category = call.query.get("category")
    items = sorted(
        (t for t in server.store.by_id["type"].values() if category in (None, t.get("category"))),
        key=lambda t: t["name"],
    )
    return 200, page(items, call.query, lambda t: _type_view(server, t, call))


def add_custom_property(server, call: Call):
    """``PUT /metadata/types/{id}``: add or replace one custom property of an entity type."""
    from metadata.generated.schema.type.customProperty import CustomProperty
    from pydantic import ValidationError

    ensure_types(server)
    store = server.store
    try:
        prop = CustomProperty.model_validate(call.body).model_dump(mode="json", exclude_none=True, by_alias=True)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise ApiError(400, f"Invalid CustomProperty: {problems}") from None
    entity_type = store.get_by_id("type", call.groups["id"])
    if entity_type.get("category") != "entity":
        raise ApiError(400, f"Only entity types can be extended: {entity_type['name']} is a {entity_type['category']}")
    field_type = store.get_by_id("type", str(prop["propertyType"]["id"]))
    if field_type.get("category") != "field":
        raise ApiError(400, f"Property type {field_type['name']} is not a field type")
    if field_type["name"] == "enum" and not ((prop.get("customPropertyConfig") or {}).get("config") or {}).get(
        "values"
    ):
        raise ApiError(400, "Enum Custom Property Type must have EnumConfig.")  # TypeRepository.validateProperty
    prop["propertyType"] = store.reference("type", field_type)
    with store.lock("type", entity_type["fullyQualifiedName"]):
        current = store.get_by_id("type", call.groups["id"])
        properties = [p for p in current.get("customProperties") or [] if p["name"] != prop["name"]]
        old = next((p for p in current.get("customProperties") or [] if p["name"] == prop["name"]), None)
        if old is not None and old["propertyType"]["id"] != prop["propertyType"]["id"]:
            raise ApiError(400, f"Property type of custom property {prop['name']} can't be changed")
        if old == prop:
            return 200, current
        updated = {
            **copy.deepcopy(current),
            "customProperties": [*properties, prop],
            "version": round(current["version"] + 0.1, 1),
            "updatedAt": int(time.time() * 1000),
            "updatedBy": call.user,
        }
        KINDS["type"].entity_model.model_validate(updated)
        store.by_id["type"][current["id"]] = updated
        return 200, updated


# -- tables ----------------------------------------------------------------------------------
def patch_table(server, call: Call):
    """``PATCH /tables/{id}``: the generic patch (store.patch: owners, tags, columns, version), after
    the checks it does not make: domains and data products must exist (EntityRepository
    .validateDomains/validateDataProducts: ``Entity.getEntityReferenceById``, 404), they are stored as
    full references, and the extension must match the table type's custom properties."""
    import jsonpatch

    store = server.store
    table = store.get_by_id("table", call.groups["id"])
    operations = call.body
    if not isinstance(operations, list):
        raise ApiError(400, "JSON Patch body must be an array of operations")
    with store.lock("table", table["fullyQualifiedName"]):
        original = store.get_by_id("table", call.groups["id"])
        if "tags" not in original and any(
            isinstance(op, dict) and str(op.get("path", "")).startswith("/tags/") for op in operations
        ):
            # The server patches the table as read with its tags: none read as [] (EntityRepository
            # .getTags), so a client's "add /tags/0" applies; the stored table has no key.
            operations = [{"op": "add", "path": "/tags", "value": []}, *operations]
        try:
            patched = jsonpatch.apply_patch(original, operations)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
            patched = None  # store.patch answers it, on the entity as the server reads it (column tags)
        extra = []
        if patched is not None:
            for name, type_name in (("domains", "domain"), ("dataProducts", "dataProduct")):
                if name in patched and patched[name] != original.get(name):
                    extra.append(
                        {"op": "add", "path": f"/{name}", "value": refs_by_id(store, type_name, patched[name])}
                    )
            if patched.get("extension") != original.get("extension"):
                check_extension(server, "table", patched.get("extension"))
        return 200, store.patch(KINDS["table"], call.groups["id"], [*operations, *extra], user=call.user)


ROUTES = [
    Route("PUT", r"domains", put_domain),
    Route("POST", r"domains", put_domain),
    Route("PATCH", rf"domains/{_ID}", patch_domain),
    Route("PUT", r"dataProducts", put_data_product),
    Route("POST", r"dataProducts", put_data_product),
    Route("PATCH", rf"dataProducts/{_ID}", patch_data_product),
    Route("PUT", r"glossaries", put_glossary),
    Route("POST", r"glossaries", put_glossary),
    Route("PATCH", rf"glossaries/{_ID}", patch_glossary),
    Route("PUT", r"glossaryTerms", put_glossary_term),
    Route("POST", r"glossaryTerms", put_glossary_term),
    Route("PATCH", rf"glossaryTerms/{_ID}", patch_glossary_term),
    Route("PUT", r"policies", put_policy),
    Route("POST", r"policies", put_policy),
    Route("PATCH", rf"policies/{_ID}", patch_policy),
    Route("PUT", r"roles", put_role),
    Route("POST", r"roles", put_role),
    Route("PATCH", rf"roles/{_ID}", patch_role),
    Route("GET", r"metadata/types", list_types),
    Route("GET", r"metadata/types/name/(?P<fqn>.+)", get_type_by_name),
    Route("GET", rf"metadata/types/{_ID}", get_type_by_id),
    Route("PUT", rf"metadata/types/{_ID}", add_custom_property),
    Route("PATCH", rf"tables/{_ID}", patch_table),
]


def delete_hard(server, call: Call):
    """``DELETE /domains|dataProducts/{id}``: these entities have no ``deleted`` flag, so the server
    removes them (DomainResource/DataProductResource.delete: hard delete)."""
    type_name = "domain" if call.path.startswith("domains/") else "dataProduct"
    store = server.store
    entity = store.get_by_id(type_name, call.groups["id"])
    with store.lock(type_name, entity["fullyQualifiedName"]):
        store.by_id[type_name].pop(entity["id"], None)
        store.fqn_index[type_name].pop(entity["fullyQualifiedName"], None)
    return 200, entity


ROUTES += [
    Route("DELETE", rf"domains/{_ID}", delete_hard),
    Route("DELETE", rf"dataProducts/{_ID}", delete_hard),
]

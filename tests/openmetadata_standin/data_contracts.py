"""Data contracts for the stand-in: ``/v1/dataContracts``, its ODCS import/export/validate endpoints
and execution results, as ``metadata.ingestion.ometa.mixins.data_contract_mixin`` calls them.

Citations are to open-metadata/OpenMetadata (``openmetadata-service/src/main/java/org/
openmetadata/service/``), read in the ``open-metadata/OpenMetadata`` mirror of the code search:

- ``jdbi3/DataContractRepository.setFullyQualifiedName``: ``<entity FQN>.dataContract_<name>``.
- ``DataContractRepository.validateEntityReference`` (create only): the entity must exist
  (404 ``<type> instance for <id> not found``) and have no contract yet (400 ``A data contract
  already exists for entity '<type>' with ID <id>``); ``validateEntitySpecificConstraints``: an
  unsupported entity type is a 400 (``Entity type 'x' is not supported for data contracts``).
- ``DataContractRepository.prepare``/``validateSchemaFieldsAgainstEntity``: every schema column
  must be a column of the table (400 ``Schema validation failed. The following fields specified
  in the data contract do not exist in the table: a, b``) and appear once (``Duplicate column
  names in contract schema: a``); owners and reviewers must exist (``populateEntityReferences``).
- Versioning is ``EntityRepository``'s: created at 0.1, +0.1 per change (PUT or PATCH), no
  change keeps the version. The ODCS ``version`` is NOT stored: ``ODCSConverter.toODCS`` exports
  the entity version (``contract.getVersion().toString()``) and ``fromODCS`` ignores it.
- ``resources/data/DataContractResource``: ``POST /odcs`` (create, 400 if one exists), ``PUT
  /odcs?mode=merge|replace`` (``applySmartMerge``/``applyFullReplace`` on the entity's contract,
  then ``createOrUpdate``), ``GET /{id}/odcs``, ``GET /name/{fqn}/odcs`` (``ODCSConverter.toODCS``)
  and their ``/yaml`` forms, which ``@Consumes({"application/yaml", "text/yaml"})`` (the ingestion
  client's ``application/x-yaml`` is a 415, as Jersey answers), ``POST /odcs/validate/yaml`` and
  ``POST /validate`` (``validateContractWithoutThrowing`` -> ``ContractValidation``), ``POST
  /odcs/parse/yaml`` (``ODCSParseResult``), ``POST /{id}/validate`` and ``POST /entity/validate``
  (``DataContractResult``), ``PUT|GET /{id}/results``, ``GET /{id}/results/latest``, ``GET
  /{id}/results/{resultId}``, ``DELETE /{id}/results/{timestamp}``, ``GET /entity``.
- ``util/ODCSConverter.fromODCS``/``toODCS``: the mapping of schema objects (the object named
  like the entity, else the first), team members with role ``owner`` (resolved to users or teams;
  unresolved ones are dropped), roles, SLA properties and quality rules (see the functions).
- ``DataContractRepository.validateContract``: the result is ``Success`` unless a validation
  fails; with no quality expectations it is final; ``addContractResult`` stores it and sets the
  contract's ``latestResult``.

Not modelled (answer 501): ``qualityExpectations`` (test suites for contracts), ``semantics``
validation (the server's JSON Logic RuleEngine), entity types other than tables.
"""

from __future__ import annotations

import copy
import time
import uuid

from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.errors import ApiError, validated
from tests.openmetadata_standin.governance import (
    check_extension,
    check_patch_media,
    create,
    patch_entity,
    user_refs,
)
from tests.openmetadata_standin.owners_tags import check_owners
from tests.openmetadata_standin.routes import Call, Route, TextAnswer
from tests.openmetadata_standin.store import check_include
from tests.openmetadata_standin.views import requested_fields, view

_ID = r"(?P<id>[0-9a-fA-F-]{36})"
_DC = "dataContracts"
YAML_TYPES = ("application/yaml", "text/yaml")
# DataContractRepository.isSupportedEntityType (the stand-in stores only tables of these).
SUPPORTED_TYPES = {
    "table",
    "storedProcedure",
    "database",
    "databaseSchema",
    "dashboard",
    "dashboardDataModel",
    "pipeline",
    "topic",
    "searchIndex",
    "apiCollection",
    "apiEndpoint",
    "api",
    "mlmodel",
    "container",
    "directory",
    "file",
    "spreadsheet",
    "worksheet",
}
# ODCSConverter.mapContractStatusToODCS / mapODCSStatusToContract.
_TO_ODCS_STATUS = {"Approved": "active", "Deprecated": "deprecated"}
_FROM_ODCS_STATUS = {"active": "Approved", "deprecated": "Deprecated", "retired": "Deprecated"}
# ODCSConverter.mapLogicalTypeToDataType (used when physicalType is no ColumnDataType).
_LOGICAL_TO_TYPE = {
    "integer": "INT",
    "long": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "decimal": "DECIMAL",
    "number": "NUMBER",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "time": "TIME",
    "array": "ARRAY",
    "object": "STRUCT",
    "text": "TEXT",
    "bytes": "BINARY",
    "null": "NULL",
    "string": "STRING",
}
# ODCSConverter.mapDataTypeToLogicalType.
_TYPE_TO_LOGICAL = {
    **dict.fromkeys(("INT", "SMALLINT", "TINYINT", "BYTEINT"), "integer"),
    "BIGINT": "long",
    "FLOAT": "float",
    "DOUBLE": "double",
    **dict.fromkeys(("DECIMAL", "NUMERIC"), "decimal"),
    "NUMBER": "number",
    "BOOLEAN": "boolean",
    **dict.fromkeys(("DATE", "DATETIME"), "date"),
    **dict.fromkeys(("TIMESTAMP", "TIMESTAMPZ"), "timestamp"),
    "TIME": "time",
    "ARRAY": "array",
    **dict.fromkeys(("MAP", "STRUCT", "JSON"), "object"),
    **dict.fromkeys(("BLOB", "BYTEA", "BINARY", "VARBINARY", "LONGBLOB", "MEDIUMBLOB"), "bytes"),
    **dict.fromkeys(("TEXT", "MEDIUMTEXT", "CLOB", "NTEXT"), "text"),
}
# ODCSConverter.normalizeTimeUnit.
_UNITS = {
    **dict.fromkeys(("hours", "hrs", "h"), "hour"),
    **dict.fromkeys(("days", "d"), "day"),
    **dict.fromkeys(("weeks", "wks", "w"), "week"),
    **dict.fromkeys(("months", "mos"), "month"),
    **dict.fromkeys(("years", "yrs", "y"), "year"),
    **dict.fromkeys(("minutes", "mins", "m"), "minute"),
    **dict.fromkeys(("seconds", "secs", "s"), "second"),
}


def _yaml(call: Call):
    """The YAML body of a ``@Consumes({"application/yaml", "text/yaml"})`` resource."""
    import yaml

    if call.content_type and call.content_type not in YAML_TYPES:
        raise ApiError(415, "HTTP 415 Unsupported Media Type")
    if not isinstance(call.body, str):
        raise ApiError(400, "Invalid YAML content: empty body")
    try:
        return yaml.safe_load(call.body)
    except yaml.YAMLError as exc:
        raise ApiError(400, f"Invalid ODCS YAML content: {exc}") from None


# -- the entity ---------------------------------------------------------------------------------
def _target(server, entity_type: str | None, entity_id: str | None) -> dict:
    """The contract's entity (validateEntitySpecificConstraints, then getEntityReferenceById)."""
    if entity_type not in SUPPORTED_TYPES:
        raise ApiError(400, f"Entity type '{entity_type}' is not supported for data contracts")
    if entity_type not in KINDS:
        raise ApiError(404, f"{entity_type} instance for {entity_id} not found")  # the stand-in has none
    return server.store.get_by_id(entity_type, str(entity_id))


def _contract_of(server, entity_id: str) -> dict | None:
    """``DataContractRepository.loadEntityDataContract``: the entity's non-deleted contract."""
    for contract in list(server.store.by_id["dataContract"].values()):
        if contract["entity"]["id"] == entity_id and not contract.get("deleted"):
            return contract
    return None


def _schema_validation(server, contract: dict) -> dict:
    """``validateSchemaFieldsAgainstEntity`` as a SchemaValidation."""
    schema = contract.get("schema") or []
    if not schema:
        return {"passed": 0, "failed": 0, "total": 0}
    names = [column["name"] for column in schema]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    entity = server.store.by_id["table"].get(contract["entity"]["id"]) or {}
    table_columns = {c["name"] for c in entity.get("columns") or []}
    failed = [n for n in names if n not in table_columns]
    result = {"passed": max(0, len(names) - len(failed) - len(duplicates)), "failed": len(failed) + len(duplicates)}
    result["total"] = len(names)
    if failed:
        result["failedFields"] = failed
    if duplicates:
        result["duplicateFields"] = duplicates
    return result


def _schema_errors(server, contract: dict) -> list[str]:
    validation = _schema_validation(server, contract)
    errors = []
    if validation.get("duplicateFields"):
        errors.append(f"Duplicate column names in contract schema: {', '.join(validation['duplicateFields'])}")
    if validation.get("failedFields"):
        errors.append(
            f"The following fields specified in the data contract do not exist in the "
            f"{contract['entity']['type']}: {', '.join(validation['failedFields'])}"
        )
    return errors


def _prepare(server, contract: dict, create_new: bool) -> dict:
    """``DataContractRepository.prepare``: entity, schema, owners and reviewers.

    Raises:
        ApiError: 400/404 as the server's prepare.
    """
    if contract.get("qualityExpectations"):
        raise ApiError(501, "stand-in does not implement dataContract qualityExpectations (contract test suites)")
    entity = _target(server, contract["entity"].get("type"), contract["entity"].get("id"))
    if create_new and _contract_of(server, entity["id"]) is not None:
        raise ApiError(
            400, f"A data contract already exists for entity '{contract['entity']['type']}' with ID {entity['id']}"
        )
    contract["entity"] = server.store.reference(contract["entity"]["type"], entity)
    errors = _schema_errors(server, contract)
    if errors:
        raise ApiError(400, f"Schema validation failed. {'. '.join(errors)}")
    if contract.get("owners"):
        contract["owners"] = check_owners(server.store, contract["owners"])
    if contract.get("reviewers"):
        contract["reviewers"] = user_refs(server.store, contract["reviewers"])
    check_extension(server, "dataContract", contract.get("extension"))
    return contract


def _from_request(data: dict) -> dict:
    """``DataContractMapper.createToEntity``: the entity a CreateDataContract describes."""
    contract = {k: v for k, v in data.items() if k != "termsOfUse"}
    if data.get("termsOfUse") is not None:
        contract["termsOfUse"] = {"content": data["termsOfUse"]}
    contract.setdefault("entityStatus", "Draft")
    return contract


def _write(server, call: Call, contract: dict, user: str) -> tuple[int, dict]:
    existing = _contract_of(server, str(contract["entity"]["id"]))
    fqn = None
    if existing is not None and existing["name"] == contract["name"]:
        fqn = existing["fullyQualifiedName"]
    contract = _prepare(server, contract, create_new=fqn is None or call.method == "POST")
    contract["fullyQualifiedName"] = (
        fqn or f"{contract['entity']['fullyQualifiedName']}.dataContract_{contract['name']}"
    )
    if fqn is None:
        now = int(time.time() * 1000)
        contract.setdefault("createdAt", now)
        contract.setdefault("createdBy", user)
    elif existing.get("latestResult"):
        contract.setdefault("latestResult", existing["latestResult"])
    return create(server, call, "dataContract", contract)


def put_contract(server, call: Call):
    """``PUT``/``POST /dataContracts`` with a CreateDataContract body."""
    if call.content_type in YAML_TYPES:
        body = _yaml(call)
    else:
        body = call.body
    request = validated(KINDS["dataContract"].create_model, body, "CreateDataContractRequest")
    data = request.model_dump(mode="json", exclude_none=True, by_alias=True)
    return _write(server, call, _from_request(data), call.user)


def _check_patched(server, patched: dict) -> dict:
    return _prepare(server, patched, create_new=False)


def patch_contract(server, call: Call):
    """``PATCH /dataContracts/{id}`` (the entity, name and FQN cannot be patched)."""
    check_patch_media(call)
    return 200, patch_entity(
        server,
        "dataContract",
        call.groups["id"],
        call.body,
        call.user,
        read_only=("entity", "createdAt", "createdBy", "testSuite"),
        check=_check_patched,
    )


def get_by_entity(server, call: Call):
    """``GET /dataContracts/entity?entityId=&entityType=``."""
    entity = _target(server, call.query.get("entityType"), call.query.get("entityId"))
    contract = _contract_of(server, entity["id"])
    if contract is None:
        raise ApiError(404, f"dataContract for entity {entity['id']} not found")
    fields = requested_fields(KINDS["dataContract"], call.query.get("fields") or "owners,reviewers")
    return 200, view(KINDS["dataContract"], contract, fields)


# -- ODCS ---------------------------------------------------------------------------------------
def _description(odcs: dict) -> str | None:
    description = odcs.get("description") or {}
    text = description.get("purpose") or ""
    for label, key in (("Limitations", "limitations"), ("Usage", "usage")):
        if description.get(key):
            text = f"{text}\n\n**{label}:**\n{description[key]}" if text else description[key]
    return text or None


def _columns(elements: list[dict]) -> list[dict]:
    from metadata.generated.schema.entity.data.table import DataType

    known = {member.value for member in DataType}
    columns = []
    for element in elements or []:
        physical = (element.get("physicalType") or "").upper()
        column = {
            "name": element["name"],
            "dataType": physical if physical in known else _LOGICAL_TO_TYPE.get(element.get("logicalType"), "STRING"),
        }
        if element.get("description"):
            column["description"] = element["description"]
        if element.get("primaryKey"):
            column["constraint"] = "PRIMARY_KEY"
        elif element.get("unique"):
            column["constraint"] = "UNIQUE"
        elif element.get("required"):
            column["constraint"] = "NOT_NULL"
        if (element.get("logicalTypeOptions") or {}).get("maxLength") is not None:
            column["dataLength"] = element["logicalTypeOptions"]["maxLength"]
        if element.get("properties"):
            column["children"] = _columns(element["properties"])
        columns.append(column)
    return columns


def _schema_columns(schema: list[dict], entity: dict, object_name: str | None) -> list[dict]:
    """``extractColumnsFromODCSSchema``: the named object, the one named like the entity, or the first."""
    objects = [e for e in schema or [] if e.get("logicalType") == "object" or e.get("properties")]
    if not objects:
        return _columns(schema)  # legacy: columns directly under schema
    target = None
    if object_name:
        target = next((e for e in objects if (e.get("name") or "").lower() == object_name.lower()), None)
        if target is None:
            names = [e.get("name") for e in objects]
            raise ApiError(400, f"Schema object '{object_name}' not found in ODCS contract. Available objects: {names}")
    target = target or next((e for e in objects if (e.get("name") or "").lower() == entity["name"].lower()), None)
    target = target or objects[0]
    return _columns(target.get("properties") or [])


def _owners(server, team: list[dict]) -> list[dict]:
    """``convertTeamToOwners``: members with role owner, as a user (username, then name) or a team."""
    from metadata.utils import fqn as fqn_utils

    store, owners = server.store, []
    for member in team or []:
        if (member.get("role") or "").lower() != "owner":
            continue
        found = None
        for type_name, name in (
            ("user", member.get("username")),
            ("user", member.get("name")),
            ("team", member.get("name")),
        ):
            if not name:
                continue
            quoted = fqn_utils.quote_name(name.lower() if type_name == "user" else name)
            entity_id = store.fqn_index[type_name].get(quoted)
            if entity_id and not store.by_id[type_name][entity_id].get("deleted"):
                found = {"id": entity_id, "type": type_name}
                break
        if found:
            owners.append(found)
    return owners


def _sla(properties: list[dict]) -> dict:
    """``convertODCSSLAToContract``."""

    def integer(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0

    def unit(prop):
        raw = prop.get("unit")
        return None if raw is None else _UNITS.get(raw.lower().strip(), raw.lower().strip())

    sla = {}
    for prop in properties or []:
        name = (prop.get("property") or "").lower()
        if name in ("freshness", "refreshfrequency"):
            sla["refreshFrequency"] = {"interval": integer(prop.get("value")), "unit": unit(prop)}
        elif name in ("latency", "maxlatency"):
            sla["maxLatency"] = {"value": integer(prop.get("value")), "unit": unit(prop)}
        elif name == "retention":
            sla["retention"] = {"period": integer(prop.get("value")), "unit": unit(prop)}
        elif name == "availabilitytime":
            sla["availabilityTime"] = prop.get("value")
            if prop.get("valueExt"):
                sla["timezone"] = prop["valueExt"]
    return {k: {kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v for k, v in sla.items()}


def _quality_rules(odcs: dict) -> list[dict]:
    """``collectAllQualityRules``: top-level rules, then each element's (with its column)."""
    rules = list(odcs.get("quality") or [])

    def collect(element):
        for rule in element.get("quality") or []:
            rules.append(rule if rule.get("column") else {**rule, "column": element.get("name")})
        for child in element.get("properties") or []:
            collect(child)

    for element in odcs.get("schema") or []:
        collect(element)
    return rules


def from_odcs(server, odcs: dict, entity: dict, entity_type: str, object_name: str | None) -> dict:
    """``ODCSConverter.fromODCS``: the DataContract an ODCS document describes (before prepare)."""
    contract = {
        "name": odcs.get("name") or f"{entity['name']}_contract",
        "entityStatus": _FROM_ODCS_STATUS.get(odcs.get("status"), "Draft"),
        "entity": {"id": entity["id"], "type": entity_type},
    }
    if _description(odcs):
        contract["description"] = _description(odcs)
    if odcs.get("schema"):
        contract["schema"] = _schema_columns(odcs["schema"], entity, object_name)
    if odcs.get("team"):
        contract["owners"] = _owners(server, odcs["team"])
    if odcs.get("roles"):
        security, policies = {}, []
        for role in odcs["roles"]:
            if (role.get("role") or "").startswith("classification-"):
                security["dataClassification"] = role["role"].replace("classification-", "")
            else:
                policy = {"accessPolicy": role.get("role")}
                if role.get("firstLevelApprovers"):
                    policy["identities"] = list(role["firstLevelApprovers"])
                policies.append(policy)
        if policies:
            security["policies"] = policies
        contract["security"] = security
    if odcs.get("slaProperties"):
        contract["sla"] = _sla(odcs["slaProperties"])
    rules = _quality_rules(odcs)
    if rules:
        contract["odcsQualityRules"] = rules
    return contract


def to_odcs(contract: dict) -> dict:
    """``ODCSConverter.toODCS`` (v3.1.0)."""
    odcs = {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": contract["id"],
        "name": contract["name"],
        "version": str(contract.get("version", "1.0.0")),
        "status": _TO_ODCS_STATUS.get(contract.get("entityStatus"), "draft"),
    }
    if contract.get("description"):
        odcs["description"] = {"purpose": contract["description"]}
    entity = contract["entity"]
    parts = entity["fullyQualifiedName"].split(".")
    odcs["domain"] = ".".join(parts[:2])
    odcs["dataProduct"] = entity["fullyQualifiedName"]
    if contract.get("schema"):

        def element(column):
            out = {
                "name": column["name"],
                "physicalName": column["name"],
                "logicalType": _TYPE_TO_LOGICAL.get(column.get("dataType"), "string"),
                "physicalType": column.get("dataType"),
            }
            if column.get("description"):
                out["description"] = column["description"]
            if column.get("constraint"):
                out["primaryKey"] = column["constraint"] == "PRIMARY_KEY"
                out["unique"] = column["constraint"] == "UNIQUE"
                out["required"] = column["constraint"] == "NOT_NULL"
            if column.get("dataLength") is not None:
                out["logicalTypeOptions"] = {"maxLength": column["dataLength"]}
            if column.get("children"):
                out["properties"] = [element(c) for c in column["children"]]
            return out

        table_object = {"name": entity["name"], "logicalType": "object", "physicalType": "table"}
        table_object["properties"] = [element(c) for c in contract["schema"]]
        odcs["schema"] = [table_object]
    if contract.get("owners"):
        odcs["team"] = [
            {"username": o["name"], "name": o.get("displayName") or o["name"], "role": "owner"}
            for o in contract["owners"]
        ]
    security = contract.get("security")
    if security:
        roles = [
            {"role": p.get("accessPolicy") or "data-consumer", "access": "read"}
            | ({"firstLevelApprovers": list(p["identities"])} if p.get("identities") else {})
            for p in security.get("policies") or []
        ]
        if security.get("dataClassification"):
            roles.append(
                {
                    "role": f"classification-{security['dataClassification']}",
                    "description": f"Data classification: {security['dataClassification']}",
                }
            )
        odcs["roles"] = roles
    sla = contract.get("sla")
    if sla:
        props = []
        for key, prop, value_key in (
            ("refreshFrequency", "freshness", "interval"),
            ("maxLatency", "latency", "value"),
            ("retention", "retention", "period"),
        ):
            if sla.get(key):
                item = {"property": prop, "value": str(sla[key].get(value_key))}
                if sla[key].get("unit"):
                    item["unit"] = sla[key]["unit"]
                props.append(item)
        if sla.get("availabilityTime"):
            item = {"property": "availabilityTime", "value": sla["availabilityTime"]}
            if sla.get("timezone"):
                item["valueExt"] = sla["timezone"]
            props.append(item)
        odcs["slaProperties"] = props
    if contract.get("termsOfUse"):
        odcs["tags"] = ["terms-of-use"]
    rules = copy.deepcopy(contract.get("odcsQualityRules") or [])
    if rules:  # distributeQualityRules: column rules onto their schema element
        top = []
        elements = {p["name"]: p for obj in odcs.get("schema") or [] for p in obj.get("properties") or []}
        for rule in rules:
            target = elements.get(rule.get("column") or "")
            if target is None:
                top.append(rule)
            else:
                target.setdefault("quality", []).append(rule)
        if top:
            odcs["quality"] = top
    return odcs


def _odcs_body(call: Call, yaml_form: bool):
    from metadata.generated.schema.entity.datacontract.odcs.odcsDataContract import ODCSDataContract

    body = _yaml(call) if yaml_form else call.body
    if not yaml_form and call.content_type in YAML_TYPES + ("application/x-yaml",):
        raise ApiError(415, "HTTP 415 Unsupported Media Type")  # @Consumes(MediaType.APPLICATION_JSON)
    model = validated(ODCSDataContract, body, "ODCSDataContract")
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def _merge(existing: dict, imported: dict, mode: str) -> dict:
    """``applySmartMerge`` (imported fields over the stored ones) or ``applyFullReplace`` (the
    imported contract), both keeping the stored contract's name, FQN and execution history."""
    keep = {k: existing[k] for k in ("name", "latestResult", "createdAt", "createdBy") if k in existing}
    if mode == "replace":
        return {**imported, **keep}
    base = {
        k: copy.deepcopy(v)
        for k, v in existing.items()
        if k
        not in (
            "id",
            "href",
            "version",
            "updatedAt",
            "updatedBy",
            "fullyQualifiedName",
            "changeDescription",
            "incrementalChangeDescription",
            "deleted",
        )
    }
    return {**base, **imported, **keep}


def import_odcs(server, call: Call):
    """``POST``/``PUT /dataContracts/odcs[/yaml]?entityId=&entityType=[&mode=][&objectName=]``."""
    yaml_form = call.path.endswith("/yaml")
    odcs = _odcs_body(call, yaml_form)
    entity_type = call.query.get("entityType")
    entity = _target(server, entity_type, call.query.get("entityId"))
    contract = from_odcs(server, odcs, entity, entity_type, call.query.get("objectName"))
    if call.method == "PUT":
        mode = call.query.get("mode", "merge").lower()
        existing = _contract_of(server, entity["id"])
        if existing is not None:
            contract = _merge(existing, contract, mode)
    return _write(server, call, contract, call.user)


def _contract_validation(server, contract: dict) -> dict:
    """``validateContractWithoutThrowing``: a ContractValidation, never an error."""
    constraint_errors = []
    entity_ref = contract.get("entity") or {}
    try:
        _target(server, entity_ref.get("type"), entity_ref.get("id"))
        errors = _schema_errors(server, contract)
        if errors:
            raise ApiError(400, f"Schema validation failed. {'. '.join(errors)}")
        for owner in [*(contract.get("owners") or []), *(contract.get("reviewers") or [])]:
            server.store.get_by_id(owner["type"], str(owner["id"]))
    except ApiError as exc:
        constraint_errors.append(exc.message)
    validation = {"valid": not constraint_errors}
    if entity_ref.get("type") == "table" and entity_ref.get("id") in server.store.by_id["table"]:
        validation["schemaValidation"] = _schema_validation(server, contract)
    if constraint_errors:
        validation["constraintErrors"] = constraint_errors
    return validation


def validate_odcs_yaml(server, call: Call):
    """``POST /dataContracts/odcs/validate/yaml?entityId=&entityType=``."""
    odcs = _odcs_body(call, True)
    entity_type = call.query.get("entityType")
    entity = _target(server, entity_type, call.query.get("entityId"))
    contract = from_odcs(server, odcs, entity, entity_type, call.query.get("objectName"))
    return 200, _contract_validation(server, contract)


def validate_request(server, call: Call):
    """``POST /dataContracts/validate[/yaml]`` with a CreateDataContract."""
    body = _yaml(call) if call.path.endswith("/yaml") else call.body
    request = validated(KINDS["dataContract"].create_model, body, "CreateDataContractRequest")
    contract = _from_request(request.model_dump(mode="json", exclude_none=True, by_alias=True))
    return 200, _contract_validation(server, contract)


def parse_odcs_yaml(server, call: Call):
    """``POST /dataContracts/odcs/parse/yaml``: name, version, status and schema objects."""
    odcs = _odcs_body(call, True)
    objects = [
        e["name"]
        for e in odcs.get("schema") or []
        if e.get("name") and (e.get("logicalType") == "object" or e.get("properties"))
    ]
    return 200, {
        "name": odcs.get("name"),
        "version": odcs.get("version"),
        "status": odcs.get("status"),
        "schemaObjects": objects,
        "hasMultipleObjects": len(objects) > 1,
    }


def _contract(server, call: Call) -> dict:
    if "fqn" in call.groups:
        return server.store.get_by_fqn("dataContract", call.groups["fqn"])
    return server.store.get_by_id("dataContract", call.groups["id"])


def export_odcs(server, call: Call):
    """``GET /dataContracts/{id}/odcs`` and ``/name/{fqn}/odcs`` (``/yaml``: as application/yaml)."""
    import yaml

    odcs = to_odcs(_contract(server, call))
    if call.path.endswith("/yaml"):
        return 200, TextAnswer(yaml.safe_dump(odcs, sort_keys=False), "application/yaml")
    return 200, odcs


# -- validation and results -----------------------------------------------------------------
def _results(server) -> dict[str, list[dict]]:
    """DataContractResults by contract FQN (the entityExtensionTimeSeries ``dataContract.dataContractResult``)."""
    # Kept with the store, so StandInServer.reset() (a new store) forgets them too.
    return server.store.__dict__.setdefault("data_contract_results", {})


def _store_result(server, contract: dict, result: dict) -> dict:
    """``addContractResult``: insert or replace (same id), and set the contract's latestResult
    (a DERIVED patch: no version change here)."""
    from metadata.generated.schema.entity.datacontract.dataContractResult import DataContractResult

    DataContractResult.model_validate(result)
    results = _results(server).setdefault(contract["fullyQualifiedName"], [])
    replaced = [i for i, r in enumerate(results) if r.get("id") == result["id"]]
    if replaced:
        results[replaced[0]] = result
        return result
    results.append(result)
    latest = {
        "timestamp": result["timestamp"],
        "status": result["contractExecutionStatus"],
        "message": result.get("result") or "",
        "resultId": result["id"],
    }
    server.store.replace_fields(KINDS["dataContract"], contract["id"], {"latestResult": latest})
    return result


def _run_validation(server, contract: dict) -> dict:
    """``validateContract``: schema validation against the table now; Success unless it fails."""
    if contract.get("semantics"):
        raise ApiError(501, "stand-in does not implement semantics validation (the server's RuleEngine)")
    schema = _schema_validation(server, contract)
    result = {
        "id": str(uuid.uuid4()),
        "dataContractFQN": contract["fullyQualifiedName"],
        "timestamp": int(time.time() * 1000),
        "contractExecutionStatus": "Success",
    }
    if contract.get("schema"):
        result["schemaValidation"] = schema
    if schema.get("failed"):
        result["contractExecutionStatus"] = "Failed"
        result["result"] = "Schema validation failed"
    return _store_result(server, contract, result)


def validate_contract(server, call: Call):
    """``POST /dataContracts/{id}/validate``."""
    return 200, _run_validation(server, server.store.get_by_id("dataContract", call.groups["id"]))


def validate_by_entity(server, call: Call):
    """``POST /dataContracts/entity/validate?entityId=&entityType=``."""
    entity = _target(server, call.query.get("entityType"), call.query.get("entityId"))
    contract = _contract_of(server, entity["id"])
    if contract is None:
        raise ApiError(404, f"No data contract found for entity {entity['id']}")
    return 200, _run_validation(server, contract)


def put_result(server, call: Call):
    """``PUT /dataContracts/{id}/results``: the result gets an id and the contract's FQN if missing."""
    contract = server.store.get_by_id("dataContract", call.groups["id"])
    body = dict(call.body) if isinstance(call.body, dict) else call.body
    if isinstance(body, dict):
        body.setdefault("dataContractFQN", contract["fullyQualifiedName"])
    from metadata.generated.schema.entity.datacontract.dataContractResult import DataContractResult

    result = validated(DataContractResult, body, "DataContractResult").model_dump(mode="json", exclude_none=True)
    result["id"] = result.get("id") or str(uuid.uuid4())
    result["dataContractFQN"] = contract["fullyQualifiedName"]
    return 200, _store_result(server, contract, result)


def list_results(server, call: Call):
    """``GET /dataContracts/{id}/results?limit=&startTs=&endTs=``: newest first."""
    contract = server.store.get_by_id("dataContract", call.groups["id"])
    start = int(call.query.get("startTs", 0))
    end = int(call.query.get("endTs", 2**62))
    items = [r for r in _results(server).get(contract["fullyQualifiedName"], []) if start <= r["timestamp"] <= end]
    items = sorted(items, key=lambda r: r["timestamp"], reverse=True)[: int(call.query.get("limit", 10))]
    return 200, {"data": items, "paging": {"total": len(items)}}


def latest_result(server, call: Call):
    """``GET /dataContracts/{id}/results/latest``."""
    contract = server.store.get_by_id("dataContract", call.groups["id"])
    items = _results(server).get(contract["fullyQualifiedName"], [])
    if not items:
        raise ApiError(404, f"dataContractResult for {contract['fullyQualifiedName']} not found")
    return 200, max(items, key=lambda r: r["timestamp"])


def result_by_id(server, call: Call):
    """``GET /dataContracts/{id}/results/{resultId}``."""
    contract = server.store.get_by_id("dataContract", call.groups["id"])
    for item in _results(server).get(contract["fullyQualifiedName"], []):
        if item["id"] == call.groups["result"]:
            return 200, item
    raise ApiError(404, f"dataContractResult instance for {call.groups['result']} not found")


def delete_results(server, call: Call):
    """``DELETE /dataContracts/{id}/results/{timestamp}`` and ``/results/before/{timestamp}``."""
    contract = server.store.get_by_id("dataContract", call.groups["id"])
    results = _results(server).get(contract["fullyQualifiedName"], [])
    ts = int(call.groups["ts"])
    before = "/before/" in call.path
    results[:] = [r for r in results if not (r["timestamp"] < ts if before else r["timestamp"] == ts)]
    return 200, {}


def get_contract(server, call: Call):
    """``GET /dataContracts/{id}`` and ``/name/{fqn}`` (generic views; ``include`` honoured)."""
    include = check_include(call.query.get("include"))
    if "fqn" in call.groups:
        contract = server.store.get_by_fqn("dataContract", call.groups["fqn"], include)
    else:
        contract = server.store.get_by_id("dataContract", call.groups["id"], include)
    return 200, view(KINDS["dataContract"], contract, requested_fields(KINDS["dataContract"], call.query.get("fields")))


ROUTES = [
    Route("POST", rf"{_DC}/odcs", import_odcs),
    Route("PUT", rf"{_DC}/odcs", import_odcs),
    Route("POST", rf"{_DC}/odcs/yaml", import_odcs),
    Route("PUT", rf"{_DC}/odcs/yaml", import_odcs),
    Route("POST", rf"{_DC}/odcs/validate/yaml", validate_odcs_yaml),
    Route("POST", rf"{_DC}/odcs/parse/yaml", parse_odcs_yaml),
    Route("POST", rf"{_DC}/validate", validate_request),
    Route("POST", rf"{_DC}/validate/yaml", validate_request),
    Route("GET", rf"{_DC}/entity", get_by_entity),
    Route("POST", rf"{_DC}/entity/validate", validate_by_entity),
    Route("PUT", rf"{_DC}", put_contract),
    Route("POST", rf"{_DC}", put_contract),
    Route("PATCH", rf"{_DC}/{_ID}", patch_contract),
    Route("GET", rf"{_DC}/{_ID}/odcs", export_odcs),
    Route("GET", rf"{_DC}/{_ID}/odcs/yaml", export_odcs),
    Route("GET", rf"{_DC}/name/(?P<fqn>.+)/odcs", export_odcs),
    Route("GET", rf"{_DC}/name/(?P<fqn>.+)/odcs/yaml", export_odcs),
    Route("POST", rf"{_DC}/{_ID}/validate", validate_contract),
    Route("PUT", rf"{_DC}/{_ID}/results", put_result),
    Route("GET", rf"{_DC}/{_ID}/results", list_results),
    Route("GET", rf"{_DC}/{_ID}/results/latest", latest_result),
    Route("DELETE", rf"{_DC}/{_ID}/results/before/(?P<ts>[0-9]+)", delete_results),
    Route("DELETE", rf"{_DC}/{_ID}/results/(?P<ts>[0-9]+)", delete_results),
    Route("GET", rf"{_DC}/{_ID}/results/(?P<result>[0-9a-fA-F-]{{36}})", result_by_id),
    Route("GET", rf"{_DC}/name/(?P<fqn>.+)", get_contract),
    Route("GET", rf"{_DC}/{_ID}", get_contract),
]

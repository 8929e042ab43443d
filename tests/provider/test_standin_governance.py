"""The stand-in serves governance and data contracts the way openmetadata-ingestion's client calls them,
and refuses what the server refuses (FQN rules, unknown owners/terms/fields, missing patch paths,
one contract per entity)."""

from __future__ import annotations

import pytest
import requests

from tests.openmetadata_standin.governance import ensure_types, seed_tiers
from tests.openmetadata_standin.seed import create_tables, create_user

TABLE = "svc.db.sch.rental"


@pytest.fixture
def om(openmetadata):
    """The ingestion client against a stand-in holding one table and a user ``jane``."""
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    create_tables(openmetadata, {TABLE: ["rental_id", "amount"]})
    create_user(openmetadata, "jane")
    return OpenMetadata(
        OpenMetadataConnection(
            hostPort=openmetadata.host_port,
            authProvider="openmetadata",
            securityConfig={"jwtToken": openmetadata.token},
        )
    )


def _table(om):
    from metadata.generated.schema.entity.data.table import Table

    return om.get_by_name(Table, TABLE, fields=["owners", "tags", "domains", "dataProducts", "extension"])


def test_glossary_terms_follow_the_server_fqn_rules(om, openmetadata):
    from metadata.generated.schema.api.data.createGlossary import CreateGlossaryRequest
    from metadata.generated.schema.api.data.createGlossaryTerm import CreateGlossaryTermRequest
    from metadata.generated.schema.entity.data.glossaryTerm import GlossaryTerm

    om.create_or_update(CreateGlossaryRequest(name="Business", description="terms"))
    parent = om.create_or_update(CreateGlossaryTermRequest(glossary="Business", name="Customer", description="c"))
    child = om.create_or_update(
        CreateGlossaryTermRequest(glossary="Business", parent="Business.Customer", name="v.i.p", description="v")
    )
    assert parent.fullyQualifiedName.root == "Business.Customer"
    assert child.fullyQualifiedName.root == 'Business.Customer."v.i.p"'
    assert child.parent.id == parent.id and child.glossary.name == "Business"
    assert om.get_by_name(GlossaryTerm, 'Business.Customer."v.i.p"').id == child.id

    status, answer = openmetadata.call("PUT", "/glossaryTerms", {"glossary": "Nope", "name": "x", "description": "d"})
    assert (status, answer["message"]) == (404, "glossary instance for Nope not found")
    status, _ = openmetadata.call(
        "PUT", "/glossaryTerms", {"glossary": "Business", "parent": "Business.Ghost", "name": "x", "description": "d"}
    )
    assert status == 404
    assert openmetadata.call("PUT", "/glossaryTerms", {"glossary": "Business", "name": "x"})[0] == 400  # description


def test_domains_and_data_products(om, openmetadata):
    from metadata.generated.schema.api.domains.createDataProduct import CreateDataProductRequest
    from metadata.generated.schema.api.domains.createDomain import CreateDomainRequest
    from metadata.generated.schema.entity.domains.domain import Domain

    sales = om.create_or_update(CreateDomainRequest(name="Sales", domainType="Aggregate", description="s"))
    eu = om.create_or_update(CreateDomainRequest(name="EU", parent="Sales", domainType="Aggregate", description="e"))
    assert eu.fullyQualifiedName.root == "Sales.EU" and eu.parent.id == sales.id
    assert om.get_by_name(Domain, "Sales.EU").id == eu.id
    product = om.create_or_update(CreateDataProductRequest(name="Rentals", description="r", domains=["Sales.EU"]))
    assert [d.fullyQualifiedName for d in product.domains.root] == ["Sales.EU"]
    status, _ = openmetadata.call("PUT", "/dataProducts", {"name": "X", "description": "x", "domains": ["Nope"]})
    assert status == 404
    # A PATCH cannot move a domain (DomainRepository.restorePatchAttributes)
    status, patched = openmetadata.call("PATCH", f"/domains/{eu.id.root}", [{"op": "remove", "path": "/parent"}])
    assert status == 200 and patched["parent"]["id"] == str(sales.id.root)


def test_table_patch_sets_governance_fields_and_bumps_the_version_once(om, openmetadata):
    from metadata.generated.schema.api.data.createGlossary import CreateGlossaryRequest
    from metadata.generated.schema.api.data.createGlossaryTerm import CreateGlossaryTermRequest
    from metadata.generated.schema.api.domains.createDomain import CreateDomainRequest
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.type.entityReference import EntityReference
    from metadata.generated.schema.type.entityReferenceList import EntityReferenceList
    from metadata.generated.schema.type.tagLabel import LabelType, State, TagLabel, TagSource

    seed_tiers(openmetadata)
    om.create_or_update(CreateGlossaryRequest(name="Business", description="terms"))
    om.create_or_update(CreateGlossaryTermRequest(glossary="Business", name="Rental", description="r"))
    domain = om.create_or_update(CreateDomainRequest(name="Sales", domainType="Aggregate", description="s"))
    jane = openmetadata.entities("user")[0]
    before = _table(om)
    labels = [
        TagLabel(tagFQN=fqn, source=source, labelType=LabelType.Manual, state=State.Confirmed)
        for fqn, source in (("Tier.Tier1", TagSource.Classification), ("Business.Rental", TagSource.Glossary))
    ]
    after = before.model_copy(deep=True)
    after.tags = labels
    after.owners = EntityReferenceList(root=[EntityReference(id=jane["id"], type="user")])
    after.domains = EntityReferenceList(root=[EntityReference(id=domain.id, type="domain")])
    after.description = "Rentals of films"
    patched = om.patch(entity=Table, source=before, destination=after)

    assert patched is not None, openmetadata.requests[-1]
    assert patched.version.root == before.version.root + 0.1
    stored = _table(om)
    assert sorted(t.tagFQN.root for t in stored.tags) == ["Business.Rental", "Tier.Tier1"]
    assert [o.name for o in stored.owners.root] == ["jane"]
    assert stored.domains.root[0].fullyQualifiedName == "Sales"
    assert openmetadata.count("PATCH", "/api/v1/tables/") == 1
    # the same patch again changes nothing: no new version
    again = openmetadata.call(
        "PATCH", f"/tables/{before.id.root}", [{"op": "add", "path": "/description", "value": "Rentals of films"}]
    )
    assert again[1]["version"] == patched.version.root


@pytest.mark.parametrize(
    ("operations", "status", "fragment"),
    [
        ([{"op": "remove", "path": "/owners/0"}], 400, "Invalid JSON Patch"),  # no owners yet: missing path
        ([{"op": "replace", "path": "/extension/retention", "value": 1}], 400, "Invalid JSON Patch"),
        (
            [
                {
                    "op": "add",
                    "path": "/owners",
                    "value": [{"id": "6d0e5f4a-0000-4000-8000-000000000000", "type": "user"}],
                }
            ],
            404,
            "user instance for",
        ),
        (
            [
                {
                    "op": "add",
                    "path": "/tags",
                    "value": [
                        {"tagFQN": "Business.Nope", "source": "Glossary", "labelType": "Manual", "state": "Confirmed"}
                    ],
                }
            ],
            404,
            "glossaryTerm instance for Business.Nope not found",
        ),
        (
            [
                {
                    "op": "add",
                    "path": "/domains",
                    "value": [{"id": "6d0e5f4a-0000-4000-8000-000000000000", "type": "domain"}],
                }
            ],
            404,
            "domain instance for",
        ),
        ([{"op": "add", "path": "/extension", "value": {"retention": 3}}], 400, "Unknown custom field retention"),
    ],
)
def test_table_patch_refuses_what_the_server_refuses(om, openmetadata, operations, status, fragment):
    table = openmetadata.entities("table")[0]
    answer = openmetadata.call("PATCH", f"/tables/{table['id']}", operations)
    assert answer[0] == status and fragment in answer[1]["message"]
    assert openmetadata.entities("table")[0]["version"] == table["version"]  # nothing written


def test_custom_property_and_extension(om, openmetadata):
    from metadata.generated.schema.api.data.createCustomProperty import CreateCustomPropertyRequest
    from metadata.generated.schema.entity.data.table import Table
    from metadata.ingestion.models.custom_properties import CustomPropertyDataTypes, OMetaCustomProperties

    om.create_or_update_custom_property(
        OMetaCustomProperties(
            entity_type=Table,
            createCustomPropertyRequest=CreateCustomPropertyRequest(
                name="retentionDays",
                description="days kept",
                propertyType=om.get_property_type_ref(CustomPropertyDataTypes.INTEGER),
            ),
        )
    )
    properties = om.get_entity_custom_properties(Table)
    assert [(p["name"], p["propertyType"]["name"]) for p in properties] == [("retentionDays", "integer")]
    assert ensure_types(openmetadata)["table"]["version"] == 0.2

    table = openmetadata.entities("table")[0]
    bad = openmetadata.call(
        "PATCH", f"/tables/{table['id']}", [{"op": "add", "path": "/extension", "value": {"retentionDays": "x"}}]
    )
    assert bad[0] == 400 and "retentionDays" in bad[1]["message"]
    ok = openmetadata.call(
        "PATCH", f"/tables/{table['id']}", [{"op": "add", "path": "/extension", "value": {"retentionDays": 30}}]
    )
    assert ok[0] == 200 and ok[1]["extension"] == {"retentionDays": 30}
    assert _table(om).extension.root == {"retentionDays": 30}


def test_roles_need_existing_policies(om, openmetadata):
    rule = {"name": "read", "effect": "allow", "resources": ["table"], "operations": ["ViewAll"]}
    assert openmetadata.call("PUT", "/roles", {"name": "Analyst", "policies": ["ReadTables"]})[0] == 404
    assert openmetadata.call("PUT", "/policies", {"name": "ReadTables", "rules": [rule]})[0] == 201
    status, role = openmetadata.call("PUT", "/roles", {"name": "Analyst", "policies": ["ReadTables"]})
    assert status == 201 and [p["name"] for p in role["policies"]] == ["ReadTables"]
    assert openmetadata.call("PUT", "/policies", {"name": "Bad", "rules": [{**rule, "effect": "maybe"}]})[0] == 400


ODCS = {
    "apiVersion": "v3.0.2",
    "kind": "DataContract",
    "id": "rental-contract",
    "name": "rental",
    "version": "1.0.0",
    "status": "active",
    "team": [{"username": "jane", "role": "owner"}],
    "schema": [
        {
            "name": "rental",
            "logicalType": "object",
            "properties": [{"name": "rental_id", "logicalType": "integer", "required": True}],
        }
    ],
    "slaProperties": [{"property": "freshness", "value": "1", "unit": "d"}],
}


def test_odcs_contract_roundtrip_versioning_and_results(om, openmetadata):
    from metadata.generated.schema.entity.datacontract.odcs.odcsDataContract import ODCSDataContract

    table = _table(om)
    contract = om.create_or_update_from_odcs(ODCSDataContract.model_validate(ODCS), table.id, "table")
    assert contract.fullyQualifiedName.root == f"{TABLE}.dataContract_rental"
    assert contract.version.root == 0.1 and contract.entityStatus.value == "Approved"
    assert [o.name for o in contract.owners.root] == ["jane"]
    assert contract.sla.refreshFrequency.unit.value == "day"
    # the same document again is no change; a changed one is +0.1 (ODCS version is not kept)
    again = om.create_or_update_from_odcs(ODCSDataContract.model_validate(ODCS), table.id, "table")
    assert again.version.root == 0.1
    wider = {
        **ODCS,
        "schema": [
            {
                **ODCS["schema"][0],
                "properties": [*ODCS["schema"][0]["properties"], {"name": "amount", "logicalType": "number"}],
            }
        ],
    }
    changed = om.create_or_update_from_odcs(ODCSDataContract.model_validate(wider), table.id, "table")
    assert changed.version.root == 0.2 and changed.id == contract.id
    exported = om.export_to_odcs(contract.id)
    assert exported.version == "0.2" and [p.name for p in exported.schema_[0].properties] == ["rental_id", "amount"]

    result = om.validate_data_contract(contract.id)
    assert result.contractExecutionStatus.value == "Success" and result.schemaValidation.passed == 2
    assert [r.id for r in om.get_data_contract_results(contract.id)] == [result.id]
    assert openmetadata.entities("dataContract")[0]["latestResult"]["resultId"] == str(result.id.root)
    assert om.get_data_contract_by_entity_id(table.id, "table").id == contract.id


def test_contract_rules(om, openmetadata):
    from metadata.generated.schema.entity.datacontract.odcs.odcsDataContract import ODCSDataContract

    table = _table(om)
    missing_column = {
        **ODCS,
        "schema": [{**ODCS["schema"][0], "properties": [{"name": "ghost", "logicalType": "string"}]}],
    }
    status, answer = openmetadata.call(
        "POST", "/dataContracts/odcs", missing_column, query={"entityId": str(table.id.root), "entityType": "table"}
    )
    assert status == 400 and "do not exist in the table: ghost" in answer["message"]
    assert openmetadata.entities("dataContract") == []
    unknown_table = {"entityId": "6d0e5f4a-0000-4000-8000-000000000000", "entityType": "table"}
    assert openmetadata.call("POST", "/dataContracts/odcs", ODCS, query=unknown_table)[0] == 404
    assert om.create_or_update_from_odcs(ODCSDataContract.model_validate(ODCS), table.id, "table") is not None
    second = {"name": "other", "entity": {"id": str(table.id.root), "type": "table"}}
    status, answer = openmetadata.call("POST", "/dataContracts", second)
    assert status == 400 and answer["message"].startswith("A data contract already exists for entity 'table'")
    bad_odcs = {k: v for k, v in ODCS.items() if k != "status"}
    assert (
        openmetadata.call(
            "PUT", "/dataContracts/odcs", bad_odcs, query={"entityId": str(table.id.root), "entityType": "table"}
        )[0]
        == 400
    )


def test_odcs_yaml_endpoints_want_application_yaml(om, openmetadata):
    import yaml

    table = _table(om)
    text = yaml.safe_dump(ODCS)
    # the ingestion client sends application/x-yaml, which the resource does not consume
    assert om.validate_odcs_yaml(table.id, "table", text) is None
    assert openmetadata.requests[-1].status == 415
    answer = requests.post(
        f"{openmetadata.host_port}/v1/dataContracts/odcs/validate/yaml",
        params={"entityId": str(table.id.root), "entityType": "table"},
        data=text,
        headers={"Authorization": f"Bearer {openmetadata.token}", "Content-Type": "application/yaml"},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["valid"] is True
    assert answer.json()["schemaValidation"] == {"passed": 1, "failed": 0, "total": 1}
    assert openmetadata.entities("dataContract") == []  # validation writes nothing

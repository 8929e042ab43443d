"""Governance as code against a real OpenMetadata server (skipped unless one is configured).

Set ``OPENMETADATA_HOST_PORT`` and ``OPENMETADATA_JWT_TOKEN`` as for the other files here and
run ``make test-e2e``. Each test creates its own DatabaseService (hard-deleted afterwards by
``real_server``) and its own team, domain and glossary (unique names, hard-deleted too), so it
never touches what users declared. The ``odcsVersion`` custom property apply defines on
dataContract stays (it is what every apply would define).
"""

from __future__ import annotations

import json
import textwrap
import uuid

import pytest

from tests.e2e.test_real_openmetadata import HOST_PORT, TOKEN, real_server  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (HOST_PORT and TOKEN), reason="needs a real server: set OPENMETADATA_HOST_PORT and OPENMETADATA_JWT_TOKEN"
    ),
]

CONTRACT = """
apiVersion: v3.0.2
kind: DataContract
id: e2e-{suffix}
name: rental
version: {version}
status: active
schema:
  - name: rental
    physicalName: rental
    properties:
      - name: rental_id
        logicalType: {rental_id_type}
      - name: rental_date
        logicalType: string
slaProperties:
  - property: latency
    value: "4"
    unit: h
"""


def _write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


@pytest.fixture
def governed(real_server, tmp_path):  # noqa: F811 - pytest fixture by name
    """A table in the test's own service and a governance folder for it; cleans up after."""
    from metadata.generated.schema.api.data.createDatabase import CreateDatabaseRequest
    from metadata.generated.schema.api.data.createDatabaseSchema import CreateDatabaseSchemaRequest
    from metadata.generated.schema.api.data.createTable import CreateTableRequest
    from metadata.generated.schema.api.services.createDatabaseService import CreateDatabaseServiceRequest
    from metadata.generated.schema.entity.data.dataContract import DataContract
    from metadata.generated.schema.entity.data.glossary import Glossary
    from metadata.generated.schema.entity.data.table import Column, DataType, Table
    from metadata.generated.schema.entity.domains.domain import Domain
    from metadata.generated.schema.entity.services.databaseService import DatabaseServiceType
    from metadata.generated.schema.entity.teams.team import Team

    client, service = real_server
    suffix = uuid.uuid4().hex[:8]
    client.create_or_update(CreateDatabaseServiceRequest(name=service, serviceType=DatabaseServiceType.Postgres))
    client.create_or_update(CreateDatabaseRequest(name="pagila", service=service))
    client.create_or_update(CreateDatabaseSchemaRequest(name="public", database=f"{service}.pagila"))
    table = client.create_or_update(
        CreateTableRequest(
            name="rental",
            databaseSchema=f"{service}.pagila.public",
            columns=[Column(name=c, dataType=DataType.VARCHAR, dataLength=64) for c in ("rental_id", "rental_date")],
        )
    )
    fqn = f"{service}.pagila.public.rental"
    names = {"team": f"e2e-team-{suffix}", "domain": f"E2E{suffix}", "glossary": f"E2EGlossary{suffix}"}
    folder = tmp_path / "governance"
    _write(
        folder / "rental.yaml",
        f"""
        table: {fqn}
        description: One row per film rental.
        owners: [{{team: {names["team"]}}}]
        tier: Tier2
        domain: {names["domain"]}
        glossaryTerms: [{names["glossary"]}.Rental]
        contract: contracts/rental.odcs.yaml
        define:
          teams: [{{name: {names["team"]}, description: e2e owners}}]
          domains: [{{name: {names["domain"]}, description: e2e domain}}]
          glossaries:
            - name: {names["glossary"]}
              description: e2e glossary
              terms: [{{name: Rental, description: A customer borrowing a film}}]
        """,
    )
    contract = folder / "contracts" / "rental.odcs.yaml"
    _write(contract, CONTRACT.format(suffix=suffix, version="1.0.0", rental_id_type="string"))
    yield client, folder, contract, fqn, suffix
    stored = client.get_data_contract_by_entity_id(table.id, "table")
    if stored is not None:
        client.delete(entity=DataContract, entity_id=stored.id, hard_delete=True)
    for cls, name in ((Glossary, names["glossary"]), (Domain, names["domain"]), (Team, names["team"])):
        entity = client.get_by_name(entity=cls, fqn=name)
        if entity is not None:
            client.delete(entity=cls, entity_id=entity.id, recursive=True, hard_delete=True)
    assert client.get_by_name(entity=Table, fqn=fqn) is not None  # real_server deletes the service


def test_apply_then_reapply_changes_nothing(governed):
    from metadata.generated.schema.entity.data.table import Table
    from openmetadata_platform.governance import apply, build_plan, load_folder

    client, folder, _, fqn, _ = governed
    first = apply(client, load_folder(folder))
    assert {(e["type"], e["action"]) for e in first["entities"]} == {
        ("team", "create"),
        ("domain", "create"),
        ("glossary", "create"),
        ("glossaryTerm", "create"),
        ("table", "update"),
        ("dataContract", "create"),
    }
    table = client.get_by_name(entity=Table, fqn=fqn, fields=["owners", "tags", "domains"])
    assert [o.type for o in table.owners.root] == ["team"]
    assert "Tier.Tier2" in {t.tagFQN.root for t in table.tags}
    version = table.version.root
    again = apply(client, load_folder(folder))
    assert again["applied"] == 0 and again["entities"] == []
    assert build_plan(client, load_folder(folder)).empty
    assert client.get_by_name(entity=Table, fqn=fqn).version.root == version  # nothing written


def test_drift_after_a_manual_edit(governed):
    from metadata.generated.schema.entity.data.table import Table
    from openmetadata_platform.governance import DriftError, apply, drift, load_folder

    client, folder, _, fqn, _ = governed
    apply(client, load_folder(folder))
    table = client.get_by_name(entity=Table, fqn=fqn)
    # An edit in the UI: the description replaced by hand.
    client.client.patch(
        path=f"/tables/{table.id.root}",
        data=json.dumps([{"op": "replace", "path": "/description", "value": "edited by hand"}]),
    )
    report = drift(client, load_folder(folder))
    assert report["drift"] is True
    (entity,) = report["entities"]
    assert entity["changes"] == [
        {"field": "description", "action": "change", "before": "edited by hand", "after": "One row per film rental."}
    ]
    with pytest.raises(DriftError):
        drift(client, load_folder(folder), fail=True)
    apply(client, load_folder(folder))
    assert drift(client, load_folder(folder))["drift"] is False


def test_breaking_contract_change_is_refused(governed):
    from openmetadata_platform.governance import BreakingContractChangeError, apply, build_plan, load_folder

    client, folder, contract, _, suffix = governed
    apply(client, load_folder(folder))
    contract.write_text(CONTRACT.format(suffix=suffix, version="1.1.0", rental_id_type="integer"))
    with pytest.raises(BreakingContractChangeError) as err:
        apply(client, load_folder(folder))
    assert "expected a major bump to 2.0.0" in str(err.value)
    assert "column 'rental_id' retyped: logicalType string -> integer" in str(err.value)
    # Refused before writing: with the old file back, there is nothing to do.
    contract.write_text(CONTRACT.format(suffix=suffix, version="1.0.0", rental_id_type="string"))
    assert build_plan(client, load_folder(folder)).empty

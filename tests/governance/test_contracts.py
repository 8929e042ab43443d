"""ODCS contracts: created from the file, re-applied as a no-op, breaking changes refused."""

from __future__ import annotations

import pytest
from openmetadata_platform.governance import BreakingContractChangeError, GovernanceInputError, apply, load_folder
from openmetadata_platform.governance.contracts import check_version, compare_contracts

from tests.governance.conftest import TABLE, write, writes

CONTRACT = """
apiVersion: v3.0.2
kind: DataContract
id: 6f1c3f8e-2d7c-4d0a-9a53-0c1f1c2b7a11
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
{extra}slaProperties:
  - property: latency
    value: "{latency}"
    unit: h
"""


def contract(version="1.0.0", rental_id_type="string", latency=4, extra=""):
    return CONTRACT.format(version=version, rental_id_type=rental_id_type, latency=latency, extra=extra)


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "governance"
    write(folder, "rental.yaml", f"table: {TABLE}\ntier: Tier2\ncontract: contracts/rental.odcs.yaml\n")
    write(folder, "contracts/rental.odcs.yaml", contract())
    return folder


def test_compare_contracts_names_breaking_changes():
    import yaml

    old = yaml.safe_load(contract())
    new = yaml.safe_load(contract(rental_id_type="integer", latency=2))
    del new["schema"][0]["properties"][1]
    breaking, _ = compare_contracts(old, new)
    texts = [text for text, _ in breaking]
    assert "column 'rental_date' removed" in texts
    assert "column 'rental_id' retyped: logicalType string -> integer" in texts
    assert "SLA 'latency' shortened from 4 h to 2 h" in texts
    assert check_version("1.0.0", "1.1.0", breaking, True).startswith("breaking change with version 1.0.0 -> 1.1.0")
    assert check_version("1.0.0", "2.0.0", breaking, True) is None
    assert check_version("1.0.0", "1.0.0", [], True).startswith("the contract changed")


def test_contract_created_then_no_op_then_breaking_change_refused(client, catalog, folder):
    first = apply(client, load_folder(folder))
    assert ("dataContract", TABLE, "create") in {(e["type"], e["fqn"], e["action"]) for e in first["entities"]}
    assert len(catalog.entities("dataContract")) == 1

    catalog.requests.clear()
    again = apply(client, load_folder(folder))
    assert again["entities"] == [] and writes(catalog) == []

    write(folder, "contracts/rental.odcs.yaml", contract(version="1.1.0", rental_id_type="integer"))
    catalog.requests.clear()
    with pytest.raises(BreakingContractChangeError) as err:
        apply(client, load_folder(folder))
    text = str(err.value)
    assert "governance/contracts/rental.odcs.yaml:5: version:" in text
    assert "expected a major bump to 2.0.0" in text
    assert "breaking change: column 'rental_id' retyped: logicalType string -> integer" in text
    assert writes(catalog) == []

    write(folder, "contracts/rental.odcs.yaml", contract(version="2.0.0", rental_id_type="integer"))
    result = apply(client, load_folder(folder))
    changed = next(e for e in result["entities"] if e["type"] == "dataContract")
    assert changed["changes"][0] == {"field": "version", "action": "change", "before": "1.0.0", "after": "2.0.0"}


def test_invalid_odcs_file_names_line_and_field(client, catalog, folder):
    write(folder, "contracts/rental.odcs.yaml", contract().replace("status: active", "status: shiny"))
    with pytest.raises(GovernanceInputError) as err:
        apply(client, load_folder(folder))
    assert any(
        (p.file, p.line, p.field) == ("governance/contracts/rental.odcs.yaml", 6, "status") for p in err.value.problems
    ), err.value
    assert writes(catalog) == []


def test_contract_column_missing_from_table_is_rejected_by_the_server(client, catalog, folder):
    extra = "      - name: not_a_column\n        logicalType: string\n"
    write(
        folder,
        "contracts/rental.odcs.yaml",
        contract().replace("slaProperties:", extra.rstrip("\n") + "\nslaProperties:", 1),
    )
    with pytest.raises(GovernanceInputError, match="OpenMetadata rejected the contract"):
        apply(client, load_folder(folder))
    assert writes(catalog) == []

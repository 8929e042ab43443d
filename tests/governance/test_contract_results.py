"""Contract results per DAG run: the validation operator on the stand-in."""

from __future__ import annotations

import json

import pytest
from openmetadata_platform.governance import ContractValidationError, GovernanceInputError, apply, load_folder

from tests.governance.conftest import TABLE, write
from tests.governance.test_contracts import contract


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "governance"
    write(folder, "rental.yaml", f"table: {TABLE}\ntier: Tier2\ncontract: contracts/rental.odcs.yaml\n")
    write(folder, "contracts/rental.odcs.yaml", contract())
    return folder


def _operator(folder, **kwargs):
    from openmetadata_platform.operators import OpenMetadataContractValidationOperator

    return OpenMetadataContractValidationOperator(task_id="contract_results", governance_folder=str(folder), **kwargs)


def _stored_results(client):
    from metadata.generated.schema.entity.data.table import Table

    table = client.get_by_name(entity=Table, fqn=TABLE)
    stored = client.get_data_contract_by_entity_id(table.id, "table")
    return client.get_data_contract_results(stored.id) or []


def test_each_run_stores_a_result_and_returns_it(client, catalog, folder):
    apply(client, load_folder(folder))
    catalog.requests.clear()
    first = _operator(folder, tables=["rental"]).execute({})
    json.dumps(first)  # XCom-safe
    assert [(c["table"], c["status"], c["outcome"]) for c in first["contracts"]] == [(TABLE, "Success", "passed")]
    assert first["summary"] == {"passed": 1, "failed": 0, "pending": 0}
    assert catalog.token not in json.dumps(first)
    # One lookup of the table and one validation: two requests per contract (the client's
    # connection check, GET system/version, aside).
    calls = [r for r in catalog.requests if not r.path.endswith("/system/version")]
    assert [(r.method, r.path.split("?")[0].rsplit("/", 2)[-2:]) for r in calls] == [
        ("GET", ["name", TABLE]),
        ("POST", ["entity", "validate"]),
    ]
    second = _operator(folder).execute({})
    assert second["contracts"][0]["result_id"] != first["contracts"][0]["result_id"]
    assert {r.id.root.hex for r in _stored_results(client)} == {
        first["contracts"][0]["result_id"].replace("-", ""),
        second["contracts"][0]["result_id"].replace("-", ""),
    }


def test_a_failed_contract_is_reported_and_fails_the_task_when_asked(client, catalog, folder):
    apply(client, load_folder(folder))
    rental = next(t for t in catalog.entities("table") if t["fullyQualifiedName"] == TABLE)
    dropped = [i for i, c in enumerate(rental["columns"]) if c["name"] == "rental_date"]
    # The load replaced the table without rental_date: the contract's schema no longer holds.
    status, answer = catalog.call(
        "PATCH", f"/tables/{rental['id']}", [{"op": "remove", "path": f"/columns/{dropped[0]}"}]
    )
    assert status == 200, answer
    report = _operator(folder).execute({})
    assert report["contracts"][0]["outcome"] == "failed"
    assert report["contracts"][0]["failed_fields"] == ["rental_date"]
    with pytest.raises(ContractValidationError, match=r"failed +pagila_local.pagila.public.rental +\[Failed\]"):
        _operator(folder, fail_on_failure=True).execute({})
    assert [r.contractExecutionStatus.value for r in _stored_results(client)] == ["Failed", "Failed"]


def test_contract_not_applied_or_table_not_governed(client, catalog, folder):
    with pytest.raises(GovernanceInputError) as err:
        _operator(folder).execute({})
    assert "governance/rental.yaml:3: contract: no data contract stored" in str(err.value)
    with pytest.raises(GovernanceInputError, match="no governance file declares a contract for table 'payment'"):
        _operator(folder, tables=["payment"]).execute({})

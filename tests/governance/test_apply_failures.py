"""A write failing in the middle of an apply: each table fully before or fully after, and the
next apply converges (stand-in fault injection)."""

from __future__ import annotations

import pytest
from openmetadata_platform.governance import GovernanceApplyError, apply, build_plan, load_folder

from tests.governance.conftest import OTHER, TABLE, write

THIRD = "pagila_local.pagila.public.customer"
TABLES = (TABLE, OTHER, THIRD)


def _state(catalog, fqn):
    table = next(t for t in catalog.entities("table") if t["fullyQualifiedName"] == fqn)
    return {
        "description": table.get("description"),
        "owners": sorted(o["name"] for o in table.get("owners") or []),
        "tags": sorted(t["tagFQN"] for t in table.get("tags") or []),
    }


DECLARED = {"description": "Governed.", "owners": ["alice"], "tags": ["PII.Sensitive", "Tier.Tier2"]}


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500},  # the server refuses: nothing written for that table
        {"delay": 0.2, "serve": False},  # a proxy gives up on a hang: 504, nothing written
    ],
    ids=["http-500", "hang-504"],
)
def test_failure_on_the_second_table_leaves_each_table_before_or_after(client, catalog, tmp_path, fault):
    from tests.openmetadata_standin.seed import create_tables

    create_tables(catalog, {THIRD: ["customer_id"]})
    client.client._retry = 0  # the client retries a 504 after 30 s; one attempt is enough here
    folder = tmp_path / "governance"
    body = "".join(
        f"  {fqn.rsplit('.', 1)[1]}:\n    description: Governed.\n    owners: [{{user: alice}}]\n"
        "    tags: [PII.Sensitive]\n    tier: Tier2\n"
        for fqn in TABLES
    )
    write(folder, "public.yaml", f"schema: {TABLE.rsplit('.', 1)[0]}\ntables:\n{body}")
    before = {fqn: _state(catalog, fqn) for fqn in TABLES}
    assert all(state != DECLARED for state in before.values())
    second = next(t for t in catalog.entities("table") if t["fullyQualifiedName"] == OTHER)
    rule = catalog.inject(method="PATCH", path_prefix=f"/api/v1/tables/{second['id']}", **fault)

    with pytest.raises(GovernanceApplyError) as err:
        apply(client, load_folder(folder))
    message = str(err.value)
    assert f"table {OTHER} (declared at governance/public.yaml:" in message
    assert "1 entities were written before it" in message and "run apply again" in message
    after = {fqn: _state(catalog, fqn) for fqn in TABLES}
    for fqn in TABLES:
        assert after[fqn] in (before[fqn], DECLARED), fqn  # never half-way
    assert after[TABLE] == DECLARED and after[OTHER] == before[OTHER] and after[THIRD] == before[THIRD]

    catalog.heal(rule)
    apply(client, load_folder(folder))
    assert all(_state(catalog, fqn) == DECLARED for fqn in TABLES)
    assert build_plan(client, load_folder(folder)).empty


def test_a_write_the_client_gives_up_on_is_a_clear_error_and_converges(client, catalog, tmp_path):
    """A read timeout: the server may still apply the PATCH (whole) after the client gave up."""
    import time

    folder = tmp_path / "governance"
    write(folder, "rental.yaml", f"table: {TABLE}\ndescription: Governed.\nowners: [{{user: alice}}]\n")
    before = _state(catalog, TABLE)
    client.client._timeout = (5, 0.3)  # seconds; the default read timeout is 300
    rule = catalog.inject(method="PATCH", path_prefix="/api/v1/tables/", delay=1.0)
    with pytest.raises(GovernanceApplyError, match=rf"did not answer the write of table {TABLE} \(declared at"):
        apply(client, load_folder(folder))
    time.sleep(1.5)  # the server finishes the request it was still serving
    catalog.heal(rule)
    state = _state(catalog, TABLE)
    assert {k: state[k] for k in ("description", "owners")} in (
        {k: before[k] for k in ("description", "owners")},
        {"description": "Governed.", "owners": ["alice"]},
    )
    apply(client, load_folder(folder))
    assert build_plan(client, load_folder(folder)).empty

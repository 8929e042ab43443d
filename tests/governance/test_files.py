"""Reading governance files: schema errors name file, line and field (no server)."""

from __future__ import annotations

import pytest
from openmetadata_platform.governance import GovernanceInputError, load_folder

from tests.governance.conftest import TABLE, write


def test_valid_folder_is_read(tmp_path):
    folder = tmp_path / "governance"
    write(
        folder,
        "public.yaml",
        f"""
        schema: {TABLE.rsplit(".", 1)[0]}
        tables:
          rental:
            owners: [{{user: alice}}, {{team: rentals}}]
            tier: Tier2
            glossaryTerms: [Business.Rental]
        define:
          glossaries:
            - name: Business
              description: Business terms
              terms:
                - name: Rental
                  description: A rental of a film
        """,
    )
    spec = load_folder(folder)
    assert [t.fqn for t in spec.tables] == [TABLE]
    assert spec.tables[0].fields["owners"] == [("user", "alice"), ("team", "rentals")]
    assert spec.tables[0].fields["tier"] == "Tier.Tier2"
    assert [t.fqn for t in spec.terms] == ["Business.Rental"]
    assert spec.tables[0].at("tier").where == "governance/public.yaml:5"


def test_schema_errors_name_file_line_and_field(tmp_path):
    folder = tmp_path / "governance"
    write(
        folder,
        "rental.yaml",
        f"""
        table: {TABLE}
        owners:
          - user: alice
          - group: rentals
        tier: Gold
        colour: blue
        """,
    )
    with pytest.raises(GovernanceInputError) as err:
        load_folder(folder)
    text = str(err.value)
    assert "nothing was written" in text
    problems = {(p.file, p.line, p.field) for p in err.value.problems}
    assert ("governance/rental.yaml", 4, "owners[1].group") in problems
    assert ("governance/rental.yaml", 5, "tier") in problems
    assert ("governance/rental.yaml", 6, "colour") in problems
    assert "expected one of" in text and "Tier1..Tier5" in text


def test_invalid_yaml_and_duplicate_keys(tmp_path):
    folder = tmp_path / "governance"
    write(folder, "a.yaml", f"table: {TABLE}\ntier: Tier1\ntier: Tier2\n")
    write(folder, "b.yaml", "table: [unclosed\n")
    with pytest.raises(GovernanceInputError) as err:
        load_folder(folder)
    found = {(p.file, p.line, p.field) for p in err.value.problems}
    assert ("governance/a.yaml", 3, "tier") in found
    assert any(p.file == "governance/b.yaml" and "not valid YAML" in p.message for p in err.value.problems)


def test_same_table_in_two_files(tmp_path):
    folder = tmp_path / "governance"
    write(folder, "a.yaml", f"table: {TABLE}\ntier: Tier1\n")
    write(folder, "b.yaml", f"table: {TABLE}\ntier: Tier2\n")
    with pytest.raises(GovernanceInputError, match=r"already declared at governance/a.yaml:1"):
        load_folder(folder)

"""The cookiecutter datakit's governance example, the operator and the CLI, on the stand-in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jinja2
import pytest
from openmetadata_platform.governance import apply, load_folder

from tests.governance.conftest import TABLE, write, writes

KIT = Path(__file__).resolve().parents[2] / "cookiecutter-datakit" / "{{cookiecutter.project_slug}}"
SLUG = "rentals_kit"
KIT_TABLE = f"pagila.pagila.{SLUG}.daily_rentals"


def render_governance(target: Path) -> Path:
    """The kit's governance/ folder rendered as cookiecutter would (only these files)."""
    context = {"cookiecutter": {"project_slug": SLUG, "dag_owner": "data_team"}}
    for source in (KIT / "governance").rglob("*.yaml"):
        out = target / "governance" / source.relative_to(KIT / "governance")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(jinja2.Template(source.read_text(), keep_trailing_newline=True).render(context))
    return target / "governance"


def test_datakit_example_applies_on_a_fresh_standin_and_reapplies_as_a_no_op(openmetadata, tmp_path):
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    from tests.openmetadata_standin.governance import seed_tiers
    from tests.openmetadata_standin.seed import create_tables

    create_tables(openmetadata, {KIT_TABLE: ["rental_day", "rental_count", "customer_count"]})
    seed_tiers(openmetadata)  # a real server ships the Tier classification
    client = OpenMetadata(
        OpenMetadataConnection(
            hostPort=openmetadata.host_port,
            authProvider="openmetadata",
            securityConfig={"jwtToken": openmetadata.token},
        )
    )
    folder = render_governance(tmp_path)
    result = apply(client, load_folder(folder))
    assert {(e["type"], e["action"]) for e in result["entities"]} == {
        ("domain", "create"),
        ("glossary", "create"),
        ("glossaryTerm", "create"),
        ("table", "update"),
        ("dataContract", "create"),
    }
    openmetadata.requests.clear()
    again = apply(client, load_folder(folder))
    assert again["entities"] == [] and writes(openmetadata) == []


def test_operator_plans_and_applies(catalog, tmp_path):
    from openmetadata_platform.operators import OpenMetadataGovernanceOperator

    folder = tmp_path / "governance"
    write(folder, "rental.yaml", f"table: {TABLE}\nowners: [{{user: alice}}]\ntier: Tier1\n")
    plan = OpenMetadataGovernanceOperator(task_id="plan", governance_folder=str(folder)).execute({})
    json.dumps(plan)
    assert plan["summary"]["add"] == 2 and writes(catalog) == []
    applied = OpenMetadataGovernanceOperator(task_id="apply", governance_folder=str(folder), mode="apply").execute({})
    assert applied["applied"] == 1
    with pytest.raises(ValueError, match="mode='destroy'"):
        OpenMetadataGovernanceOperator(task_id="x", governance_folder=str(folder), mode="destroy")


def test_cli_plan_apply_drift_exit_codes(catalog, tmp_path, monkeypatch, capsys):
    from openmetadata_platform.governance.cli import main

    folder = tmp_path / "governance"
    write(folder, "rental.yaml", f"table: {TABLE}\ntier: Tier1\n")
    monkeypatch.setenv("OPENMETADATA_HOST_PORT", catalog.host_port)
    monkeypatch.setenv("OPENMETADATA_JWT_TOKEN", catalog.token)
    assert main(["plan", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "+ tier: Tier.Tier1" in out and catalog.token not in out
    assert main(["drift", str(folder), "--fail-on-drift"]) == 3
    assert main(["apply", str(folder)]) == 0
    assert main(["drift", str(folder), "--fail-on-drift"]) == 0
    shutil.rmtree(folder)
    write(folder, "rental.yaml", f"table: {TABLE}\ntier: Gold\n")
    capsys.readouterr()
    assert main(["plan", str(folder)]) == 1
    assert "governance/rental.yaml:2: tier:" in capsys.readouterr().err


def test_cli_usage_errors_and_missing_server_settings(tmp_path, monkeypatch, capsys):
    from openmetadata_platform.governance.cli import main

    folder = tmp_path / "governance"
    write(folder, "rental.yaml", f"table: {TABLE}\ntier: Tier1\n")
    assert main(["destroy", str(folder)]) == 2  # unknown command: usage
    assert main(["plan"]) == 2  # missing FOLDER
    assert "Missing argument 'FOLDER'" in capsys.readouterr().err
    assert main(["validate", str(folder), "--json"]) == 0  # files only: no server needed
    assert "1 governance files valid: 1 tables" in capsys.readouterr().out
    monkeypatch.delenv("OPENMETADATA_HOST_PORT", raising=False)
    monkeypatch.delenv("OPENMETADATA_JWT_TOKEN", raising=False)
    assert main(["plan", str(folder)]) == 1
    assert "OPENMETADATA_JWT_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mode", "tasks"), [("plan", {"governance_plan"}), ("apply", {"governance_apply", "contract_results"})]
)
def test_datakit_governance_dag_validates_the_contract_after_apply(tmp_path, monkeypatch, mode, tasks):
    import runpy

    context = {"cookiecutter": {"project_slug": SLUG, "dag_owner": "data_team", "owner_email": "d@example.com"}}
    dag_file = tmp_path / "dags" / "governance.py"
    dag_file.parent.mkdir(parents=True)
    dag_file.write_text(jinja2.Template((KIT / "dags" / "governance.py").read_text()).render(context))
    monkeypatch.setenv("DATAKIT_GOVERNANCE_MODE", mode)
    namespace = runpy.run_path(str(dag_file))
    dag = namespace["dag"]
    assert set(dag.task_ids) == tasks
    if mode == "apply":
        check = dag.get_task("contract_results")
        assert check.upstream_task_ids == {"governance_apply"} and check.tables == ["daily_rentals"]
        assert check.governance_folder == str(tmp_path / "governance")

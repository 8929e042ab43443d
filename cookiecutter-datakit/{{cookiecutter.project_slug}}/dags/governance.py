"""Governance as code: apply ``governance/`` (owners, tier, domain, glossary terms, the ODCS
contract of daily_rentals) to OpenMetadata.

Runs after each load of daily_rentals (scheduled on its Asset), so the table is in the
catalog first. ``DATAKIT_GOVERNANCE_MODE`` switches what it does:

- unset (the default): no DAG; CI plans and applies with the command below;
- ``plan`` (pull-request and development deployments): prints the changes, writes nothing;
- ``apply`` (the deployment built from main): writes exactly that plan with JSON Patch, then
  validates daily_rentals' contract on the server, which keeps the result of each run (the
  table's Contract tab in OpenMetadata shows pass or fail per load);
- ``drift``: fails the task when the catalog was edited away from the files.

CI does the same without Airflow: ``openmetadata-platform-governance plan governance/`` on
pull requests and ``... apply governance/`` on main (OPENMETADATA_HOST_PORT and
OPENMETADATA_JWT_TOKEN in the CI secrets).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG
from openmetadata_platform.lineage import om_table
from openmetadata_platform.operators.governance import (
    OpenMetadataContractValidationOperator,
    OpenMetadataGovernanceOperator,
)

GOVERNANCE_FOLDER = str(Path(__file__).resolve().parent.parent / "governance")
MODE = os.environ.get("DATAKIT_GOVERNANCE_MODE", "").strip()
DAILY_RENTALS = om_table("pagila.pagila.{{ cookiecutter.project_slug }}.daily_rentals")

if MODE:  # opt-in per deployment (see above)
    with DAG(
        dag_id="{{ cookiecutter.project_slug }}__governance",
        description="Plan or apply governance/ (owners, tags, domain, glossary, contract) to OpenMetadata",
        schedule=[DAILY_RENTALS],
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        tags=["{{ cookiecutter.project_slug }}", "governance"],
        owner_links={"{{ cookiecutter.dag_owner }}": "mailto:{{ cookiecutter.owner_email }}"},
        default_args={"owner": "{{ cookiecutter.dag_owner }}", "retries": 1, "retry_delay": timedelta(minutes=5)},
        doc_md=__doc__,
    ) as dag:
        governance = OpenMetadataGovernanceOperator(
            task_id=f"governance_{MODE}",
            governance_folder=GOVERNANCE_FOLDER,
            mode=MODE,
            fail_on_drift=True,
        )
        if MODE == "apply":  # the contract exists once applied; plan/drift deployments write nothing
            governance >> OpenMetadataContractValidationOperator(
                task_id="contract_results",
                governance_folder=GOVERNANCE_FOLDER,
                tables=["daily_rentals"],
            )

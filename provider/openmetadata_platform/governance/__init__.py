"""Governance and data contracts as code (issue 22): YAML files in a datakit's ``governance/``
folder, planned and applied to OpenMetadata with JSON Patch, drift reported, ODCS v3 contracts
versioned semantically. See docs/governance.md.

- :mod:`.files`: reading and checking the files (JSON Schema in ``schemas/``);
- :mod:`.planner`, :mod:`.plan`: the pure diff and the plan (add / change / remove);
- :mod:`.catalog`, :mod:`.engine`: reads and writes through openmetadata-ingestion's client;
- :mod:`.contracts`: ODCS validation, semantic versioning, create/update from ODCS;
- :mod:`.results`: contract validation per DAG run (results stored by the server);
- :mod:`.cli`: ``openmetadata-platform-governance plan|apply|drift FOLDER``.
"""

from openmetadata_platform.governance.engine import apply, build_plan, drift
from openmetadata_platform.governance.errors import (
    BreakingContractChangeError,
    DriftError,
    GovernanceApplyError,
    GovernanceError,
    GovernanceInputError,
    Problem,
)
from openmetadata_platform.governance.files import load_folder
from openmetadata_platform.governance.plan import Plan, render_plan
from openmetadata_platform.governance.results import ContractValidationError, render_results, validate_contracts

__all__ = [
    "BreakingContractChangeError",
    "ContractValidationError",
    "DriftError",
    "GovernanceApplyError",
    "GovernanceError",
    "GovernanceInputError",
    "Plan",
    "Problem",
    "apply",
    "build_plan",
    "drift",
    "load_folder",
    "render_plan",
    "render_results",
    "validate_contracts",
]

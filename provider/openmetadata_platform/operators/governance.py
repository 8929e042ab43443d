"""Apply a datakit's governance folder (owners, tags, tier, domain, data products, glossary
terms, custom properties, ODCS contracts) to OpenMetadata from an Airflow task.

See :mod:`openmetadata_platform.governance` and docs/governance.md for the file format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator

MODES = ("plan", "apply", "drift")


class OpenMetadataGovernanceOperator(BaseOperator):
    """Plan, apply or check drift of a governance folder against OpenMetadata.

    Args:
        governance_folder: path of the datakit's ``governance/`` directory (templated).
        mode: ``plan`` (no writes), ``apply`` (writes exactly the plan with JSON Patch) or
            ``drift`` (reports catalog changes made since the files were applied).
        prune: also remove list values (owners, tags, terms, data products, custom properties)
            that the files no longer declare, in the fields they declare. Off by default.
        fail_on_drift: in ``drift`` mode, fail the task when there is drift.
        openmetadata_conn_id: Airflow connection of type ``openmetadata``.

    Returns (XCom): the plan as a dict (``summary``, ``entities`` with their changes; ``applied``
    after apply, ``drift`` in drift mode). Never holds a token.

    Raises:
        ValueError: at DAG parse time, an invalid ``mode``.
        GovernanceInputError: bad files or references (file, line, field named; nothing written).
        BreakingContractChangeError: a contract breaks compatibility without a major bump.
        DriftError: drift found with ``fail_on_drift``.
        GovernanceApplyError: OpenMetadata refused a write.
    """

    template_fields: Sequence[str] = ("governance_folder", "mode", "openmetadata_conn_id")
    ui_color = "#7147e8"

    def __init__(
        self,
        *,
        governance_folder: str,
        mode: str = "plan",
        prune: bool = False,
        fail_on_drift: bool = False,
        openmetadata_conn_id: str = "openmetadata_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if "{{" not in str(mode) and mode not in MODES:
            raise ValueError(f"mode={mode!r}: expected one of {', '.join(MODES)}")
        self.governance_folder = governance_folder
        self.mode = mode
        self.prune = prune
        self.fail_on_drift = fail_on_drift
        self.openmetadata_conn_id = openmetadata_conn_id

    def execute(self, context: Any) -> dict:
        """Run the mode; log the plan; return it for XCom."""
        from openmetadata_platform.governance import apply, build_plan, drift, load_folder, render_plan
        from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

        if self.mode not in MODES:
            raise ValueError(f"mode={self.mode!r}: expected one of {', '.join(MODES)}")
        spec = load_folder(self.governance_folder)  # file errors before contacting the server
        client = OpenMetadataHook(self.openmetadata_conn_id).get_conn()
        if self.mode == "plan":
            result = build_plan(client, spec, self.prune).to_dict()
            self.log.info("%s", render_plan(result))
        elif self.mode == "apply":
            result = apply(client, spec, self.prune, log=self.log.info)
            self.log.info("%s", render_plan(result, title="Applied governance plan"))
        else:
            result = drift(client, spec, self.prune, fail=self.fail_on_drift)
            self.log.info("%s", render_plan(result, title="Governance drift"))
        return result


class OpenMetadataContractValidationOperator(BaseOperator):
    """Validate the data contracts of governed tables after a DAG run wrote them, so each run
    leaves a pass or fail in the contract tab of the table in OpenMetadata.

    Put it downstream of the task that loads the tables::

        load >> OpenMetadataContractValidationOperator(
            task_id="contract_results", governance_folder=FOLDER, tables=["rental"]
        )

    Args:
        governance_folder: path of the datakit's ``governance/`` directory (templated).
        tables: FQNs or bare names of the tables this DAG writes (templated); None: every
            table whose governance file names a contract.
        fail_on_failure: fail the task when a contract's validation failed (``Failed``,
            ``Aborted``, ``PartialSuccess``); pending results (quality checks still running on
            the server) never fail it.
        openmetadata_conn_id: Airflow connection of type ``openmetadata``.

    Returns (XCom): :func:`~openmetadata_platform.governance.results.validate_contracts`' dict:
    per table its contract's status and outcome; result ids only, never a token.

    Raises:
        GovernanceInputError: a table not in the catalog or without a stored contract (file,
            line, field named).
        ContractValidationError: a contract failed and ``fail_on_failure`` is true.

    Calls ``GET /api/v1/tables/name/{fqn}`` and ``POST /api/v1/dataContracts/entity/validate``
    per table.
    """

    template_fields: Sequence[str] = ("governance_folder", "tables", "openmetadata_conn_id")
    ui_color = "#7147e8"

    def __init__(
        self,
        *,
        governance_folder: str,
        tables: list[str] | None = None,
        fail_on_failure: bool = False,
        openmetadata_conn_id: str = "openmetadata_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.governance_folder = governance_folder
        self.tables = tables
        self.fail_on_failure = fail_on_failure
        self.openmetadata_conn_id = openmetadata_conn_id

    def execute(self, context: Any) -> dict:
        """Validate; log one line per contract; return the results for XCom."""
        from openmetadata_platform.governance import load_folder
        from openmetadata_platform.governance.results import (
            ContractValidationError,
            render_results,
            validate_contracts,
        )
        from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

        spec = load_folder(self.governance_folder)
        client = OpenMetadataHook(self.openmetadata_conn_id).get_conn()
        result = validate_contracts(client, spec, self.tables)
        text = render_results(result)
        self.log.info("%s", text)
        if self.fail_on_failure and result["summary"]["failed"]:
            raise ContractValidationError(text, result)
        return result

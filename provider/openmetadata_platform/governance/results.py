"""Contract results per DAG run: validate each governed table's data contract on the server,
which stores the result (``DataContractResult``) so the contract tab of the table in the
OpenMetadata UI shows pass or fail per run.

A DAG puts :class:`~openmetadata_platform.operators.governance.OpenMetadataContractValidationOperator`
after the task that writes the tables; it calls :func:`validate_contracts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from openmetadata_platform.governance.errors import GovernanceError, GovernanceInputError, Problem
from openmetadata_platform.governance.model import GovernanceSpec, TableSpec

if TYPE_CHECKING:  # pragma: no cover - typing only
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

# DataContractResult.contractExecutionStatus -> outcome. Running / Queued: the server validates
# quality expectations asynchronously (a test suite run) and updates the result later.
PASSED, FAILED, PENDING = "passed", "failed", "pending"
OUTCOMES = {
    "Success": PASSED,
    "PartialSuccess": FAILED,
    "Failed": FAILED,
    "Aborted": FAILED,
    "Running": PENDING,
    "Queued": PENDING,
}


class ContractValidationError(GovernanceError):
    """At least one contract failed its validation and the caller asked to fail.

    Attributes:
        result: the JSON-serialisable result of :func:`validate_contracts`.
    """

    def __init__(self, message: str, result: dict) -> None:
        super().__init__(message)
        self.result = result


def _selected(spec: GovernanceSpec, tables: Iterable[str] | None) -> list[TableSpec]:
    """The tables with a contract, limited to ``tables`` (FQNs or bare table names) when given.

    Raises:
        GovernanceInputError: a requested table that no file declares with a contract.
    """
    contracted = [t for t in spec.tables if t.contract]
    if tables is None:
        return contracted
    wanted = list(tables)
    chosen = [t for t in contracted if t.fqn in wanted or t.fqn.rsplit(".", 1)[-1] in wanted]
    known = {t.fqn for t in chosen} | {t.fqn.rsplit(".", 1)[-1] for t in chosen}
    missing = [name for name in wanted if name not in known]
    if missing:
        raise GovernanceInputError(
            [
                Problem(
                    spec.folder,
                    0,
                    "",
                    f"no governance file declares a contract for table {name!r}; "
                    f"expected one of: {', '.join(sorted(t.fqn for t in contracted)) or '(none)'}",
                )
                for name in missing
            ]
        )
    return chosen


def validate_contracts(client: OpenMetadata, spec: GovernanceSpec, tables: Iterable[str] | None = None) -> dict:
    """Validate the data contract of each governed table on the server and return the results.

    The server runs the validation (schema against the table as it is now; semantics; quality
    expectations, asynchronously) and stores a ``DataContractResult``, which the UI shows.

    Args:
        client: connected ``OpenMetadata`` client.
        spec: from :func:`~.files.load_folder`.
        tables: FQNs or bare names of the tables a DAG run wrote; None: every table whose file
            names a contract.

    Returns:
        JSON-serialisable dict: ``contracts`` (per table: ``table``, ``contract`` (its FQN),
        ``status`` (the server's ``contractExecutionStatus``), ``outcome`` (passed / failed /
        pending), ``result_id``, ``message``, ``failed_fields``) and ``summary`` (counts by
        outcome). Ids are result ids only; no token.

    Raises:
        GovernanceInputError: a table not in the catalog, or no contract stored for it yet
            (run apply first), named with file, line and field; or a ``tables`` entry no file
            declares with a contract.

    Calls ``GET /api/v1/tables/name/{fqn}`` and ``POST /api/v1/dataContracts/entity/validate
    ?entityId=..&entityType=table`` (``validate_data_contract_by_entity_id``) per table: two
    requests per contract.
    """
    from metadata.generated.schema.entity.data.table import Table
    from metadata.ingestion.ometa.client import APIError

    problems: list[Problem] = []
    targets: list[tuple[TableSpec, str]] = []
    for table in _selected(spec, tables):
        entity = client.get_by_name(entity=Table, fqn=table.fqn)
        if entity is None:
            problems.append(table.origin.problem(f"table {table.fqn} is not in the catalog; its contract cannot run"))
        else:
            targets.append((table, str(entity.id.root)))
    if problems:
        raise GovernanceInputError(problems)
    contracts: list[dict[str, Any]] = []
    for table, table_id in targets:
        try:
            answer = client.validate_data_contract_by_entity_id(table_id, "table")
        except APIError as exc:
            if exc.status_code == 404:
                raise GovernanceInputError(
                    [
                        table.contract_origin.problem(
                            f"no data contract stored for {table.fqn}; apply the governance folder first"
                        )
                    ]
                ) from None
            raise
        contracts.append(_entry(table, answer))
    summary = {outcome: sum(1 for c in contracts if c["outcome"] == outcome) for outcome in (PASSED, FAILED, PENDING)}
    return {"folder": spec.folder, "contracts": contracts, "summary": summary}


def _entry(table: TableSpec, answer: Any) -> dict[str, Any]:
    """One table's line of the result, from a ``DataContractResult`` (or None)."""
    if answer is None:  # an empty answer: the server ran nothing we can report
        return {
            "table": table.fqn,
            "contract": None,
            "status": None,
            "outcome": PENDING,
            "result_id": None,
            "message": "no result returned",
            "failed_fields": [],
        }
    data = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
    status = data.get("contractExecutionStatus")
    schema = data.get("schemaValidation") or {}
    return {
        "table": table.fqn,
        "contract": data.get("dataContractFQN"),
        "status": status,
        "outcome": OUTCOMES.get(status, FAILED),
        "result_id": data.get("id"),
        "message": data.get("result") or "",
        "failed_fields": list(schema.get("failedFields") or []),
    }


def render_results(result: dict) -> str:
    """Readable text of :func:`validate_contracts`' result, one line per contract."""
    lines = [f"Data contract results for {result['folder']}"]
    for c in result["contracts"]:
        detail = f": {c['message']}" if c["message"] else ""
        if c["failed_fields"]:
            detail += f" (fields: {', '.join(c['failed_fields'])})"
        lines.append(f"  {c['outcome']:<7} {c['table']}  [{c['status']}]{detail}")
    s = result["summary"]
    lines.append(f"Contracts: {s[PASSED]} passed, {s[FAILED]} failed, {s[PENDING]} pending.")
    return "\n".join(lines)

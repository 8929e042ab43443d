"""Turn a task's inlets/outlets (and hook-reported tables) into table -> table edges."""

from __future__ import annotations

from openmetadata_platform.lineage.assets import (
    column_lineage_of,
    split_fqn,
    table_fqn_from_asset,
)
from openmetadata_platform.lineage.emitter import Edge


def _tables(assets, problems: list[str]) -> dict[str, object]:
    """FQN -> asset for the ``openmetadata://`` assets in ``assets``; malformed ones -> problems."""
    found: dict[str, object] = {}
    for asset in assets or []:
        try:
            fqn = table_fqn_from_asset(asset)
        except ValueError as exc:
            problems.append(f"malformed lineage asset skipped: {exc}")
            continue
        if fqn:
            found.setdefault(fqn, asset)
    return found


def _column_fqn(table_fqn: str, column: str) -> str:
    return f"{table_fqn}.{column if '.' not in column or column.startswith(chr(34)) else chr(34) + column + chr(34)}"


def task_edges(inlets, outlets, problems: list[str], hook_inputs=(), hook_outputs=()) -> list[Edge]:
    """Edges for every (source, target) pair of a task, with declared column lineage.

    Args:
        inlets, outlets: the task's ``inlets``/``outlets`` (Assets; others are ignored).
        problems: receives one message per malformed asset or column declaration.
        hook_inputs, hook_outputs: table FQNs reported by hooks.
    """
    sources = _tables(inlets, problems)
    targets = _tables(outlets, problems)
    for fqn in hook_inputs:
        sources.setdefault(fqn, None)
    for fqn in hook_outputs:
        targets.setdefault(fqn, None)
    edges = []
    for target, asset in targets.items():
        try:
            declared = column_lineage_of(asset) if asset is not None else {}
        except ValueError as exc:
            problems.append(f"column lineage ignored: {exc}")
            declared = {}
        for source in sources:
            if source == target:
                continue
            prefix_parts = len(split_fqn(source))
            columns = []
            for to_column, from_columns in declared.items():
                mine = [c for c in from_columns if c.startswith(source + ".") and len(split_fqn(c)) == prefix_parts + 1]
                if mine:
                    columns.append((("fromColumns", tuple(mine)), ("toColumn", _column_fqn(target, to_column))))
            edges.append(
                Edge(
                    source,
                    target,
                    tuple(
                        {"fromColumns": list(dict(c)["fromColumns"]), "toColumn": dict(c)["toColumn"]} for c in columns
                    ),
                )
            )
    return edges

"""A task's table -> table edges: from its declared inlets/outlets and from what hooks reported.

The two sources are kept apart: declared edges are every (inlet, outlet) pair of the task,
with the column lineage declared in ``om_table(..., columns=...)``; hook-reported edges are
the (read, written) pairs of each group :mod:`.hook_lineage` found (one SQL statement, or
one set of asset reports). A hook's tables never pair with a declared table, so a task that
declares ``customer -> stg_customer`` and runs ``INSERT INTO dim_customer SELECT ... FROM
stg_customer`` sends exactly those two edges, not ``customer -> dim_customer``.
"""

from __future__ import annotations

from dataclasses import dataclass

from openmetadata_platform.lineage.assets import column_lineage_of, split_fqn, table_fqn_from_asset


@dataclass(frozen=True)
class Edge:
    """A table -> table edge (table FQNs); ``columns`` are ColumnLineage dicts (column FQNs)."""

    source: str
    target: str
    columns: tuple = ()

    def as_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "columns": [dict(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict) -> Edge:
        return cls(data["source"], data["target"], tuple(data.get("columns") or ()))


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
    quoted = column if "." not in column or column.startswith('"') else f'"{column}"'
    return f"{table_fqn}.{quoted}"


def declared_edges(inlets, outlets, problems: list[str]) -> list[Edge]:
    """Every (inlet, outlet) pair of a task, with the declared column lineage into the outlet.

    Args:
        inlets, outlets: the task's ``inlets``/``outlets`` (Assets; others are ignored).
        problems: receives one message per malformed asset or column declaration.
    """
    sources = _tables(inlets, problems)
    targets = _tables(outlets, problems)
    edges = []
    for target, asset in targets.items():
        try:
            declared = column_lineage_of(asset)
        except ValueError as exc:
            problems.append(f"column lineage ignored: {exc}")
            declared = {}
        for source in sources:
            if source == target:
                continue
            parts = len(split_fqn(source))
            columns = []
            for to_column, from_columns in declared.items():
                mine = [c for c in from_columns if c.startswith(source + ".") and len(split_fqn(c)) == parts + 1]
                if mine:
                    columns.append({"fromColumns": mine, "toColumn": _column_fqn(target, to_column)})
            edges.append(Edge(source, target, tuple(columns)))
    return edges


def hook_edges(groups) -> list[Edge]:
    """The (read, written) pairs of each hook-reported group, without column lineage."""
    return [Edge(read, written) for reads, writes in groups for written in writes for read in reads if read != written]


def task_edges(inlets, outlets, problems: list[str], hook_groups=()) -> list[Edge]:
    """A task's edges: declared ones first, then hook-reported ones not declared already."""
    edges = declared_edges(inlets, outlets, problems)
    seen = {(e.source, e.target) for e in edges}
    for edge in hook_edges(hook_groups):
        if (edge.source, edge.target) not in seen:
            seen.add((edge.source, edge.target))
            edges.append(edge)
    return edges

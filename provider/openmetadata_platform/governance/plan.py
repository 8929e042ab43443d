"""The plan: what apply would change, per entity, as add / change / remove (like Terraform's).

:class:`Plan` is built by :mod:`.planner` and rendered by :func:`render_plan`; ``Plan.to_dict()``
is JSON-serialisable (XCom) and holds names and values from the files and the catalog only,
never a token. The JSON Patch of each entity stays in :attr:`EntityPlan.ops` (not in the dict:
it carries entity ids, which say nothing to a reviewer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ADD, CHANGE, REMOVE = "add", "change", "remove"
SYMBOLS = {ADD: "+", CHANGE: "~", REMOVE: "-"}


@dataclass
class Change:
    """One field change: ``action`` is add / change / remove; ``before``/``after`` plain JSON."""

    field: str
    action: str
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict:
        data = {"field": self.field, "action": self.action}
        if self.action != ADD:
            data["before"] = self.before
        if self.action != REMOVE:
            data["after"] = self.after
        return data


@dataclass
class EntityPlan:
    """Changes to one entity.

    Attributes:
        entity_type: OpenMetadata entity type (``table``, ``glossaryTerm``, ``dataContract``...).
        fqn: its fullyQualifiedName (a contract: the table's).
        action: ``create`` (missing: created by apply), ``update`` or ``noop``.
        declared_at: ``file:line`` of its declaration.
        changes: the field changes (for ``create``, the declared fields as adds).
        ops: the RFC 6902 JSON Patch apply sends for an ``update`` (internal; may hold ids).
        payload: what apply sends for a ``create`` or a contract (internal).
    """

    entity_type: str
    fqn: str
    action: str
    declared_at: str
    changes: list[Change] = field(default_factory=list)
    ops: list[dict] = field(default_factory=list)
    payload: Any = None

    def to_dict(self) -> dict:
        return {
            "type": self.entity_type,
            "fqn": self.fqn,
            "action": self.action,
            "declared_at": self.declared_at,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass
class Plan:
    """Per-entity changes for a governance folder (``entities`` in apply order)."""

    folder: str
    prune: bool
    entities: list[EntityPlan] = field(default_factory=list)
    unchanged: int = 0
    planner: Any = field(default=None, repr=False, compare=False)  # engine state apply reuses

    @property
    def changed(self) -> list[EntityPlan]:
        return [e for e in self.entities if e.action != "noop"]

    @property
    def empty(self) -> bool:
        return not self.changed

    def counts(self) -> dict[str, int]:
        """Field changes by action, and entities to create / update / leave."""
        counts = {ADD: 0, CHANGE: 0, REMOVE: 0}
        for entity in self.changed:
            for change in entity.changes:
                counts[change.action] += 1
        counts["create"] = sum(1 for e in self.entities if e.action == "create")
        counts["update"] = sum(1 for e in self.entities if e.action == "update")
        counts["unchanged"] = self.unchanged + sum(1 for e in self.entities if e.action == "noop")
        return counts

    def to_dict(self) -> dict:
        """JSON-serialisable summary for XCom / ``--json`` (no ids, no secrets)."""
        return {
            "folder": self.folder,
            "prune": self.prune,
            "summary": self.counts(),
            "entities": [e.to_dict() for e in self.changed],
        }


def _short(value: Any, limit: int = 60) -> str:
    """A value on one line; text with spaces quoted, long text cut."""
    if not isinstance(value, str):
        return json.dumps(value, default=str)
    text = value.replace("\n", " ")
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(text) if (not text or any(c.isspace() for c in text)) else text


def render_plan(plan: Plan | dict, title: str = "OpenMetadata governance plan") -> str:
    """Readable text of a plan (a :class:`Plan` or its ``to_dict()``), one line per change.

    Example::

        ~ table pagila.pagila.public.rental  (governance/rental.yaml:1)
            + owners: user:alice
            ~ tier: 'Tier.Tier3' -> 'Tier.Tier2'
        Plan: 1 to create, 1 to update, 3 unchanged; 2 to add, 1 to change, 0 to remove.
    """
    data = plan.to_dict() if isinstance(plan, Plan) else plan
    lines = [f"{title} for {data['folder']}" + (" (prune)" if data["prune"] else "")]
    for entity in data["entities"]:
        mark = "+" if entity["action"] == "create" else "~"
        lines.append(f"  {mark} {entity['type']} {entity['fqn']}  ({entity['declared_at']})")
        for change in entity["changes"]:
            symbol = SYMBOLS[change["action"]]
            if change["action"] == CHANGE:
                text = f"{_short(change['before'])} -> {_short(change['after'])}"
            else:
                text = _short(change["after"] if change["action"] == ADD else change["before"])
            lines.append(f"      {symbol} {change['field']}: {text}")
    s = data["summary"]
    if not data["entities"]:
        lines.append("  No changes: the catalog matches the files.")
    lines.append(
        f"Plan: {s['create']} to create, {s['update']} to update, {s['unchanged']} unchanged; "
        f"{s[ADD]} to add, {s[CHANGE]} to change, {s[REMOVE]} to remove."
    )
    return "\n".join(lines)

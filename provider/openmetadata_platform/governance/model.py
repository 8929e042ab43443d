"""The declared state, as read from governance files: plain dataclasses, no I/O.

Every declared item keeps where it was declared (:class:`Origin`), so a problem found later
(an unknown owner, a term in an unknown glossary) still names file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openmetadata_platform.governance.errors import Problem

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """``("tables", "rental", "owners", 0, "user")`` -> ``tables.rental.owners[0].user``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass(frozen=True)
class SourceFile:
    """A loaded YAML file: its name (as shown in errors) and the line of every key/item."""

    name: str
    lines: dict[Path, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, path: Path) -> int:
        """Line of ``path``, or of its nearest declared parent (1-based; 0 when unknown)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 0)


@dataclass(frozen=True)
class Origin:
    """Where something was declared: a file and the path of the field in it."""

    source: SourceFile
    path: Path

    def child(self, *parts: str | int) -> Origin:
        return Origin(self.source, self.path + parts)

    @property
    def where(self) -> str:
        """``file:line`` for plan output."""
        return f"{self.source.name}:{self.source.line_of(self.path)}"

    def problem(self, message: str) -> Problem:
        """A :class:`Problem` at this place."""
        return Problem(self.source.name, self.source.line_of(self.path), format_path(self.path), message)


# Fields of a table the files manage; a field a file does not declare is never touched.
TABLE_FIELDS = (
    "description",
    "owners",
    "tags",
    "tier",
    "domain",
    "dataProducts",
    "glossaryTerms",
    "customProperties",
)


@dataclass
class TableSpec:
    """Declared governance of one table.

    Attributes:
        fqn: the table's fullyQualifiedName.
        origin: the table's declaration (``table:`` key or ``tables.<name>``).
        fields: declared values by name (:data:`TABLE_FIELDS`); ``owners`` as ``[("user", name)]``,
            ``tier`` as ``Tier.TierN``, ``customProperties`` as a dict.
        contract: path of the ODCS file (resolved against the declaring file's folder), or None.
    """

    fqn: str
    origin: Origin
    fields: dict[str, Any] = field(default_factory=dict)
    contract: str | None = None
    contract_origin: Origin | None = None
    contract_name: str | None = None  # as shown in errors, e.g. governance/contracts/rental.yaml

    def at(self, name: str, *rest: str | int) -> Origin:
        """Origin of a declared field (``at("owners", 0)``)."""
        return self.origin.child(name, *rest)


@dataclass
class TeamSpec:
    """A team the files declare (``define.teams``); ``team_type`` as OpenMetadata's teamType."""

    name: str
    description: str
    team_type: str
    origin: Origin


@dataclass
class DomainSpec:
    name: str
    description: str
    domain_type: str
    origin: Origin


@dataclass
class DataProductSpec:
    name: str
    domain: str
    description: str
    origin: Origin


@dataclass
class GlossarySpec:
    name: str
    description: str
    origin: Origin


@dataclass
class TermSpec:
    """A glossary term: ``fqn`` is ``glossary.[parent.]name``; ``parent`` the parent term's FQN."""

    fqn: str
    name: str
    glossary: str
    parent: str | None
    description: str
    synonyms: list[str]
    origin: Origin


@dataclass
class PolicySpec:
    """An access policy (``define.policies``).

    Attributes:
        name: the policy's name (its FQN).
        description: as declared.
        rules: OpenMetadata ``Rule`` JSON (``name``, ``effect``, ``operations``, ``resources``,
            optional ``condition`` and ``description``), already checked with the generated model.
    """

    name: str
    description: str
    rules: list[dict]
    origin: Origin


@dataclass
class RoleSpec:
    """A role (``define.roles``): ``policies`` names policies declared or in the catalog."""

    name: str
    description: str
    policies: list[str]
    origin: Origin


@dataclass
class GovernanceSpec:
    """Everything a governance folder declares (see :func:`~.files.load_folder`)."""

    folder: str
    files: list[str] = field(default_factory=list)
    tables: list[TableSpec] = field(default_factory=list)
    teams: list[TeamSpec] = field(default_factory=list)
    domains: list[DomainSpec] = field(default_factory=list)
    data_products: list[DataProductSpec] = field(default_factory=list)
    glossaries: list[GlossarySpec] = field(default_factory=list)
    terms: list[TermSpec] = field(default_factory=list)
    policies: list[PolicySpec] = field(default_factory=list)
    roles: list[RoleSpec] = field(default_factory=list)

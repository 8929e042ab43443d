"""Errors of the governance-as-code tooling: each names the file, line and field at fault.

Messages never contain a token or a connection secret: they quote the governance files and
OpenMetadata's answers only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in a governance or contract file.

    Attributes:
        file: the file's path as given (relative to the governance folder when loaded from one).
        line: 1-based line of the offending key or value (0: the whole file).
        field: dotted path of the field, e.g. ``tables.rental.owners[0].user``.
        message: what is wrong and what was expected.
    """

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(file)'}: {self.message}"


class GovernanceError(Exception):
    """Base class of the errors below."""


class GovernanceInputError(GovernanceError):
    """The governance files (or the catalog they refer to) are not usable; nothing was written.

    Attributes:
        problems: every :class:`Problem` found, sorted by file and line.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.field))
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the governance files; nothing was written:\n{lines}"
        )


class BreakingContractChangeError(GovernanceInputError):
    """A data contract changes incompatibly without a major version bump (nothing was written)."""


class DriftError(GovernanceError):
    """``drift`` found differences between the catalog and the files and was asked to fail.

    Attributes:
        plan: the plan (JSON-serialisable dict) that would restore the declared state.
    """

    def __init__(self, message: str, plan: dict) -> None:
        super().__init__(message)
        self.plan = plan


class GovernanceApplyError(GovernanceError):
    """A write was refused by OpenMetadata during apply.

    Entities written before it stay written (each entity is one request, so each is fully
    before or fully after); running apply again converges.
    """

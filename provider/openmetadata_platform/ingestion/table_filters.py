"""Which databases, schemas and tables a workflow reads: OpenMetadata's ``*FilterPattern`` fields.

Shared by the profiler, auto-classification and query-log workflows; checked without importing
openmetadata-ingestion, so the operators check them when the DAG is parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from openmetadata_platform.ingestion.workflow_config import FilterPattern


@dataclass(frozen=True)
class TableFilters:
    """Include/exclude regexes on database, schema and table names (empty: no filter)."""

    database: FilterPattern = field(default_factory=FilterPattern)
    schema: FilterPattern = field(default_factory=FilterPattern)
    table: FilterPattern = field(default_factory=FilterPattern)

    @classmethod
    def from_args(
        cls,
        *,
        database_includes: Sequence[str] | None = None,
        database_excludes: Sequence[str] | None = None,
        schema_includes: Sequence[str] | None = None,
        schema_excludes: Sequence[str] | None = None,
        table_includes: Sequence[str] | None = None,
        table_excludes: Sequence[str] | None = None,
    ) -> TableFilters:
        """Build from operator arguments.

        Raises:
            IngestionConfigError: a pattern list is not a list of valid regexes (names the argument).
        """
        return cls(
            FilterPattern.from_args("database", database_includes, database_excludes),
            FilterPattern.from_args("schema", schema_includes, schema_excludes),
            FilterPattern.from_args("table", table_includes, table_excludes),
        )

    def with_table_excludes(self, excludes: Sequence[str]) -> TableFilters:
        """A copy that also excludes ``excludes`` (regexes on table names)."""
        if not excludes:
            return self
        table = FilterPattern(self.table.includes, [*self.table.excludes, *excludes])
        return TableFilters(self.database, self.schema, table)

    def as_config(self) -> dict:
        """The ``databaseFilterPattern``/``schemaFilterPattern``/``tableFilterPattern`` entries."""
        config = {}
        for key, pattern in (
            ("databaseFilterPattern", self.database),
            ("schemaFilterPattern", self.schema),
            ("tableFilterPattern", self.table),
        ):
            if pattern.as_config():
                config[key] = pattern.as_config()
        return config

"""Reading the catalog through openmetadata-ingestion's ``OpenMetadata`` client, with caches.

Every lookup is a ``GET .../name/{fqn}`` (``OpenMetadata.get_by_name``), made once per name
per run, so a plan costs one request per table plus one per distinct owner, tag, term,
domain and data product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

TABLE_FIELDS = ["owners", "tags", "domains", "dataProducts", "extension"]


def _entity_classes() -> dict[str, Any]:
    from metadata.generated.schema.entity.classification.tag import Tag
    from metadata.generated.schema.entity.data.glossary import Glossary
    from metadata.generated.schema.entity.data.glossaryTerm import GlossaryTerm
    from metadata.generated.schema.entity.data.table import Table
    from metadata.generated.schema.entity.domains.dataProduct import DataProduct
    from metadata.generated.schema.entity.domains.domain import Domain
    from metadata.generated.schema.entity.policies.policy import Policy
    from metadata.generated.schema.entity.teams.role import Role
    from metadata.generated.schema.entity.teams.team import Team
    from metadata.generated.schema.entity.teams.user import User

    return {
        "table": Table,
        "user": User,
        "team": Team,
        "tag": Tag,
        "glossary": Glossary,
        "glossaryTerm": GlossaryTerm,
        "domain": Domain,
        "dataProduct": DataProduct,
        "policy": Policy,
        "role": Role,
    }


def as_json(entity: Any) -> dict:
    """An entity model as the plain JSON the server sends (aliases, no nulls)."""
    return entity.model_dump(mode="json", by_alias=True, exclude_none=True)


class Catalog:
    """Cached reads of the entities a governance folder refers to.

    Args:
        client: a connected ``OpenMetadata`` client (``OpenMetadataHook.get_conn()``).
    """

    def __init__(self, client: OpenMetadata) -> None:
        self.client = client
        self.classes = _entity_classes()
        self._cache: dict[tuple[str, str], dict | None] = {}

    def get(self, entity_type: str, fqn: str, fields: list[str] | None = None) -> dict | None:
        """The entity as JSON, or None when the server answers 404.

        Calls ``GET /api/v1/<collection>/name/{fqn}`` (``OpenMetadata.get_by_name``).
        """
        key = (entity_type, fqn)
        if key not in self._cache:
            entity = self.client.get_by_name(entity=self.classes[entity_type], fqn=fqn, fields=fields)
            self._cache[key] = as_json(entity) if entity is not None else None
        return self._cache[key]

    def table(self, fqn: str) -> dict | None:
        """The table with the fields governance manages (owners, tags, domains, data products, extension)."""
        return self.get("table", fqn, TABLE_FIELDS)

    def remember(self, entity_type: str, fqn: str, entity: dict) -> None:
        """Record an entity apply just created, so later references find its id."""
        self._cache[(entity_type, fqn)] = entity

    def table_custom_properties(self) -> set[str]:
        """Names of the custom properties defined for tables.

        Calls ``GET /api/v1/metadata/types/name/table?fields=customProperties``
        (``OpenMetadata.get_entity_custom_properties``).
        """
        key = ("type", "table")
        if key not in self._cache:
            props = self.client.get_entity_custom_properties(entity_type=self.classes["table"]) or []
            self._cache[key] = {"names": sorted(p["name"] for p in props)}
        return set(self._cache[key]["names"])

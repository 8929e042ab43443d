"""Create-or-update of entities whose writes have their own routes (test suites, test cases, queries).

Does what :meth:`EntityStore.create_or_update` does once the entity is built (the server's
``EntityRepository.createOrUpdate``): found by FQN, created at version 0.1 (201) or updated
with the PUT rules of :mod:`.update_rules` (200); no recorded change keeps version,
``updatedAt`` and ``updatedBy``; a change is +0.1. The stored form is validated with the
entity model. Unlike the generic path it takes an entity already built by the area module,
and writes ``deleted`` only for entity types that have the field (``Query`` has none).
"""

from __future__ import annotations

import time
import uuid

from tests.openmetadata_standin import update_rules
from tests.openmetadata_standin.entities import KINDS
from tests.openmetadata_standin.store import API

VOLATILE = {"id", "version", "updatedAt", "updatedBy", "href", "changeDescription", "incrementalChangeDescription"}


def write_entity(server, type_name: str, entity: dict, user: str) -> tuple[dict, int]:
    """Store ``entity`` (with its ``fullyQualifiedName``); return (stored entity, 201 or 200)."""
    kind = KINDS[type_name]
    store = server.store
    fqn = entity["fullyQualifiedName"]
    with store.lock(type_name, fqn):
        existing_id = store.fqn_index[type_name].get(fqn)
        existing = store.by_id[type_name].get(existing_id) if existing_id else None
        entity_id = existing["id"] if existing else str(uuid.uuid4())
        entity = {**entity, "id": entity_id, "href": f"{store.base_url}{API}/{kind.collection}/{entity_id}"}
        if "deleted" in kind.field_names:
            entity["deleted"] = False
        if existing is not None:
            update_rules.apply_put_rules(type_name, existing, entity, user)
            if {k: v for k, v in existing.items() if k not in VOLATILE} == {
                k: v for k, v in entity.items() if k not in VOLATILE
            }:
                return existing, 200
            entity["version"] = round(existing["version"] + 0.1, 1)
        else:
            entity["version"] = 0.1
        entity["updatedAt"] = int(time.time() * 1000)
        entity["updatedBy"] = user
        kind.entity_model.model_validate(entity)
        store.by_id[type_name][entity_id] = entity
        store.fqn_index[type_name][fqn] = entity_id
        return entity, 200 if existing else 201

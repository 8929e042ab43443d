"""System routes of the stand-in: version, the logged-in bot, test-connection definitions, search."""

from __future__ import annotations

import importlib.metadata
import uuid

from tests.openmetadata_standin.entities import TEST_CONNECTION_STEPS
from tests.openmetadata_standin.errors import ApiError
from tests.openmetadata_standin.routes import Call, Route
from tests.openmetadata_standin.store import API

BOT_ID = str(uuid.UUID(int=0xB07))


def server_version() -> str:
    """The version to report: the installed client's major.minor.patch (client refuses a mismatch)."""
    return ".".join(importlib.metadata.version("openmetadata-ingestion").split(".")[:3])


def version(server, call: Call):
    return 200, {"version": server_version(), "revision": "stand-in", "timestamp": 0}


def logged_in_user(server, call: Call):
    from metadata.generated.schema.entity.teams.user import User

    user = {
        "id": BOT_ID,
        "name": "ingestion-bot",
        "fullyQualifiedName": "ingestion-bot",
        "email": "ingestion-bot@open-metadata.org",
        "isBot": True,
        "isAdmin": False,
        "version": 0.1,
        "updatedAt": 0,
        "updatedBy": "admin",
        "href": f"{server.store.base_url}{API}/users/{BOT_ID}",
        "deleted": False,
    }
    User.model_validate(user)
    return 200, user


def test_connection_definition(server, call: Call):
    from metadata.generated.schema.entity.services.connections.testConnectionDefinition import (
        TestConnectionDefinition,
    )

    fqn = call.groups["fqn"]
    service_type = fqn.split(".")[0]
    if fqn != f"{service_type}.testConnectionDefinition" or service_type not in TEST_CONNECTION_STEPS:
        raise ApiError(404, f"testConnectionDefinition instance for {fqn} not found")
    definition = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, fqn)),
        "name": service_type,
        "fullyQualifiedName": service_type,
        "steps": [
            {"name": name, "description": f"{name} step", "mandatory": mandatory}
            for name, mandatory in TEST_CONNECTION_STEPS[service_type]
        ],
        "version": 0.1,
        "updatedAt": 0,
        "updatedBy": "admin",
        "deleted": False,
    }
    TestConnectionDefinition.model_validate(definition)
    return 200, definition


def search_field_query(server, call: Call):
    return 200, server.store.search_field(call.query)


ROUTES = [
    Route("GET", r"system/version", version),
    Route("GET", r"users/loggedInUser", logged_in_user),
    Route("GET", r"services/testConnectionDefinitions/name/(?P<fqn>.+)", test_connection_definition),
    Route("GET", r"search/fieldQuery", search_field_query),
]

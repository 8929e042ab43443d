"""Seed the stand-in with database entities through the real OpenMetadata client."""

from __future__ import annotations


def create_tables(server, tables: dict[str, list[str]]) -> None:
    """Create each table (and its service, database, schema) in the stand-in ``server``.

    Args:
        tables: ``{"service.database.schema.table": ["column", ...]}``; columns are VARCHAR(64).
    """
    from metadata.generated.schema.api.data.createDatabase import CreateDatabaseRequest
    from metadata.generated.schema.api.data.createDatabaseSchema import (
        CreateDatabaseSchemaRequest,
    )
    from metadata.generated.schema.api.data.createTable import CreateTableRequest
    from metadata.generated.schema.api.services.createDatabaseService import (
        CreateDatabaseServiceRequest,
    )
    from metadata.generated.schema.entity.data.table import Column, DataType
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.generated.schema.entity.services.databaseService import (
        DatabaseServiceType,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    client = OpenMetadata(
        OpenMetadataConnection(
            hostPort=server.host_port, authProvider="openmetadata", securityConfig={"jwtToken": server.token}
        )
    )
    for fqn, columns in tables.items():
        service, database, schema, table = fqn.split(".")
        client.create_or_update(CreateDatabaseServiceRequest(name=service, serviceType=DatabaseServiceType.Postgres))
        client.create_or_update(CreateDatabaseRequest(name=database, service=service))
        client.create_or_update(CreateDatabaseSchemaRequest(name=schema, database=f"{service}.{database}"))
        client.create_or_update(
            CreateTableRequest(
                name=table,
                databaseSchema=f"{service}.{database}.{schema}",
                columns=[Column(name=c, dataType=DataType.VARCHAR, dataLength=64) for c in columns],
            )
        )


def create_user(server, name: str, email: str | None = None) -> dict:
    """Create an OpenMetadata user in the stand-in (``PUT /v1/users``); returns the User."""
    status, user = server.call("PUT", "/users", {"name": name, "email": email or f"{name}@example.com"})
    assert status in (200, 201), user
    return user


def create_team(server, name: str, team_type: str = "Group") -> dict:
    """Create an OpenMetadata team in the stand-in (``PUT /v1/teams``); returns the Team."""
    status, team = server.call("PUT", "/teams", {"name": name, "teamType": team_type})
    assert status in (200, 201), team
    return team

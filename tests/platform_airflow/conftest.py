"""Helpers for the platform-Airflow suite: what the OpenMetadata UI creates before it deploys.

Bodies are built with OpenMetadata's generated models (``metadata.generated.schema``), as the
server's POJOs would be, and go through the stand-in's REST API like the UI's requests.
"""

from __future__ import annotations

import time

import pytest

MANAGED_API = "/pluginsv2/api/v2/openmetadata"


def pagila_service_request(pagila_postgres, password: str | None = None) -> dict:
    """``CreateDatabaseServiceRequest`` for the session's pagila (what the UI's "Add service" sends)."""
    return postgres_service_request(
        f"{pagila_postgres.host}:{pagila_postgres.port}",
        "postgres",
        password if password is not None else pagila_postgres.password,
    )


def postgres_service_request(host_port: str, username: str, password: str, database: str = "pagila") -> dict:
    """``CreateDatabaseServiceRequest`` of a Postgres service named after ``database`` at ``host_port``."""
    from metadata.generated.schema.api.services.createDatabaseService import CreateDatabaseServiceRequest

    request = CreateDatabaseServiceRequest(
        name=database,
        serviceType="Postgres",
        connection={
            "config": {
                "type": "Postgres",
                "username": username,
                "authType": {"password": password},
                "hostPort": host_port,
                "database": database,
            }
        },
    )
    return request.model_dump(mode="json", exclude_none=True, by_alias=True)


def create(om, collection: str, body: dict) -> dict:
    """``PUT /v1/<collection>`` on the stand-in as the admin; returns the entity."""
    status, entity = om.call("PUT", f"/{collection}", body)
    assert status in (200, 201), entity
    return entity


def metadata_pipeline_request(service: dict, name: str = "pagila_metadata") -> dict:
    """``CreateIngestionPipelineRequest`` of a metadata pipeline on ``service`` (schema ``public``)."""
    from metadata.generated.schema.api.services.ingestionPipelines.createIngestionPipeline import (
        CreateIngestionPipelineRequest,
    )
    from metadata.generated.schema.entity.services.ingestionPipelines.ingestionPipeline import (
        AirflowConfig,
        PipelineType,
    )
    from metadata.generated.schema.metadataIngestion.databaseServiceMetadataPipeline import (
        DatabaseServiceMetadataPipeline,
    )
    from metadata.generated.schema.metadataIngestion.workflow import SourceConfig
    from metadata.generated.schema.type.entityReference import EntityReference
    from metadata.generated.schema.type.filterPattern import FilterPattern

    request = CreateIngestionPipelineRequest(
        name=name,
        pipelineType=PipelineType.metadata,
        sourceConfig=SourceConfig(
            config=DatabaseServiceMetadataPipeline(
                schemaFilterPattern=FilterPattern(includes=["^public$"]), includeViews=True, markDeletedTables=True
            )
        ),
        airflowConfig=AirflowConfig(scheduleInterval=None),
        service=EntityReference(id=service["id"], type="databaseService"),
    )
    return request.model_dump(mode="json", exclude_none=True, by_alias=True)


def wait_for(predicate, timeout: float, message: str, interval: float = 0.5):
    """Poll ``predicate()`` until it returns something truthy; return it.

    Raises:
        AssertionError: ``message`` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(interval)


@pytest.fixture
def om(shared_openmetadata, airflow_cluster):
    """The session stand-in, empty, with the cluster up; fails a test that hit an unserved endpoint."""
    yield shared_openmetadata
    assert shared_openmetadata.unsupported == [], shared_openmetadata.unsupported

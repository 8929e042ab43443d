"""Harvest an Airflow deployment's DAGs with OpenMetadata's own Airflow connector.

The connector (``metadata.ingestion.source.pipeline.airflow``) reads Airflow's REST API
(``connection.type = RestAPI``, API v2: Airflow 3 workers have no metadata-DB access) with a
username and password; on Airflow 3 it exchanges them for a JWT at ``/auth/token``
(``metadata.ingestion.source.pipeline.airflow.api.auth.build_basic_auth_callback``). It writes
one Pipeline per DAG with its tasks, run history and usage (``PUT /v1/usage/pipeline/{id}``)
into the PipelineService named ``service_name``: use the lineage listener's
(``[openmetadata_lineage] pipeline_service_name``) so both views land on the same entities.
"""

from __future__ import annotations

from openmetadata_platform.ingestion.runner import WorkflowSummary

AIRFLOW_API_CONN_ID = "airflow_api"


def airflow_api_url(host: str | None, port: int | None, schema: str | None = None) -> str:
    """The API server's base URL from an Airflow ``http`` connection's fields.

    ``host`` may be a full URL (``http://airflow:8080``) or a bare name; ``schema`` is then the
    scheme (default ``http``) and ``port`` is appended when given.

    Raises:
        ValueError: ``host`` is empty.
    """
    if not host:
        raise ValueError(
            f"Airflow connection '{AIRFLOW_API_CONN_ID}': field 'host' is empty; expected the API server URL"
        )
    base = host if "://" in host else f"{schema or 'http'}://{host}"
    return f"{base.rstrip('/')}:{port}" if port else base.rstrip("/")


def workflow_config(service_name: str, api_url: str, username: str, password: str, server_config: dict) -> dict:
    """The connector's workflow config (OpenMetadata ``PipelineServiceMetadataPipeline``).

    Args:
        service_name: the PipelineService to write into (created when missing).
        api_url: Airflow's API server base URL, e.g. ``http://airflow-apiserver:8080``.
        username, password: an Airflow user allowed to read DAGs, runs and task instances.
        server_config: ``workflowConfig.openMetadataServerConfig`` (holds the JWT: never log it).
    """
    return {
        "source": {
            "type": "airflow",
            "serviceName": service_name,
            "serviceConnection": {
                "config": {
                    "type": "Airflow",
                    "hostPort": api_url,
                    "connection": {
                        "type": "RestAPI",
                        "apiVersion": "v2",
                        "authConfig": {"username": username, "password": password},
                    },
                }
            },
            "sourceConfig": {"config": {"type": "PipelineMetadata", "includeLineage": True}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"loggerLevel": "INFO", "openMetadataServerConfig": server_config},
    }


def harvest_airflow_pipelines(
    service_name: str, openmetadata_conn_id: str = "openmetadata_default", airflow_conn_id: str = AIRFLOW_API_CONN_ID
) -> WorkflowSummary:
    """Run the connector against the Airflow named by ``airflow_conn_id``; return the summary.

    Reads the Airflow connections ``airflow_conn_id`` (type http: host = API server URL,
    login/password) and ``openmetadata_conn_id`` (``OpenMetadataHook``), then runs
    ``MetadataWorkflow`` (:func:`openmetadata_platform.ingestion.runner.run_metadata_workflow`).

    Raises:
        ValueError: the Airflow connection has no host.
        IngestionWorkflowError: the workflow failed (the message says why; no secret in it).
    """
    from airflow.sdk import BaseHook

    from openmetadata_platform.hooks.openmetadata import OpenMetadataHook
    from openmetadata_platform.ingestion.runner import run_metadata_workflow

    api = BaseHook.get_connection(airflow_conn_id)
    config = workflow_config(
        service_name,
        airflow_api_url(api.host, api.port, api.schema),
        api.login or "",
        api.password or "",
        OpenMetadataHook(openmetadata_conn_id).get_server_config_dict(),
    )
    return run_metadata_workflow(config, service_name)

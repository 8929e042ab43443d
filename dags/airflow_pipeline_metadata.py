"""Harvest this Airflow's DAGs with OpenMetadata's own Airflow connector.

For deployments that want the connector's view (DAG code, all runs' history) in addition
to what the provider's listener reports. Airflow 3 workers have no metadata-DB access, so
the connector reads Airflow's REST API (``connection.type = RestAPI``, API v2) with the
credentials of the Airflow connection ``airflow_api`` (type http: host = the API server's
base URL, login/password). The PipelineService is the listener's
(``[openmetadata_lineage] pipeline_service_name``), so both views land on the same entities.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task

AIRFLOW_API_CONN_ID = "airflow_api"


def workflow_config(service_name: str, api_url: str, username: str, password: str, server_config: dict) -> dict:
    """The connector's workflow config (OpenMetadata ``PipelineServiceMetadataPipeline``)."""
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


@dag(
    dag_id="airflow_pipeline_metadata",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["openmetadata"],
    description="OpenMetadata's Airflow connector: this Airflow's pipelines into OpenMetadata.",
)
def airflow_pipeline_metadata():
    @task
    def harvest_pipelines() -> dict:
        from airflow.sdk import BaseHook
        from openmetadata_platform.hooks.openmetadata import OpenMetadataHook
        from openmetadata_platform.ingestion.runner import run_metadata_workflow
        from openmetadata_platform.lineage.config import load_config

        settings = load_config()
        api = BaseHook.get_connection(AIRFLOW_API_CONN_ID)
        host = api.host if "://" in (api.host or "") else f"{api.schema or 'http'}://{api.host}"
        url = f"{host}:{api.port}" if api.port else host
        config = workflow_config(
            settings.pipeline_service_name,
            url,
            api.login or "",
            api.password or "",
            OpenMetadataHook(settings.conn_id).get_server_config_dict(),
        )
        return run_metadata_workflow(config, settings.pipeline_service_name).as_dict()

    harvest_pipelines()


airflow_pipeline_metadata()

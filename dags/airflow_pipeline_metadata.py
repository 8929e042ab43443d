"""Harvest this Airflow's DAGs with OpenMetadata's own Airflow connector.

For deployments that want the connector's view (DAG code, all runs' history) in addition
to what the provider's listener reports. The connector reads Airflow's REST API (v2) with the
credentials of the Airflow connection ``airflow_api`` (type http: host = the API server's
base URL, login/password) and writes into the listener's PipelineService
(``[openmetadata_lineage] pipeline_service_name``), so both views land on the same entities.
The code lives in the provider: ``openmetadata_platform.ingestion.airflow_pipelines``.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task


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
        from openmetadata_platform.ingestion.airflow_pipelines import harvest_airflow_pipelines
        from openmetadata_platform.lineage.config import load_config

        settings = load_config()
        return harvest_airflow_pipelines(settings.pipeline_service_name, settings.conn_id).as_dict()

    harvest_pipelines()


airflow_pipeline_metadata()

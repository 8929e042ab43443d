"""``airflow_pipeline_metadata`` on the real Airflow: OpenMetadata's Airflow connector reads this
Airflow's REST API v2 with a username and password and writes every DAG as a Pipeline."""

from __future__ import annotations

REPO_DAGS = {"pagila_metadata_ingestion", "sqlserver_metadata_ingestion", "example_customer_etl", "cluster_probe"}


def test_the_connector_harvests_this_airflow_into_the_listeners_pipeline_service(om, airflow_cluster):
    cluster = airflow_cluster
    for dag_id in ("airflow_pipeline_metadata", *REPO_DAGS):
        cluster.wait_for_dag(dag_id)
    run_id = cluster.trigger("airflow_pipeline_metadata")
    state = cluster.wait_for_run("airflow_pipeline_metadata", run_id, timeout=240)
    log = cluster.task_log("airflow_pipeline_metadata", run_id, "harvest_pipelines")
    assert state == "success", log[-4000:]

    pipelines = [p for p in om.entities("pipeline") if not p.get("deleted")]
    by_fqn = {p["fullyQualifiedName"]: p for p in pipelines}
    # one entity per DAG, all in the listener's service: the listener's and the connector's
    # views of a DAG are the same Pipeline, never two
    assert len(by_fqn) == len(pipelines)
    assert {p["service"]["fullyQualifiedName"] for p in pipelines} == {"airflow"}
    assert {f"airflow.{dag_id}" for dag_id in (*REPO_DAGS, "airflow_pipeline_metadata")} <= set(by_fqn)
    etl = by_fqn["airflow.example_customer_etl"]
    assert [t["name"] for t in etl["tasks"]] == ["announce", "build_customer_mart", "stage_customers"]
    assert etl["sourceUrl"].startswith(cluster.base_url)
    # the connector publishes pipeline usage and asks for the percentiles, which the server serves
    assert om.count("PUT", "/api/v1/usage/pipeline/") >= 1
    assert om.count("POST", "/api/v1/usage/compute.percentile/pipeline/") == 1
    summary = cluster.api(
        "GET",
        f"dags/airflow_pipeline_metadata/dagRuns/{run_id}/taskInstances/harvest_pipelines/xcomEntries/return_value",
    ).json()["value"]
    assert summary["success"] is True and summary["failures"] == 0 and summary["records_processed"] >= len(REPO_DAGS)

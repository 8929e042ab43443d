"""LocalExecutor workers forked from a forkserver that preloaded openmetadata-ingestion
(``[scheduler] mp_start_method = forkserver``, ``[core] mp_forkserver_preload``)."""

from __future__ import annotations


def test_task_processes_find_openmetadata_ingestion_already_imported(airflow_cluster):
    cluster = airflow_cluster
    cluster.wait_for_dag("cluster_probe")
    results = []
    for _ in range(2):
        run_id = cluster.trigger("cluster_probe")
        assert cluster.wait_for_run("cluster_probe", run_id, timeout=120) == "success"
        results.append(
            cluster.api(
                "GET", f"dags/cluster_probe/dagRuns/{run_id}/taskInstances/probe/xcomEntries/return_value"
            ).json()["value"]
        )
    assert all(result["preloaded"] for result in results), results
    assert results[0]["pid"] != results[1]["pid"]  # a fresh task process each time, not a reused one

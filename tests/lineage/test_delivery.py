"""The sender's guarantees, each on its own: one Pipeline definition from both sides, hooks that
only hand events over, bounded queue and outbox, a deleted Pipeline re-created, a config
that never raises."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.lineage.conftest import LOGGER, lineage_warnings, run_dag


def _config(**overrides):
    from openmetadata_platform.lineage.config import load_config

    return load_config().__class__(**{**load_config().__dict__, **overrides})


def test_both_sides_build_the_same_pipeline(etl_dag):
    """The task process has the Task SDK DAG, the scheduler the serialized one: same Pipeline."""
    from airflow.serialization.serialized_objects import DagSerialization
    from openmetadata_platform.plugins.listener import pipeline_spec

    config = _config()
    serialized = DagSerialization.from_dict(DagSerialization.to_dict(etl_dag))
    assert type(serialized).__name__ == "SerializedDAG"
    task_side, scheduler_side = pipeline_spec(etl_dag, config), pipeline_spec(serialized, config)
    assert task_side == scheduler_side
    assert task_side.request["scheduleInterval"] == "0 0 * * *"  # the Task SDK timetable has no summary
    assert {t["name"]: t.get("description", "")[:4] for t in task_side.request["tasks"]} == {
        "announce": "Tell",
        "build_customer_mart": "Upse",
        "stage_customers": "Copy",
    }


def test_scheduler_hooks_only_hand_the_event_over(om_tables, etl_dag, caplog):
    """With a server that takes 2 s per call, the DAG-run hook returns at once; the status
    arrives later from the sender thread."""
    from openmetadata_platform.lineage import dispatch
    from openmetadata_platform.plugins.listener import listener

    run = run_dag(etl_dag)
    om_tables.pipeline_statuses.statuses.clear()
    om_tables.inject(delay=2)
    started = time.perf_counter()
    listener.on_dag_run_success(dag_run=run, msg="success")
    handed_over = time.perf_counter() - started
    assert handed_over < 0.5, handed_over  # generous: the call alone takes 2 s
    assert om_tables.pipeline_statuses.statuses == {}
    om_tables.heal()
    assert dispatch.flush(15)
    (status,) = om_tables.pipeline_statuses.statuses["airflow.example_customer_etl"].values()
    assert status["executionStatus"] == "Successful"


def test_a_deleted_pipeline_is_created_again(om_tables, etl_dag):
    """The host cache still names the old Pipeline: its 404 drops the entry and re-creates it."""
    assert run_dag(etl_dag).state == "success"
    (old,) = om_tables.entities("pipeline")
    status, _ = om_tables.call("DELETE", f"/pipelines/{old['id']}", query={"hardDelete": "true"})
    assert status == 200 and om_tables.entities("pipeline") == []
    run = run_dag(etl_dag)
    assert run.state == "success"
    (new,) = om_tables.entities("pipeline")
    assert new["id"] != old["id"]
    statuses = om_tables.pipeline_statuses.statuses[new["fullyQualifiedName"]].values()
    assert run.run_id in {s["executionId"] for s in statuses}
    # the second run's edges name the new Pipeline (the stale cached id was looked up again)
    assert {e["lineageDetails"]["pipeline"]["id"] for e in om_tables.lineage.edges.values()} == {new["id"]}


def test_a_full_queue_drops_progress_and_keeps_the_rest(om_tables, tmp_path, caplog):
    from openmetadata_platform.lineage import dispatch
    from openmetadata_platform.lineage.edges import Edge
    from openmetadata_platform.lineage.events import EdgesEvent, PipelineSpec, StatusEvent

    config = _config(queue_size=1)
    dispatch.connection_for(config.conn_id)  # a process that has sent before knows its server
    om_tables.inject(delay=1)  # keeps the sender busy with the first event
    spec = PipelineSpec("airflow", {"name": "d", "service": "airflow", "tasks": [{"name": "t"}]})
    progress = StatusEvent("airflow.d", {"timestamp": 1, "executionStatus": "Pending"}, final=False, spec=spec)
    edges = EdgesEvent(spec, "run t -1 1", (Edge("a.b.c.d", "a.b.c.e"),))
    sender = dispatch.dispatcher()
    assert sender.submit(progress, config)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert not sender.submit(progress, config)  # dropped: a newer one will come
    assert not sender.submit(edges, config)  # durable: kept in the outbox
    assert sender.dropped == 2
    outbox = list((tmp_path / "lineage-state").glob("*/outbox/*.json"))
    assert [json.loads(p.read_text())["kind"] for p in outbox] == ["edges"]
    assert len([w for w in lineage_warnings(caplog) if "queue full" in w]) == 1  # once per minute


def test_the_outbox_is_bounded_oldest_first(tmp_path, caplog):
    from openmetadata_platform.lineage.state import Outbox

    outbox = Outbox(tmp_path, max_items=3)
    for n in range(5):
        outbox.put(f"key {n}", "edges", {"n": n})
        time.sleep(0.01)  # distinct mtimes
    kept = [json.loads(p.read_text())["payload"]["n"] for p in outbox.pending()]
    assert kept == [2, 3, 4] and outbox.dropped == 2
    outbox.put("key 4", "edges", {"n": 44})  # same key: replaces, drops nothing
    assert [json.loads(p.read_text())["payload"]["n"] for p in outbox.pending()] == [2, 3, 44]
    claimed = outbox.claim(outbox.pending()[0])
    assert claimed is not None and outbox.claim(claimed[0].with_name(claimed[0].name.split(".claimed")[0])) is None
    outbox.release(claimed[0])
    assert len(outbox) == 3


@pytest.mark.parametrize(
    ("name", "value", "default"),
    [
        ("conn_id", "", ""),  # an empty string option keeps the empty value: it is valid text
        ("timeout", "-1", 3.0),
        ("timeout", "soon", 3.0),
        ("queue_size", "0", 1000),
        ("queue_size", "1.5", 1000),
        ("enabled", "maybe", True),
        ("status_interval", "-5", 10.0),
    ],
)
def test_the_config_never_raises(monkeypatch, caplog, name, value, default):
    from openmetadata_platform.lineage.config import load_config

    monkeypatch.setenv(f"AIRFLOW__OPENMETADATA_LINEAGE__{name.upper()}", value)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    config = load_config()
    assert getattr(config, name) == default
    if value != default:
        assert any(f"{name} is invalid" in w for w in lineage_warnings(caplog))


def test_log_links_are_airflows_own(om_tables, etl_dag):
    """The final status builds each task's log link itself (reading [api] base_url once);
    it must stay exactly what Airflow's TaskInstance.log_url gives."""
    from openmetadata_platform.lineage.bodies import airflow_base_url, log_url

    run = run_dag(etl_dag)
    tis = run.get_task_instances()
    assert len(tis) == 3
    for ti in tis:
        assert log_url(airflow_base_url(), ti) == ti.log_url


def test_a_replaced_dispatcher_stops_its_thread(monkeypatch):
    """After forget_process_state() the old sender thread must not go on flushing or caching
    connections with its old settings (it once cached "not defined" for the next test)."""
    from openmetadata_platform.lineage import dispatch

    monkeypatch.delenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", raising=False)
    old = dispatch.dispatcher()
    old.flush_periodically(_config(flush_interval=0.01))
    thread = old._thread
    assert thread is not None and thread.is_alive()
    dispatch.forget_process_state()
    assert not thread.is_alive()
    assert dispatch.dispatcher() is not old
    time.sleep(1.0)  # an old thread would have looked the connection up again by now
    assert "openmetadata_default" not in dispatch._connections

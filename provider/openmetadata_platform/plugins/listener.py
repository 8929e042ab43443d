"""The listener: Airflow 3 listener hooks -> :class:`~openmetadata_platform.lineage.emitter.Emitter`.

Where each hook runs in Airflow 3.3 (checked in the installed package):

- ``on_task_instance_running/success/failed/skipped`` run in the TASK PROCESS, from
  ``airflow.sdk.execution_time.task_runner`` through ``airflow.sdk.listener``'s manager, with
  a ``RuntimeTaskInstance`` (``.task`` is the real operator with its inlets/outlets; no
  metadata-DB access: the connection comes through the Task SDK's supervisor). The same
  hooks are also called by the API server with an ORM ``TaskInstance`` when a user
  changes a state by hand; those calls are ignored here (no operator, no run in progress).
- ``on_dag_run_running/success/failed`` run where ``DagRun.update_state`` runs: the
  SCHEDULER (or the ``dag.test()`` process), with an ORM ``DagRun`` whose session can read
  every task instance, so the final status is complete even for tasks that never ran.

Every hook catches everything: the task or scheduler never sees an error from here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pluggy

from openmetadata_platform.lineage import hook_lineage
from openmetadata_platform.lineage import pipeline as model
from openmetadata_platform.lineage.config import load_config
from openmetadata_platform.lineage.edges import task_edges
from openmetadata_platform.lineage.emitter import Emitter, Event

hookimpl = pluggy.HookimplMarker("airflow")  # the project name both listener managers use
log = logging.getLogger("openmetadata_platform.lineage")

# (dag_id, run_id, task_id, map_index) -> hook collector sizes when the task started
_hook_snapshots: dict[tuple, tuple[int, int, int]] = {}


def _key(ti) -> tuple:
    return ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1)


def _is_task_process(ti) -> bool:
    return type(ti).__name__ == "RuntimeTaskInstance" and getattr(getattr(ti, "task", None), "dag", None) is not None


def _dag_run(ti):
    return ti.get_template_context()["dag_run"]


def _log_link(ti) -> str | None:
    try:
        url = ti.log_url
    except Exception:  # noqa: BLE001 - lineage must never fail a task
        return None
    return url if isinstance(url, str) and url.startswith("http") else None


def report_task(ti, state, *, with_lineage: bool) -> None:
    """Send a task's status (and, when it ended, its lineage). Never raises."""
    try:
        dag = ti.task.dag
        emitter = Emitter.for_dag(dag.dag_id)
        if emitter is None:
            return
        event = Event(f"task {ti.dag_id}.{ti.task_id}")
        edges = []
        if with_lineage:
            hook_tables = hook_lineage.HookTables()
            start = _hook_snapshots.pop(_key(ti), None)
            if start is not None and not emitter.config.only_keep_dag_lineage:
                hook_tables = hook_lineage.since(start)
                event.problems.extend(hook_tables.problems)
            edges = task_edges(
                getattr(ti.task, "inlets", None),
                getattr(ti.task, "outlets", None),
                event.problems,
                hook_tables.inputs,
                hook_tables.outputs,
            )
        dag_run = _dag_run(ti)
        end = (ti.end_date or datetime.now(UTC)) if with_lineage else None
        status = model.task_status(ti.task_id, state, ti.start_date, end, _log_link(ti))

        def work(client):
            pipeline = emitter.ensure_pipeline(client, dag)
            emitter.update_task_status(client, pipeline, dag_run, status)
            if edges:
                emitter.send_edges(client, pipeline, edges, event)

        emitter.run(event, work)
    except Exception as exc:  # noqa: BLE001 - lineage must never fail a task  # pragma: no cover - last line of defence
        log.warning(
            "OpenMetadata lineage: task %s.%s not reported (%s: %s)",
            getattr(ti, "dag_id", "?"),
            getattr(ti, "task_id", "?"),
            type(exc).__name__,
            exc,
        )


def report_run(dag_run, final: bool) -> None:
    """Send a DAG run's status from the scheduler side (all task instances). Never raises."""
    try:
        emitter = Emitter.for_dag(dag_run.dag_id)
        if emitter is None:
            return
        from sqlalchemy.orm import object_session

        session = object_session(dag_run)
        tis = dag_run.get_task_instances(session=session) if session is not None else dag_run.get_task_instances()
        tasks = [
            model.task_status(ti.task_id, ti.state, ti.start_date, ti.end_date) for ti in tis if ti.state is not None
        ]
        state = dag_run.state if final else None
        status = model.pipeline_status(dag_run, state, tasks, dag_run.end_date if final else None)
        dag = getattr(dag_run, "dag", None)
        event = Event(f"DAG run {dag_run.dag_id} {dag_run.run_id}")

        def work(client):
            if dag is not None:
                pipeline = emitter.ensure_pipeline(client, dag)
            else:
                service = emitter.config.pipeline_service_name
                pipeline = {"fullyQualifiedName": f"{service}.{dag_run.dag_id}"}
            emitter.put_run_status(client, pipeline, status)

        emitter.run(event, work)
    except Exception as exc:  # noqa: BLE001 - lineage must never fail a task  # pragma: no cover - last line of defence
        log.warning(
            "OpenMetadata lineage: DAG run %s not reported (%s: %s)",
            getattr(dag_run, "run_id", "?"),
            type(exc).__name__,
            exc,
        )


class OpenMetadataListener:
    """Airflow listener (pluggy hook implementations) registered by the plugin."""

    @hookimpl
    def on_task_instance_running(self, previous_state, task_instance):
        if not _is_task_process(task_instance):
            return
        try:
            if not load_config().only_keep_dag_lineage:
                _hook_snapshots[_key(task_instance)] = hook_lineage.snapshot()
        except Exception:  # noqa: BLE001 - lineage must never fail a task
            pass
        report_task(task_instance, "running", with_lineage=False)

    @hookimpl
    def on_task_instance_success(self, previous_state, task_instance):
        if _is_task_process(task_instance):
            report_task(task_instance, "success", with_lineage=True)

    @hookimpl
    def on_task_instance_failed(self, previous_state, task_instance, error):
        if _is_task_process(task_instance):
            # a failed try still read/wrote what it got to; lineage is sent only on success
            _hook_snapshots.pop(_key(task_instance), None)
            report_task(task_instance, "failed", with_lineage=False)

    @hookimpl
    def on_task_instance_skipped(self, previous_state, task_instance):
        if _is_task_process(task_instance):
            _hook_snapshots.pop(_key(task_instance), None)
            report_task(task_instance, "skipped", with_lineage=False)

    @hookimpl
    def on_dag_run_running(self, dag_run, msg):
        report_run(dag_run, final=False)

    @hookimpl
    def on_dag_run_success(self, dag_run, msg):
        report_run(dag_run, final=True)

    @hookimpl
    def on_dag_run_failed(self, dag_run, msg):
        report_run(dag_run, final=True)


listener = OpenMetadataListener()

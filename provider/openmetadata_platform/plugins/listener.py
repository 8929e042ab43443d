"""The listener: Airflow 3 listener hooks build lineage events and hand them to the sender.

Where each hook runs in Airflow 3.3 (checked in the installed package):

- ``on_task_instance_running/success/failed/skipped`` run in the TASK PROCESS, from
  ``airflow.sdk.execution_time.task_runner`` through ``airflow.sdk.listener``'s manager, with
  a ``RuntimeTaskInstance`` (``.task`` is the real operator with its inlets/outlets; no
  metadata-DB access). ``before_stopping`` runs at the very end of the task runner's
  ``finalize``. The task-instance hooks are also called by the API server with an ORM
  ``TaskInstance`` when a user changes a state by hand; those calls are ignored here.
- ``on_dag_run_running/success/failed`` run where ``DagRun.update_state`` runs: the
  SCHEDULER's main loop (or the ``dag.test()`` process), with an ORM ``DagRun``, before the
  loop commits the run's new state.

Who sends what, so that no write can ever overwrite a newer one:

- the scheduler side owns the Pipeline and the run's PipelineStatus: the start, progress
  polled every ``status_interval`` seconds by its sender thread, and one final, complete
  status built from the DagRun's task instances (with their log links);
- the task side sends only the task's lineage edges, after it succeeded.

A hook only hands over what it reads off the Airflow objects and queues it
(:mod:`openmetadata_platform.lineage.dispatch`); no network, no connection lookup on the
scheduler. On the scheduler's thread not even a query or a request body: the sender thread
builds the Pipeline and reads the task instances (once the run's final state is committed).
A task process waits at its end at most ``task_end_budget`` (0.1 s) for its edges; what is
not sent by then waits in the outbox. Every hook catches everything: the task or scheduler
never sees an error from here.
"""

from __future__ import annotations

import contextlib
import logging
import time
from types import SimpleNamespace

import pluggy

from openmetadata_platform.lineage import bodies, dispatch, hook_lineage
from openmetadata_platform.lineage.config import SECTION, LineageConfig, airflow_conf, load_config
from openmetadata_platform.lineage.edges import task_edges
from openmetadata_platform.lineage.events import EdgesEvent, PipelineSpec, StatusEvent
from openmetadata_platform.lineage.sender import log_once

hookimpl = pluggy.HookimplMarker("airflow")  # the project name both listener managers use
log = logging.getLogger("openmetadata_platform.lineage")

# (dag_id, run_id, task_id, map_index) -> hook collector sizes when the task started
_hook_snapshots: dict[tuple, tuple[int, int, int]] = {}


def _key(ti) -> tuple:
    return ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1)


def _is_task_process(ti) -> bool:
    return type(ti).__name__ == "RuntimeTaskInstance" and getattr(getattr(ti, "task", None), "dag", None) is not None


def selected_config(dag_id: str) -> LineageConfig | None:
    """The section's settings when lineage is on and the DAG selected, else ``None`` (one info line)."""
    config = load_config()
    if not config.enabled:
        log_once("disabled", logging.INFO, "OpenMetadata lineage is disabled ([%s] enabled = False)", SECTION)
        return None
    if not config.dag_selected(dag_id):
        log.debug("OpenMetadata lineage: DAG %s excluded by [%s] patterns", dag_id, SECTION)
        return None
    return config


def pipeline_spec(dag, config: LineageConfig) -> PipelineSpec:
    """The DAG's :class:`PipelineSpec` (the same from a Task SDK DAG and a serialized DAG)."""
    default_owner = airflow_conf().get("operators", "default_owner", fallback="airflow") or "airflow"
    return PipelineSpec.from_dag(dag, config.pipeline_service_name, default_owner)


def pipeline_fqn(dag_id: str, config: LineageConfig) -> str:
    return f"{bodies.quote_name(config.pipeline_service_name)}.{bodies.quote_name(dag_id)}"


# -- task side ----------------------------------------------------------------------------
def report_task_lineage(ti) -> None:
    """Queue the edges of a task that succeeded (declared and hook-reported). Never raises."""
    try:
        start = _hook_snapshots.pop(_key(ti), None)
        dag = ti.task.dag
        config = selected_config(dag.dag_id)
        if config is None:
            return
        problems: list[str] = []
        groups = ()
        if start is not None and not config.only_keep_dag_lineage:
            hook_tables = hook_lineage.since(start)
            problems.extend(hook_tables.problems)
            groups = hook_tables.groups
        edges = task_edges(getattr(ti.task, "inlets", None), getattr(ti.task, "outlets", None), problems, groups)
        if problems:
            log.warning("OpenMetadata lineage: task %s.%s: %s", ti.dag_id, ti.task_id, " | ".join(problems))
        if edges:
            # In a task process the connection comes through the Task SDK's supervisor comms,
            # which belong to the task's thread (Airflow's in-process test comms, under
            # dag.test(), swap a module global while they answer), so it is looked up here,
            # once per process, and the sender thread finds it remembered.
            with contextlib.suppress(Exception):
                dispatch.connection_for(config.conn_id)
            task = f"{ti.run_id} {ti.task_id} {getattr(ti, 'map_index', -1)} {getattr(ti, 'try_number', 0)}"
            dispatch.submit(EdgesEvent(pipeline_spec(dag, config), task, tuple(edges)), config)
    except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
        log.warning(
            "OpenMetadata lineage: task %s.%s not reported (%s: %s)", ti.dag_id, ti.task_id, type(exc).__name__, exc
        )


# -- scheduler side -----------------------------------------------------------------------
def run_status_event(
    dag_run, config: LineageConfig, session=None, spec: PipelineSpec | None = None, with_tasks: bool = True
) -> StatusEvent:
    """The run's PipelineStatus from its task instances (read through ``session``).

    ``with_tasks=False`` skips reading them (a run that is just starting has none with a state).
    """
    state = str(getattr(dag_run.state, "value", dag_run.state) or "")
    final = state in ("success", "failed")
    tis = task_instances(dag_run, session) if with_tasks or final else []
    status = bodies.pipeline_status(
        dag_run, dag_run.state if final else None, bodies.task_statuses(tis), dag_run.end_date if final else None
    )
    return StatusEvent(pipeline_fqn(dag_run.dag_id, config), status, final, spec)


def task_instances(dag_run, session) -> list:
    """The run's task instances with only the columns a TaskStatus needs.

    An ORM query, so instances the scheduler changed in this session but did not flush yet
    (its ``update_state``) come from the session's identity map as they are now; only the
    needed columns are read and no relationship is loaded, which halves the hook's cost
    against ``DagRun.get_task_instances``.
    """
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import select
    from sqlalchemy.orm import lazyload, load_only

    query = (
        select(TI)
        .where(TI.dag_id == dag_run.dag_id, TI.run_id == dag_run.run_id)
        .options(
            load_only(
                TI.dag_id, TI.run_id, TI.task_id, TI.map_index, TI.state, TI.start_date, TI.end_date, TI.try_number
            ),
            lazyload("*"),
        )
    )
    if session is None:
        from airflow.utils.session import create_session

        with create_session() as own:
            return list(own.scalars(query))
    return list(session.scalars(query))


def _lazy_spec(dag, config: LineageConfig):
    """``() -> PipelineSpec | None``, built on first use (on the sender thread) and kept."""
    built: list = []

    def spec() -> PipelineSpec | None:
        if not built:
            built.append(pipeline_spec(dag, config) if dag is not None else None)
        return built[0]

    return spec


def _poller(dag_id: str, run_id: str, config: LineageConfig, spec):
    """A function the sender thread calls to read a run's progress with its own session."""

    def poll() -> StatusEvent | None:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
            return None if run is None else run_status_event(run, config, session, spec())

    return poll


# How long the sender thread waits for the scheduler to commit a run's final state before
# reading its task instances (it commits at the end of its loop, normally within a second).
COMMIT_WAIT_SECONDS = 10.0


def committed_task_instances(dag_id: str, run_id: str, state: str, wait: float = COMMIT_WAIT_SECONDS) -> list | None:
    """The run's task instances once the metadata DB holds the run in ``state`` (committed).

    Polls the DagRun's state (``SELECT state FROM dag_run``, each time in a new session so a
    new commit is seen) every 50 ms for up to ``wait`` seconds. ``None`` when it never got
    there: the scheduler's transaction was rolled back, and its next loop reports the run
    again.
    """
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    deadline = time.monotonic() + wait
    while True:
        with create_session() as session:
            current = session.scalar(select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
            if str(getattr(current, "value", current) or "") == state:
                return task_instances(SimpleNamespace(dag_id=dag_id, run_id=run_id), session)
        if current is None or time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _run_facts(dag_run) -> SimpleNamespace:
    """What the status needs from the ORM DagRun, read now (plain attribute reads, no query)."""
    return SimpleNamespace(
        dag_id=dag_run.dag_id,
        run_id=dag_run.run_id,
        logical_date=getattr(dag_run, "logical_date", None),
        run_after=getattr(dag_run, "run_after", None),
        state=str(getattr(dag_run.state, "value", dag_run.state) or ""),
        end_date=dag_run.end_date,
    )


def report_run(dag_run, final: bool) -> None:
    """Hand a DAG run's status over to the sender; on start, watch its progress. Never raises.

    Runs on the scheduler's thread, so it only reads the DagRun's own attributes: the
    Pipeline body and, for a final status, the task instances (read from the metadata DB once
    the scheduler committed the run's state) are built on the sender thread
    (:class:`~openmetadata_platform.lineage.dispatch.Deferred`). No network I/O, no query.
    """
    started = time.perf_counter()
    try:
        config = selected_config(dag_run.dag_id)
        if config is None:
            return
        run = _run_facts(dag_run)
        spec = _lazy_spec(getattr(dag_run, "dag", None), config)
        fqn = pipeline_fqn(run.dag_id, config)
        sender = dispatch.dispatcher()
        key = (run.dag_id, run.run_id)
        what = f"DAG run {run.run_id} of {fqn}"
        if final:
            sender.unwatch(key)  # no progress poll may follow the final status

            def build() -> StatusEvent | None:
                tis = committed_task_instances(run.dag_id, run.run_id, run.state)
                if tis is None:
                    log.debug("OpenMetadata lineage: %s: final state not committed; not reported now", what)
                    return None
                status = bodies.pipeline_status(run, run.state, bodies.task_statuses(tis), run.end_date)
                return StatusEvent(fqn, status, True, spec())

            def build_here() -> StatusEvent:
                # the queue is full: read through the scheduler's session (no commit to wait for)
                from sqlalchemy.orm import object_session

                return run_status_event(dag_run, config, object_session(dag_run), spec())

            sender.submit(dispatch.Deferred(what, True, build, build_here), config)
        else:
            status = bodies.pipeline_status(run, None, [])
            sender.submit(dispatch.Deferred(what, False, lambda: StatusEvent(fqn, status, False, spec())), config)
            sender.watch(key, _poller(run.dag_id, run.run_id, config, spec), config, status)
        sender.flush_periodically(config)
        if config.log_hook_timing:
            log.info(
                "OpenMetadata lineage: DAG run %s %s handed over in %.3f ms",
                run.run_id,
                "final" if final else "start",
                (time.perf_counter() - started) * 1000,
            )
    except Exception as exc:  # noqa: BLE001 - the scheduler must never see an error from here
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

    @hookimpl
    def on_task_instance_success(self, previous_state, task_instance):
        if _is_task_process(task_instance):
            report_task_lineage(task_instance)

    @hookimpl
    def on_task_instance_failed(self, previous_state, task_instance, error):
        # a failed try still read/wrote what it got to; lineage is sent only on success
        _hook_snapshots.pop(_key(task_instance), None)

    @hookimpl
    def on_task_instance_skipped(self, previous_state, task_instance):
        _hook_snapshots.pop(_key(task_instance), None)

    @hookimpl
    def on_dag_run_running(self, dag_run, msg):
        report_run(dag_run, final=False)

    @hookimpl
    def on_dag_run_success(self, dag_run, msg):
        report_run(dag_run, final=True)

    @hookimpl
    def on_dag_run_failed(self, dag_run, msg):
        report_run(dag_run, final=True)

    @hookimpl
    def before_stopping(self, component):
        # The end of a task process (and of other components): deliver what is queued within
        # task_end_budget; the rest, the event being sent included, waits in the outbox.
        try:
            dispatch.flush(load_config().task_end_budget)
        except Exception:  # noqa: BLE001 - stopping must never fail
            pass


listener = OpenMetadataListener()

"""``OpenMetadataLineageOperator``: lineage as a visible task (the earlier documented pattern).

It sends the DAG's Pipeline and the edges of EVERY task's inlets/outlets (with declared
column lineage) through the same :class:`~openmetadata_platform.lineage.emitter.Emitter`
code path as the listener. Unlike the listener it fails the task when the server cannot
be reached (it is an explicit step); problems with single edges (missing tables,
malformed assets) are logged as one warning.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator


class OpenMetadataLineageOperator(BaseOperator):
    """Send the DAG's pipeline entity and all its declared lineage to OpenMetadata.

    Args:
        fail_on_error: raise when the server call fails (default ``True``); ``False`` only
            logs, like the listener.

    Returns (XCom): ``{"pipeline": <fqn>, "edges": <number sent>}``.

    Raises:
        AirflowException: lineage disabled/misconfigured or the server failed (with
            ``fail_on_error``). Calls ``PUT /v1/pipelines`` and ``PUT /v1/lineage``.
    """

    ui_color = "#7147e8"

    def __init__(self, *, fail_on_error: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fail_on_error = fail_on_error

    def execute(self, context) -> dict:
        from airflow.sdk.exceptions import AirflowException

        from openmetadata_platform.lineage.edges import task_edges
        from openmetadata_platform.lineage.emitter import Emitter, Event

        dag = self.dag
        emitter = Emitter.for_dag(dag.dag_id)
        if emitter is None:
            if self.fail_on_error:
                raise AirflowException("OpenMetadata lineage is disabled, excluded or misconfigured (see log)")
            return {"pipeline": None, "edges": 0}
        event = Event(f"lineage of DAG {dag.dag_id}")
        edges = []
        for task in dag.tasks:
            edges.extend(task_edges(task.inlets, task.outlets, event.problems))

        def work(client):
            pipeline = emitter.ensure_pipeline(client, dag)
            return {
                "pipeline": pipeline["fullyQualifiedName"],
                "edges": emitter.send_edges(client, pipeline, edges, event),
            }

        try:
            result = emitter.run(event, work, raise_errors=self.fail_on_error)
        except Exception as exc:  # noqa: BLE001 - lineage must never fail a task
            raise AirflowException(str(exc)) from None
        return result or {"pipeline": None, "edges": 0}

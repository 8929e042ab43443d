"""``OpenMetadataLineageOperator``: lineage as a visible task (the earlier documented pattern).

It sends the DAG's Pipeline and the edges of EVERY task's inlets/outlets (with declared
column lineage) now, in the task, through the same delivery code as the listener
(:func:`openmetadata_platform.lineage.dispatch.deliver`). Unlike the listener it fails the
task when nothing can be sent (it is an explicit step): the server is unreachable, rejects
the token, or is backing off after an earlier failure. Problems with single edges
(missing tables, malformed assets) are logged as one warning.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator


class OpenMetadataLineageOperator(BaseOperator):
    """Send the DAG's pipeline entity and all its declared lineage to OpenMetadata.

    Args:
        fail_on_error: raise when the lineage cannot be sent (default ``True``); ``False`` only
            logs, like the listener (what could not be sent then waits in the outbox).

    Returns (XCom): ``{"pipeline": <fqn or None>, "edges": <number sent>}``.

    Raises:
        AirflowException: lineage disabled/misconfigured, the server failed, or it is backing
            off (with ``fail_on_error``). Calls ``PUT /v1/pipelines`` and ``PUT /v1/lineage``.
    """

    ui_color = "#7147e8"

    def __init__(self, *, fail_on_error: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(fail_on_error, bool):
            raise ValueError(f"fail_on_error={fail_on_error!r}: expected True or False")
        self.fail_on_error = fail_on_error

    def execute(self, context) -> dict:
        from airflow.sdk.exceptions import AirflowException

        from openmetadata_platform.lineage.dispatch import deliver
        from openmetadata_platform.lineage.edges import declared_edges
        from openmetadata_platform.lineage.events import EdgesEvent
        from openmetadata_platform.plugins.listener import pipeline_spec, selected_config

        dag = self.dag
        config = selected_config(dag.dag_id)
        if config is None:
            if self.fail_on_error:
                raise AirflowException("OpenMetadata lineage is disabled or this DAG is excluded (see log)")
            return {"pipeline": None, "edges": 0}
        problems: list[str] = []
        edges = [edge for task in dag.tasks for edge in declared_edges(task.inlets, task.outlets, problems)]
        if problems:
            self.log.warning("OpenMetadata lineage of DAG %s: %s", dag.dag_id, " | ".join(problems))
        spec = pipeline_spec(dag, config)
        run_id = (context or {}).get("run_id", "")
        event = EdgesEvent(spec, f"{run_id} {self.task_id} -1 0", tuple(edges))
        try:
            sent = deliver(event, config, raise_errors=self.fail_on_error)
        except Exception as exc:  # noqa: BLE001 - every failure becomes the task's one clear error
            raise AirflowException(str(exc)) from None
        return {"pipeline": spec.fqn if sent is not None else None, "edges": sent or 0}

"""Build OpenMetadata request bodies (plain dicts) from Airflow DAGs, tasks and runs.

Works on both the Task SDK DAG (task processes) and the scheduler's serialized DAG: only
attributes both have are read. Bodies follow ``CreatePipelineServiceRequest``,
``CreatePipelineRequest`` and ``PipelineStatus`` of ``metadata.generated.schema`` (the
tests validate them with those models; the models are not imported here, see client.py).
"""

from __future__ import annotations

from datetime import datetime

# Airflow task/run state -> OpenMetadata StatusType (it has no "Running": Pending it is).
STATUS = {
    "success": "Successful",
    "failed": "Failed",
    "upstream_failed": "Failed",
    "skipped": "Skipped",
    "removed": "Skipped",
}


def execution_status(state) -> str:
    """OpenMetadata StatusType for an Airflow state (enum or string; unknown -> ``Pending``)."""
    return STATUS.get(str(getattr(state, "value", state) or "").lower(), "Pending")


def to_millis(value: datetime | None) -> int | None:
    """Epoch milliseconds of an aware datetime (``None`` stays ``None``)."""
    return int(value.timestamp() * 1000) if value is not None else None


def airflow_base_url() -> str:
    """The Airflow UI base URL from ``[api] base_url`` (no trailing slash)."""
    from openmetadata_platform.lineage.config import _conf

    return (_conf().get("api", "base_url", fallback="http://localhost:8080") or "http://localhost:8080").rstrip("/")


def service_request(name: str) -> dict:
    """``CreatePipelineServiceRequest`` for this Airflow deployment."""
    return {
        "name": name,
        "serviceType": "Airflow",
        "description": "Airflow DAGs reported by the openmetadata_platform lineage listener.",
    }


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def pipeline_request(dag, service: str, base_url: str) -> dict:
    """``CreatePipelineRequest`` for a DAG: tasks with downstream ids, descriptions, URLs.

    Args:
        dag: an ``airflow.sdk.DAG`` or the scheduler's serialized DAG.
        service: PipelineService name (FQN).
        base_url: Airflow UI base URL, e.g. ``http://localhost:8080``.
    """
    dag_url = f"{base_url}/dags/{dag.dag_id}"
    tasks = []
    for task in sorted(dag.tasks, key=lambda t: t.task_id):
        body = {
            "name": task.task_id,
            "sourceUrl": f"{dag_url}/tasks/{task.task_id}",
            "downstreamTasks": sorted(task.downstream_task_ids),
            "taskType": getattr(task, "task_type", None) or type(task).__name__,
        }
        description = _text(getattr(task, "doc_md", None)) or _text(getattr(task, "doc", None))
        if description:
            body["description"] = description
        tasks.append(body)
    request = {
        "name": dag.dag_id,
        "service": service,
        "sourceUrl": dag_url,
        "tasks": tasks,
    }
    description = _text(getattr(dag, "description", None)) or _text(getattr(dag, "doc_md", None))
    if description:
        request["description"] = description
    display = getattr(dag, "dag_display_name", None)
    if display and display != dag.dag_id:
        request["displayName"] = display
    timetable = getattr(dag, "timetable", None)
    summary = getattr(timetable, "summary", None)
    if summary and summary != "None":
        request["scheduleInterval"] = summary
    if getattr(dag, "fileloc", None):
        request["pipelineLocation"] = str(dag.fileloc)
    return request


def split_owners(value) -> list[str]:
    """Owner names of an Airflow ``owner`` string (comma-separated), in order, without blanks."""
    names = [part.strip() for part in str(value or "").split(",")]
    return list(dict.fromkeys(name for name in names if name))


def task_owners(dag, default_owner: str = "airflow") -> dict[str, list[str]]:
    """``{task_id: [owner name, ...]}``; Airflow's default owner (nobody in particular) is left out."""
    return {
        task.task_id: [name for name in split_owners(getattr(task, "owner", None)) if name != default_owner]
        for task in dag.tasks
    }


def dag_tags(dag) -> list[str]:
    """The DAG's tags (strings), sorted and de-duplicated."""
    return sorted({str(tag).strip() for tag in getattr(dag, "tags", None) or () if str(tag).strip()})


def quote_name(name: str) -> str:
    """One FQN part as the server writes it (``FullyQualifiedName.quoteName``): dotted names quoted."""
    return f'"{name}"' if "." in name else name


def invalid_name(name: str) -> str | None:
    """Why the server would reject ``name`` as an entity name, or ``None`` when it is fine.

    ``basic.json#/definitions/entityName`` forbids ``::`` and caps the length at 256;
    ``FullyQualifiedName.quoteName`` rejects a double quote inside a name.
    """
    if "::" in name:
        return "contains '::'"
    if '"' in name:
        return "contains a double quote"
    if len(name) > 256:
        return "is longer than 256 characters"
    return None


def classification_request(name: str) -> dict:
    """``CreateClassificationRequest`` for the classification holding the DAG tags."""
    return {
        "name": name,
        "mutuallyExclusive": False,
        "description": "Tags of Airflow DAGs, added by the openmetadata_platform lineage listener.",
    }


def tag_request(classification: str, tag: str) -> dict:
    """``CreateTagRequest`` for one DAG tag.

    ``classification`` is the classification's name; the request names it by FQN (the
    server looks it up so), i.e. quoted when it has a dot.
    """
    return {"name": tag, "classification": quote_name(classification), "description": f"Airflow DAG tag `{tag}`."}


def tag_label(tag_fqn: str) -> dict:
    """A ``TagLabel`` attaching an existing classification tag, as automation does."""
    return {"tagFQN": tag_fqn, "source": "Classification", "labelType": "Automated", "state": "Confirmed"}


def run_timestamp(dag_run) -> int:
    """The status key of a run: its logical date (else run_after), epoch ms.

    Identical in the task process (SDK DagRun) and the scheduler (ORM DagRun), so both
    write the same PipelineStatus record.
    """
    return to_millis(getattr(dag_run, "logical_date", None) or dag_run.run_after)


def task_status(task_id: str, state, start: datetime | None, end: datetime | None, log_link: str | None = None) -> dict:
    """One ``TaskStatus`` (times in epoch ms)."""
    status = {"name": task_id, "executionStatus": execution_status(state)}
    if start is not None:
        status["startTime"] = to_millis(start)
    if end is not None:
        status["endTime"] = to_millis(end)
    if log_link:
        status["logLink"] = log_link
    return status


def pipeline_status(dag_run, run_state, tasks: list[dict], end: datetime | None = None) -> dict:
    """``PipelineStatus`` of a run with its task statuses (sorted by task name)."""
    status = {
        "timestamp": run_timestamp(dag_run),
        "executionId": dag_run.run_id,
        "executionStatus": execution_status(run_state),
        "taskStatus": sorted(tasks, key=lambda t: t["name"]),
    }
    if end is not None:
        status["endTime"] = to_millis(end)
    return status


def merge_task_statuses(stored: list[dict] | None, update: list[dict]) -> list[dict]:
    """Stored task statuses overlaid with ``update`` (same task name: the update wins)."""
    merged = {t["name"]: t for t in stored or []}
    merged.update({t["name"]: t for t in update})
    return list(merged.values())

"""Every OpenMetadata request body the lineage listener sends (plain dicts), built from
Airflow DAGs, tasks and runs.

Works on both the Task SDK DAG (task processes) and the scheduler's serialized DAG, and
gives the SAME Pipeline from both (tests compare them): only attributes both have are
read, and a Task SDK timetable, which has no ``summary``, is summarised through Airflow's
own timetable serialization. Bodies follow ``CreatePipelineServiceRequest``,
``CreatePipelineRequest``, ``PipelineStatus``, ``CreateClassificationRequest``,
``CreateTagRequest`` and ``AddLineageRequest`` of ``metadata.generated.schema`` (the tests
validate them with those models; the models are not imported here, see client.py).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

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
    from openmetadata_platform.lineage.config import airflow_conf

    base = airflow_conf().get("api", "base_url", fallback="http://localhost:8080") or "http://localhost:8080"
    return base.rstrip("/")


def schedule_summary(dag) -> str | None:
    """The DAG's schedule as Airflow's UI shows it (``timetable.summary``, e.g. ``0 0 * * *``).

    The scheduler's timetable has ``summary``; a Task SDK timetable does not, so it is turned
    into the core timetable with Airflow's own ``encode_timetable``/``decode_timetable``
    (what the DAG processor stores). ``None`` for an unscheduled DAG or when neither works.
    """
    timetable = getattr(dag, "timetable", None)
    if timetable is None:
        return None
    summary = getattr(timetable, "summary", None)
    if summary is None:
        try:
            from airflow.serialization.decoders import decode_timetable
            from airflow.serialization.encoders import encode_timetable

            summary = decode_timetable(encode_timetable(timetable)).summary
        except Exception:  # noqa: BLE001 - an unusual timetable only loses the schedule field
            return None
    return summary if summary and summary != "None" else None


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
    summary = schedule_summary(dag)
    if summary:
        request["scheduleInterval"] = summary
    location = pipeline_location(dag)
    if location:
        request["pipelineLocation"] = location
    return request


def pipeline_location(dag) -> str | None:
    """Where the DAG is defined, the same on every worker and for every bundle version.

    The DAG file's path inside its DAG bundle (``relative_fileloc``, e.g. ``etl/customers.py``),
    which Airflow 3 sets both where tasks run (the Task SDK parses the bundle's checkout) and
    on the scheduler's serialized DAG. Not ``fileloc``: a versioned (git) bundle is checked
    out under a per-version directory, and a worker's checkout path may differ from the
    dag-processor's, so the Pipeline body would change on every run. ``fileloc`` only when
    Airflow gave no relative path (a DAG file loaded outside any bundle).
    """
    relative = getattr(dag, "relative_fileloc", None)
    if relative:
        return str(relative)
    fileloc = getattr(dag, "fileloc", None)
    return str(fileloc) if fileloc else None


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


def lineage_request(source_id: str, target_id: str, pipeline_id: str, columns=()) -> dict:
    """``AddLineageRequest`` for a table -> table edge made by a pipeline.

    Args:
        source_id, target_id: table ids.
        pipeline_id: the Pipeline in the edge's lineage details.
        columns: ``ColumnLineage`` dicts (``fromColumns``: column FQNs, ``toColumn``: column FQN).
    """
    details = {"pipeline": {"id": pipeline_id, "type": "pipeline"}, "source": "PipelineLineage"}
    if columns:
        details["columnsLineage"] = [dict(c) for c in columns]
    return {
        "edge": {
            "fromEntity": {"id": source_id, "type": "table"},
            "toEntity": {"id": target_id, "type": "table"},
            "lineageDetails": details,
        }
    }


def run_timestamp(dag_run) -> int:
    """The status key of a run: its logical date (else run_after), epoch ms.

    Identical in the task process (SDK DagRun) and the scheduler (ORM DagRun), so both
    write the same PipelineStatus record.
    """
    return to_millis(getattr(dag_run, "logical_date", None) or dag_run.run_after)


# Which of several task statuses (mapped task instances, retries) describes the task.
_WORST_FIRST = ("Failed", "Pending", "Successful", "Skipped")


def task_statuses(task_instances, base_url: str | None = None) -> list[dict]:
    """One ``TaskStatus`` per task of a run, from its task instances (ORM or SDK objects).

    Task instances without a state yet are left out; a mapped task's instances become one
    status: the worst state (failed, then unfinished, then success, then skipped), the
    earliest start and the latest end, and the log link (:func:`log_url`) of the first
    instance. ``base_url`` defaults to ``[api] base_url`` (read once, not per instance).
    """
    base_url = base_url or airflow_base_url()
    by_task: dict[str, list] = {}
    for ti in task_instances:
        if getattr(ti, "state", None) is not None:
            by_task.setdefault(ti.task_id, []).append(ti)
    statuses = []
    for task_id, tis in by_task.items():
        tis = sorted(tis, key=lambda ti: getattr(ti, "map_index", -1))
        states = {execution_status(ti.state) for ti in tis}
        state = next(s for s in _WORST_FIRST if s in states)
        starts = [ti.start_date for ti in tis if ti.start_date is not None]
        ends = [ti.end_date for ti in tis if ti.end_date is not None]
        status = {"name": task_id, "executionStatus": state}
        if starts:
            status["startTime"] = to_millis(min(starts))
        if ends and state != "Pending":
            status["endTime"] = to_millis(max(ends))
        status["logLink"] = log_url(base_url, tis[0])
        statuses.append(status)
    return sorted(statuses, key=lambda s: s["name"])


def log_url(base_url: str, ti) -> str:
    """The task instance's log page, as Airflow's ``TaskInstance.log_url`` writes it.

    Built here because ``log_url`` reads ``[api] base_url`` from the config on every call,
    which made the scheduler's hook cost grow with the task count (a test compares the two).
    """
    map_index = getattr(ti, "map_index", -1)
    mapped = f"/mapped/{map_index}" if map_index is not None and map_index >= 0 else ""
    try_number = getattr(ti, "try_number", 0) or 0
    query = f"?try_number={try_number}" if try_number > 0 else ""
    return f"{base_url}/dags/{ti.dag_id}/runs/{quote(ti.run_id)}/tasks/{ti.task_id}{mapped}{query}"


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

"""The guard's own handling of trigger, delete and deploy around the managed APIs' DAGs.

- :func:`trigger_as`: the managed APIs' ``trigger`` (``operations/trigger.py``) with two
  changes. It waits, bounded, for a just-deployed DAG to be parsed (upstream answers 500
  "not found in DagModel" in the seconds between the deploy and the dag-processor's parse), and
  it records the Airflow user who triggered the run (``triggering_user_name``, which upstream
  leaves empty). Same Airflow call (``airflow.api.common.trigger_dag.trigger_dag``), same
  answer shape; the logical date keeps its microseconds, so two triggers within a second are
  two runs (upstream's second one failed on the unique logical date).
- :func:`exists`: whether there is anything of a DAG to act on (404 for a delete of a deleted DAG
  instead of upstream's 500); a delete of a DAG deployed but not yet parsed waits for the parse
  too (:func:`wait_until_parsed`): upstream's delete fails unless the DAG is in the database.
- :func:`snapshot` / :func:`restore`: the DAG file and config a deploy overwrites, put back when
  the deploy fails, so a failed deploy leaves nothing behind (upstream writes both before it
  imports the file).
"""

from __future__ import annotations

import time
from pathlib import Path

# How long a trigger waits for a deployed DAG to be parsed. The dag-processor lists the folder
# every 5 s on the platform (Dockerfile [dag_processor] refresh_interval) and parses a generated
# DAG in a few seconds; the server's client sets no read timeout (AirflowRESTClient).
PARSE_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.5


def _files(dag_id: str) -> tuple[Path, Path]:
    """Where the managed APIs keep a deployed DAG: its file and its config
    (``operations/deploy.py``: ``AIRFLOW_DAGS_FOLDER/<dag_id>.py``, ``DAG_GENERATED_CONFIGS/<dag_id>.json``)."""
    from openmetadata_managed_apis.api.config import AIRFLOW_DAGS_FOLDER, DAG_GENERATED_CONFIGS

    return Path(AIRFLOW_DAGS_FOLDER) / f"{dag_id}.py", Path(DAG_GENERATED_CONFIGS) / f"{dag_id}.json"


def clean(dag_id: str) -> str:
    """The DAG id as the managed APIs derive it from a pipeline name (``api/utils.py clean_dag_id``)."""
    from openmetadata_managed_apis.api.utils import clean_dag_id

    return clean_dag_id(dag_id)


def _in_database(dag_id: str) -> bool:
    from airflow import settings
    from airflow.models import DagModel

    with settings.Session() as session:
        return session.query(DagModel.dag_id).filter(DagModel.dag_id == dag_id).first() is not None


def exists(dag_id: str) -> bool:
    """True when the DAG is in Airflow's database or its deployed file or config is on disk."""
    return _in_database(dag_id) or any(path.exists() for path in _files(dag_id))


def wait_until_parsed(dag_id: str) -> tuple[int, dict] | None:
    """Wait, at most :data:`PARSE_WAIT_SECONDS`, until a deployed DAG has a serialized version.

    Args:
        dag_id: the cleaned DAG id.

    Returns:
        ``None`` once Airflow has parsed it; ``(404, body)`` when the DAG is not deployed at all;
        ``(503, body)`` when it is deployed but still not parsed at the deadline.
    """
    from airflow.models.dagbag import DBDagBag
    from airflow.utils.session import create_session

    deadline = time.monotonic() + PARSE_WAIT_SECONDS
    while True:
        with create_session() as session:
            if DBDagBag().get_latest_version_of_dag(dag_id, session=session) is not None:
                return None
        if not exists(dag_id):
            return 404, {"error": f"DAG {dag_id} not found: it is not deployed (deploy the pipeline first)"}
        if time.monotonic() > deadline:
            return 503, {
                "error": f"DAG {dag_id} is deployed but Airflow has not parsed it within {PARSE_WAIT_SECONDS:.0f} s: "
                "check that the dag-processor runs and the DAG file imports (Airflow UI, DAG import errors)"
            }
        time.sleep(POLL_SECONDS)


def trigger_as(user: str, dag_id: str, run_id: str | None, conf: dict | None) -> tuple[int, dict]:
    """Trigger a run of a managed DAG as ``user``; wait for a just-deployed DAG to be parsed.

    Args:
        user: the Airflow user name the guard authenticated (stored as the run's
            ``triggering_user_name``).
        dag_id: the DAG id as sent (cleaned as upstream does).
        run_id: the run id to use, or ``None`` for Airflow's.
        conf: the run's configuration, or ``None``.

    Returns:
        ``(status, JSON body)``: 200 with upstream's message; 404 when no such DAG was deployed;
        409 when ``run_id`` exists; 503 when a deployed DAG is still not parsed after
        :data:`PARSE_WAIT_SECONDS` (the dag-processor is down or the file does not import).
    """
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import DagNotFound, DagRunAlreadyExists
    from airflow.utils import timezone
    from airflow.utils.types import DagRunTriggeredByType

    dag_id = clean(dag_id)
    problem = wait_until_parsed(dag_id)
    if problem:
        return problem
    try:
        dag_run = trigger_dag(
            dag_id,
            run_id=run_id,
            conf=conf,
            logical_date=timezone.utcnow(),
            # Keep the microseconds: a run's logical date is unique per DAG, and two triggers in
            # one second (upstream cuts them) made the second a 500.
            replace_microseconds=False,
            triggered_by=DagRunTriggeredByType.REST_API,
            triggering_user_name=user,
        )
    except DagNotFound:
        return 404, {"error": f"DAG {dag_id} not found"}
    except DagRunAlreadyExists:
        return 409, {"error": f"DAG {dag_id} already has a run with run_id {run_id}"}
    return 200, {"message": f"Workflow [{dag_id}] has been triggered {dag_run}"}


def snapshot(dag_id: str) -> dict[Path, bytes | None]:
    """The current bytes of the DAG's file and config (``None``: absent), before a deploy."""
    return {path: (path.read_bytes() if path.exists() else None) for path in _files(clean(dag_id))}


def restore(saved: dict[Path, bytes | None]) -> None:
    """Put back what :func:`snapshot` saw: rewrite changed files, delete new ones."""
    for path, content in saved.items():
        if content is None:
            path.unlink(missing_ok=True)
        elif not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)

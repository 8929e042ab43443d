"""Airflow cluster policies of the platform Airflow (loaded by every Airflow process).

Airflow imports ``airflow_local_settings`` from ``$AIRFLOW_HOME/config`` in every process
(``airflow.settings.import_local_settings``) and calls :func:`dag_policy` for each DAG it bags
(``airflow.dag_processing.dagbag.DagBag.bag_dag``): the dag-processor, the api-server's
deploy check, task processes.

One policy: a stable ``start_date`` for the DAGs that openmetadata-managed-apis generates.

Upstream (openmetadata-managed-apis 2.0.6, ``workflows/ingestion/common.py``
``build_dag_configs``) gives them ``start_date = timezone.utcnow()`` at every parse on
Airflow 3. Two consequences:

- every re-parse stores a new DAG version;
- a run triggered just before a parse gets no task instances. Its logical date (the trigger
  time, microseconds cut) is before the new ``start_date``, and
  ``airflow.models.dagrun.DagRun.verify_integrity`` creates task instances only for tasks
  with ``start_date <= logical_date``. The run "succeeds" in milliseconds, having done nothing.

The UI's Deploy-then-Run lands in exactly that window. The policy pins ``start_date`` to the
pipeline's own time: the earlier of its ``updatedAt`` (the server's clock) and the deployed
config file's modification time (this machine's clock, so server clock skew cannot move it
into the future), cut to the second. It changes only when the pipeline is deployed again.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

# The tag openmetadata-managed-apis puts on every DAG it generates (build_dag_configs "tags").
MANAGED_DAG_TAG = "OpenMetadata"


def _generated_configs_folder() -> Path:
    # The managed APIs' own setting and fallback (openmetadata_managed_apis/api/config.py).
    from airflow.configuration import conf

    fallback = f"{os.environ.get('AIRFLOW_HOME', '')}/dag_generated_configs"
    return Path(conf.get("openmetadata_airflow_apis", "dag_generated_configs", fallback=fallback))


def deployed_start_date(config_file: Path) -> datetime | None:
    """The stable ``start_date`` of a deployed pipeline, or ``None`` when there is no config.

    Args:
        config_file: the IngestionPipeline JSON the managed APIs wrote at deploy
            (``<dag_generated_configs>/<dag_id>.json``).

    Returns:
        A timezone-aware UTC datetime, whole seconds: the earlier of the pipeline's
        ``updatedAt`` (epoch milliseconds) and the file's modification time.
    """
    try:
        modified = config_file.stat().st_mtime
    except OSError:
        return None
    candidates = [modified]
    try:
        updated_at = json.loads(config_file.read_text()).get("updatedAt")
    except (OSError, ValueError, AttributeError):
        updated_at = None
    if isinstance(updated_at, int | float) and updated_at > 0:
        candidates.append(updated_at / 1000)
    return datetime.fromtimestamp(int(min(candidates)), tz=UTC)


def dag_policy(dag) -> None:
    """Cluster policy: pin ``start_date`` of managed-APIs DAGs (see the module docstring).

    Args:
        dag: the DAG being bagged. Only DAGs tagged ``OpenMetadata`` whose deployed config
            exists are changed: the DAG's and every task's ``start_date``.
    """
    if MANAGED_DAG_TAG not in (dag.tags or ()):
        return
    start = deployed_start_date(_generated_configs_folder() / f"{dag.dag_id}.json")
    if start is None:
        return
    dag.start_date = start
    for task in dag.tasks:
        task.start_date = start

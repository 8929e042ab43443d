"""Modules a long-lived Airflow process imports once so that task processes do not (import only).

openmetadata-ingestion takes seconds to import (its generated models), and a task process pays
that on every run. Airflow's LocalExecutor can fork its workers from a ``forkserver`` that has
imported modules up front (``[scheduler] mp_start_method = forkserver`` and ``[core]
mp_forkserver_preload``, Airflow 3.3+); each task process is then a bare ``os.fork`` of such a
worker (``airflow.sdk.execution_time.supervisor.WatchedSubprocess.start``) and finds them in
``sys.modules``. Name this module in ``mp_forkserver_preload``::

    AIRFLOW__SCHEDULER__MP_START_METHOD=forkserver
    AIRFLOW__CORE__MP_FORKSERVER_PRELOAD=airflow.sdk.execution_time.task_runner,openmetadata_platform.ingestion.preload

Only pure imports happen here (no connection, no thread), so forking afterwards is safe.
"""

from __future__ import annotations

import importlib
import logging

# What the provider's ingestion tasks import when they run: the workflow, its sink and the
# sources of the platform's DAGs (PostgreSQL, SQL Server, Airflow's own pipelines).
MODULES = (
    "metadata.workflow.metadata",
    "metadata.ingestion.sink.metadata_rest",
    "metadata.ingestion.source.database.postgres.metadata",
    "metadata.ingestion.source.database.mssql.metadata",
    "metadata.ingestion.source.pipeline.airflow.metadata",
    "openmetadata_platform.operators.ingestion",
    "openmetadata_platform.ingestion.runner",
)

log = logging.getLogger(__name__)

for _name in MODULES:
    try:
        importlib.import_module(_name)
    except ImportError as exc:  # an optional source's driver is missing: the task imports it itself
        log.warning("openmetadata_platform preload: %s not imported (%s)", _name, exc)

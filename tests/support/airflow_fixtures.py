"""Session fixtures: ONE real Airflow for the whole test session, pointed at ONE stand-in.

Registered in ``tests/conftest.py`` (``pytest_plugins``), so every suite can use them:

- ``session_openmetadata``: a :class:`~tests.openmetadata_standin.server.StandInServer` for the
  session. Its ``pipeline_service_client`` is the Python port of the server's
  ``AirflowRESTClient`` pointed at the cluster, so the stand-in's deploy / trigger / Test
  Connection endpoints reach the real Airflow as the OpenMetadata server would.
- ``shared_openmetadata``: that server, emptied (``reset()``) before each test; a test fails
  when the stand-in itself failed on a request (``internal_errors``).
- ``airflow_cluster``: :class:`~tests.support.airflow_cluster.AirflowCluster` (api-server,
  scheduler, dag-processor; LocalExecutor; FAB auth; the platform's plugins; forkserver
  preload as in the image) with its metadata database on the session's pagila PostgreSQL. Its
  dags folder is a temporary directory of symlinks to ``dags/*.py`` and to every file in
  ``tests/airflow_dags/``; openmetadata-managed-apis writes deployed DAGs there too.
  Connections and settings in every process:

  - ``openmetadata_default`` -> the session stand-in (ingestion-bot token), and
    ``[openmetadata_lineage]`` enabled, so every DAG on the cluster reports lineage and status;
  - ``pagila_postgres`` -> the session's pagila;
  - ``airflow_api`` -> the cluster's own REST API as its admin (``airflow_pipeline_metadata``).

``KEEP_AIRFLOW_CLUSTER=1`` keeps the cluster's directory (process and task logs) after the
session, for debugging a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DAGS = REPO_ROOT / "tests" / "airflow_dags"


def link_dags(folder: Path) -> None:
    """Fill ``folder`` with symlinks to the repository's DAG files and the test DAGs."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [*sorted((REPO_ROOT / "dags").glob("*.py")), *sorted(p for p in TEST_DAGS.glob("*") if p.is_file())]
    for source in sources:
        link = folder / source.name
        if not link.exists():
            link.symlink_to(source)


@pytest.fixture(scope="session")
def session_openmetadata():
    """One OpenMetadata stand-in for the whole session (see module docstring)."""
    from tests.openmetadata_standin.server import StandInServer

    with StandInServer() as server:
        yield server


@pytest.fixture
def shared_openmetadata(session_openmetadata):
    """The session stand-in, emptied before the test; fails the test on a stand-in bug."""
    session_openmetadata.reset()
    yield session_openmetadata
    assert session_openmetadata.internal_errors == [], session_openmetadata.internal_errors


@pytest.fixture(scope="session")
def airflow_cluster(session_openmetadata, pagila_postgres):
    """One real Airflow for the session (see module docstring); stopped at the end.

    Start-up is bounded (``AirflowCluster.start``): a cluster that does not come up fails
    the tests that use it with the processes' log tails.
    """
    from platform_bootstrap.local_postgres import free_port

    from tests.support.airflow_cluster import AirflowCluster
    from tests.support.airflow_rest_client import AirflowRESTClient

    base = Path(tempfile.mkdtemp(prefix="airflow-cluster-"))
    dags = base / "dags"
    link_dags(dags)

    cluster = AirflowCluster(home=base / "home", dags_folder=dags, postgres=pagila_postgres, port=free_port())
    om = session_openmetadata
    cluster.env = {
        "AIRFLOW_CONN_OPENMETADATA_DEFAULT": json.dumps(
            {"conn_type": "openmetadata", "host": "127.0.0.1", "port": om.port, "schema": "http", "password": om.token}
        ),
        "AIRFLOW_CONN_PAGILA_POSTGRES": json.dumps(pagila_postgres.airflow_connection("pagila")),
        "AIRFLOW__OPENMETADATA_LINEAGE__ENABLED": "True",
        "AIRFLOW__OPENMETADATA_LINEAGE__PIPELINE_SERVICE_NAME": "airflow",
        # Short enough for outage tests to see the outbox delivered within seconds
        # (tests/lineage/test_real_scheduler.py); the scheduler logs each hook's hand-over time.
        "AIRFLOW__OPENMETADATA_LINEAGE__BACKOFF_SECONDS": "3",
        "AIRFLOW__OPENMETADATA_LINEAGE__FLUSH_INTERVAL": "2",
        "AIRFLOW__OPENMETADATA_LINEAGE__STATUS_INTERVAL": "2",
        "AIRFLOW__OPENMETADATA_LINEAGE__LOG_HOOK_TIMING": "True",
        "AIRFLOW_CONN_AIRFLOW_API": json.dumps(
            {
                "conn_type": "http",
                "host": cluster.base_url,
                "login": cluster.admin_user,
                "password": cluster.admin_password,
            }
        ),
    }
    cluster.start()
    om.pipeline_service_client = AirflowRESTClient(cluster.base_url, cluster.admin_user, cluster.admin_password)
    try:
        yield cluster
    finally:
        om.pipeline_service_client.close()
        om.pipeline_service_client = None
        cluster.stop()
        if not os.environ.get("KEEP_AIRFLOW_CLUSTER"):
            shutil.rmtree(base, ignore_errors=True)

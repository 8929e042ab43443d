"""Run the project's tests and the parse check outside a container too: isolate Airflow
before it is imported, for every pytest run in this project (``tests/`` and
``.astro/test_dag_integrity_default.py`` alike; a conftest.py here, at pytest's rootdir, is
loaded for both).

Inside the Astro Runtime image (``astro dev pytest``, ``astro dev parse``) AIRFLOW_HOME is
already set and kept. Otherwise Airflow gets a temporary home (its airflow.cfg, logs, any
database) instead of ~/airflow, removed when pytest ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_TEMPORARY_HOME = None
if "AIRFLOW_HOME" not in os.environ:
    _TEMPORARY_HOME = tempfile.mkdtemp(prefix="datakit-airflow-home-")
    os.environ["AIRFLOW_HOME"] = _TEMPORARY_HOME
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def pytest_unconfigure(config):
    """Remove the temporary Airflow home this run created (never one that was given)."""
    if _TEMPORARY_HOME:
        shutil.rmtree(_TEMPORARY_HOME, ignore_errors=True)

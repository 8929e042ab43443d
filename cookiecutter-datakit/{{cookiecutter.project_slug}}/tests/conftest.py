"""Run the DAG tests outside a container too: isolate Airflow before it is imported.

Inside the Astro Runtime image (``astro dev pytest``) AIRFLOW_HOME is already set and kept.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="datakit-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

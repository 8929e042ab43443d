"""With the whole platform up (`make openmetadata-start`): the real server's pipeline service
client reaches the platform Airflow, and the Airflow's managed APIs refuse anonymous calls.

Skipped without a server (OPENMETADATA_HOST_PORT), like the rest of the e2e suite; the CI
workflow .github/workflows/e2e.yml runs it after `make openmetadata-start`.
"""

from __future__ import annotations

import os

import httpx
import pytest

pytestmark = pytest.mark.e2e

HOST_PORT = os.environ.get("OPENMETADATA_HOST_PORT", "")
TOKEN = os.environ.get("OPENMETADATA_JWT_TOKEN", "")
AIRFLOW = os.environ.get("AIRFLOW_BASE_URL", "")


@pytest.fixture(autouse=True)
def _needs_the_platform():
    if not (HOST_PORT and TOKEN and AIRFLOW):
        pytest.skip("needs the platform: OPENMETADATA_HOST_PORT, OPENMETADATA_JWT_TOKEN, AIRFLOW_BASE_URL (.env)")


def test_the_server_reaches_the_platform_airflow():
    response = httpx.get(
        f"{HOST_PORT.rstrip('/')}/api/v1/services/ingestionPipelines/status",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["code"] == 200 and status["platform"] == "Airflow", status
    assert status["version"].startswith("2.0.")


def test_the_managed_apis_refuse_anonymous_calls():
    base = f"{AIRFLOW.rstrip('/')}/pluginsv2/api/v2/openmetadata"
    assert httpx.get(f"{base}/health", timeout=30).status_code == 200
    assert httpx.get(f"{base}/health-auth", timeout=30).status_code == 401
    assert httpx.post(f"{base}/trigger", json={"dag_id": "pagila_metadata_ingestion"}, timeout=30).status_code == 401

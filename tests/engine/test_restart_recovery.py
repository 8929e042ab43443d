"""Restarting ``platform-postgres`` or the server: the dependants recover with no manual step."""

from __future__ import annotations

import time

import httpx


def _until(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"{what} not within {timeout} s"
        time.sleep(1)
    return time.monotonic() - started


def _airflow_db_healthy(stack) -> bool:
    try:
        health = httpx.get(f"{stack.base_url}/api/v2/monitor/health", timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return False
    return health["metadatabase"]["status"] == "healthy" and health["scheduler"]["status"] == "healthy"


def _server_reaches_airflow(stack) -> bool:
    stack._om_token = None  # a restarted server hands out new sessions
    try:
        status = stack.om("GET", "services/ingestionPipelines/status", timeout=30).json()
    except (httpx.HTTPError, ValueError):
        return False
    return status.get("code") == 200


def test_airflow_recovers_from_a_platform_postgres_restart(stack):
    stack.engine.docker("restart", stack.container("platform-postgres"), timeout=120)
    stack.wait_healthy("platform-postgres", timeout=120)
    _until(lambda: _airflow_db_healthy(stack), 180, "Airflow's metadata database and scheduler healthy again")
    for service in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "openmetadata-server"):
        stack.wait_healthy(service, timeout=180)
    # The database is usable again from Airflow: a REST call that reads it.
    assert stack.api("GET", "dags", params={"limit": 1}).status_code == 200


def test_the_platform_recovers_from_a_server_restart_and_the_bot_token_stays_valid(stack):
    token = stack.dotenv["OPENMETADATA_JWT_TOKEN"]
    stack.engine.docker("restart", stack.container("openmetadata-server"), timeout=120)
    stack.wait_healthy("openmetadata-server", timeout=120)
    _until(lambda: _server_reaches_airflow(stack), 120, "the server's pipeline client reaching Airflow")
    probe = (
        "import json, os, urllib.request;"
        "c = json.loads(os.environ['AIRFLOW_CONN_OPENMETADATA_DEFAULT']);"
        "r = urllib.request.Request('http://openmetadata-server:8585/api/v1/system/version',"
        " headers={'Authorization': 'Bearer ' + c['password']});"
        "print(urllib.request.urlopen(r, timeout=30).status)"
    )
    assert stack.exec("airflow-scheduler", "python", "-c", probe).stdout.strip() == "200"
    assert stack.dotenv["OPENMETADATA_JWT_TOKEN"] == token  # nobody had to fetch a new one
    status = stack.platform("status")
    assert status.returncode == 0, status.stdout + status.stderr

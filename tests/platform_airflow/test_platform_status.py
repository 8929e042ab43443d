"""``./platform status``'s Airflow checks against the real Airflow and the stand-in's
``/services/ingestionPipelines/status``: healthy, and each failure names the setting to fix."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def context(om, airflow_cluster):
    from platform_bootstrap.health import StackContext
    from platform_bootstrap.settings import PlatformConfig

    cfg = PlatformConfig()
    cfg.ports["airflow"] = airflow_cluster.port
    cfg.ports["openmetadata"] = om.port
    env = {"AIRFLOW_ADMIN_PASSWORD": airflow_cluster.admin_password, "OPENMETADATA_JWT_TOKEN": om.token}
    return StackContext(cfg=cfg, env=env, host="127.0.0.1", bootstrap_dir=Path("."))


def test_status_shows_airflow_its_managed_apis_and_the_servers_pipeline_client_healthy(context):
    from platform_bootstrap import airflow_health

    # the test cluster runs no triggerer (no deferrable tasks here); the platform's does
    airflow = airflow_health.check_airflow(context, parts=("metadatabase", "scheduler", "dag_processor"))
    assert airflow.ok, airflow.detail
    assert "not healthy: triggerer" in airflow_health.check_airflow(context).detail
    managed = airflow_health.check_managed_apis(context)
    assert managed.ok and "2.0.6" in managed.detail
    pipelines = airflow_health.check_pipeline_client(context)
    assert pipelines.ok, pipelines.detail


def test_a_wrong_airflow_password_names_the_setting(context, om, airflow_cluster):
    from platform_bootstrap import airflow_health

    from tests.support.airflow_rest_client import AirflowRESTClient

    context.env["AIRFLOW_ADMIN_PASSWORD"] = "not-the-password"
    check = airflow_health.check_managed_apis(context)
    assert not check.ok and "AIRFLOW_ADMIN_PASSWORD in .env" in check.detail
    # the server's client configured with the wrong password (AIRFLOW_PASSWORD of the server)
    good = om.pipeline_service_client
    om.pipeline_service_client = AirflowRESTClient(airflow_cluster.base_url, "admin", "not-the-password")
    om.pipeline_service_client._segments = ("pluginsv2", "api", "v2", "openmetadata")
    try:
        check = airflow_health.check_pipeline_client(context)
    finally:
        om.pipeline_service_client.close()
        om.pipeline_service_client = good
    assert not check.ok and "Authentication failed for user [admin]" in check.detail
    assert "AIRFLOW_PASSWORD of openmetadata-server" in check.detail


def test_a_down_airflow_names_the_port_setting(context):
    from platform_bootstrap import airflow_health
    from platform_bootstrap.local_postgres import free_port

    context.cfg.ports["airflow"] = free_port()
    check = airflow_health.check_airflow(context)
    assert not check.ok and "ports.airflow" in check.detail and "PLATFORM_AIRFLOW_PORT" in check.detail

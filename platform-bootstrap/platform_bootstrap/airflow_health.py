"""``./platform status`` checks for the platform Airflow and the server's pipeline service client.

Three checks, in :data:`CHECKS` (appended to :data:`platform_bootstrap.health.STACK_CHECKS`):

- ``airflow``: the api-server's ``/api/v2/monitor/health`` on the published port
  (``ports.airflow``): metadata DB, scheduler, dag-processor and triggerer healthy;
- ``managedapi``: openmetadata-managed-apis' ``health-auth`` with the admin login from ``.env``
  (``AIRFLOW_ADMIN_PASSWORD``), which is also what the OpenMetadata server logs in with;
- ``pipelines``: the server's own view, ``GET /api/v1/services/ingestionPipelines/status``
  (``IngestionPipelineResource.getRESTStatus``, with the ingestion bot's token): what its
  ``AirflowRESTClient`` gets from Airflow.

Each failure names the setting to fix. No check raises.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

MANAGED_API = "/pluginsv2/api/v2/openmetadata"
AIRFLOW_PARTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")


def _get(url: str, headers: dict[str, str], timeout: float) -> tuple[int, object]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except ValueError:
            return exc.code, None


def _airflow_url(ctx) -> str:
    return f"http://{ctx.host}:{ctx.cfg.ports['airflow']}"


def check_airflow(ctx, timeout: float = 5.0, parts: tuple[str, ...] = AIRFLOW_PARTS):
    """The api-server's health: every process in ``parts`` reports healthy."""
    from .health import Check

    url = _airflow_url(ctx)
    try:
        _status, body = _get(f"{url}/api/v2/monitor/health", {}, timeout)
    except (OSError, ValueError) as exc:
        return Check(
            "airflow",
            False,
            f"no answer from {url} ({exc}); is it running (`make openmetadata-start`, logs: `make airflow-logs`)? "
            "The port is ports.airflow in platform-config.yaml (PLATFORM_AIRFLOW_PORT in .env)",
        )
    body = body if isinstance(body, dict) else {}
    down = [part for part in parts if (body.get(part) or {}).get("status") != "healthy"]
    if down:
        return Check("airflow", False, f"{url}: not healthy: {', '.join(down)}; see `make airflow-logs`")
    return Check("airflow", True, f"{url}: api-server, scheduler, dag-processor and triggerer healthy")


def check_managed_apis(ctx, timeout: float = 30.0):
    """openmetadata-managed-apis' ``health-auth`` with the admin login of ``.env``."""
    from .health import Check

    url = f"{_airflow_url(ctx)}{MANAGED_API}/health-auth"
    password = ctx.env.get("AIRFLOW_ADMIN_PASSWORD", "")
    if not password:
        return Check("managedapi", False, "AIRFLOW_ADMIN_PASSWORD is missing from .env: run `./platform setup`")
    basic = base64.b64encode(f"admin:{password}".encode()).decode()
    try:
        status, body = _get(url, {"Authorization": f"Basic {basic}"}, timeout)
    except (OSError, ValueError) as exc:
        return Check("managedapi", False, f"no answer from {url} ({exc})")
    if status == 200 and isinstance(body, dict) and body.get("version"):
        return Check("managedapi", True, f"openmetadata-managed-apis {body['version']}, admin login accepted")
    if status == 401:
        return Check(
            "managedapi",
            False,
            "Airflow refused the admin login: AIRFLOW_ADMIN_PASSWORD in .env is not the Airflow admin's password "
            "(`make openmetadata-start` re-runs airflow-init, which resets it to .env's)",
        )
    if status == 403:
        return Check("managedapi", False, "the Airflow user 'admin' lacks the Admin or Op role (deploy needs it)")
    if status == 404:
        return Check("managedapi", False, f"{url} not found: openmetadata-managed-apis is not loaded in the image")
    return Check("managedapi", False, f"{url} answered {status}: {body}")


def check_pipeline_client(ctx, timeout: float = 30.0):
    """The server's view of its pipeline service client (``/services/ingestionPipelines/status``)."""
    from .health import Check

    token = ctx.env.get("OPENMETADATA_JWT_TOKEN", "")
    if not token:
        return Check(
            "pipelines", False, "no ingestion-bot token in .env yet: `make openmetadata-start` fetches it", waiting=True
        )
    url = f"http://{ctx.host}:{ctx.cfg.ports['openmetadata']}/api/v1/services/ingestionPipelines/status"
    try:
        status, body = _get(url, {"Authorization": f"Bearer {token}"}, timeout)
    except (OSError, ValueError) as exc:
        return Check("pipelines", False, f"no answer from {url} ({exc})")
    if status != 200 or not isinstance(body, dict):
        return Check("pipelines", False, f"{url} answered {status}: {body}")
    reason = str(body.get("reason") or "")
    if body.get("code") == 200 and body.get("version"):
        return Check("pipelines", True, f"the server reaches Airflow (ingestion {body['version']})")
    if "Disabled" in reason:
        return Check("pipelines", False, "the server's pipeline service client is off: PIPELINE_SERVICE_CLIENT_ENABLED")
    if "Authentication failed" in reason:
        fix = (
            "AIRFLOW_PASSWORD of openmetadata-server (from AIRFLOW_ADMIN_PASSWORD in .env) is not the Airflow "
            "admin's: `make openmetadata-start` recreates both with .env's"
        )
    elif "version" in reason.lower():
        fix = "the server image and openmetadata-managed-apis differ in version: images.openmetadata_server"
    else:
        fix = "PIPELINE_SERVICE_CLIENT_ENDPOINT (http://airflow-apiserver:8080) must reach the Airflow api-server"
    return Check("pipelines", False, f"{reason[:300]} -> {fix}")


CHECKS = [check_airflow, check_managed_apis, check_pipeline_client]

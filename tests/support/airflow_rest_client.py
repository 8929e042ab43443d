"""The OpenMetadata server's pipeline service client for Airflow, ported to Python for the tests.

A line-by-line port of ``AirflowRESTClient`` (open-metadata/OpenMetadata,
``openmetadata-service/src/main/java/org/openmetadata/service/clients/pipeline/airflow/
AirflowRESTClient.java``, 2.0 line): the tests and the stand-in's server-side endpoints
(deploy, trigger, Test Connection...) call openmetadata-managed-apis exactly as the server
does, so a change in Airflow or in our authentication layer that would break the real server
breaks the tests:

- the API version is detected on first use through ``health-auth`` with Basic auth, trying
  ``/pluginsv2/api/v2/openmetadata`` (Airflow 3), then ``/api/v2/openmetadata``, then
  ``/api/v1/openmetadata``; a 200 whose body has ``version`` wins (``detectAirflowApiVersion``);
- every request carries ``Authorization: Basic`` and ``Content-Type: application/json``;
- before the first POST or DELETE the client GETs ``csrf-token`` (falling back to ``health``),
  keeps every ``Set-Cookie`` value (``name=value``) as the session cookies, takes a cookie whose
  header mentions ``csrf`` as the token, then the body's ``csrf_token``; POST/DELETE then send
  ``X-CSRFToken`` and ``Cookie`` (``fetchCsrfTokenIfNeeded``, ``storeSessionCookies``);
- a POST answered 400 with "CSRF token" in the body refreshes the token and is retried once
  (a DELETE only for "CSRF token has expired");
- deploy/trigger/toggle/kill/run_automation/last logs/delete/status use the same paths, query
  parameters and bodies as the Java methods of the same names, and answer
  ``PipelineServiceClientResponse``-shaped dicts (``code``, ``reason``, ``platform``).

The request bodies (an ``IngestionPipeline``, an automations ``Workflow``) are JSON strings the
caller builds with OpenMetadata's generated models, as the server serialises its POJOs.
"""

from __future__ import annotations

import base64
import re

import httpx

PLATFORM = "Airflow"
API_SEGMENTS = (
    ("pluginsv2", "api", "v2", "openmetadata"),
    ("api", "v2", "openmetadata"),
    ("api", "v1", "openmetadata"),
)
# PipelineServiceClientInterface.TYPE_TO_TASK: the managed APIs' task id per pipeline type.
TYPE_TO_TASK = {
    "metadata": "ingestion_task",
    "profiler": "profiler_task",
    "autoClassification": "auto_classification_task",
    "lineage": "lineage_task",
    "dbt": "dbt_task",
    "usage": "usage_task",
    "TestSuite": "test_suite_task",
    "dataInsight": "data_insight_task",
    "elasticSearchReindex": "elasticsearch_reindex_task",
    "application": "application_task",
}


class PipelineServiceClientError(RuntimeError):
    """``PipelineServiceClientException`` / ``IngestionPipelineDeploymentException`` of the server."""


class AirflowRESTClient:
    """Calls openmetadata-managed-apis like the OpenMetadata server does.

    Args:
        api_endpoint: ``pipelineServiceClientConfiguration.apiEndpoint``, e.g. ``http://airflow:8080``.
        username, password: ``parameters.username`` / ``parameters.password`` (an Airflow user).
        timeout: seconds (the Java client's ``timeout`` parameter, default 10, is the connect
            timeout; reads have none there, here they get ``read_timeout``).
        server_version: the server's version for the ``health-auth`` version check (``SERVER_VERSION``).
    """

    def __init__(
        self,
        api_endpoint: str,
        username: str,
        password: str,
        timeout: float = 10,
        read_timeout: float = 300,
        server_version: str | None = None,
    ):
        if not username or not password:
            raise PipelineServiceClientError(
                "Missing Airflow credentials. Ensure 'username' and 'password' are configured in "
                "pipelineServiceClientConfiguration.parameters."
            )
        self.service_url = api_endpoint.rstrip("/")
        self.username = username
        self.password = password
        self.server_version = server_version
        self.detected_version: str | None = None
        self.csrf_token: str | None = None
        self.session_cookies: list[str] | None = None
        self._segments: tuple[str, ...] | None = None
        self._http = httpx.Client(timeout=httpx.Timeout(read_timeout, connect=timeout))
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status), for tests

    # -- transport (AirflowRESTClient's private helpers) -----------------------------------
    def _auth_header(self) -> str:
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()

    def _headers(self, with_session: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Authorization": self._auth_header()}
        if with_session and self.csrf_token:
            headers["X-CSRFToken"] = self.csrf_token
        if with_session and self.session_cookies:
            headers["Cookie"] = "; ".join(self.session_cookies)
        return headers

    def _send(self, method: str, url: str, headers: dict, content: str | None = None, timeout=None) -> httpx.Response:
        response = self._http.request(method, url, headers=headers, content=content, timeout=timeout)
        self.requests.append((method, httpx.URL(url).path, response.status_code))
        return response

    def _detect(self) -> tuple[str, ...] | None:
        for segments in API_SEGMENTS:
            url = f"{self.service_url}/{'/'.join(segments)}/health-auth"
            try:
                response = self._send("GET", url, self._headers(False), timeout=5)
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                try:
                    self.detected_version = response.json()["version"]
                    return segments
                except (ValueError, KeyError, TypeError):
                    continue
        return None

    def build_uri(self, path: str) -> str:
        """``buildURI``: the detected API prefix plus ``path``.

        Raises:
            PipelineServiceClientError: no API version answered (detection is retried next call).
        """
        if self._segments is None:
            self._segments = self._detect()
            if self._segments is None:
                raise PipelineServiceClientError(
                    f"Unable to connect to Airflow APIs at [{self.service_url}]. None of the API versions "
                    "(v3 pluginsv2, v2, v1) responded successfully. Airflow may still be starting up or the "
                    "OpenMetadata plugin may not be installed. This operation will be retried on the next API call."
                )
        return f"{self.service_url}/{'/'.join(self._segments)}/{path}"

    def _store_session_cookies(self, response: httpx.Response) -> None:
        cookies = []
        for value in response.headers.get_list("set-cookie"):
            cookie = value.split(";")[0].strip()
            cookies.append(cookie)
            if "csrf" in value or "CSRF" in value:
                parts = cookie.split("=", 1)
                if len(parts) == 2:
                    self.csrf_token = parts[1]
        if cookies:
            self.session_cookies = cookies

    def _fetch_csrf_token_if_needed(self) -> None:
        if self.csrf_token is not None:
            return
        try:
            response = self._send("GET", self.build_uri("csrf-token"), self._headers(False))
            self._store_session_cookies(response)
            if response.status_code == 200:
                token = (response.json() or {}).get("csrf_token")
                if isinstance(token, str) and token:
                    self.csrf_token = token
        except (httpx.HTTPError, ValueError, PipelineServiceClientError):
            try:  # fetchCsrfTokenFromHealthEndpoint
                self._store_session_cookies(self._send("GET", self.build_uri("health"), self._headers(False)))
            except (httpx.HTTPError, PipelineServiceClientError):
                pass  # "Proceeding without it."

    def _clear_csrf_token(self) -> None:
        self.csrf_token = None
        self.session_cookies = None

    def post(self, url: str, payload: str) -> httpx.Response:
        """``post(endpoint, payload, authenticate=true)``."""
        self._fetch_csrf_token_if_needed()
        response = self._send("POST", url, self._headers(True), payload)
        if response.status_code == 400 and "CSRF token" in response.text:
            self._clear_csrf_token()
            self._fetch_csrf_token_if_needed()
            response = self._send("POST", url, self._headers(True), payload)
        return response

    def get(self, url: str) -> httpx.Response:
        """``getRequestAuthenticatedForJsonContent``."""
        return self._send("GET", url, self._headers(True))

    def delete(self, url: str) -> httpx.Response:
        """``deleteRequestAuthenticatedForJsonContent`` (CSRF-protected on Airflow 3)."""
        self._fetch_csrf_token_if_needed()
        response = self._send("DELETE", url, self._headers(True))
        if response.status_code == 400 and "CSRF token has expired" in response.text:
            self._clear_csrf_token()
            self._fetch_csrf_token_if_needed()
            response = self._send("DELETE", url, self._headers(True))
        return response

    @staticmethod
    def _response(code: int, body: str) -> dict:
        return {"code": code, "reason": body, "platform": PLATFORM}

    # -- the PipelineServiceClient operations ----------------------------------------------
    def deploy_pipeline(self, ingestion_pipeline_json: str, name: str) -> dict:
        """``deployPipeline``: POST ``deploy`` with the IngestionPipeline JSON.

        Raises:
            PipelineServiceClientError: Airflow answered anything but 200.
        """
        response = self.post(self.build_uri("deploy"), ingestion_pipeline_json)
        if response.status_code == 200:
            return self._response(200, response.text)
        raise PipelineServiceClientError(
            f"{name} Failed to deploy Ingestion Pipeline due to airflow API returned "
            f"{_reason(response.status_code)} and response {response.text}"
        )

    def run_pipeline(self, name: str, config: dict | None = None) -> dict:
        """``runPipeline``: POST ``trigger`` with ``{"dag_id": name[, "conf": {"appConfigOverride": config}]}``.

        Raises:
            PipelineServiceClientError: Airflow answered anything but 200.
        """
        import json

        payload: dict = {"dag_id": name}
        if config is not None:
            payload["conf"] = {"appConfigOverride": config}
        response = self.post(self.build_uri("trigger"), json.dumps(payload))
        if response.status_code == 200:
            return self._response(200, response.text)
        raise PipelineServiceClientError(
            f"{name}: Failed to trigger IngestionPipeline ({_reason(response.status_code)})"
        )

    def toggle_ingestion(self, name: str, enabled: bool) -> tuple[dict, bool | None, bool | None]:
        """``toggleIngestion``: POST ``disable`` when ``enabled`` else ``enable``.

        Returns:
            (response, new ``enabled`` or ``None``, new ``deployed`` or ``None``): a 404 means the
            DAG is gone, so the server flags the pipeline as not deployed.

        Raises:
            PipelineServiceClientError: any other status than 200 or 404.
        """
        import json

        response = self.post(self.build_uri("disable" if enabled else "enable"), json.dumps({"dag_id": name}))
        if response.status_code == 200:
            return self._response(200, response.text), not enabled, None
        if response.status_code == 404:
            return self._response(404, response.text), None, False
        raise PipelineServiceClientError(f"{name}: Failed to toggle ingestion pipeline state")

    def queued_statuses(self, name: str) -> list[dict]:
        """``getQueuedPipelineStatusInternal``: GET ``status?dag_id=..&only_queued=true``; ``[]`` on an error status."""
        response = self.get(
            self.build_uri("status") + "?" + str(httpx.QueryParams({"dag_id": name, "only_queued": "true"}))
        )
        return response.json() if response.status_code == 200 else []

    def service_status(self) -> dict:
        """``getServiceStatusInternal``: GET ``health-auth``; healthy or unhealthy with the reason."""
        try:
            response = self.get(self.build_uri("health-auth"))
        except PipelineServiceClientError as exc:
            self._segments = None  # resetApiEndpointDetection
            return self._unhealthy(str(exc))
        except httpx.HTTPError as exc:
            return self._unhealthy(
                f"Failed to get Airflow status at [{self.service_url}] due to [{exc}]. "
                "Follow [this guide](https://docs.open-metadata.org/deployment/ingestion/openmetadata) "
                "for further details."
            )
        if response.status_code == 200:
            version = response.json()["version"]
            if self.server_version is None or _xyz(version) == _xyz(self.server_version):
                return {"code": 200, "version": version, "platform": PLATFORM}
            return self._unhealthy(
                f"Server version [{self.server_version}] is different than Ingestion Version [{version}]. "
                "Please upgrade your server or ingestion version."
            )
        if response.status_code in (401, 403):
            return self._unhealthy(
                f"Authentication failed for user [{self.username}] trying to access the Airflow APIs at "
                f"[{self.service_url}]"
            )
        if response.status_code == 404:
            return self._unhealthy(
                f"Airflow APIs not found at [{self.service_url}]. Please validate if the OpenMetadata Airflow "
                "plugin is installed correctly."
            )
        return self._unhealthy(
            f"Unexpected status response at [{self.service_url}]: code [{response.status_code}] - [{response.text}]"
        )

    @staticmethod
    def _unhealthy(reason: str) -> dict:
        return {"code": 500, "reason": reason, "platform": PLATFORM}

    def run_automations_workflow(self, workflow_json: str, name: str) -> dict:
        """``runAutomationsWorkflow``: POST ``run_automation`` with the Workflow JSON (Test Connection).

        Raises:
            PipelineServiceClientError: no answer, or anything but 200.
        """
        try:
            response = self.post(self.build_uri("run_automation"), workflow_json)
        except httpx.HTTPError:
            raise PipelineServiceClientError(
                f"{name}: No response from the test connection. Make sure your service is reachable and "
                "accepting connections"
            ) from None
        if response.status_code == 200:
            return self._response(200, response.text)
        raise PipelineServiceClientError(
            f"{name} Failed to trigger workflow due to airflow API returned {_reason(response.status_code)} "
            f"and response {response.text}"
        )

    def kill_ingestion(self, name: str) -> dict:
        """``killIngestion``: POST ``kill`` with ``{"dag_id": name}``.

        Raises:
            PipelineServiceClientError: anything but 200.
        """
        import json

        response = self.post(self.build_uri("kill"), json.dumps({"dag_id": name}))
        if response.status_code == 200:
            return self._response(200, response.text)
        raise PipelineServiceClientError(f"Failed to kill running workflows due to {response.text}")

    def last_ingestion_logs(self, name: str, pipeline_type: str, after: str | None = None) -> dict:
        """``getLastIngestionLogs``: GET ``last_dag_logs?[after=..&]dag_id=..&task_id=<TYPE_TO_TASK>``.

        Raises:
            PipelineServiceClientError: anything but 200.
        """
        params = {
            **({"after": after} if after is not None else {}),
            "dag_id": name,
            "task_id": TYPE_TO_TASK[pipeline_type],
        }
        response = self.get(self.build_uri("last_dag_logs") + "?" + str(httpx.QueryParams(params)))
        if response.status_code == 200:
            return response.json()
        raise PipelineServiceClientError(f"Failed to get last ingestion logs due to {response.text}")

    def delete_pipeline(self, name: str) -> dict:
        """``deletePipeline``: DELETE ``delete?dag_id=..``; a failure is a 500 response, not an error."""
        try:
            response = self.delete(self.build_uri("delete") + "?" + str(httpx.QueryParams({"dag_id": name})))
            if response.status_code == 200:
                return self._response(200, response.text)
        except (httpx.HTTPError, PipelineServiceClientError):
            pass
        return self._response(500, f"Failed to delete Airflow Pipeline {name} from Airflow DAGS")

    def close(self) -> None:
        self._http.close()


def _xyz(version: str) -> str | None:
    """``getVersionFromString``: the first ``x.y.z`` in a version string."""
    found = re.search(r"(\d+.\d+.\d+)", version or "")
    return found.group(1) if found else None


def _reason(status: int) -> str:
    """``Response.Status.fromStatusCode(code)`` as Java prints it, e.g. ``Unauthorized``."""
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return str(status)

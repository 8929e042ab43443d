"""Airflow's public REST API v2 as the admin user: what tests do with any running Airflow.

:class:`AirflowRestApi` is mixed into :class:`tests.support.airflow_cluster.AirflowCluster`
(native processes) and the engine tests' container Airflow; the class using it provides
``base_url``, ``admin_user``, ``admin_password`` and may override :meth:`log_tails` for
failure messages.
"""

from __future__ import annotations

import secrets
import time

import httpx

FINAL_STATES = {"success", "failed"}


class AirflowClusterError(RuntimeError):
    """An Airflow process or API call failed; the message says which and why."""


class AirflowRestApi:
    """REST helpers; needs ``base_url``, ``admin_user`` and ``admin_password`` attributes."""

    base_url: str
    admin_user: str
    admin_password: str

    def log_tails(self, lines: int = 40) -> str:
        """Process log tails for failure messages (none by default)."""
        return ""

    # -- REST API (Airflow's public API v2, as the admin user) ---------------------------
    def token(self) -> str:
        """A JWT for the admin user (``POST /auth/token`` of the FAB auth manager), cached."""
        if getattr(self, "_token", None) is None:
            response = httpx.post(
                f"{self.base_url}/auth/token",
                json={"username": self.admin_user, "password": self.admin_password},
                timeout=30,
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One request to ``/api/v2/<path>`` with the admin's token (no status check).

        ``kwargs`` go to :func:`httpx.request` (``json=``, ``params=``...).
        """
        kwargs.setdefault("timeout", 30)
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.base_url}/api/v2/{path.lstrip('/')}", headers=headers, **kwargs)

    def create_user(self, username: str, role: str = "Viewer", password: str | None = None) -> tuple[str, str]:
        """Create a FAB user with one role (``POST /auth/fab/v1/users`` as the admin).

        Returns:
            ``(username, password)`` (a random password unless given).

        Raises:
            AirflowClusterError: the API refused (e.g. the user exists).
        """
        password = password or secrets.token_urlsafe(12)
        body = {
            "username": username,
            "password": password,
            "email": f"{username}@example.com",
            "first_name": username,
            "last_name": "Test",
            "roles": [{"name": role}],
        }
        response = httpx.post(
            f"{self.base_url}/auth/fab/v1/users",
            json=body,
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=60,
        )
        self._ok(response)
        return username, password

    def _ok(self, response: httpx.Response) -> dict:
        if response.status_code >= 400:
            raise AirflowClusterError(
                f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
            )
        return response.json()

    def wait_for_dag(self, dag_id: str, timeout: float = 60.0) -> dict:
        """Poll until the dag-processor has parsed and stored the DAG with its tasks.

        ``GET /dags/{dag_id}`` alone says only that the DAG's row exists; it also waits for
        ``GET /dags/{dag_id}/tasks`` (read from the serialized DAG) to list a task, since a run
        needs the serialized DAG to get task instances.

        Raises:
            AirflowClusterError: not known within ``timeout`` seconds (with the import errors).
        """
        deadline = time.monotonic() + timeout
        while True:
            response = self.api("GET", f"dags/{dag_id}")
            if response.status_code == 200:
                tasks = self.api("GET", f"dags/{dag_id}/tasks")
                if tasks.status_code == 200 and tasks.json().get("tasks"):
                    return response.json()
            if time.monotonic() > deadline:
                errors = self._ok(self.api("GET", "importErrors")).get("import_errors", [])
                raise AirflowClusterError(f"DAG {dag_id} not known after {timeout} s; import errors: {errors}")
            time.sleep(0.5)

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        """Unpause ``dag_id`` and create a manual run (``POST /dags/{dag_id}/dagRuns``); return its run id.

        Raises:
            AirflowClusterError: the API refused (e.g. the DAG is not known yet: :meth:`wait_for_dag`).
        """
        self._ok(self.api("PATCH", f"dags/{dag_id}", json={"is_paused": False}))
        run = self._ok(self.api("POST", f"dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}}))
        return run["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        """The run's current state (``queued``, ``running``, ``success``, ``failed``)."""
        return self._ok(self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}"))["state"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 180.0) -> str:
        """Poll the run until it is ``success`` or ``failed``; return that state.

        Raises:
            AirflowClusterError: still not finished after ``timeout`` seconds (with the task
                states and the scheduler log's tail).
        """
        deadline = time.monotonic() + timeout
        while True:
            state = self.run_state(dag_id, run_id)
            if state in FINAL_STATES:
                return state
            if time.monotonic() > deadline:
                tasks = {ti["task_id"]: ti["state"] for ti in self.task_instances(dag_id, run_id)}
                raise AirflowClusterError(
                    f"run {dag_id}/{run_id} still {state} after {timeout} s; tasks {tasks}\n{self.log_tails()}"
                )
            time.sleep(0.5)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        """The run's task instances as the REST API returns them (``task_id``, ``state``,
        ``start_date``, ``end_date``, ``duration`` in seconds, ``try_number``...)."""
        return self._ok(self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances"))["task_instances"]

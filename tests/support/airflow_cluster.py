"""A real Airflow 3 deployment for tests: api-server, scheduler and dag-processor as processes.

What the platform image runs (platform-bootstrap/airflow/Dockerfile), natively: LocalExecutor,
the metadata database on a throwaway PostgreSQL (:mod:`platform_bootstrap.local_postgres`), the
FAB auth manager (openmetadata-managed-apis needs it), openmetadata-managed-apis and our
provider from ``.venv`` (both register through entry points, as in the image), and the
platform's plugins folder (``platform-bootstrap/airflow/plugins``: the managed APIs'
authentication layer, the forkserver warm-up).

Usage::

    cluster = AirflowCluster(home=tmp / "airflow", dags_folder=tmp / "dags",
                             env={"AIRFLOW_CONN_OPENMETADATA_DEFAULT": ...})
    cluster.start()                      # bounded; raises with the processes' log tails
    try:
        cluster.wait_for_dag("my_dag")
        run_id = cluster.trigger("my_dag", conf={"x": 1})
        assert cluster.wait_for_run("my_dag", run_id, timeout=120) == "success"
        states = {ti["task_id"]: ti["state"] for ti in cluster.task_instances("my_dag", run_id)}
    finally:
        cluster.stop()

Settings the tests rely on (all through ``AIRFLOW__*`` environment variables; ``env`` overrides
them):

- ``[scheduler] use_job_schedule = False``: no scheduled runs, only triggered ones, so a test
  never races a run it did not ask for;
- ``[dag_processor] refresh_interval``: the image's (platform-bootstrap/airflow/Dockerfile), so a
  new DAG file (a managed-APIs deploy) is seen as soon as on the platform;
- ``[scheduler] mp_start_method = forkserver`` with ``[core] mp_forkserver_preload`` when
  ``preload`` is true (the image's setting): LocalExecutor workers fork from a server that has
  imported openmetadata-ingestion once, so task processes do not pay the import again.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from platform_bootstrap.local_postgres import ThrowawayPostgres, free_port

from tests.support.airflow_api import AirflowClusterError, AirflowRestApi

REPO_ROOT = Path(__file__).resolve().parents[2]
PLATFORM_PLUGINS = REPO_ROOT / "platform-bootstrap" / "airflow" / "plugins"
# The image's $AIRFLOW_HOME/config (cluster policies in airflow_local_settings.py).
PLATFORM_CONFIG = REPO_ROOT / "platform-bootstrap" / "airflow" / "config"
FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
# What the image preloads in the LocalExecutor's forkserver (platform-bootstrap/airflow/Dockerfile).
PRELOAD_MODULES = ",".join(
    (
        "airflow.sdk.execution_time.task_runner",
        "openmetadata_managed_apis.plugin",
        "openmetadata_platform.plugins",
        "openmetadata_platform.ingestion.preload",
    )
)
AIRFLOW = [sys.executable, "-m", "airflow"]
PLATFORM_DOCKERFILE = REPO_ROOT / "platform-bootstrap" / "airflow" / "Dockerfile"


def platform_setting(name: str) -> str:
    """The value the platform image's Dockerfile gives the environment variable ``name`` (``ENV``).

    Raises:
        AssertionError: the Dockerfile does not set it.
    """
    import re

    found = re.search(rf"^\s*(?:ENV\s+)?{re.escape(name)}=(\S+?)\s*\\?$", PLATFORM_DOCKERFILE.read_text(), re.MULTILINE)
    assert found, f"{PLATFORM_DOCKERFILE} sets no {name}"
    return found.group(1)


def users_create_arguments(username: str, password: str) -> list[str]:
    """Arguments of ``airflow users create`` for an Admin ``username`` with ``password``.

    The password goes as ``--password=VALUE``: a random one may start with ``-``
    (``secrets.token_urlsafe``), which argparse takes for an option after ``--password VALUE``
    ("expected one argument"; CI lost 47 tests to one such password).
    """
    return [
        *("users", "create", "--role", "Admin", "--username", username),
        f"--password={password}",
        *("--email", f"{username}@example.com", "--firstname", "Platform", "--lastname", "Admin"),
    ]


@dataclass
class AirflowCluster(AirflowRestApi):
    """Airflow's api-server, scheduler and dag-processor (triggerer optional) on 127.0.0.1.

    Args:
        home: ``AIRFLOW_HOME`` (created); logs go to ``home/logs`` (task logs) and
            ``home/process-logs/<process>.log``.
        dags_folder: ``[core] dags_folder``; must be writable (the managed APIs write deployed
            DAG files into it).
        env: extra environment for every process (connections, ``[openmetadata_lineage]``...).
        plugins_folder: ``[core] plugins_folder`` (default: the platform's plugins).
        config_folder: copied to ``home/config``, where Airflow imports ``airflow_local_settings``
            from (default: the platform's, as in the image); ``None``: none.
        postgres: a running server to hold the metadata database (a new database is created
            in it); ``None`` starts a throwaway one, stopped by :meth:`stop`.
        preload: preload openmetadata-ingestion in the LocalExecutor's forkserver (see module doc).
        triggerer: also run ``airflow triggerer`` (deferrable operators).
        port: the api-server's port (default: a free one).
    """

    home: Path
    dags_folder: Path
    env: Mapping[str, str] = field(default_factory=dict)
    plugins_folder: Path | None = PLATFORM_PLUGINS
    config_folder: Path | None = PLATFORM_CONFIG
    postgres: ThrowawayPostgres | None = None
    preload: bool = True
    triggerer: bool = False
    port: int = 0
    admin_user: str = "admin"
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)
    _own_postgres: bool = field(default=False, repr=False)
    _token: str | None = field(default=None, repr=False)

    # -- configuration ----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The api-server's URL, e.g. ``http://127.0.0.1:41234`` (UI, REST API, /pluginsv2)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def process_log_dir(self) -> Path:
        return self.home / "process-logs"

    @property
    def task_log_dir(self) -> Path:
        """``[logging] base_log_folder``: ``dag_id=<d>/run_id=<r>/task_id=<t>/attempt=<n>.log``."""
        return self.home / "logs"

    def process_log(self, name: str) -> Path:
        """Log file of one process: ``migrate``, ``users``, ``api-server``, ``scheduler``, ``dag-processor``."""
        return self.process_log_dir / f"{name}.log"

    def task_log_path(self, dag_id: str, run_id: str, task_id: str, attempt: int = 1) -> Path:
        """Where the task's log file is (Airflow's default ``log_filename_template``)."""
        return (
            self.task_log_dir
            / f"dag_id={dag_id}"
            / f"run_id={run_id}"
            / f"task_id={task_id}"
            / f"attempt={attempt}.log"
        )

    @property
    def environ(self) -> dict[str, str]:
        """The environment every process of the cluster gets (secrets included: keep it out of logs)."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENMETADATA_"))}
        assert self.postgres is not None and self._db_name, "start() first"
        database = (
            f"postgresql+psycopg2://postgres:{self.postgres.password}@{self.postgres.host}:{self.postgres.port}"
            f"/{self._db_name}"
        )
        config = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
            "AIRFLOW__CORE__FERNET_KEY": self._keys["fernet"],
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": self._keys["secret"],
            "AIRFLOW__API_AUTH__JWT_SECRET": self._keys["jwt"],
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.task_log_dir),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": platform_setting("AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL"),
            "AIRFLOW__OPENMETADATA_AIRFLOW_APIS__DAG_GENERATED_CONFIGS": str(self.home / "dag_generated_configs"),
        }
        if self.plugins_folder is not None:
            config["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(self.plugins_folder)
        if self.preload:
            config["AIRFLOW__SCHEDULER__MP_START_METHOD"] = "forkserver"
            config["AIRFLOW__CORE__MP_FORKSERVER_PRELOAD"] = PRELOAD_MODULES
        return {**inherited, **config, **self.env}

    _db_name: str = field(default="", repr=False)
    _keys: dict[str, str] = field(default_factory=dict, repr=False)

    # -- lifecycle --------------------------------------------------------------------
    def start(self, timeout: float = 180.0) -> AirflowCluster:
        """Migrate the metadata DB, create the admin user, start the processes, wait until healthy.

        Args:
            timeout: seconds for everything; ``/api/v2/monitor/health`` must report the metadata
                DB, scheduler and dag-processor healthy by then.

        Raises:
            AirflowClusterError: a step failed, a process exited or the deadline passed (with the
                tail of every process log); everything started so far is stopped.
        """
        from cryptography.fernet import Fernet

        deadline = time.monotonic() + timeout
        self.home.mkdir(parents=True, exist_ok=True)
        self.dags_folder.mkdir(parents=True, exist_ok=True)
        self.process_log_dir.mkdir(parents=True, exist_ok=True)
        if self.config_folder is not None:
            shutil.copytree(self.config_folder, self.home / "config", dirs_exist_ok=True)
        self.port = self.port or free_port()
        self._keys = {
            "fernet": Fernet.generate_key().decode(),
            "secret": secrets.token_urlsafe(32),
            "jwt": secrets.token_urlsafe(32),
        }
        try:
            if self.postgres is None:
                self.postgres = ThrowawayPostgres().start()
                self._own_postgres = True
            self._db_name = f"airflow_{secrets.token_hex(4)}"
            self.postgres.psql(f'CREATE DATABASE "{self._db_name}"')
            self._run("migrate", [*AIRFLOW, "db", "migrate"], deadline)
            # The api-server, scheduler and dag-processor start while the user is created: the
            # CLI loads every plugin (openmetadata-managed-apis imports openmetadata-ingestion).
            self._spawn("api-server", [*AIRFLOW, "api-server", "--port", str(self.port), "--host", "127.0.0.1"])
            self._spawn("scheduler", [*AIRFLOW, "scheduler"])
            self._spawn("dag-processor", [*AIRFLOW, "dag-processor"])
            if self.triggerer:
                self._spawn("triggerer", [*AIRFLOW, "triggerer"])
            self._run(
                "users",
                [*AIRFLOW, *users_create_arguments(self.admin_user, self.admin_password)],
                deadline,
            )
            self._wait_healthy(deadline)
        except BaseException:  # noqa: BLE001 - Ctrl-C too: never leave processes behind
            report = self.log_tails()
            self.stop()
            raise AirflowClusterError(f"Airflow did not start:\n{report}") from None
        return self

    def stop(self) -> None:
        """Stop every process (SIGTERM to its process group, SIGKILL after 15 s, then SIGKILL to
        whatever is left in the group) and, when the cluster started it, the PostgreSQL server.
        Safe to call twice."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                with suppress(ProcessLookupError):  # the group is already gone
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):  # the group is already gone
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            # What the process left in its group once it exited: LocalExecutor workers a
            # forkserver forked during shutdown, multiprocessing's resource tracker.
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()
        if self._own_postgres and self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
            self._own_postgres = False

    def __enter__(self) -> AirflowCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.process_log(name), "ab")
        self.processes[name] = subprocess.Popen(
            args,
            env=self.environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

    def _run(self, name: str, args: list[str], deadline: float) -> None:
        with open(self.process_log(name), "ab") as log:
            result = subprocess.run(
                args,
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=max(deadline - time.monotonic(), 1),
                check=False,
            )
        if result.returncode != 0:
            raise AirflowClusterError(f"`airflow {' '.join(args[3:5])}` exited with {result.returncode}")

    def _wait_healthy(self, deadline: float) -> None:
        wanted = ("metadatabase", "scheduler", "dag_processor", *(("triggerer",) if self.triggerer else ()))
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise AirflowClusterError(f"{name} exited with {process.returncode}")
            try:
                health = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
                if all((health.get(part) or {}).get("status") == "healthy" for part in wanted):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise AirflowClusterError("not healthy before the deadline")
            time.sleep(0.5)

    def log_tails(self, lines: int = 40) -> str:
        """The last ``lines`` of every process log, for failure messages."""
        parts = []
        for path in sorted(self.process_log_dir.glob("*.log")) if self.process_log_dir.exists() else []:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def task_log(self, dag_id: str, run_id: str, task_id: str, attempt: int = 1) -> str:
        """The task's log as text (from its file; empty when it has none yet)."""
        path = self.task_log_path(dag_id, run_id, task_id, attempt)
        if not path.exists():
            return ""
        lines = []
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
                lines.append(f"{record.get('level', '')} {record.get('event', '')}")
            except ValueError:
                lines.append(line)
        return "\n".join(lines)

"""Render cookiecutter-datakit into temp dirs, once per option combination per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

TEMPLATE = REPO_ROOT / "cookiecutter-datakit"
VENV_BIN = Path(sys.executable).parent

# Every yes/no pair of the two switches that change files; the free-text options vary
# across them (mirror image, other runtime, index URL) instead of multiplying the matrix.
COMBINATIONS: dict[str, dict[str, str]] = {
    "defaults": {},
    "kerberos+network+mirror": {
        "project_name": "Sales Reporting",
        "owner_email": "jane.doe@corp.example.com",
        "use_sqlserver_kerberos": "yes",
        "join_platform_network": "yes",
        "runtime_image": "artifactory.example.com:8443/astro/runtime",
        "runtime_version": "3.2-6",
        "pip_extra_index_url": "https://pypi.internal.example.com/simple",
    },
    "kerberos-only": {
        "project_slug": "mssql_finance",
        "use_sqlserver_kerberos": "yes",
        "join_platform_network": "no",
        "runtime_version": "3.3-2-python-3.11",
    },
    "bare": {
        "project_slug": "bare_kit",
        "dag_owner": "team.bare",
        "use_sqlserver_kerberos": "no",
        "join_platform_network": "no",
    },
}


def render(output_dir: Path, **context: str) -> Path:
    """Render the template non-interactively into ``output_dir``; return the project dir.

    Raises:
        cookiecutter.exceptions.FailedHookException: a hook rejected the options.
    """
    from cookiecutter.main import cookiecutter

    return Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(output_dir)))


def clean_env(airflow_home: Path) -> dict[str, str]:
    """Environment for a generated project's own commands: no AIRFLOW_* of this suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(AIRFLOW_HOME=str(airflow_home), PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}")
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a command, capturing text output (no check: callers assert on it)."""
    return subprocess.run(args, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """Combination name -> rendered project directory (rendered once for the session)."""
    return {
        name: render(tmp_path_factory.mktemp(f"datakit-{name}"), **context) for name, context in COMBINATIONS.items()
    }

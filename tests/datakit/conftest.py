"""Render cookiecutter-datakit into temp dirs, once per option combination per session; build
the provider's wheel once; make cheap fresh virtual environments that see .venv's packages."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

TEMPLATE = REPO_ROOT / "cookiecutter-datakit"
VENV_BIN = Path(sys.executable).parent
PROVIDER_DIST = "airflow-provider-openmetadata-platform"
WHEEL_PREFIX = "airflow_provider_openmetadata_platform-"
GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567"

# Every yes/no pair of the two switches that change files and every provider source; the
# free-text options vary across them (mirror image, other runtime, ports) instead of
# multiplying the matrix.
COMBINATIONS: dict[str, dict[str, str]] = {
    "defaults": {},
    "kerberos+network+mirror+index": {
        "project_name": "Sales Reporting",
        "owner_email": "jane.doe@corp.example.com",
        "use_sqlserver_kerberos": "yes",
        "join_platform_network": "yes",
        "runtime_image": "artifactory.example.com:8443/astro/runtime",
        "runtime_version": "3.2-6",
        "provider_source": "index",
        "provider_index_url": "https://pypi.internal.example.com/simple",
        "provider_version": "0.2.0",
    },
    "kerberos-only+git": {
        "project_slug": "mssql_finance",
        "use_sqlserver_kerberos": "yes",
        "join_platform_network": "no",
        "runtime_version": "3.3-2-python-3.11",
        "provider_source": "git",
        "provider_git_url": "https://git.example.com/data/openmetadata-platform.git",
        "provider_git_commit": GIT_COMMIT,
    },
    "bare": {
        "project_slug": "bare_kit",
        "dag_owner": "team.bare",
        "use_sqlserver_kerberos": "no",
        "join_platform_network": "no",
        "local_postgres_port": "35432",
        "local_api_server_port": "38080",
    },
}


def render(output_dir: Path, **context: str) -> Path:
    """Render the template non-interactively into ``output_dir``; return the project dir.

    Raises:
        cookiecutter.exceptions.FailedHookException: a hook rejected the options.
    """
    from cookiecutter.main import cookiecutter

    return Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(output_dir)))


def clean_env(airflow_home: Path | None = None) -> dict[str, str]:
    """Environment for a generated project's own commands: no AIRFLOW_* or PIP_* of this suite.

    pip reads no configuration file either (``PIP_CONFIG_FILE=os.devnull``), so the machine's
    extra indexes and find-links directories cannot satisfy what a test says comes from
    one place.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIP_"))}
    env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", PIP_CONFIG_FILE=os.devnull)
    if airflow_home is not None:
        env["AIRFLOW_HOME"] = str(airflow_home)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    """Run a command, capturing text output (no check: callers assert on it)."""
    return subprocess.run(args, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def requirement_lines(project: Path) -> list[str]:
    """requirements.txt without comments and blank lines."""
    lines = (line.strip() for line in (project / "requirements.txt").read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def summary_counts(result) -> dict[str, int]:
    """Counts from the last line of a ``pytest -q`` run, e.g. ``{"passed": 7}``."""
    last = (result.stdout.strip().splitlines() or [""])[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", last)}


def wheel_metadata(wheel: Path) -> email.message.Message:
    """The wheel's ``*.dist-info/METADATA`` (``["Version"]``, ``.get_all("Requires-Dist")``)."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """Combination name -> rendered project directory (rendered once for the session)."""
    return {
        name: render(tmp_path_factory.mktemp(f"datakit-{name}"), **context) for name, context in COMBINATIONS.items()
    }


@pytest.fixture(scope="session")
def provider_dist(tmp_path_factory) -> dict[str, Path]:
    """``make dist`` into a temp dir, once: {"wheel": path, "sdist": path}."""
    out = tmp_path_factory.mktemp("dist")
    result = run(["make", "-s", "--no-print-directory", "dist", f"DIST_DIR={out}"], REPO_ROOT, clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob(f"{WHEEL_PREFIX}*-py3-none-any.whl")
    (sdist,) = out.glob(f"{WHEEL_PREFIX}*.tar.gz")
    assert not [p for p in out.iterdir() if p not in (wheel, sdist)], "make dist left other files behind"
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="session")
def wheel_kit(provider_dist, tmp_path_factory) -> Path:
    """A datakit rendered the way `make datakit` does: provider_source=wheel with the built wheel."""
    return render(
        tmp_path_factory.mktemp("datakit-wheel"), provider_source="wheel", provider_wheel=str(provider_dist["wheel"])
    )


@pytest.fixture(scope="session")
def dev_site_packages_view(tmp_path_factory) -> Path:
    """.venv's site-packages as a directory of symlinks, without the provider.

    A fresh venv that puts this directory on ``sys.path`` sees Airflow, openmetadata-ingestion
    and the rest as installed (pip included) without reinstalling them, which would take
    minutes; the provider (an editable install in .venv) is left out so that the fresh venv
    gets it from the wheel under test only. A plain path entry: .venv's ``.pth`` files, the
    editable provider's import hook among them, are not run.
    """
    site_packages = Path(sysconfig.get_paths()["purelib"])
    view = tmp_path_factory.mktemp("dev-site-packages")
    for entry in site_packages.iterdir():
        name = entry.name.lower()
        if "airflow_provider_openmetadata_platform" in name or name.endswith(".pth"):
            continue
        (view / entry.name).symlink_to(entry)
    return view


@pytest.fixture
def fresh_venv(tmp_path, dev_site_packages_view):
    """Factory: ``fresh_venv(name)`` -> a new venv's directory; ``bin/pip`` runs ``python -m pip``."""

    def make(name: str = "venv") -> Path:
        path = tmp_path / name
        venv.EnvBuilder(with_pip=False, symlinks=True).create(path)
        python = path / "bin" / "python"
        purelib = run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, clean_env()
        ).stdout.strip()
        Path(purelib, "dev-site-packages.pth").write_text(f"{dev_site_packages_view}\n")
        pip = path / "bin" / "pip"
        pip.write_text(f'#!/bin/sh\nexec "{python}" -m pip "$@"\n')
        pip.chmod(0o755)
        return path

    return make

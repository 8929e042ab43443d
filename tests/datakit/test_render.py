"""cookiecutter-datakit rendered for every option combination: files, pins, connection,
compose override, the generated project's own tests, DagBag and ruff."""

from __future__ import annotations

import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from tests.conftest import REPO_ROOT
from tests.datakit.conftest import COMBINATIONS, TEMPLATE, VENV_BIN, clean_env, run

PROVIDER = "airflow-provider-openmetadata-platform"
LAYOUT = [
    "dags",
    "include",
    "plugins",
    "tests/dags",
    "requirements.txt",
    "packages.txt",
    "Dockerfile",
    "airflow_settings.yaml",
    ".env.example",
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "tests/dags/test_dag_integrity.py",
    "dags/example_daily_orders.py",
    ".astro/config.yaml",
]
KERBEROS_PACKAGES = {"krb5-user", "libgssapi-krb5-2", "unixodbc", "tdsodbc"}


def options(name: str) -> dict[str, str]:
    """The full context a combination rendered with (template defaults + its overrides)."""
    context = generate_context(str(TEMPLATE / "cookiecutter.json"), extra_context=COMBINATIONS[name])
    return prompt_for_config(context, no_input=True)


@pytest.fixture(scope="module", params=list(COMBINATIONS))
def kit(request, rendered) -> tuple[Path, dict[str, str]]:
    return rendered[request.param], options(request.param)


def test_default_provider_version_is_the_providers():
    defaults = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    pyproject = tomllib.loads((REPO_ROOT / "provider" / "pyproject.toml").read_text())
    assert defaults["provider_version"] == pyproject["project"]["version"]


def test_requirements_pins_match_the_platform_constraints(rendered):
    def pins(text: str) -> dict[str, str]:
        found = {}
        for line in text.splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*([=<>!~].*)$", line.strip())
            if match:
                found[match.group(1).lower()] = match.group(3).replace(" ", "")
        return found

    platform = pins((REPO_ROOT / "constraints.txt").read_text())
    kit_pins = pins((rendered["defaults"] / "requirements.txt").read_text())
    for package in ("openmetadata-ingestion", "dbt-core"):
        assert kit_pins[package] == platform[package], package


def test_layout(kit):
    project, ctx = kit
    assert project.name == ctx["project_slug"]
    missing = [p for p in LAYOUT if not (project / p).exists()]
    assert not missing
    assert (project / "docker-compose.override.yml").exists() == (ctx["join_platform_network"] == "yes")
    leftovers = [
        str(p) for p in project.rglob("*") if p.is_file() and re.search(r"\{\{ ?cookiecutter|\{%", p.read_text())
    ]
    assert not leftovers, "unrendered Jinja"


def test_dockerfile_uses_the_configured_runtime_image(kit):
    project, ctx = kit
    froms = [line for line in (project / "Dockerfile").read_text().splitlines() if line.startswith("FROM ")]
    assert froms == [f"FROM {ctx['runtime_image']}:{ctx['runtime_version']}"]
    kerberos_env = "ENV KRB5CCNAME=FILE:/krb5/cache/krb5cc" in (project / "Dockerfile").read_text()
    assert kerberos_env == (ctx["use_sqlserver_kerberos"] == "yes")


def test_requirements_pin_the_provider(kit):
    project, ctx = kit
    lines = [
        line.strip()
        for line in (project / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    extra = "[kerberos]" if ctx["use_sqlserver_kerberos"] == "yes" else ""
    assert f"{PROVIDER}{extra}=={ctx['provider_version']}" in lines
    index_lines = [line for line in lines if line.startswith("--")]
    expected = [f"--extra-index-url {ctx['pip_extra_index_url']}"] if ctx["pip_extra_index_url"] else []
    assert index_lines == expected


def test_system_packages_for_kerberos_and_odbc(kit):
    project, ctx = kit
    packages = set((project / "packages.txt").read_text().split())
    assert packages == (KERBEROS_PACKAGES if ctx["use_sqlserver_kerberos"] == "yes" else set())


@pytest.mark.parametrize("name", [n for n in COMBINATIONS if options(n)["join_platform_network"] == "yes"])
def test_compose_override_joins_the_platform(name, rendered):
    project, ctx = rendered[name], options(name)
    compose = yaml.safe_load((project / "docker-compose.override.yml").read_text())
    assert compose["networks"] == {"platform_network": {"external": True}}
    kerberos = ctx["use_sqlserver_kerberos"] == "yes"
    assert set(compose["services"]) == {"scheduler", "dag-processor", "api-server", "triggerer"}
    for service_name, service in compose["services"].items():
        assert service["networks"] == ["platform_network"], service_name
        if kerberos:
            assert service["volumes"] == ["platform_kerberos_cache:/krb5/cache:ro"], service_name
            assert service["environment"] == {"KRB5CCNAME": "FILE:/krb5/cache/krb5cc"}, service_name
        else:
            assert "volumes" not in service and "environment" not in service, service_name
    assert ("volumes" in compose) == kerberos
    if kerberos:
        assert compose["volumes"] == {"platform_kerberos_cache": {"external": True}}


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def test_env_example_defines_the_connection_without_a_secret(kit, monkeypatch):
    """The example URI is one the provider's hook accepts; its token is a placeholder; .env is ignored."""
    from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

    project, ctx = kit
    env = _env_file(project / ".env.example")
    assert ("AIRFLOW_CONN_MSSQL_DEFAULT" in env) == (ctx["use_sqlserver_kerberos"] == "yes")
    uri = env["AIRFLOW_CONN_OPENMETADATA_DEFAULT"]
    monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", uri)
    config = OpenMetadataHook().get_server_config_dict()
    assert config["hostPort"] == "http://openmetadata-server:8585/api"
    assert config["verifySSL"] == "no-ssl"
    assert config["securityConfig"]["jwtToken"] == "<ingestion-bot-jwt>"
    # No JWT (three base64url parts starting eyJ) anywhere in the project.
    jwt_like = [str(p) for p in project.rglob("*") if p.is_file() and re.search(r"eyJ[\w-]+\.[\w-]+\.", p.read_text())]
    assert not jwt_like
    ignored = {line.strip() for line in (project / ".gitignore").read_text().splitlines()}
    assert ".env" in ignored and ".env.example" not in ignored
    settings = yaml.safe_load((project / "airflow_settings.yaml").read_text())
    assert settings["airflow"]["connections"] == []


def test_dagbag_reports_no_import_errors(kit, airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    project, ctx = kit
    bag = DagBag(dag_folder=str(project / "dags"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[f"{ctx['project_slug']}__example_daily_orders"]
    assert ctx["project_slug"] in dag.tags
    assert {task.owner for task in dag.tasks} == {ctx["dag_owner"]}
    assert dag.owner_links == {ctx["dag_owner"]: f"mailto:{ctx['owner_email']}"}
    (task,) = dag.tasks
    assert [a.uri for a in task.inlets] == ["openmetadata://table/warehouse.sales.public.orders"]
    assert [a.uri for a in task.outlets] == ["openmetadata://table/warehouse.sales.reporting.daily_orders"]


def test_generated_files_lint_clean(kit, tmp_path):
    project, _ = kit
    env = clean_env(tmp_path)
    ruff = str(VENV_BIN / "ruff")
    check = run([ruff, "check", "--no-cache", "."], project, env)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run([ruff, "format", "--check", "--no-cache", "."], project, env)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def _pytest_summary(result) -> dict[str, int]:
    last = (result.stdout.strip().splitlines() or [""])[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", last)}


def test_generated_project_tests_pass(kit, tmp_path):
    project, _ = kit
    result = run([sys.executable, "-m", "pytest", "-q"], project, clean_env(tmp_path))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert _pytest_summary(result) == {"passed": 7}, result.stdout[-2000:]


BAD_DAG = """\
from datetime import datetime

import metadata.ingestion.ometa.ometa_api  # noqa: F401
from airflow.decorators import task
from airflow.sdk import DAG

with DAG("bad_dag", start_date=datetime(2026, 1, 1), schedule=None):

    @task(inlets=["warehouse.sales.public.orders"])
    def copy_orders():
        pass

    @task
    def load_orders():
        pass

    copy_orders() >> load_orders()
"""
BROKEN_DAG = "from airflow.sdk import DAG\n\nraise RuntimeError('broken DAG file')\n"


def test_generated_tests_catch_bad_dags(rendered, tmp_path):
    """Each rule of the generated tests fails on a DAG that breaks it (they are not vacuous)."""
    project = shutil.copytree(rendered["defaults"], tmp_path / "kit")
    (project / "dags" / "bad_dag.py").write_text(BAD_DAG)
    (project / "dags" / "broken_dag.py").write_text(BROKEN_DAG)
    result = run([sys.executable, "-m", "pytest", "-q", "-rf"], project, clean_env(tmp_path / "home"))
    failed = set(re.findall(r"^FAILED \S+::(\w+)", result.stdout, re.MULTILINE))
    assert failed == {
        "test_dags_import_without_errors",
        "test_dags_use_no_deprecated_api",
        "test_parsing_does_not_import_openmetadata_ingestion",
        "test_dags_have_tags",
        "test_tasks_have_an_owner",
        "test_tasks_that_move_data_declare_lineage",
        "test_lineage_names_assets",
    }, result.stdout[-4000:]
    assert "broken DAG file" in result.stdout
    assert "bad_dag.load_orders" in result.stdout

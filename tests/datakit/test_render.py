"""cookiecutter-datakit rendered for every option combination: files, pins, provider source,
connections, compose override, Astro conventions, the generated project's own tests, DagBag
and ruff."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from tests.conftest import REPO_ROOT
from tests.datakit.conftest import (
    COMBINATIONS,
    PROVIDER_DIST,
    TEMPLATE,
    VENV_BIN,
    clean_env,
    requirement_lines,
    run,
    summary_counts,
)

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
    ".dockerignore",
    "README.md",
    "pyproject.toml",
    "conftest.py",
    "tests/dags/test_dag_integrity.py",
    "dags/example_daily_rentals.py",
    "dags/.airflowignore",
    ".astro/config.yaml",
    ".astro/test_dag_integrity_default.py",
    ".astro/dag_integrity_exceptions.txt",
]
KERBEROS_PACKAGES = {"krb5-user", "libgssapi-krb5-2", "unixodbc", "tdsodbc"}
EXAMPLE_TASKS = ["create_daily_rentals", "register_daily_rentals", "load_daily_rentals"]


def options(name: str) -> dict[str, str]:
    """The full context a combination rendered with (template defaults + its overrides)."""
    context = generate_context(str(TEMPLATE / "cookiecutter.json"), extra_context=COMBINATIONS[name])
    return prompt_for_config(context, no_input=True)


@pytest.fixture(scope="module", params=list(COMBINATIONS))
def kit(request, rendered) -> tuple[Path, dict[str, str]]:
    return rendered[request.param], options(request.param)


def test_requirements_pins_match_the_platform_constraints(rendered):
    def pins(text: str) -> dict[str, str]:
        found = {}
        for line in text.splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*([=<>!~].*)$", line.strip())
            if match:
                found[match.group(1).lower()] = match.group(3).replace(" ", "")
        return found

    platform = pins((REPO_ROOT / "constraints.txt").read_text())
    for name, project in rendered.items():
        kit_pins = pins((project / "requirements.txt").read_text())
        for package in ("openmetadata-ingestion", "dbt-core"):
            assert kit_pins[package] == platform[package], (name, package)


def test_layout(kit):
    project, ctx = kit
    assert project.name == ctx["project_slug"]
    missing = [p for p in LAYOUT if not (project / p).exists()]
    assert not missing
    assert (project / "docker-compose.override.yml").exists() == (ctx["join_platform_network"] == "yes")
    assert (project / "include" / "wheels").is_dir() == (ctx["provider_source"] == "wheel")
    leftovers = [
        str(p) for p in project.rglob("*") if p.is_file() and re.search(r"\{\{ ?cookiecutter|\{%", p.read_text())
    ]
    assert not leftovers, "unrendered Jinja"


def test_dockerfile_uses_the_configured_runtime_image(kit):
    project, ctx = kit
    dockerfile = (project / "Dockerfile").read_text()
    froms = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert froms == [f"FROM {ctx['runtime_image']}:{ctx['runtime_version']}"]
    assert ("ENV KRB5CCNAME=FILE:/krb5/cache/krb5cc" in dockerfile) == (ctx["use_sqlserver_kerberos"] == "yes")


def test_provider_comes_from_the_chosen_source_only(kit):
    """wheel: not in requirements.txt, installed by the Dockerfile with --no-index; index: one
    --index-url and an exact pin; git: a commit-pinned URL. Never --extra-index-url."""
    project, ctx = kit
    lines = requirement_lines(project)
    dockerfile = (project / "Dockerfile").read_text()
    extra = "[kerberos]" if ctx["use_sqlserver_kerberos"] == "yes" else ""
    provider_lines = [line for line in lines if line.startswith(PROVIDER_DIST)]
    options_lines = [line for line in lines if line.startswith("-")]
    assert not any("extra-index-url" in line for line in [*lines, *dockerfile.splitlines()])
    source = ctx["provider_source"]
    if source == "wheel":
        assert provider_lines == [] and options_lines == []
        assert f'--no-index --find-links include/wheels "{PROVIDER_DIST}{extra}"' in dockerfile
    elif source == "index":
        assert provider_lines == [f"{PROVIDER_DIST}{extra}=={ctx['provider_version']}"]
        assert options_lines == [f"--index-url {ctx['provider_index_url']}"]
        assert "RUN" not in dockerfile
    else:
        assert provider_lines == [
            f"{PROVIDER_DIST}{extra} @ git+{ctx['provider_git_url']}@{ctx['provider_git_commit']}#subdirectory=provider"
        ]
        assert options_lines == [] and "RUN" not in dockerfile


def test_system_packages(kit):
    project, ctx = kit
    packages = set((project / "packages.txt").read_text().split())
    expected = KERBEROS_PACKAGES if ctx["use_sqlserver_kerberos"] == "yes" else set()
    if ctx["provider_source"] == "git":
        expected = expected | {"git"}  # pip clones the provider's repository in the image build
    assert packages == expected


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
            # The cache's directory, read-only: the platform replaces the file by rename.
            assert service["volumes"] == ["platform_kerberos_cache:/krb5/cache:ro"], service_name
            assert service["environment"] == {"KRB5CCNAME": "FILE:/krb5/cache/krb5cc"}, service_name
        else:
            assert "volumes" not in service and "environment" not in service, service_name
    assert ("volumes" in compose) == kerberos
    if kerberos:
        assert compose["volumes"] == {"platform_kerberos_cache": {"external": True}}


def test_compose_override_is_valid_compose(rendered, tmp_path):
    """docker-compose (v1, no engine needed) accepts the override merged into a base file."""
    project = rendered["kerberos+network+mirror+index"]
    base = tmp_path / "docker-compose.yml"
    base.write_text(
        yaml.safe_dump(
            {
                "version": "3.8",
                "services": {
                    name: {"image": "busybox"} for name in ("scheduler", "dag-processor", "api-server", "triggerer")
                },
            }
        )
    )
    override = project / "docker-compose.override.yml"
    result = run(["docker-compose", "-f", str(base), "-f", str(override), "config"], tmp_path, clean_env())
    assert result.returncode == 0, result.stderr
    merged = yaml.safe_load(result.stdout)
    assert merged["services"]["scheduler"]["volumes"] == ["platform_kerberos_cache:/krb5/cache:ro"]


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def test_env_example_defines_the_connections_without_a_secret(kit, monkeypatch):
    """The example URIs are ones the provider's hook and Airflow accept; secrets are placeholders; .env is ignored."""
    from airflow.models.connection import Connection
    from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

    project, ctx = kit
    text = (project / ".env.example").read_text()
    env = _env_file(project / ".env.example")
    assert ("AIRFLOW_CONN_MSSQL_DEFAULT" in env) == (ctx["use_sqlserver_kerberos"] == "yes")
    monkeypatch.setenv("AIRFLOW_CONN_OPENMETADATA_DEFAULT", env["AIRFLOW_CONN_OPENMETADATA_DEFAULT"])
    config = OpenMetadataHook().get_server_config_dict()
    assert config["hostPort"] == "http://openmetadata-server:8585/api"
    assert config["verifySSL"] == "no-ssl"
    assert config["securityConfig"]["jwtToken"] == "<ingestion-bot-jwt>"
    pagila = Connection(uri=env["AIRFLOW_CONN_PAGILA_POSTGRES"])
    assert (pagila.conn_type, pagila.host, pagila.port, pagila.schema) == ("postgres", "postgres", 5432, "pagila")
    assert pagila.password == "<password>"
    # Where the token really comes from (issue 11: it said `platform setup`).
    assert "make openmetadata-start" in text and "platform setup" not in text
    # No JWT (three base64url parts starting eyJ) anywhere in the project.
    jwt_like = [
        str(p)
        for p in project.rglob("*")
        if p.is_file() and p.suffix != ".whl" and re.search(r"eyJ[\w-]+\.[\w-]+\.", p.read_text())
    ]
    assert not jwt_like
    ignored = {line.strip() for line in (project / ".gitignore").read_text().splitlines()}
    assert ".env" in ignored and ".env.example" not in ignored
    settings = yaml.safe_load((project / "airflow_settings.yaml").read_text())
    assert settings["airflow"]["connections"] == []


def test_astro_files_are_the_shape_astro_dev_init_writes(kit):
    project, _ = kit
    exceptions = (project / ".astro" / "dag_integrity_exceptions.txt").read_text()
    # The text astro-cli writes (airflow/airflow.go Init(), commit 4464a4785bfd).
    assert exceptions.startswith("# Add dag files to exempt from parse test below. ex: dags/<test-file>")
    parse_check = (project / ".astro" / "test_dag_integrity_default.py").read_text()
    assert "def test_file_imports(rel_path" in parse_check and "dag_integrity_exceptions.txt" in parse_check
    ignore = (project / "dags" / ".airflowignore").read_text()
    assert all(line.startswith("#") for line in ignore.splitlines() if line.strip()), "ignores nothing by default"


def test_dagbag_reports_no_import_errors(kit, airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    project, ctx = kit
    bag = DagBag(dag_folder=str(project / "dags"))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[f"{ctx['project_slug']}__example_daily_rentals"]
    assert ctx["project_slug"] in dag.tags
    assert {task.owner for task in dag.tasks} == {ctx["dag_owner"]}
    assert dag.owner_links == {ctx["dag_owner"]: f"mailto:{ctx['owner_email']}"}
    assert [t.task_id for t in dag.topological_sort()] == EXAMPLE_TASKS
    load = dag.get_task("load_daily_rentals")
    assert [a.uri for a in load.inlets] == ["openmetadata://table/pagila.pagila.public.rental"]
    assert [a.uri for a in load.outlets] == [f"openmetadata://table/pagila.pagila.{ctx['project_slug']}.daily_rentals"]
    # The registration harvests that one table into the demo's service and deletes nothing.
    register = dag.get_task("register_daily_rentals")
    source_config = register.build_source_config()
    assert register.service_name == "pagila"
    assert source_config["schemaFilterPattern"] == {"includes": [f"^{ctx['project_slug']}$"]}
    assert source_config["tableFilterPattern"] == {"includes": ["^daily_rentals$"]}
    assert source_config["markDeletedTables"] is False


def test_generated_files_lint_clean(kit, tmp_path):
    project, _ = kit
    env = clean_env(tmp_path)
    ruff = str(VENV_BIN / "ruff")
    check = run([ruff, "check", "--no-cache", "."], project, env)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run([ruff, "format", "--check", "--no-cache", "."], project, env)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_generated_project_tests_pass_and_leave_no_temporary_directory(kit, tmp_path):
    """The kit's own tests pass, outside a container too, and clean up the Airflow home they made."""
    project, _ = kit
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in clean_env().items() if k != "AIRFLOW_HOME"}
    env.update(TMPDIR=str(scratch))
    result = run([sys.executable, "-m", "pytest", "-q"], project, env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert summary_counts(result) == {"passed": 7}, result.stdout[-2000:]
    assert sorted(p.name for p in scratch.iterdir()) == [], "the kit's tests left temporary files behind"


def test_astro_parse_check_fails_on_a_broken_dag_unless_it_is_an_exception(rendered, tmp_path):
    """.astro/test_dag_integrity_default.py, as `astro dev parse` runs it (AIRFLOW_HOME = project)."""
    project = shutil.copytree(rendered["defaults"], tmp_path / "kit")
    env = clean_env(tmp_path / "home")
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(project / "dags")
    parse = [sys.executable, "-m", "pytest", "-q", "-rf", ".astro/test_dag_integrity_default.py"]

    result = run(parse, project, env)
    assert result.returncode == 0 and summary_counts(result) == {"passed": 1}, result.stdout[-3000:]

    (project / "dags" / "broken_dag.py").write_text(BROKEN_DAG)
    result = run(parse, project, env)
    assert summary_counts(result) == {"passed": 1, "failed": 1}, result.stdout[-3000:]
    assert "dags/broken_dag.py failed to import" in result.stdout and "broken DAG file" in result.stdout

    with (project / ".astro" / "dag_integrity_exceptions.txt").open("a") as exceptions:
        exceptions.write("\ndags/broken_dag.py\n")
    result = run(parse, project, env)
    assert result.returncode == 0 and summary_counts(result) == {"passed": 2}, result.stdout[-3000:]


# How .astro/test_dag_integrity_default.py is run: (AIRFLOW_HOME, directory pytest runs in).
PARSE_CHECK_RUNS = {
    "locally": (None, "kit"),
    "locally-from-another-directory": (None, "elsewhere"),
    "locally-with-another-airflow-home": ("other-airflow-home", "kit"),
    "astro": ("kit", "kit"),  # the runtime image: AIRFLOW_HOME = the project (/usr/local/airflow)
}


@pytest.mark.parametrize("how", list(PARSE_CHECK_RUNS))
def test_astro_parse_check_parses_the_kits_own_dags_and_writes_nothing_to_home(how, rendered, tmp_path):
    """Locally it skipped ("got empty parameter set": it parsed $AIRFLOW_HOME/dags, ~/airflow/dags
    by default) and wrote ~/airflow/logs; in Astro AIRFLOW_HOME is the project. Both parse the kit's dags/."""
    project = shutil.copytree(rendered["defaults"], tmp_path / "kit")
    home, scratch, elsewhere = tmp_path / "home", tmp_path / "tmp", tmp_path / "elsewhere"
    for directory in (home, scratch, elsewhere):
        directory.mkdir()
    airflow_home, cwd = PARSE_CHECK_RUNS[how]
    env = clean_env(tmp_path / airflow_home if airflow_home else None)
    env.update(HOME=str(home), TMPDIR=str(scratch))
    check = project / ".astro" / "test_dag_integrity_default.py"
    result = run([sys.executable, "-m", "pytest", "-v", "-rs", str(check)], tmp_path / cwd, env)
    assert result.returncode == 0 and summary_counts(result) == {"passed": 1}, result.stdout[-3000:]
    assert "test_file_imports[dags/example_daily_rentals.py] PASSED" in result.stdout, result.stdout[-3000:]
    assert sorted(p.name for p in home.iterdir()) == [], "Airflow wrote into the user's home"
    assert sorted(p.name for p in scratch.iterdir()) == [], "the parse check left temporary files behind"


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
    # The example's DDL task is exempt by its (pattern) entry, not by accident.
    assert "example_daily_rentals.create_daily_rentals" not in result.stdout

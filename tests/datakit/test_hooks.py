"""The template's pre-generation hook: bad options fail with a message naming the option and
what was expected, and a failed render leaves nothing behind."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.datakit.conftest import TEMPLATE, clean_env, render, run

INVALID = [
    ({"project_slug": "Sales-Reporting"}, "project_slug='Sales-Reporting'", "^[a-z][a-z0-9_]{1,40}$"),
    ({"project_slug": "s"}, "project_slug='s'", "2-41 characters"),
    ({"project_slug": "s" * 42}, "project_slug=", "2-41 characters"),
    ({"project_slug": "1kit"}, "project_slug='1kit'", "starting with a letter"),
    ({"owner_email": "data-team"}, "owner_email='data-team'", "e-mail address"),
    ({"owner_email": "a@b"}, "owner_email='a@b'", "e-mail address"),
    ({"dag_owner": "airflow"}, "dag_owner='airflow'", "not Airflow's default"),
    ({"runtime_version": "12.1.0"}, "runtime_version='12.1.0'", "Airflow 3 like '3.3-2'"),
    ({"runtime_version": "3.3"}, "runtime_version='3.3'", "Airflow 3 like '3.3-2'"),
    ({"runtime_image": "quay.io/astronomer/astro-runtime:3.3-2"}, "runtime_image=", "without tag"),
    ({"runtime_image": "Artifactory.example.com/Astro"}, "runtime_image=", "without tag"),
    ({"local_postgres_port": "5432"}, "local_postgres_port='5432'", "other than Astro's defaults 5432 and 8080"),
    ({"local_api_server_port": "8080"}, "local_api_server_port='8080'", "other than Astro's defaults"),
    ({"local_api_server_port": "80"}, "local_api_server_port='80'", "1024-65535"),
    ({"local_postgres_port": "x"}, "local_postgres_port='x'", "a port number"),
    ({"local_api_server_port": "25432"}, "local_api_server_port='25432'", "other than local_postgres_port's"),
    ({"provider_wheel": "dist/x.whl"}, "provider_wheel='dist/x.whl'", "absolute path of an existing"),
    (
        {"provider_wheel": "/nonexistent/airflow_provider_openmetadata_platform-1.0-py3-none-any.whl"},
        "provider_wheel=",
        "absolute path of an existing",
    ),
    ({"provider_source": "index"}, "provider_index_url=''", "private index's http(s) URL"),
    (
        {"provider_source": "index", "provider_index_url": "pypi.internal/simple", "provider_version": "1.0"},
        "provider_index_url='pypi.internal/simple'",
        "without credentials",
    ),
    (
        {
            "provider_source": "index",
            "provider_index_url": "https://pypi.internal/simple",
            "provider_version": "latest",
        },
        "provider_version='latest'",
        "published version",
    ),
    ({"provider_source": "git", "provider_git_commit": "a" * 40}, "provider_git_url=''", "without a password"),
    (
        {"provider_source": "git", "provider_git_url": "https://git.example.com/p.git", "provider_git_commit": "main"},
        "provider_git_commit='main'",
        "a branch or tag can move",
    ),
    (
        {
            "provider_source": "git",
            "provider_git_url": "https://git.example.com/p.git",
            "provider_git_commit": "abc1234",
        },
        "provider_git_commit='abc1234'",
        "full 40-character commit",
    ),
    (
        {"provider_index_url": "https://pypi.internal/simple"},
        "provider_index_url=",
        "only used with provider_source='index'",
    ),
    (
        {
            "provider_source": "index",
            "provider_index_url": "https://pypi.internal/simple",
            "provider_version": "1.0",
            "provider_git_commit": "a" * 40,
        },
        "provider_git_commit=",
        "only used with provider_source='git'",
    ),
]


@pytest.mark.parametrize(
    ("context", "named", "expected"), INVALID, ids=[named.split("=")[0] for _, named, _ in INVALID]
)
def test_invalid_option_is_rejected_and_nothing_is_left(context, named, expected, tmp_path, capfd):
    (tmp_path / "unrelated.txt").write_text("kept")
    with pytest.raises(FailedHookException):
        render(tmp_path, **context)
    err = capfd.readouterr().err
    assert named in err and expected in err, err
    # Only what was there before: cookiecutter removed the half-made project directory.
    assert [p.name for p in tmp_path.iterdir()] == ["unrelated.txt"]


def test_every_problem_is_reported_at_once(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        render(tmp_path, project_slug="Bad", owner_email="nobody", runtime_version="2.9-1")
    err = capfd.readouterr().err
    assert all(f"  - {name}=" in err for name in ("project_slug", "owner_email", "runtime_version")), err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("context", "named"),
    [
        (
            {
                "provider_source": "index",
                "provider_version": "1.0",
                "provider_index_url": "https://deploy:s3cr3t@pypi.internal.example.com/simple",
            },
            "provider_index_url='https://***@pypi.internal.example.com/simple'",
        ),
        (
            {
                "provider_source": "git",
                "provider_git_commit": "a" * 40,
                "provider_git_url": "https://deploy:s3cr3t@git.example.com/p.git",
            },
            "provider_git_url='https://***@git.example.com/p.git'",
        ),
        (
            # Set for another source: still never echoed.
            {"provider_git_url": "https://deploy:s3cr3t@git.example.com/p.git"},
            "provider_git_url='https://***@git.example.com/p.git'",
        ),
    ],
    ids=["index", "git", "other-source"],
)
def test_credentials_in_a_url_are_rejected_and_not_echoed(context, named, tmp_path, capfd):
    with pytest.raises(FailedHookException):
        render(tmp_path, **context)
    err = capfd.readouterr().err
    assert named in err
    assert "s3cr3t" not in err
    assert not list(tmp_path.iterdir())


def test_a_wheel_with_another_name_is_rejected(tmp_path, capfd):
    wheel = tmp_path / "evil_provider-1.0-py3-none-any.whl"
    wheel.write_bytes(b"not a provider")
    out = tmp_path / "out"
    with pytest.raises(FailedHookException):
        render(out, provider_wheel=str(wheel))
    assert "provider_wheel=" in capfd.readouterr().err
    assert not out.exists() or not list(out.iterdir())


def test_the_wheel_is_copied_into_include_wheels(provider_dist, tmp_path, capfd):
    project = render(tmp_path, provider_wheel=str(provider_dist["wheel"]))
    copied = project / "include" / "wheels" / provider_dist["wheel"].name
    assert copied.read_bytes() == provider_dist["wheel"].read_bytes()
    out = capfd.readouterr().out
    assert f"include/wheels/{provider_dist['wheel'].name}" in out and "astro dev start" in out


def test_without_a_wheel_the_next_steps_say_so(tmp_path, capfd):
    project = render(tmp_path)
    assert [p.name for p in (project / "include" / "wheels").iterdir()] == [".gitkeep"]
    assert "include/wheels/ is EMPTY" in capfd.readouterr().out


@pytest.mark.parametrize(
    "context",
    [
        {
            "provider_source": "index",
            "provider_index_url": "https://pypi.internal/simple",
            "provider_version": "0.2.1.dev3+g1a2b3c4",
        },
        {
            "provider_source": "git",
            "provider_git_url": "ssh://git@git.example.com/data/platform.git",
            "provider_git_commit": "a" * 40,
        },
        {"provider_source": "git", "provider_git_url": "file:///srv/git/platform.git", "provider_git_commit": "b" * 40},
    ],
    ids=["dev-version", "ssh-user", "file"],
)
def test_valid_provider_sources_are_accepted(context, tmp_path):
    project = render(tmp_path, **context)
    assert not (project / "include" / "wheels").exists()


def test_a_value_with_quotes_cannot_break_the_hook(tmp_path, capfd):
    """Options reach the hook through tojson: quotes are data, not code."""
    with pytest.raises(FailedHookException):
        render(tmp_path, project_slug='x"""; import os; os._exit(0) #')
    assert "project_slug=" in capfd.readouterr().err
    assert not list(tmp_path.iterdir())


def test_unknown_choice_is_rejected_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="use_sqlserver_kerberos"):
        render(tmp_path, use_sqlserver_kerberos="maybe")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("slug", ["ab", "a" + "b" * 40, "kit_2"])
def test_boundary_slugs_are_accepted(slug, tmp_path):
    project = render(tmp_path, project_slug=slug)
    assert project.name == slug
    assert f'dag_id="{slug}__example_daily_rentals"' in (project / "dags" / "example_daily_rentals.py").read_text()


def test_tool_caches_in_the_template_checkout_do_not_reach_the_project(tmp_path):
    """A checkout where someone ran ruff, pytest or Python inside the template: caches stay out."""
    from cookiecutter.main import cookiecutter

    template = shutil.copytree(TEMPLATE, tmp_path / "template")
    kit_template = template / "{{cookiecutter.project_slug}}"
    for cache in (".ruff_cache", "dags/__pycache__", "tests/.pytest_cache"):
        (kit_template / cache).mkdir(parents=True, exist_ok=True)  # a real checkout may have them already
        (kit_template / cache / "blob.bin").write_bytes(b"\x00\x98\xff")
    project = Path(cookiecutter(str(template), no_input=True, output_dir=str(tmp_path / "out")))
    assert not [p for p in project.rglob("*") if p.name in (".ruff_cache", "__pycache__", ".pytest_cache")]
    assert (project / "dags" / "example_daily_rentals.py").is_file()


PRE_GEN_HOOK = TEMPLATE / "hooks" / "pre_gen_project.py"


@pytest.mark.parametrize(
    "slug", ["sales_reporting", "ab", "a" + "b" * 40, "a" + "b" * 41, "s", "1kit", "Sales Reporting", "kit-2", "kit_2"]
)
def test_make_datakits_slug_check_is_the_hooks(slug, tmp_path):
    """`make datakit` checks NAME with the hook file itself, unrendered, under the system Python
    (standard library only: -I -S, no site-packages): one rule, so both accept and reject the same slugs."""
    command = [sys.executable, "-I", "-S", str(PRE_GEN_HOOK), "--project-slug", slug, "--option", "NAME"]
    check = run(command, tmp_path, clean_env())
    try:
        render(tmp_path / "out", project_slug=slug)
    except FailedHookException:
        rendered = False
    else:
        rendered = True
    assert (check.returncode == 0) == rendered, check.stderr
    assert check.stdout == ""
    assert len(check.stderr.splitlines()) == (0 if rendered else 1), check.stderr


def test_the_hook_suggests_a_slug_made_from_the_value(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        render(tmp_path, project_slug="Finance-Team Reports")
    err = capfd.readouterr().err
    assert "project_slug='Finance-Team Reports': expected" in err and "e.g. 'finance_team_reports'" in err, err

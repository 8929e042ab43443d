"""The template's pre-generation hook: bad options fail with a message naming the option and
what was expected, and a failed render leaves nothing behind."""

from __future__ import annotations

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.datakit.conftest import render

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
    ({"provider_version": "latest"}, "provider_version='latest'", "release version like '0.1.0'"),
    ({"pip_extra_index_url": "pypi.internal/simple"}, "pip_extra_index_url=", "without credentials"),
]


@pytest.mark.parametrize(("context", "named", "expected"), INVALID, ids=[next(iter(c[0])) for c in INVALID])
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


def test_credentials_in_the_index_url_are_rejected_and_not_echoed(tmp_path, capfd):
    with pytest.raises(FailedHookException):
        render(tmp_path, pip_extra_index_url="https://deploy:s3cr3t@pypi.internal.example.com/simple")
    err = capfd.readouterr().err
    assert "pip_extra_index_url='https://***@pypi.internal.example.com/simple'" in err
    assert "s3cr3t" not in err
    assert not list(tmp_path.iterdir())


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
    assert f'dag_id="{slug}__example_daily_orders"' in (project / "dags" / "example_daily_orders.py").read_text()

"""postgres/init-databases.sh run for real against a throwaway PostgreSQL."""

from __future__ import annotations

import subprocess

from .conftest import BOOTSTRAP

SCRIPT = BOOTSTRAP / "postgres" / "init-databases.sh"


def _run(pg, **extra):
    env = {**pg.psql_env(), "POSTGRES_USER": "postgres", **extra}
    return subprocess.run(check=False, args=["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_creates_database_owner_and_grants_and_is_idempotent(postgres):
    password = "Om" + "x9" * 12
    first = _run(postgres, OPENMETADATA_DB_PASSWORD=password)
    assert first.returncode == 0, first.stderr
    assert password not in first.stdout + first.stderr
    owner = postgres.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'openmetadata_db'")
    assert owner == "openmetadata_user"
    # The owner can log in with its password and create tables in public (PostgreSQL 15+ rule).
    postgres.psql(
        "CREATE TABLE probe (id int); INSERT INTO probe VALUES (1)",
        database="openmetadata_db",
        user="openmetadata_user",
        password=password,
    )
    assert postgres.psql("SELECT has_database_privilege('openmetadata_user', 'openmetadata_db', 'CREATE')") == "t"
    second = _run(postgres, OPENMETADATA_DB_PASSWORD=password)
    assert second.returncode == 0, second.stderr
    assert postgres.psql("SELECT count(*) FROM probe", database="openmetadata_db") == "1"
    assert postgres.psql("SELECT count(*) FROM pg_database WHERE datname = 'openmetadata_db'") == "1"


def test_airflow_database_only_when_asked(postgres):
    assert _run(postgres, OPENMETADATA_DB_PASSWORD="p1").returncode == 0
    assert postgres.psql("SELECT count(*) FROM pg_database WHERE datname = 'airflow_db'") == "0"
    assert _run(postgres, OPENMETADATA_DB_PASSWORD="p1", AIRFLOW_DB_PASSWORD="p2").returncode == 0
    assert (
        postgres.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'airflow_db'") == "airflow_user"
    )


def test_missing_password_is_a_clear_error(postgres):
    result = _run(postgres)
    assert result.returncode == 1
    assert "OPENMETADATA_DB_PASSWORD is not set" in result.stderr


def test_password_with_quotes_is_passed_safely(postgres):
    tricky = "it's\"a;DROP"
    result = _run(postgres, OPENMETADATA_DB_PASSWORD=tricky)
    # Role exists from an earlier test in this session or is created now; either way no SQL injection.
    assert result.returncode == 0, result.stderr
    assert postgres.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'openmetadata_user'") == "1"

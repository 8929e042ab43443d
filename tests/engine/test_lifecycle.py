"""Backup of the real volumes, restore into fresh ones; then stop and clean. Runs last in the
engine area (conftest orders it): it replaces the stack's volumes and ends with none."""

from __future__ import annotations

from pathlib import Path

ROWS = [(1, "rental"), (2, "film"), (3, "payment_p2022_01")]


def _psql(stack, sql: str) -> str:
    return stack.compose(
        "exec",
        "-T",
        "platform-postgres",
        "psql",
        "-X",
        "-q",
        "-tA",
        "-v",
        "ON_ERROR_STOP=1",
        "-U",
        "openmetadata_user",
        "-d",
        "openmetadata_db",
        "-c",
        sql,
    ).stdout.strip()


def _volumes(stack) -> set[str]:
    return set(stack.engine.docker("volume", "ls", "-q").stdout.split())


def test_backup_restore_into_fresh_volumes_then_stop_and_clean(stack):
    values = ", ".join(f"({n}, '{name}')" for n, name in ROWS)
    _psql(stack, f"CREATE TABLE backup_probe (n int PRIMARY KEY, name text); INSERT INTO backup_probe VALUES {values}")
    before = _psql(stack, "SELECT n, name FROM backup_probe ORDER BY n")

    backup = Path(stack.root / stack.make("openmetadata-backup").stdout.strip().splitlines()[-1])
    assert backup.is_file() and backup.read_bytes()[:5] == b"PGDMP"
    assert oct(backup.stat().st_mode & 0o777) == "0o600"

    stack.make("openmetadata-clean")  # FORCE=1 in the stack's environment
    assert "platform_postgres_data" not in _volumes(stack)
    stack.make("openmetadata-start", timeout=1200)
    assert _psql(stack, "SELECT count(*) FROM pg_tables WHERE tablename = 'backup_probe'") == "0"  # fresh

    restored = stack.make("openmetadata-restore", f"BACKUP={backup}", timeout=600)
    assert "restore: openmetadata_db restored" in restored.stdout, restored.stdout
    assert _psql(stack, "SELECT n, name FROM backup_probe ORDER BY n") == before
    assert _psql(stack, "SELECT tableowner FROM pg_tables WHERE tablename = 'backup_probe'") == "openmetadata_user"
    assert stack.health("openmetadata-server") == "healthy"

    stack.make("openmetadata-stop")
    assert stack.state("openmetadata-server")["Status"] == "exited"
    assert stack.health("platform-postgres") == "healthy"  # the shared database keeps running

    stack.make("platform-stop")
    assert stack.compose("ps", "-a", "-q").stdout.split() == []
    assert "platform_postgres_data" in _volumes(stack)  # stop keeps the data

    stack.make("openmetadata-clean")
    assert not {"platform_postgres_data", "platform_airflow_dags", "platform_kerberos_cache"} & _volumes(stack)

"""scripts/backup.sh and scripts/restore.sh for real against a throwaway PostgreSQL (direct mode)."""

from __future__ import annotations

import os
import stat
import subprocess

from .conftest import BOOTSTRAP

OWNER_PW = "Restore" + "z7" * 10


def _env(pg, **extra):
    return {
        **pg.psql_env(),
        "PLATFORM_PG_MODE": "direct",
        "PLATFORM_DB_NAME": "om_backup_db",
        "PLATFORM_DB_OWNER": "om_backup_user",
        **extra,
    }


def _counts(pg):
    return pg.psql(
        "SELECT (SELECT count(*) FROM entity_a) || ',' || (SELECT count(*) FROM entity_b)", database="om_backup_db"
    )


def test_dump_drop_restore_same_rows(postgres, tmp_path):
    postgres.psql(f"CREATE ROLE om_backup_user LOGIN PASSWORD '{OWNER_PW}'")
    postgres.psql("CREATE DATABASE om_backup_db OWNER om_backup_user")
    postgres.psql(
        "CREATE TABLE entity_a (id int primary key, json text); CREATE TABLE entity_b (id int);"
        "INSERT INTO entity_a SELECT g, 'x' || g FROM generate_series(1, 250) g;"
        "INSERT INTO entity_b SELECT g FROM generate_series(1, 42) g;",
        database="om_backup_db",
        user="om_backup_user",
        password=OWNER_PW,
    )
    backup = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/backup.sh"), str(tmp_path / "backups")],
        env=_env(postgres),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert backup.returncode == 0, backup.stderr
    dump = tmp_path / "backups" / os.path.basename(backup.stdout.strip())
    assert dump.exists() and dump.name.startswith("om_backup_db-") and dump.name.endswith(".dump")
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600

    postgres.psql("DROP DATABASE om_backup_db WITH (FORCE)")
    marker = tmp_path / "reindexed"
    restore = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/restore.sh"), str(dump)],
        env=_env(postgres, FORCE="1", PLATFORM_REINDEX_CMD=f"touch {marker}"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert restore.returncode == 0, restore.stderr
    assert _counts(postgres) == "250,42"
    assert marker.exists()  # the search reindex step ran after the restore
    owner = postgres.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'entity_a'", database="om_backup_db")
    assert owner == "om_backup_user"

    # Restoring over a changed database brings the backup's state back.
    postgres.psql("DELETE FROM entity_b", database="om_backup_db")
    again = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/restore.sh"), str(dump)],
        env=_env(postgres, FORCE="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert _counts(postgres) == "250,42"


def test_restore_refuses_without_confirmation_and_bad_files(postgres, tmp_path):
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    bad = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/restore.sh"), str(junk)],
        env=_env(postgres, FORCE="1"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2 and "not a pg_dump custom-format archive" in bad.stderr
    fake = tmp_path / "fake.dump"
    fake.write_bytes(b"PGDMP-rest")
    unconfirmed = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/restore.sh"), str(fake)],
        env=_env(postgres),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert unconfirmed.returncode == 1 and "FORCE=1" in unconfirmed.stderr


def test_backup_of_missing_database_fails_and_leaves_no_file(postgres, tmp_path):
    result = subprocess.run(
        check=False,
        args=["bash", str(BOOTSTRAP / "scripts/backup.sh"), str(tmp_path)],
        env=_env(postgres, PLATFORM_DB_NAME="no_such_db"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert list(tmp_path.iterdir()) == []

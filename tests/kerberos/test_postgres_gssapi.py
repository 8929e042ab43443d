"""A GSSAPI-only PostgreSQL: psycopg2 logs in with nothing but the sidecar's copy of the ticket."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.kerberos.conftest import PYTHON, SHARER


def test_psycopg2_logs_in_with_the_shared_copy_and_no_password(kdc, gss_postgres, tmp_path, valid_cache):
    import psycopg2

    host = tmp_path / "host-krb5cc"
    shutil.copyfile(valid_cache, host)
    share = tmp_path / "share" / "krb5cc"
    subprocess.run(
        [PYTHON, str(SHARER), "--once", "--source", str(host), "--dest", str(share)], check=True, capture_output=True
    )
    host.unlink()
    with kdc.activated(f"FILE:{share}"):
        conn = psycopg2.connect(
            host="localhost",
            port=gss_postgres.port,
            dbname="postgres",
            user="alice",
            gssencmode="disable",
            connect_timeout=10,
        )
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT current_user, (SELECT gss_authenticated FROM pg_stat_gssapi WHERE pid = pg_backend_pid())"
                )
                assert cur.fetchone() == ("alice", True)
        finally:
            conn.close()


def test_without_a_ticket_the_login_is_refused(kdc, gss_postgres, tmp_path):
    import psycopg2

    with kdc.activated(f"FILE:{tmp_path / 'none'}"), pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(
            host="localhost",
            port=gss_postgres.port,
            dbname="postgres",
            user="alice",
            gssencmode="disable",
            connect_timeout=10,
        )

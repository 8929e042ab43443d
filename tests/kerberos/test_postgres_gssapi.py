"""A GSSAPI-only PostgreSQL: psycopg2 logs in with nothing but the sidecar's copy of the ticket."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.kerberos.conftest import PYTHON, SHARER
from tests.support.postgres import ThrowawayPostgres


@pytest.fixture(scope="module")
def gss_postgres(kdc, cache_dir):
    keytab = kdc.add_service("postgres/localhost", cache_dir / "postgres.keytab", owner="postgres")
    # The realm's own directory is root-only (it holds the KDC database); the server runs as
    # postgres, so it gets a readable copy of krb5.conf next to its keytab.
    krb5_conf = cache_dir / "krb5.conf"
    shutil.copyfile(kdc.env["KRB5_CONFIG"], krb5_conf)
    krb5_conf.chmod(0o644)
    server = ThrowawayPostgres(
        # the superuser keeps its password (setup); everyone else must bring a Kerberos ticket
        hba_lines=["host all postgres 127.0.0.1/32 scram-sha-256", "host all all 127.0.0.1/32 gss include_realm=0"],
        settings={"krb_server_keyfile": f"'{keytab}'"},
        environment={"KRB5_CONFIG": str(krb5_conf)},
    )
    cache_dir.chmod(0o755)  # the server (user postgres) must reach the keytab
    with server:
        server.psql("CREATE ROLE alice LOGIN")
        yield server


def test_psycopg2_logs_in_with_the_shared_copy_and_no_password(kdc, gss_postgres, tmp_path, valid_cache):
    import psycopg2

    host = tmp_path / "host-krb5cc"
    shutil.copyfile(valid_cache, host)
    share = tmp_path / "share" / "krb5cc"
    subprocess.run([PYTHON, str(SHARER), "--once", "--source", str(host), "--dest", str(share)], check=True,
                   capture_output=True)
    host.unlink()
    with kdc.activated(f"FILE:{share}"):
        conn = psycopg2.connect(host="localhost", port=gss_postgres.port, dbname="postgres", user="alice",
                                gssencmode="disable", connect_timeout=10)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT current_user, (SELECT gss_authenticated FROM pg_stat_gssapi WHERE pid = pg_backend_pid())")
                assert cur.fetchone() == ("alice", True)
        finally:
            conn.close()


def test_without_a_ticket_the_login_is_refused(kdc, gss_postgres, tmp_path):
    import psycopg2

    with kdc.activated(f"FILE:{tmp_path / 'none'}"), pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(host="localhost", port=gss_postgres.port, dbname="postgres", user="alice",
                         gssencmode="disable", connect_timeout=10)

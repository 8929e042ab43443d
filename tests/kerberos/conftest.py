"""Shared Kerberos fixtures: one throwaway KDC per session, real caches made by kinit.

Every test that needs Kerberos variables on ``os.environ`` goes through ``krb_env`` (or
``TestKDC.activated``), which restores KRB5_CONFIG/KRB5CCNAME/... afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from platform_bootstrap.local_postgres import ThrowawayPostgres, free_port

from tests.support.kdc import KRB5_ENV_KEYS, TestKDC
from tests.support.other_users import OtherUsers, open_mkdtemp
from tests.support.tds_listener import TdsListener, freetds_driver

REPO = Path(__file__).resolve().parents[2]
SHARER = REPO / "platform-bootstrap" / "kerberos" / "ticket_sharer.py"
DIAGNOSTICS = REPO / "platform-bootstrap" / "diagnostics"
PYTHON = sys.executable
NOBODY = 65534  # a uid/gid with no rights anywhere: a developer's or a container's unprivileged user


# What the tests run as another uid (run_as), copied where that uid can reach it: the checkout
# may sit in a private directory (a 0700 home, mktemp -d) with the venv inside it.
OTHER_USERS = OtherUsers(
    REPO,
    copies=(
        "platform-bootstrap/kerberos/ticket_sharer.py",
        "platform-bootstrap/diagnostics",
        "provider/openmetadata_platform",
    ),
    python_path=("provider",),
    third_party=("gssapi", "decorator"),  # the preflight's gssapi and what gssapi imports
    python=PYTHON,
)


def run_as(uid: int, gid: int, args: list[str], groups: tuple[int, ...] = (), **kwargs) -> subprocess.CompletedProcess:
    """Run ``args`` as ``uid:gid`` (setpriv; the tests run as root, who could read anything).

    That user may not reach the checkout or the venv, so it runs copies (``OTHER_USERS``):
    checkout paths in ``args`` and ``env`` are rewritten to them, ``PYTHON`` as a command (first
    or anywhere, e.g. KRB_PYTHON in ``env``) is replaced by an interpreter that user can run,
    which imports the provider and its Kerberos dependencies from the copies.
    """
    if os.geteuid() != 0:
        pytest.skip("switching users needs root (CI and the dev machines run the suite as root)")
    return OTHER_USERS.run(uid, gid, args, groups=tuple(groups), **kwargs)


def unshare_works() -> str | None:
    """None if ``unshare -m`` + ``mount --bind`` work here, else why not (for a skip reason)."""
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"this kernel/container refuses private mount namespaces: {(probe.stderr or probe.stdout).strip()}"
    return None


@pytest.fixture
def open_tmp():
    """A temp dir other users can traverse (pytest's tmp_path lives under a root-only directory)."""
    path = open_mkdtemp("krb-open-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def kdc():
    if not shutil.which("kinit"):
        pytest.skip("krb5-user not installed (bash .ci/install-system-packages)")
    realm = TestKDC()
    yield realm
    realm.stop()


@pytest.fixture(scope="session")
def cache_dir():
    path = Path(tempfile.mkdtemp(prefix="krb-caches-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def expired_cache(kdc, cache_dir):
    """A cache whose TGT lived 1 s; requested first so it has expired by the time it's used."""
    path = kdc.kinit(cache_dir / "expired", lifetime="1s")
    kdc.wait_expired(path)
    return path


@pytest.fixture(scope="session")
def expired_renewable_cache(kdc, cache_dir):
    """A TGT that lived 1 s but is renewable for an hour: expired, its renew-until still far ahead."""
    path = kdc.kinit(cache_dir / "expired-renewable", lifetime="1s", extra=["-r", "1h"])
    kdc.wait_expired(path)
    return path


@pytest.fixture(scope="session")
def valid_cache(kdc, cache_dir):
    return kdc.kinit(cache_dir / "valid")


@pytest.fixture(scope="session")
def valid_cache_b(kdc, cache_dir):
    """A second valid cache with different bytes (forwardable, shorter life)."""
    return kdc.kinit(cache_dir / "valid_b", lifetime="5h", extra=["-f"])


@pytest.fixture(scope="session")
def no_tgt_cache(kdc, cache_dir):
    """A cache holding only a service ticket (``kinit -S``): no krbtgt."""
    kdc.add_service("notgt/localhost", cache_dir / "notgt.keytab")
    return kdc.kinit(cache_dir / "notgt", extra=["-S", f"notgt/localhost@{kdc.realm}"])


@pytest.fixture
def krb_env(kdc):
    """Activate the realm on os.environ for in-process gssapi; restored afterwards."""
    before = {key: os.environ.get(key) for key in KRB5_ENV_KEYS}
    with kdc.activated():
        yield kdc
    assert {key: os.environ.get(key) for key in KRB5_ENV_KEYS} == before


# Shared by the SQL Server, GSSAPI PostgreSQL and operator tests.
@pytest.fixture(scope="module")
def mssql_listener(kdc, cache_dir):
    if not freetds_driver():
        pytest.skip("FreeTDS ODBC driver (tdsodbc) not installed")
    port = free_port()
    spn = f"MSSQLSvc/localhost:{port}"
    keytab = kdc.add_service(spn, cache_dir / "mssql.keytab")
    with TdsListener(keytab, f"{spn}@{kdc.realm}", port=port) as listener:
        yield listener


@pytest.fixture
def shared_copy(kdc, tmp_path, valid_cache):
    """The sidecar's copy of the host cache, made by the real program."""
    host = tmp_path / "host-krb5cc"
    shutil.copyfile(valid_cache, host)
    dest = tmp_path / "share" / "krb5cc"
    subprocess.run(
        [PYTHON, str(SHARER), "--once", "--source", str(host), "--dest", str(dest)], check=True, capture_output=True
    )
    host.unlink()  # only the copy remains: the login must come from it
    return dest


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

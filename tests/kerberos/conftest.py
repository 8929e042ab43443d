"""Shared Kerberos fixtures: one throwaway KDC per session, real caches made by kinit.

Every test that needs Kerberos variables on ``os.environ`` goes through ``krb_env`` (or
``TestKDC.activated``), which restores KRB5_CONFIG/KRB5CCNAME/... afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.kdc import KRB5_ENV_KEYS, TestKDC

REPO = Path(__file__).resolve().parents[2]
SHARER = REPO / "platform-bootstrap" / "kerberos" / "ticket_sharer.py"
DIAGNOSTICS = REPO / "platform-bootstrap" / "diagnostics"
PYTHON = sys.executable


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

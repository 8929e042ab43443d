"""The Kerberos preflight against real caches: principal on success, the reason on failure."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from openmetadata_platform.kerberos.preflight import (
    CacheEmptyError,
    CacheMissingError,
    CacheUnreadableError,
    KerberosPreflightError,
    NoTgtError,
    TicketExpiredError,
    check_kerberos_ticket,
)


def test_valid_cache_passes_with_principal_and_expiry(krb_env, valid_cache):
    info = check_kerberos_ticket(valid_cache)
    assert info.principal == "alice@KRBTEST.COM"
    assert info.lifetime_seconds > 3600 and info.cache == f"FILE:{valid_cache}"


def test_uses_KRB5CCNAME_by_default(kdc, valid_cache):
    with kdc.activated(f"FILE:{valid_cache}"):
        assert check_kerberos_ticket().principal == "alice@KRBTEST.COM"


def test_unset_KRB5CCNAME_is_missing(krb_env, monkeypatch):
    monkeypatch.delenv("KRB5CCNAME")
    with pytest.raises(CacheMissingError, match="KRB5CCNAME is not set"):
        check_kerberos_ticket()


def test_destroyed_cache_is_missing(kdc, cache_dir, krb_env):
    cache = kdc.kinit(cache_dir / "to-destroy")
    subprocess.run(["kdestroy", "-c", str(cache)], env=kdc.client_env(cache), check=True)
    with pytest.raises(CacheMissingError) as err:
        check_kerberos_ticket(cache)
    assert "does not exist" in str(err.value) and "kinit" in str(err.value) and "sidecar" in str(err.value)


def test_expired_cache_names_principal_and_expiry(krb_env, expired_cache):
    with pytest.raises(TicketExpiredError) as err:
        check_kerberos_ticket(expired_cache)
    message = str(err.value)
    assert err.value.principal == "alice@KRBTEST.COM" and err.value.expires_at is not None
    assert "alice@KRBTEST.COM" in message and err.value.expires_at.isoformat() in message and "kinit" in message


def test_too_little_lifetime_left_fails(krb_env, valid_cache):
    with pytest.raises(TicketExpiredError, match="required"):
        check_kerberos_ticket(valid_cache, min_lifetime_seconds=11 * 3600)


def test_no_tgt(krb_env, no_tgt_cache):
    with pytest.raises(NoTgtError, match="no ticket-granting ticket") as err:
        check_kerberos_ticket(no_tgt_cache)
    assert err.value.principal == "alice@KRBTEST.COM"


@pytest.mark.parametrize(
    "kind,error", [("empty", CacheEmptyError), ("garbage", CacheUnreadableError), ("directory", CacheUnreadableError)]
)
def test_empty_or_unreadable(kind, error, krb_env, tmp_path):
    path = tmp_path / "cc"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(os.urandom(64))
    else:
        path.mkdir()
    with pytest.raises(error):
        check_kerberos_ticket(path)


def test_all_errors_share_a_base_and_mention_the_sidecar_status(krb_env, tmp_path):
    (tmp_path / "status.json").write_text(
        json.dumps(
            {
                "last_check": "2026-01-01T00:00:00Z",
                "last_copy": None,
                "last_error": "source cache /host-krb5/krb5cc does not exist",
            }
        )
    )
    with pytest.raises(KerberosPreflightError) as err:
        check_kerberos_ticket(tmp_path / "krb5cc")
    assert "/host-krb5/krb5cc does not exist" in str(err.value)


def test_gssapi_is_the_authority_for_non_file_caches(krb_env):
    with pytest.raises(KerberosPreflightError):
        check_kerberos_ticket("MEMORY:empty-preflight-test")

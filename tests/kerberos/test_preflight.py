"""The Kerberos preflight against real caches: principal on success, the reason on failure."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from openmetadata_platform.kerberos.ccache import parse_ccache
from openmetadata_platform.kerberos.preflight import (
    CacheEmptyError,
    CacheMissingError,
    CacheUnreadableError,
    KerberosPreflightError,
    NonFileCacheError,
    NoTgtError,
    TicketExpiredError,
    TicketTooShortError,
    WrongPrincipalError,
    WrongRealmError,
    check_kerberos_ticket,
)

from tests.kerberos.conftest import NOBODY, PYTHON, run_as


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
    with pytest.raises(TicketExpiredError, match="this task requires"):
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


# --- one cause, one fix ------------------------------------------------------------------------
def test_wrong_realm_names_both_and_says_how_to_fix_it(krb_env, valid_cache):
    with pytest.raises(WrongRealmError) as err:
        check_kerberos_ticket(valid_cache, expected_realm="OTHER.LAB", expected_principal="alice")
    message = str(err.value)
    assert err.value.cause == "wrong_realm"
    assert "alice@KRBTEST.COM" in message and "alice@OTHER.LAB" in message and "realm KRBTEST.COM" in message
    assert "kinit -c" in err.value.fix and "alice@OTHER.LAB" in err.value.fix and "KRB5_REALM" in err.value.fix


def test_wrong_principal_from_the_platform_settings(kdc, valid_cache, monkeypatch):
    """KRB5_PRINCIPAL/KRB5_REALM (written by the wizard, passed by Compose) are the default expectation."""
    monkeypatch.setenv("KRB5_PRINCIPAL", "bob")
    monkeypatch.setenv("KRB5_REALM", "KRBTEST.COM")
    with kdc.activated(), pytest.raises(WrongPrincipalError) as err:
        check_kerberos_ticket(valid_cache)
    assert "holds a ticket for alice@KRBTEST.COM, expected bob@KRBTEST.COM" in str(err.value)
    assert "kinit -c" in err.value.fix and "bob@KRBTEST.COM" in err.value.fix
    monkeypatch.setenv("KRB5_PRINCIPAL", "alice")
    with kdc.activated():
        assert check_kerberos_ticket(valid_cache).principal == "alice@KRBTEST.COM"
        assert check_kerberos_ticket(valid_cache, expected_principal="", expected_realm="").principal


def test_a_ticket_shorter_than_the_margin_says_when_it_ends_and_what_to_run(kdc, cache_dir, krb_env):
    short = kdc.kinit(cache_dir / "short", lifetime="2m")
    renewable = kdc.kinit(cache_dir / "short-renewable", lifetime="2m", extra=["-r", "1h"])
    with pytest.raises(TicketTooShortError) as err:
        check_kerberos_ticket(short, min_lifetime_seconds=600)
    message = str(err.value)
    assert err.value.cause == "short_lifetime" and err.value.expires_at.isoformat() in message
    assert "less than the 10 min this task requires" in message and "in 1 min" in message
    assert "no longer renewable" in err.value.fix and "kinit_min_lifetime" not in err.value.fix
    assert "kerberos_min_lifetime_seconds" in err.value.fix
    with pytest.raises(TicketTooShortError) as err:
        check_kerberos_ticket(renewable, min_lifetime_seconds=600)
    assert "kinit -R" in err.value.fix and "renewable until" in err.value.fix
    assert check_kerberos_ticket(short, min_lifetime_seconds=60).lifetime_seconds > 60


def test_service_ticket_only_cache_is_told_to_get_a_tgt(krb_env, no_tgt_cache):
    with pytest.raises(NoTgtError) as err:
        check_kerberos_ticket(no_tgt_cache)
    assert err.value.cause == "no_tgt" and "only service tickets" in err.value.fix
    assert "no -S" in err.value.fix and "-R" not in err.value.fix


def test_expired_ticket_fix_is_renewal(krb_env, expired_cache):
    with pytest.raises(TicketExpiredError) as err:
        check_kerberos_ticket(expired_cache)
    assert err.value.cause == "expired" and "kinit" in err.value.fix and "group" not in err.value.fix


def _preflight_as_nobody(cache: Path) -> subprocess.CompletedProcess:
    code = (
        "import sys\n"
        "from openmetadata_platform.kerberos.preflight import KerberosPreflightError, check_kerberos_ticket\n"
        "try:\n"
        f"    check_kerberos_ticket({str(cache)!r})\n"
        "except KerberosPreflightError as exc:\n"
        "    print(exc.cause); print(exc); sys.exit(1)\n"
    )
    return run_as(NOBODY, NOBODY, [PYTHON, "-c", code])


def test_permission_names_the_ids_and_the_group_to_use(open_tmp, valid_cache):
    """A 0640 copy of another group: the fix is a group, not kinit."""
    cache = open_tmp / "krb5cc"
    shutil.copyfile(valid_cache, cache)
    cache.chmod(0o640)
    os.chown(cache, 0, 4242)
    result = _preflight_as_nobody(cache)
    assert result.returncode == 1, result.stdout + result.stderr
    cause, message = result.stdout.split("\n", 1)
    assert cause == "permission"
    assert f"runs as uid {NOBODY}, gid {NOBODY}" in message and "owned by uid 0, gid 4242, mode 0640" in message
    assert 'group_add: ["4242"]' in message and f"--kerberos-share-gid {NOBODY}" in message
    assert "kinit" not in message.split("Fix:", 1)[1]


def test_permission_on_the_directory(open_tmp, valid_cache):
    locked = open_tmp / "locked"
    locked.mkdir(mode=0o700)
    shutil.copyfile(valid_cache, locked / "krb5cc")
    result = _preflight_as_nobody(locked / "krb5cc")
    cause, message = result.stdout.split("\n", 1)
    assert result.returncode == 1 and cause == "permission"
    assert f"the directory {locked}" in message and "search (x) permission" in message


def test_keyring_cache_gets_the_file_cache_fix(krb_env):
    with pytest.raises(KerberosPreflightError) as err:
        check_kerberos_ticket("KEYRING:persistent:4242")
    assert err.value.cause == "not_file"
    assert "export KRB5CCNAME=FILE:" in err.value.fix and "only use FILE: caches" in err.value.fix


def test_every_cause_has_its_own_fix(krb_env, tmp_path):
    fixes = {
        cls.cause: cls("r", "FILE:/x").fix
        for cls in (
            CacheMissingError,
            CacheUnreadableError,
            CacheEmptyError,
            NoTgtError,
            TicketExpiredError,
            TicketTooShortError,
            NonFileCacheError,
        )
    }
    fixes["wrong_principal"] = WrongPrincipalError("r", "FILE:/x", "a@B", "c@B").fix
    assert len(set(fixes.values())) == len(fixes), fixes


def test_an_expired_ticket_still_renewable_needs_kinit_not_kinit_R(
    kdc, krb_env, expired_renewable_cache, tmp_path, monkeypatch
):
    """MIT's KDC refuses to renew an expired TGT, even an hour before its renew-until: the fix is a new kinit."""
    host = tmp_path / "krb5cc_dev"
    shutil.copyfile(expired_renewable_cache, host)
    summary = parse_ccache(host.read_bytes())
    assert summary.tgt_expires < time.time() < summary.tgt_renew_until - 600
    renew = subprocess.run(
        ["kinit", "-R", "-c", str(host)], env=kdc.client_env(host), capture_output=True, text=True, check=False
    )
    assert renew.returncode != 0 and "Ticket expired while renewing credentials" in renew.stderr
    monkeypatch.setenv("KRB5_HOST_CCACHE_DIR", str(tmp_path))
    monkeypatch.setenv("KRB5_HOST_CCACHE_NAME", host.name)
    with pytest.raises(TicketExpiredError) as err:
        check_kerberos_ticket(host)
    assert "kinit -R" not in str(err.value)
    assert f"`kinit -c FILE:{host} alice@KRBTEST.COM`" in err.value.fix  # the cache's principal: none configured
    # GSSAPI's "expired" (non-FILE caches) gets the same fix.
    assert "kinit -R" not in TicketExpiredError("r", "MEMORY:x", "alice@KRBTEST.COM").fix
    # The fix works as written.
    command = re.search(r"`(kinit -c [^`]+)`", err.value.fix).group(1)
    subprocess.run(
        shlex.split(command),
        input=kdc.password + "\n",
        env=kdc.client_env(host),
        check=True,
        capture_output=True,
        text=True,
    )
    assert check_kerberos_ticket(host).principal == "alice@KRBTEST.COM"

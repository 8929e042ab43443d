"""The FILE ccache readers (provider and sidecar copy) against real MIT caches."""

from __future__ import annotations

import importlib.util
import subprocess
import time

import pytest
from openmetadata_platform.kerberos.ccache import CcacheFormatError, parse_ccache

from tests.kerberos.conftest import SHARER


def _sharer_module():
    spec = importlib.util.spec_from_file_location("ticket_sharer", SHARER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reads_principal_and_tgt_expiry_like_gssapi(krb_env, valid_cache):
    import gssapi

    summary = parse_ccache(valid_cache.read_bytes())
    creds = gssapi.Credentials(usage="initiate", store={"ccache": f"FILE:{valid_cache}"})
    assert summary.principal == str(creds.name) == "alice@KRBTEST.COM"
    assert abs(summary.tgt_expires - (time.time() + creds.lifetime)) <= 2
    assert summary.tgt_valid_at(time.time())


def test_expired_and_no_tgt(expired_cache, no_tgt_cache):
    expired = parse_ccache(expired_cache.read_bytes())
    assert expired.has_tgt and not expired.tgt_valid_at(time.time())
    no_tgt = parse_ccache(no_tgt_cache.read_bytes())
    assert no_tgt.principal == "alice@KRBTEST.COM" and not no_tgt.has_tgt and no_tgt.credentials == 1


def test_after_service_ticket_added_the_tgt_is_still_found(kdc, cache_dir, valid_cache):
    cache = cache_dir / "with-service"
    cache.write_bytes(valid_cache.read_bytes())
    subprocess.run(["kvno", f"notgt/localhost@{kdc.realm}"], env=kdc.client_env(cache), check=True, capture_output=True)
    summary = parse_ccache(cache.read_bytes())
    assert summary.credentials == 2 and summary.tgt_expires == parse_ccache(valid_cache.read_bytes()).tgt_expires


@pytest.mark.parametrize("data", [b"", b"\x05", b"\x04\x04\x00\x00", b"\x05\x02" + b"\x00" * 40, b"garbage" * 10])
def test_rejects_garbage(data):
    with pytest.raises(CcacheFormatError):
        parse_ccache(data)


def test_truncated_cache_never_reports_a_tgt(valid_cache):
    data = valid_cache.read_bytes()
    for cut in range(len(data)):
        try:
            summary = parse_ccache(data[:cut])
        except CcacheFormatError:
            continue
        assert not summary.has_tgt, f"prefix of {cut} bytes parsed as holding a TGT"


def test_sidecar_copy_of_the_reader_agrees(valid_cache, valid_cache_b, expired_cache, no_tgt_cache):
    sharer = _sharer_module()
    for cache in (valid_cache, valid_cache_b, expired_cache, no_tgt_cache):
        data = cache.read_bytes()
        ours, theirs = parse_ccache(data), sharer._parse_ccache(data)
        assert (ours.principal, ours.tgt_expires, ours.credentials) == (
            theirs["principal"],
            theirs["tgt_expires"],
            theirs["credentials"],
        )

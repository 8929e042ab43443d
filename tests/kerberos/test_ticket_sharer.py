"""The ticket-sharing sidecar as a real process copying real ccaches."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.kerberos.conftest import PYTHON, SHARER

SHARE_GID = 4242  # a group no one on the test machine has: proves the gid is applied


def run_sharer(source: Path | str, dest: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, str(SHARER), "--source", str(source), "--dest", str(dest), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def status_of(dest: Path) -> dict:
    return json.loads((dest.parent / "status.json").read_text())


@pytest.fixture
def share(tmp_path):
    (tmp_path / "share").mkdir()
    return tmp_path / "share" / "krb5cc"


@pytest.fixture
def source(tmp_path, valid_cache):
    path = tmp_path / "host-krb5cc"
    shutil.copyfile(valid_cache, path)
    return path


def test_once_copies_a_valid_cache_with_mode_and_group(kdc, source, share):
    result = run_sharer(source, share, "--once", "--gid", str(SHARE_GID))
    assert result.returncode == 0, result.stderr
    assert share.read_bytes() == source.read_bytes()
    st = share.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == SHARE_GID
    assert kdc.klist_ok(share)
    status = status_of(share)
    assert status["principal"] == "alice@KRBTEST.COM" and status["shared_valid"] is True
    assert status["expires_at_epoch"] > time.time() and status["last_error"] is None and status["copies"] == 1
    assert "alice@KRBTEST.COM" in result.stderr and "expires" in result.stderr
    assert not [p for p in share.parent.iterdir() if p.name.startswith(".")], "temp files left behind"


def test_log_and_status_never_contain_ticket_bytes(source, share):
    result = run_sharer(source, share, "--once")
    blob = (result.stdout + result.stderr + (share.parent / "status.json").read_text()).encode()
    data = source.read_bytes()
    # any 16-byte window of the cache beyond the principal header would be ticket/key material
    assert not any(data[i : i + 16] in blob for i in range(60, len(data) - 16, 8))


@pytest.mark.parametrize("kind", ["missing", "empty", "expired", "no_tgt", "directory", "garbage"])
def test_bad_source_is_not_copied_and_is_reported(kind, tmp_path, share, expired_cache, no_tgt_cache):
    src = tmp_path / "src"
    if kind == "empty":
        src.write_bytes(b"")
    elif kind == "expired":
        shutil.copyfile(expired_cache, src)
    elif kind == "no_tgt":
        shutil.copyfile(no_tgt_cache, src)
    elif kind == "directory":
        src.mkdir()
    elif kind == "garbage":
        src.write_bytes(b"\x05\x04not a cache")
    result = run_sharer(src, share, "--once")
    assert result.returncode == 1
    assert not share.exists()
    status = status_of(share)
    expected_state = {"directory": "missing", "garbage": "unreadable"}.get(kind, kind)
    assert status["source"]["state"] == expected_state
    assert status["last_error"] and status["shared_valid"] is False and status["principal"] is None
    assert "kinit" in status["last_error"] or kind == "garbage"


@pytest.mark.parametrize("breakage", ["delete", "expire", "empty"])
def test_last_good_copy_is_kept(breakage, source, share, expired_cache):
    assert run_sharer(source, share, "--once").returncode == 0
    good = share.read_bytes()
    if breakage == "delete":
        source.unlink()
    elif breakage == "expire":
        shutil.copyfile(expired_cache, source)
    else:
        source.write_bytes(b"")
    result = run_sharer(source, share, "--once")
    assert result.returncode == 0, "the kept copy is still valid"
    assert share.read_bytes() == good
    status = status_of(share)
    assert status["kept_last_good_copy"] is True and status["shared_valid"] is True
    assert status["principal"] == "alice@KRBTEST.COM" and status["last_error"]
    assert "keeping the last good copy" in result.stderr


def test_non_file_caches_get_instructions(tmp_path, share):
    result = run_sharer("KEYRING:persistent:1000", share, "--once")
    assert result.returncode == 1
    error = status_of(share)["last_error"]
    assert "KEYRING" in error and "FILE:" in error and "kinit" in error
    result = run_sharer(tmp_path / "absent", share, "--once", "--host-ccname", "KCM:1000")
    assert "KCM" in status_of(share)["last_error"]


def test_warns_before_expiry(source, share):
    result = run_sharer(source, share, "--once", "--warn-before", str(11 * 3600))
    assert result.returncode == 0
    assert "expires in" in status_of(share)["warning"] and "WARNING" in result.stderr


def test_healthcheck(source, share, expired_cache):
    status_file = share.parent / "status.json"
    assert run_sharer(source, share, "--healthcheck").returncode == 1  # no status yet
    run_sharer(source, share, "--once", "--interval", "300")
    ok = run_sharer(source, share, "--healthcheck")
    assert ok.returncode == 0 and "alice@KRBTEST.COM" in ok.stdout
    # stale: the sharer stopped updating
    status = json.loads(status_file.read_text())
    status["last_check_epoch"] -= 3600
    status_file.write_text(json.dumps(status))
    stale = run_sharer(source, share, "--healthcheck")
    assert stale.returncode == 1 and "ago" in stale.stdout
    # shared copy expired (host ticket expired and the old copy ran out)
    share.unlink()
    status_file.unlink()
    shutil.copyfile(expired_cache, source)
    run_sharer(source, share, "--once")
    expired = run_sharer(source, share, "--healthcheck")
    assert expired.returncode == 1 and "expired" in expired.stdout


@pytest.mark.parametrize("args", [["--interval", "0"], ["--mode", "0644"], ["--mode", "rw"], ["--gid", "staff"]])
def test_bad_arguments(args, source, share):
    result = run_sharer(source, share, "--once", *args)
    assert result.returncode == 2 and args[0] in result.stderr


def test_readers_never_see_a_torn_file(kdc, tmp_path, share, valid_cache, valid_cache_b):
    """Alternate the host cache between two tickets while readers hammer the shared copy."""
    variants = [valid_cache.read_bytes(), valid_cache_b.read_bytes()]
    assert variants[0] != variants[1]
    src = tmp_path / "src"
    src.write_bytes(variants[0])
    proc = subprocess.Popen(
        [PYTHON, str(SHARER), "--source", str(src), "--dest", str(share), "--interval", "0.01"],
        stderr=subprocess.DEVNULL,
    )
    stop = threading.Event()
    problems: list[str] = []
    reads = {"bytes": 0, "klist": 0}

    def flip_source():
        i = 0
        while not stop.is_set():
            i += 1
            tmp = tmp_path / "src.tmp"
            tmp.write_bytes(variants[i % 2])
            os.replace(tmp, src)  # the host's kinit replaces its cache too
            time.sleep(0.005)

    def read_bytes():
        while not stop.is_set():
            try:
                data = share.read_bytes()
            except FileNotFoundError:
                continue
            reads["bytes"] += 1
            if data not in variants:
                problems.append(f"torn read of {len(data)} bytes")

    def run_klist():
        while not stop.is_set():
            if not share.exists():
                continue
            reads["klist"] += 1
            if not kdc.klist_ok(share):
                problems.append("klist -s failed on the shared copy")

    threads = [threading.Thread(target=f) for f in (flip_source, read_bytes, read_bytes, run_klist)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 90
        copies = 0
        while copies < 300 and time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                copies = status_of(share)["copies"]
            except (OSError, ValueError, KeyError):
                pass
    finally:
        stop.set()
        for t in threads:
            t.join()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, "sharer did not stop cleanly on SIGTERM"
    assert copies >= 300, f"only {copies} copies happened"
    assert reads["bytes"] > 100 and reads["klist"] > 10
    assert problems == []

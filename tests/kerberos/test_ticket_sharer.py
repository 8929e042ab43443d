"""The ticket-sharing sidecar as a real process copying real ccaches."""

from __future__ import annotations

import importlib.util
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

from tests.kerberos.conftest import NOBODY, PYTHON, SHARER, run_as

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


@pytest.mark.parametrize("kind", ["missing", "missing_dir", "empty", "expired", "no_tgt", "directory", "garbage"])
def test_bad_source_is_not_copied_and_is_reported(kind, tmp_path, share, expired_cache, no_tgt_cache):
    src = tmp_path / "src"
    if kind == "missing_dir":
        src = tmp_path / "not-mounted" / "krb5cc"
    elif kind == "empty":
        src.write_bytes(b"")
    elif kind == "expired":
        shutil.copyfile(expired_cache, src)
    elif kind == "no_tgt":
        shutil.copyfile(no_tgt_cache, src)
    elif kind == "directory":
        src.mkdir()
    elif kind == "garbage":
        src.write_bytes(b"\x05\x04not a cache")
    result = run_sharer(src, share, "--once", "--host-dir", "/home/dev/.krb5")
    assert result.returncode == 1
    assert not share.exists()
    status = status_of(share)
    expected_state = {"directory": "missing", "garbage": "unreadable"}.get(kind, kind)
    assert status["source"]["state"] == expected_state
    assert status["last_error"] and status["shared_valid"] is False and status["principal"] is None
    assert status["state"] == "waiting" and status["write_error"] is None
    if kind in ("missing", "empty", "no_tgt", "directory"):
        # the exact command, with the host's path (not the container's)
        assert f"kinit -c FILE:/home/dev/.krb5/{src.name}" in status["last_error"]
    if kind == "expired":  # a new login: MIT refuses `kinit -R` on an expired ticket
        assert "kinit -c FILE:/home/dev/.krb5/src alice@KRBTEST.COM" in status["last_error"]
        assert "kinit -R" not in status["last_error"]
    if kind == "no_tgt":
        assert "no -S" in status["last_error"]
    if kind == "missing_dir":
        assert "KRB5_HOST_CCACHE_DIR" in status["last_error"] and "mkdir" in status["last_error"]


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
    result = run_sharer("KEYRING:persistent:1000", share, "--once", "--host-dir", "/home/dev/.krb5")
    assert result.returncode == 1
    error = status_of(share)["last_error"]
    assert "KEYRING" in error and "export KRB5CCNAME=FILE:/home/dev/.krb5/" in error and "kinit" in error


def test_warns_before_expiry(source, share):
    result = run_sharer(source, share, "--once", "--warn-before", str(11 * 3600))
    assert result.returncode == 0
    assert "expires in" in status_of(share)["warning"] and "WARNING" in result.stderr


def test_healthcheck(source, share, expired_cache):
    status_file = share.parent / "status.json"
    assert run_sharer(source, share, "--healthcheck").returncode == 1  # no status yet
    run_sharer(source, share, "--once", "--interval", "300")
    ok = run_sharer(source, share, "--healthcheck")
    assert ok.returncode == 0 and ok.stdout.startswith("healthy: alice@KRBTEST.COM")
    # stale: the sharer stopped updating
    status = json.loads(status_file.read_text())
    status["last_check_epoch"] -= 3600
    status_file.write_text(json.dumps(status))
    stale = run_sharer(source, share, "--healthcheck")
    assert stale.returncode == 1 and "ago" in stale.stdout and stale.stdout.startswith("unhealthy:")
    # shared copy expired (host ticket expired and the old copy ran out): the container stays
    # healthy, the line says it waits for a renewed ticket and why
    share.unlink()
    status_file.unlink()
    shutil.copyfile(expired_cache, source)
    run_sharer(source, share, "--once")
    expired = run_sharer(source, share, "--healthcheck")
    assert expired.returncode == 0 and expired.stdout.startswith("waiting:") and "expired" in expired.stdout


def test_healthcheck_waits_for_the_first_ticket(tmp_path, share):
    """The kerberos profile before any kinit: healthy for `up --wait`, and says what to run."""
    (tmp_path / "hostdir").mkdir()
    result = run_sharer(tmp_path / "hostdir" / "krb5cc", share, "--once", "--host-dir", "/tmp", "--principal", "alice")
    assert result.returncode == 1 and status_of(share)["state"] == "waiting"
    check = run_sharer(tmp_path / "hostdir" / "krb5cc", share, "--healthcheck")
    assert check.returncode == 0
    assert check.stdout.startswith("waiting: no valid ticket to share: no ticket cache")
    assert "kinit -c FILE:/tmp/krb5cc alice@REALM" in check.stdout


def test_watches_a_directory_and_reads_only_what_changed(kdc, tmp_path, share, valid_cache, valid_cache_b):
    """--source-dir + KRB5_HOST_CCACHE_NAME; an unchanged cache is neither re-read nor re-copied."""
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    shutil.copyfile(valid_cache, hostdir / "krb5cc_1000")
    env = {"KRB5_HOST_CCACHE_NAME": "krb5cc_1000", "KRB5_SHARE_INTERVAL_SECONDS": "0.05"}
    proc = subprocess.Popen(
        [PYTHON, str(SHARER), "--source-dir", str(hostdir), "--dest", str(share)],
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = _wait_status(share, lambda s: s["copies"] >= 1 and s["last_check_epoch"] > 0)
        checks_then = status["last_check_epoch"]
        status = _wait_status(share, lambda s: s["last_check_epoch"] > checks_then + 0.5)  # ~10 more cycles
        assert status["source_reads"] == 1 and status["copies"] == 1
        assert status["interval_seconds"] == 0.05 and status["source"]["path"] == str(hostdir / "krb5cc_1000")
        # kinit-style replacement (new inode): read and copied again
        tmp = hostdir / ".new"
        tmp.write_bytes(valid_cache_b.read_bytes())
        os.replace(tmp, hostdir / "krb5cc_1000")
        status = _wait_status(share, lambda s: s["copies"] == 2)
        assert share.read_bytes() == valid_cache_b.read_bytes() and status["source_reads"] == 2
        # a consumer damaging the shared copy gets it rewritten from the unchanged source
        share.write_bytes(b"damaged")
        _wait_status(share, lambda s: s["copies"] == 3)
        assert share.read_bytes() == valid_cache_b.read_bytes()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def _wait_status(share: Path, predicate, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            status = status_of(share)
            if predicate(status):
                return status
        except (OSError, ValueError, KeyError):
            status = None
        if time.monotonic() > deadline:
            raise AssertionError(f"status never matched: {status}")
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--principal", "bob"], "expected bob@KRBTEST.COM"),
        (["--realm", "OTHER.LAB"], "expected realm OTHER.LAB"),
        (["--principal", "alice@OTHER.LAB"], "expected realm OTHER.LAB"),
    ],
)
def test_refuses_a_ticket_of_another_principal(args, fragment, source, share):
    result = run_sharer(source, share, "--once", *args)
    assert result.returncode == 1 and not share.exists()
    status = status_of(share)
    assert status["source"]["state"] == "wrong_principal"
    assert "alice@KRBTEST.COM" in status["last_error"] and fragment in status["last_error"]
    assert run_sharer(source, share, "--once", "--principal", "alice", "--realm", "KRBTEST.COM").returncode == 0


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


def _owned_by_nobody(path: Path, data: bytes) -> Path:
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)  # like a real host cache: only its owner can read it
    os.chown(path, NOBODY, NOBODY)
    return path


def test_a_group_the_sidecar_cannot_give_is_recorded_in_the_status(open_tmp, valid_cache):
    """`user: uid` with KRB5_SHARE_GID set used to fail every cycle with "Operation not permitted"."""
    host = _owned_by_nobody(open_tmp / "host" / "krb5cc", valid_cache.read_bytes())
    share_dir = open_tmp / "share"
    share_dir.mkdir()
    os.chown(share_dir, NOBODY, NOBODY)
    args = [PYTHON, str(SHARER), "--source", str(host), "--dest", str(share_dir / "krb5cc"), "--gid", str(SHARE_GID)]
    result = run_as(NOBODY, NOBODY, [*args, "--once"])
    assert result.returncode == 1
    status = json.loads((share_dir / "status.json").read_text())
    assert status["state"] == "failing" and status["source"]["state"] == "valid"
    error = status["write_error"]
    assert f"give krb5cc group {SHARE_GID}: Operation not permitted" in error
    assert f"runs as uid {NOBODY}, gid {NOBODY}" in error and 'user: "${KRB5_HOST_UID}:${KRB5_SHARE_GID}"' in error
    assert sorted(p.name for p in share_dir.iterdir()) == ["status.json"], "no copy, no temp file left"
    health = run_as(NOBODY, NOBODY, [*args, "--healthcheck"])
    assert health.returncode == 1 and health.stdout.startswith("unhealthy: cannot give krb5cc group")
    # The fix the message gives: run with that group (compose `user: uid:gid`).
    fixed = run_as(NOBODY, SHARE_GID, [*args, "--once"])
    assert fixed.returncode == 0, fixed.stderr
    st = (share_dir / "krb5cc").stat()
    assert (st.st_gid, stat.S_IMODE(st.st_mode)) == (SHARE_GID, 0o640)
    assert json.loads((share_dir / "status.json").read_text())["write_error"] is None


def test_an_unwritable_share_directory_still_reaches_the_healthcheck(open_tmp, valid_cache):
    """A volume created root-owned (e.g. by an older image): neither copy nor status can be written."""
    host = _owned_by_nobody(open_tmp / "host" / "krb5cc", valid_cache.read_bytes())
    share_dir = open_tmp / "share"
    share_dir.mkdir(mode=0o755)  # root's
    args = [PYTHON, str(SHARER), "--source", str(host), "--dest", str(share_dir / "krb5cc")]
    spec = importlib.util.spec_from_file_location("ticket_sharer", SHARER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fallback = module._fallback_status(share_dir / "status.json")
    try:
        result = run_as(NOBODY, NOBODY, [*args, "--once"])
        assert result.returncode == 1 and list(share_dir.iterdir()) == []
        status = json.loads(fallback.read_text())
        assert status["state"] == "failing" and "status file:" in status["write_error"]
        health = run_as(NOBODY, NOBODY, [*args, "--healthcheck"])
        assert health.returncode == 1
        assert health.stdout.startswith(f"unhealthy: cannot create a file in {share_dir}: Permission denied")
        assert f"uid {NOBODY}" in health.stdout and "docker volume rm platform_kerberos_cache" in health.stdout
    finally:
        fallback.unlink(missing_ok=True)


def test_an_expired_ticket_still_renewable_is_told_to_kinit(kdc, tmp_path, share, expired_renewable_cache):
    """Renew-until an hour ahead does not make an expired TGT renewable: the KDC refuses `kinit -R`."""
    src = tmp_path / "src"
    shutil.copyfile(expired_renewable_cache, src)
    renew = subprocess.run(
        ["kinit", "-R", "-c", str(src)], env=kdc.client_env(src), capture_output=True, text=True, check=False
    )
    assert renew.returncode != 0 and "Ticket expired while renewing credentials" in renew.stderr
    assert run_sharer(src, share, "--once", "--host-dir", "/home/dev/.krb5").returncode == 1
    error = status_of(share)["last_error"]
    assert "kinit -c FILE:/home/dev/.krb5/src alice@KRBTEST.COM" in error and "kinit -R" not in error
    health = run_sharer(src, share, "--healthcheck")
    assert health.stdout.startswith("waiting:") and "kinit -R" not in health.stdout


def test_the_expiry_warning_suggests_kinit_R_only_for_a_renewable_ticket(kdc, cache_dir, tmp_path, share):
    plain = kdc.kinit(cache_dir / "warn-plain", lifetime="1h")
    renewable = kdc.kinit(cache_dir / "warn-renewable", lifetime="1h", extra=["-r", "2h"])
    run_sharer(plain, share, "--once", "--warn-before", "7200", "--host-dir", "/home/dev/.krb5")
    warning = status_of(share)["warning"]
    assert "not renewable" in warning and "kinit -c FILE:/home/dev/.krb5/warn-plain" in warning
    assert "kinit -R" not in warning
    run_sharer(renewable, share, "--once", "--warn-before", "7200", "--host-dir", "/home/dev/.krb5")
    warning = status_of(share)["warning"]
    assert "kinit -R -c FILE:/home/dev/.krb5/warn-renewable" in warning and "renewable until" in warning


def test_a_kinit_to_another_file_of_the_directory_is_named(kdc, tmp_path, share):
    """`kinit -c` to another file of the shared directory: the status says which file and which setting."""
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    kdc.kinit(hostdir / "krb5cc_other")  # the developer's kinit went to the wrong file
    (hostdir / "notes.txt").write_text("not a cache")
    (hostdir / ".krb5cc_tmp").write_bytes((hostdir / "krb5cc_other").read_bytes())  # kinit's temp files
    env = {"KRB5_HOST_CCACHE_NAME": "krb5cc_dev", "KRB5_HOST_CCACHE_DIR": "/home/dev/.krb5"}
    args = ["--source-dir", str(hostdir), "--dest", str(share)]

    def once(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PYTHON, str(SHARER), *args, *extra], capture_output=True, text=True, env={**os.environ, **env}, check=False
        )

    assert once("--once").returncode == 1 and not share.exists()
    status = status_of(share)
    assert status["source"]["state"] == "missing" and status["source"]["other_cache"] == "krb5cc_other"
    error = status["last_error"]
    assert "krb5cc_other" in error and "alice@KRBTEST.COM" in error and "KRB5_HOST_CCACHE_NAME (krb5cc_dev)" in error
    assert "./platform setup -y --kerberos-ccache /home/dev/.krb5/krb5cc_other" in error
    assert "kinit -c FILE:/home/dev/.krb5/krb5cc_dev alice@KRBTEST.COM" in error
    assert ".krb5cc_tmp" not in error and "notes.txt" not in error
    health = once("--healthcheck")
    assert health.returncode == 0 and health.stdout.startswith("waiting:") and "krb5cc_other" in health.stdout
    # Another principal's cache is not the developer's misdirected kinit: not named.
    assert once("--once", "--principal", "bob").returncode == 1
    assert "other_cache" not in status_of(share)["source"] and "krb5cc_other" not in status_of(share)["last_error"]
    # The kinit the message gives: shared, and nothing more to say.
    kdc.kinit(hostdir / "krb5cc_dev")
    assert once("--once").returncode == 0
    status = status_of(share)
    assert status["state"] == "sharing" and "other_cache" not in status["source"] and status["last_error"] is None

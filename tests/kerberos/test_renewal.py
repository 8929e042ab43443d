"""A working day in Compose, reproduced: the host renews its ticket, the containers keep working.

Docker's bind mounts are reproduced with private mount namespaces (``unshare -m`` +
``mount --bind``): the sidecar sees the host's cache DIRECTORY read-only, the consumer sees
the shared volume read-only, as in docker-compose.yml. The KDC, kinit, the sidecar and the
GSSAPI PostgreSQL are the real programs.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.kerberos.conftest import PYTHON, SHARER, unshare_works

LATENCY_BOUND = 30.0  # generous: the default interval is 5 s; the number itself is printed

CONSUMER = r"""
import json, sys
import psycopg2
for line in sys.stdin:
    try:
        conn = psycopg2.connect(host="localhost", port=int(sys.argv[1]), dbname="postgres", user="alice",
                                gssencmode="disable", connect_timeout=10)
        with conn.cursor() as cur:
            cur.execute("SELECT current_user, (SELECT gss_authenticated FROM pg_stat_gssapi "
                        "WHERE pid = pg_backend_pid())")
            user, gss = cur.fetchone()
        conn.close()
        print(json.dumps({"user": user, "gss": gss}), flush=True)
    except Exception as exc:
        print(json.dumps({"error": str(exc).strip().splitlines()[0]}), flush=True)
"""

VIEWER = r"""
import hashlib, json, os, subprocess, sys
host_file, view_file, host_dir, view_dir, name = sys.argv[1:6]
subprocess.run(["mount", "--bind", host_file, view_file], check=True)   # what `- /host/krb5cc:/host-krb5/krb5cc` does
subprocess.run(["mount", "--bind", host_dir, view_dir], check=True)     # what the directory mount does
print("ready", flush=True)
sys.stdin.readline()
def look(path):
    st = os.stat(path)
    return {"ino": st.st_ino, "nlink": st.st_nlink, "sha": hashlib.sha256(open(path, "rb").read()).hexdigest()}
print(json.dumps({"file_mount": look(view_file), "dir_mount": look(os.path.join(view_dir, name))}), flush=True)
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _require_unshare() -> None:
    reason = unshare_works()
    if reason:
        pytest.skip(reason)


def _in_namespace(mounts: list[str], argv: list[str], **kwargs) -> subprocess.Popen:
    """Start ``argv`` in a private mount namespace after running the ``mounts`` shell commands."""
    script = " && ".join([*mounts, 'exec "$@"'])
    return subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh", *argv], **kwargs)


def _wait_shared(share: Path, expected: bytes, timeout: float = LATENCY_BOUND) -> float:
    """Seconds until the shared copy holds exactly ``expected`` (polled every 20 ms)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if share.read_bytes() == expected:
                return time.monotonic() - start
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"the shared copy did not get the new ticket within {timeout} s")


def test_kinit_and_renewal_reach_a_consumer_that_is_never_restarted(kdc, gss_postgres, open_tmp, capsys):
    _require_unshare()
    host_dir = open_tmp / "home-krb5"  # the developer's cache directory on the host
    host_dir.mkdir(mode=0o700)
    host_cache = host_dir / "krb5cc_dev"
    mounted = open_tmp / "host-krb5"  # the sidecar's /host-krb5
    mounted.mkdir()
    share = open_tmp / "krb5-cache"  # the platform_kerberos_cache volume
    share.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRB5_SHARE")}  # the default interval
    env.update(KRB5_HOST_CCACHE_NAME=host_cache.name, KRB5_HOST_CCACHE_DIR=str(host_dir))
    sidecar = _in_namespace(
        [f"mount --bind {host_dir} {mounted}", f"mount -o remount,bind,ro {mounted}"],
        [PYTHON, str(SHARER), "--source-dir", str(mounted), "--dest", str(share / "krb5cc")],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    consumer = _in_namespace(
        [f"mount --bind {share} {share}", f"mount -o remount,bind,ro {share}"],
        [PYTHON, "-c", CONSUMER, str(gss_postgres.port)],
        env=kdc.client_env(f"FILE:{share / 'krb5cc'}"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def login() -> dict:
        consumer.stdin.write("login\n")
        consumer.stdin.flush()
        return json.loads(consumer.stdout.readline())

    try:
        # Before any kinit the sidecar runs and waits (the platform starts without a ticket).
        deadline = time.monotonic() + 20
        while not (share / "status.json").exists():
            assert time.monotonic() < deadline, "the sidecar wrote no status"
            time.sleep(0.05)
        assert json.loads((share / "status.json").read_text())["state"] == "waiting"
        assert "error" in login()

        kdc.kinit(host_cache, lifetime="20s", extra=["-r", "10m"])
        issued = time.monotonic()
        first = _wait_shared(share / "krb5cc", host_cache.read_bytes())
        assert login() == {"user": "alice", "gss": True}

        time.sleep(max(0.0, issued + 8 - time.monotonic()))  # renew mid-life, as a developer would
        old = open_tmp / "old-ticket"
        old.write_bytes(host_cache.read_bytes())
        inode = host_cache.stat().st_ino
        subprocess.run(["kinit", "-R", "-c", str(host_cache)], env=kdc.client_env(host_cache), check=True)
        assert host_cache.stat().st_ino != inode, "kinit -R replaced the file (the reason for the directory mount)"
        renewal = _wait_shared(share / "krb5cc", host_cache.read_bytes())

        kdc.wait_expired(old)  # the ticket of the first kinit is now dead for client and KDC
        assert login() == {"user": "alice", "gss": True}, "the consumer uses the renewed ticket"
        status = json.loads((share / "status.json").read_text())
        assert status["state"] == "sharing" and status["copies"] == 2 and status["write_error"] is None
    finally:
        consumer.stdin.close()
        consumer.wait(timeout=10)
        sidecar.send_signal(signal.SIGTERM)
        assert sidecar.wait(timeout=10) == 0, sidecar.stderr.read()
    with capsys.disabled():
        print(
            f"\n[renewal latency] kinit -> shared copy {first:.2f} s, kinit -R -> shared copy {renewal:.2f} s "
            f"(sidecar default interval 5 s, bound asserted {LATENCY_BOUND:g} s)"
        )
    assert first < LATENCY_BOUND and renewal < LATENCY_BOUND


def test_a_single_file_bind_mount_never_sees_the_renewal(kdc, open_tmp):
    """Why docker-compose.yml mounts the directory: kinit -R replaces the file, a file mount keeps the old inode."""
    _require_unshare()
    host_dir = open_tmp / "home-krb5"
    host_dir.mkdir()
    host_cache = kdc.kinit(host_dir / "krb5cc", lifetime="1h", extra=["-r", "2h"])
    view_file, view_dir = open_tmp / "file-mount", open_tmp / "dir-mount"
    view_file.touch()
    view_dir.mkdir()
    paths = [str(host_cache), str(view_file), str(host_dir), str(view_dir), "krb5cc"]
    viewer = subprocess.Popen(
        ["unshare", "-m", PYTHON, "-c", VIEWER, *paths],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert viewer.stdout.readline().strip() == "ready", viewer.stderr.read()
        before = _sha(host_cache)
        subprocess.run(["kinit", "-R", "-c", str(host_cache)], env=kdc.client_env(host_cache), check=True)
        after = _sha(host_cache)
        assert after != before
        viewer.stdin.write("look\n")
        viewer.stdin.flush()
        seen = json.loads(viewer.stdout.readline())
    finally:
        viewer.stdin.close()
        viewer.wait(timeout=10)
    # The file mount still shows the first ticket, in a file that no longer exists on the host.
    assert seen["file_mount"]["sha"] == before and seen["file_mount"]["nlink"] == 0
    assert seen["file_mount"]["ino"] != host_cache.stat().st_ino
    # The directory mount shows the renewed one.
    assert seen["dir_mount"]["sha"] == after and seen["dir_mount"]["ino"] == host_cache.stat().st_ino

"""The diagnostics scripts run for real against the sidecar, the KDC and the TDS listener."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess

import pytest

from tests.kerberos.conftest import DIAGNOSTICS, NOBODY, PYTHON, SHARER, run_as, unshare_works


def share_once(source, dest) -> None:
    subprocess.run(
        [PYTHON, str(SHARER), "--once", "--source", str(source), "--dest", str(dest)], capture_output=True, check=False
    )


def run_diag(kdc, share_dir, **env) -> subprocess.CompletedProcess:
    base = kdc.client_env(f"FILE:{share_dir / 'krb5cc'}")
    for key in [k for k in base if k.startswith("KRB_")]:
        del base[key]
    base.update(
        KRB_STATUS_FILE=str(share_dir / "status.json"),
        KRB_SHARED_CACHE=str(share_dir / "krb5cc"),
        KRB_PYTHON=PYTHON,
        **env,
    )
    return subprocess.run(
        ["bash", str(DIAGNOSTICS / "test-openmetadata-krb.sh")],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def lines(result) -> dict[str, str]:
    return {
        line[6:40].strip(): line[:4].strip()
        for line in result.stdout.splitlines()
        if line[:4] in ("PASS", "FAIL", "SKIP")
    }


@pytest.fixture
def mssql_env(mssql_listener):
    return {
        "KRB_MSSQL_HOST_PORT": f"localhost:{mssql_listener.port}",
        "KRB_MSSQL_DRIVER": "FreeTDS",
        "KRB_MSSQL_ENCRYPT": "no",
    }


def test_all_pass_with_a_shared_ticket(kdc, tmp_path, valid_cache, mssql_env, mssql_listener):
    share_once(valid_cache, tmp_path / "krb5cc")
    before = len(mssql_listener.authenticated)
    result = run_diag(kdc, tmp_path, **mssql_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(lines(result).values()) == {"PASS"} and len(lines(result)) == 5
    assert "principal=alice@KRBTEST.COM" in result.stdout and "logged in as alice@KRBTEST.COM" in result.stdout
    assert mssql_listener.authenticated[before:] == ["alice@KRBTEST.COM", "alice@KRBTEST.COM"]


def test_expired_host_ticket_fails_four_steps(kdc, tmp_path, expired_cache, mssql_env):
    share_once(expired_cache, tmp_path / "krb5cc")  # sidecar runs (fresh status) but shares nothing
    result = run_diag(kdc, tmp_path, **mssql_env)
    assert result.returncode == 4, result.stdout
    assert lines(result) == {
        "sidecar status fresh": "PASS",
        "shared cache valid": "FAIL",
        "consumer sees the ticket": "FAIL",
        "SQL Server Kerberos login": "FAIL",
        "harvest dry check": "FAIL",
    }
    assert "expired at" in result.stdout and "does not exist" in result.stdout


def test_no_sidecar_and_no_sql_server(kdc, tmp_path):
    result = run_diag(kdc, tmp_path)
    assert result.returncode == 3
    assert lines(result)["SQL Server Kerberos login"] == "SKIP" and "is developer-kerberos-service up" in result.stdout


def test_stale_status_fails_step_one(kdc, tmp_path, valid_cache):
    share_once(valid_cache, tmp_path / "krb5cc")
    result = run_diag(kdc, tmp_path, KRB_STATUS_MAX_AGE="-1")
    assert result.returncode == 1 and lines(result)["sidecar status fresh"] == "FAIL"


def run_check(kdc, ccname: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(DIAGNOSTICS / "check-kerberos.sh")],
        env={**kdc.client_env(ccname), "PLATFORM_ENV_FILE": "/nonexistent", "KRB_PYTHON": PYTHON, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def check_lines(result) -> dict[str, str]:
    return {line[6:36].strip(): line for line in result.stdout.splitlines() if line[:4] in ("PASS", "FAIL")}


def test_check_kerberos_host_side(kdc, tmp_path, valid_cache, expired_cache):
    ok = run_check(kdc, f"FILE:{valid_cache}")
    assert ok.returncode == 0, ok.stdout
    assert "principal=alice@KRBTEST.COM" in ok.stdout and "(TGT," in ok.stdout
    expired = run_check(kdc, str(expired_cache))
    assert expired.returncode == 1 and "[expired]" in expired.stdout and "kinit" in expired.stdout
    keyring = run_check(kdc, "KEYRING:persistent:0")
    assert keyring.returncode >= 1
    assert "export KRB5CCNAME=FILE:" in check_lines(keyring)["cache type is FILE"]
    assert shutil.which("bash")


def test_check_kerberos_wants_a_tgt_not_any_ticket(kdc, no_tgt_cache):
    """klist -s passes a cache holding only a service ticket; the sidecar then refuses it."""
    assert kdc.klist_ok(no_tgt_cache)  # what the old check relied on
    result = run_check(kdc, f"FILE:{no_tgt_cache}")
    assert result.returncode == 1
    line = check_lines(result)["valid TGT"]
    assert line.startswith("FAIL") and "[no_tgt]" in line and "only service tickets" in line


def test_check_kerberos_expected_realm_and_margin(kdc, cache_dir, valid_cache):
    wrong = run_check(kdc, f"FILE:{valid_cache}", KRB5_REALM="OTHER.LAB", KRB5_PRINCIPAL="alice")
    line = check_lines(wrong)["valid TGT"]
    assert wrong.returncode == 1 and "[wrong_realm]" in line and "alice@KRBTEST.COM" in line
    assert "alice@OTHER.LAB" in line
    short = kdc.kinit(cache_dir / "diag-short", lifetime="3m")
    result = run_check(kdc, f"FILE:{short}")
    assert result.returncode == 1 and "[short_lifetime]" in check_lines(result)["valid TGT"]
    assert run_check(kdc, f"FILE:{short}", KRB_MIN_LIFETIME_SECONDS="60").returncode == 0


def test_check_kerberos_reads_the_platform_settings(kdc, tmp_path, valid_cache):
    """KRB5_HOST_CCACHE_DIR/NAME and KRB5_HOST_UID from .env: the file the sidecar shares, read as that uid."""
    hostdir = tmp_path / "krb"
    hostdir.mkdir()
    shutil.copyfile(valid_cache, hostdir / "krb5cc_dev")
    env_file = tmp_path / ".env"
    env_file.write_text(f"KRB5_HOST_CCACHE_DIR={hostdir}\nKRB5_HOST_CCACHE_NAME=krb5cc_dev\nKRB5_HOST_UID=0\n")
    good = run_check(kdc, f"FILE:{hostdir / 'krb5cc_dev'}", PLATFORM_ENV_FILE=str(env_file))
    assert good.returncode == 0, good.stdout
    assert f"shared by the sidecar from {hostdir}" in good.stdout
    elsewhere = run_check(kdc, f"FILE:{valid_cache}", PLATFORM_ENV_FILE=str(env_file))
    line = check_lines(elsewhere)["kinit writes the shared file"]
    assert elsewhere.returncode == 1 and f"export KRB5CCNAME=FILE:{hostdir / 'krb5cc_dev'}" in line
    env_file.write_text(env_file.read_text().replace("KRB5_HOST_UID=0", "KRB5_HOST_UID=1234"))
    other_uid = run_check(kdc, f"FILE:{hostdir / 'krb5cc_dev'}", PLATFORM_ENV_FILE=str(env_file))
    line = check_lines(other_uid)["sidecar can read it"]
    assert other_uid.returncode == 1 and "--kerberos-host-uid 0" in line


def test_unreadable_copy_is_reported_as_permission_not_expiry(kdc, open_tmp, valid_cache):
    """The consumer (uid 65534) cannot read a 0640 copy of group 4242: the steps say so and how to fix it."""
    share = open_tmp / "share"
    subprocess.run(
        [PYTHON, str(SHARER), "--once", "--source", str(valid_cache), "--dest", str(share / "krb5cc"), "--gid", "4242"],
        check=True,
        capture_output=True,
    )
    env = kdc.client_env(f"FILE:{share / 'krb5cc'}")
    env.update(KRB_STATUS_FILE=str(share / "status.json"), KRB_SHARED_CACHE=str(share / "krb5cc"), KRB_PYTHON=PYTHON)
    result = run_as(NOBODY, NOBODY, ["bash", str(DIAGNOSTICS / "test-openmetadata-krb.sh")], env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert lines(result)["sidecar status fresh"] == "PASS"
    step = next(line for line in result.stdout.splitlines() if "shared cache valid" in line)
    assert "[permission]" in step and "gid 4242" in step and "group_add" in step
    assert "expired" not in step


def test_container_mode_runs_the_probes_inside_with_container_paths(kdc, open_tmp, valid_cache):
    """KRB_EXEC: the probes run in the "container", which has neither this repository nor the host's paths.

    The stand-in for `docker compose exec -T <service>` is a private mount namespace where the
    diagnostics directory is hidden and the shared volume appears at a path empty on the host.
    """
    reason = unshare_works()
    if reason:
        pytest.skip(reason)
    share = open_tmp / "volume"
    share_once(valid_cache, share / "krb5cc")
    inside = open_tmp / "krb5" / "cache"  # the consumer's mount point: empty on the host
    inside.mkdir(parents=True)
    fake_exec = open_tmp / "fake-compose-exec"
    mounts = 'mount -t tmpfs none "$HIDE" && mount --bind "$VOLUME" "$INSIDE"'
    fake_exec.write_text(f'#!/bin/sh\nexec unshare -m sh -c \'{mounts} && exec "$@"\' sh "$@"\n')
    fake_exec.chmod(0o755)
    env = kdc.client_env(f"FILE:{inside / 'krb5cc'}")
    for key in [k for k in env if k.startswith("KRB_")]:
        del env[key]
    env.update(
        HIDE=str(DIAGNOSTICS),
        VOLUME=str(share),
        INSIDE=str(inside),
        KRB_EXEC=str(fake_exec),
        KRB_PYTHON=PYTHON,
        KRB_STATUS_FILE=str(inside / "status.json"),
        KRB_SHARED_CACHE=str(inside / "krb5cc"),
    )
    result = subprocess.run(
        ["bash", str(DIAGNOSTICS / "test-openmetadata-krb.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines(result) == {
        "sidecar status fresh": "PASS",
        "shared cache valid": "PASS",
        "consumer sees the ticket": "PASS",
        "SQL Server Kerberos login": "SKIP",
        "harvest dry check": "SKIP",
    }
    assert "principal=alice@KRBTEST.COM" in result.stdout and list(inside.iterdir()) == []


# --- the last wrong fixes ---------------------------------------------------------------------
def test_an_expired_but_renewable_ticket_is_told_to_kinit_in_both_scripts(kdc, tmp_path, expired_renewable_cache):
    """Both scripts echo the preflight: an expired TGT needs a new kinit, whatever its renew-until says."""
    check = run_check(kdc, f"FILE:{expired_renewable_cache}")
    line = check_lines(check)["valid TGT"]
    assert check.returncode == 1 and "[expired]" in line
    assert "kinit -c FILE:<KRB5_HOST_CCACHE_DIR>/<KRB5_HOST_CCACHE_NAME> alice@KRBTEST.COM" in line
    assert "kinit -R" not in check.stdout
    # The sidecar refuses it; the copy it shared while the ticket lived has expired since.
    share_once(expired_renewable_cache, tmp_path / "krb5cc")
    shutil.copyfile(expired_renewable_cache, tmp_path / "krb5cc")
    result = run_diag(kdc, tmp_path)
    assert lines(result)["shared cache valid"] == "FAIL" and "[expired]" in result.stdout
    assert "alice@KRBTEST.COM` (a new login" in result.stdout and "kinit -R" not in result.stdout


def _fake_exec(path, environment: dict[str, str], mounts: list[str]):
    """A stand-in for `docker compose exec -T <service>`: its own environment (nothing of the host's) and mounts."""
    assigns = " ".join(shlex.quote(f"{key}={value}") for key, value in environment.items())
    script = " && ".join([*mounts, 'exec "$@"'])
    path.write_text(f'#!/bin/sh\nexec env -i {assigns} unshare -m sh -c {shlex.quote(script)} sh "$@"\n')
    path.chmod(0o755)
    return path


def _container_diag(kdc, open_tmp, host_env: dict, container_env: dict, **env) -> subprocess.CompletedProcess:
    """test-openmetadata-krb.sh from the "host" in container mode: the consumer sees the volume at /krb5/cache
    (here ``open_tmp/krb5/cache``, empty on the host) and neither this repository nor the host's cache directory."""
    inside = open_tmp / "krb5" / "cache"
    inside.mkdir(parents=True, exist_ok=True)
    hidden = [DIAGNOSTICS, open_tmp / "host-home"]
    mounts = [f"mount -t tmpfs none {path}" for path in hidden] + [f"mount --bind {open_tmp / 'volume'} {inside}"]
    base = {"PATH": os.environ["PATH"], "KRB5_CONFIG": kdc.env["KRB5_CONFIG"]}
    consumer = _fake_exec(open_tmp / "consumer-exec", {**base, **container_env}, mounts)
    script_env = {k: v for k, v in {**os.environ, **host_env}.items() if not k.startswith("KRB_")}
    script_env.update(
        KRB_EXEC=str(consumer),
        KRB_PYTHON=PYTHON,
        KRB_STATUS_FILE=str(inside / "status.json"),
        KRB_SHARED_CACHE=str(inside / "krb5cc"),
        **env,
    )
    return subprocess.run(
        ["bash", str(DIAGNOSTICS / "test-openmetadata-krb.sh")],
        env=script_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_container_mode_uses_the_containers_KRB5CCNAME_not_the_hosts(kdc, open_tmp, valid_cache):
    """The developer exported KRB5CCNAME on the host (as check-kerberos.sh advises): the container has its own."""
    reason = unshare_works()
    if reason:
        pytest.skip(reason)
    share_once(valid_cache, open_tmp / "volume" / "krb5cc")
    (open_tmp / "host-home").mkdir()
    host_cache = open_tmp / "host-home" / "krb5cc_dev"
    shutil.copyfile(valid_cache, host_cache)  # a good ticket on the host, invisible in the container
    host_env = kdc.client_env(f"FILE:{host_cache}")
    inside = open_tmp / "krb5" / "cache"

    own = _container_diag(kdc, open_tmp, host_env, {"KRB5CCNAME": f"{inside}/krb5cc"})
    assert own.returncode == 0, own.stdout + own.stderr
    assert f"KRB5CCNAME={inside}/krb5cc: principal=alice@KRBTEST.COM" in own.stdout
    assert str(host_cache) not in own.stdout

    unset = _container_diag(kdc, open_tmp, host_env, {})  # default: the shared copy
    assert unset.returncode == 0, unset.stdout + unset.stderr
    assert f"KRB5CCNAME=FILE:{inside}/krb5cc: principal=alice@KRBTEST.COM" in unset.stdout

    # The expected realm is the container's too (Compose passes KRB5_REALM): the host's unset does not blank it.
    realm = _container_diag(kdc, open_tmp, host_env, {"KRB5CCNAME": f"FILE:{inside}/krb5cc", "KRB5_REALM": "OTHER.LAB"})
    assert lines(realm)["shared cache valid"] == "FAIL" and lines(realm)["consumer sees the ticket"] == "FAIL"
    assert "[wrong_realm]" in realm.stdout
    assert (
        _container_diag(
            kdc, open_tmp, {**host_env, "KRB5_REALM": "KRBTEST.COM"}, {"KRB5_REALM": "OTHER.LAB"}
        ).returncode
        == 0
    )


def _share_read_only(share, source) -> subprocess.CompletedProcess:
    """One sidecar cycle with the volume mounted read-only (as root: only the mount refuses)."""
    mount = f"mount --bind {share} {share} && mount -o remount,bind,ro {share}"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{mount} && exec "$@"', "sh", PYTHON, str(SHARER), "--once"]
        + ["--source", str(source), "--dest", str(share / "krb5cc")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _sidecar_module():
    spec = importlib.util.spec_from_file_location("ticket_sharer", SHARER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_read_only_volume_is_reported_with_the_sidecars_reason_not_as_sharing(
    kdc, tmp_path, valid_cache, valid_cache_b
):
    """status.json still says "sharing"; the sidecar's fallback status says why it stopped: the probe reads both."""
    reason = unshare_works()
    if reason:
        pytest.skip(reason)
    share_once(valid_cache, tmp_path / "krb5cc")
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "sharing"
    fallback = _sidecar_module()._fallback_status(tmp_path / "status.json")
    try:
        assert _share_read_only(tmp_path, valid_cache_b).returncode == 1  # the host renewed: a new ticket to copy
        assert json.loads(fallback.read_text())["state"] == "failing"
        result = run_diag(kdc, tmp_path)
        step = next(line for line in result.stdout.splitlines() if "sidecar status fresh" in line)
        assert step.startswith("FAIL") and "the sidecar runs but cannot write" in step
        assert "Read-only file system" in step and "mounted read-only" in step and str(fallback) in step
        # no status.json at all: not "is developer-kerberos-service up?" but the reason
        (tmp_path / "status.json").unlink()
        result = run_diag(kdc, tmp_path)
        assert "is developer-kerberos-service up" not in result.stdout and "mounted read-only" in result.stdout
    finally:
        fallback.unlink(missing_ok=True)


def test_container_mode_asks_the_sidecar_when_the_volume_refuses_its_status(kdc, open_tmp, valid_cache):
    """The fallback is in the sidecar's /tmp, which the consumer cannot see: the script asks the sidecar's container."""
    reason = unshare_works()
    if reason:
        pytest.skip(reason)
    volume = open_tmp / "volume"
    volume.mkdir()
    (open_tmp / "host-home").mkdir()
    (open_tmp / "consumer-tmp").mkdir()
    fallback = _sidecar_module()._fallback_status(volume / "status.json")
    fakebin = open_tmp / "sidecar-bin"  # the sidecar image's python3
    fakebin.mkdir()
    (fakebin / "python3").write_text(f'#!/bin/sh\nexec {PYTHON} "$@"\n')
    (fakebin / "python3").chmod(0o755)
    sidecar = open_tmp / "sidecar-exec"
    sidecar.write_text(f'#!/bin/sh\nPATH={fakebin}:$PATH exec "$@"\n')
    sidecar.chmod(0o755)
    container = {
        "KRB5CCNAME": f"FILE:{open_tmp / 'krb5' / 'cache' / 'krb5cc'}",
        "TMPDIR": str(open_tmp / "consumer-tmp"),
    }
    try:
        assert _share_read_only(volume, valid_cache).returncode == 1 and fallback.exists()
        blind = _container_diag(kdc, open_tmp, {}, container, KRB_SIDECAR_EXEC="")
        assert "is developer-kerberos-service up" in blind.stdout  # the consumer alone cannot know
        result = _container_diag(
            kdc,
            open_tmp,
            {},
            container,
            KRB_SIDECAR_EXEC=str(sidecar),
            KRB_SIDECAR_STATUS_FILE=str(volume / "status.json"),
        )
        step = next(line for line in result.stdout.splitlines() if "sidecar status fresh" in line)
        assert step.startswith("FAIL") and "developer-kerberos-service says: the sidecar runs but cannot write" in step
        assert "mounted read-only" in step
        # A sidecar that cannot be asked changes nothing for a step that passes.
        fallback.unlink()
        share_once(valid_cache, volume / "krb5cc")
        unreachable = _container_diag(kdc, open_tmp, {}, container, KRB_SIDECAR_EXEC="false")
        assert unreachable.returncode == 0, unreachable.stdout
    finally:
        fallback.unlink(missing_ok=True)


def test_a_kinit_to_another_file_is_named_by_both_scripts(kdc, tmp_path):
    """KRB5_HOST_CCACHE_NAME=krb5cc_dev, but `kinit -c .../krb5cc_other`: the file and the setting are named."""
    hostdir = tmp_path / "krb"
    hostdir.mkdir()
    kdc.kinit(hostdir / "krb5cc_other")
    env_file = tmp_path / ".env"
    env_file.write_text(f"KRB5_HOST_CCACHE_DIR={hostdir}\nKRB5_HOST_CCACHE_NAME=krb5cc_dev\nKRB5_HOST_UID=0\n")
    check = run_check(kdc, f"FILE:{hostdir / 'krb5cc_dev'}", PLATFORM_ENV_FILE=str(env_file))
    line = check_lines(check)["cache file exists"]
    assert line.startswith("FAIL") and f"Another cache, {hostdir / 'krb5cc_other'}" in line
    assert "KRB5_HOST_CCACHE_NAME (krb5cc_dev)" in line and f"--kerberos-ccache {hostdir / 'krb5cc_other'}" in line
    # the consumer side: the sidecar's status names it, and the diagnostics pass it on
    share = tmp_path / "share"
    subprocess.run(
        [PYTHON, str(SHARER), "--once", "--source-dir", str(hostdir), "--dest", str(share / "krb5cc")],
        env={**os.environ, "KRB5_HOST_CCACHE_NAME": "krb5cc_dev", "KRB5_HOST_CCACHE_DIR": str(hostdir)},
        capture_output=True,
        check=False,
    )
    result = run_diag(kdc, share)
    step = next(line for line in result.stdout.splitlines() if "sidecar status fresh" in line)
    assert "krb5cc_other" in step and f"--kerberos-ccache {hostdir / 'krb5cc_other'}" in step
    consumer = next(line for line in result.stdout.splitlines() if "consumer sees the ticket" in line)
    assert consumer.startswith("FAIL") and "krb5cc_other" in consumer

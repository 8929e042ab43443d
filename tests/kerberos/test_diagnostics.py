"""The diagnostics scripts run for real against the sidecar, the KDC and the TDS listener."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.kerberos.conftest import DIAGNOSTICS, PYTHON, SHARER


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
        env={**kdc.client_env(ccname), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_kerberos_host_side(kdc, tmp_path, valid_cache, expired_cache):
    ok = run_check(kdc, f"FILE:{valid_cache}")
    assert ok.returncode == 0, ok.stdout
    assert "principal=alice@KRBTEST.COM" in ok.stdout
    expired = run_check(kdc, str(expired_cache))
    assert expired.returncode == 1 and "run kinit" in expired.stdout
    keyring = run_check(kdc, "KEYRING:persistent:0", HOST_KRB5_CACHE=str(tmp_path / "none"))
    assert keyring.returncode == 3 and "export KRB5CCNAME=FILE:" in keyring.stdout
    assert shutil.which("bash")

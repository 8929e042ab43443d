"""Kerberos through real mounts: a KDC on loopback, ``kinit`` by a non-root host user into the
configured cache directory, the sidecar sharing it, and the platform Airflow's containers
(uid 50000, volume read-only) reading it within 10 s of a renewal, never restarted. Then the
diagnostics in container mode (``test-openmetadata-krb.sh`` with ``KRB_EXEC=docker exec``)."""

from __future__ import annotations

import re
import subprocess
import time

from tests.engine.conftest import CCACHE_NAME, kinit_as_host_user

CONSUMERS = ("airflow-scheduler", "airflow-apiserver")
SHARED = "FILE:/krb5/cache/krb5cc"
RENEWAL_BOUND = 10.0  # seconds from a kinit on the host to the consumer seeing the new ticket


def _consumer_ticket(stack, service: str) -> str | None:
    """``klist`` of the shared cache as the consumer container's own user; None while it has none."""
    result = stack.exec(service, "klist", "-c", SHARED, check=False)
    return result.stdout if result.returncode == 0 else None


def _starts(klist: str) -> str:
    """The TGT's start time as klist prints it (changes with every kinit)."""
    line = next(line for line in klist.splitlines() if "krbtgt/" in line)
    return " ".join(line.split()[:2])


def _wait_for_ticket(stack, service: str, not_start: str | None, timeout: float = RENEWAL_BOUND) -> tuple[str, float]:
    started = time.monotonic()
    while True:
        klist = _consumer_ticket(stack, service)
        if klist and "krbtgt/" in klist and (not_start is None or _starts(klist) != not_start):
            return klist, time.monotonic() - started
        if time.monotonic() - started > timeout:
            sidecar = stack.logs("developer-kerberos-service", 20)
            raise AssertionError(f"{service} saw no new ticket within {timeout} s: {klist}\n{sidecar}")
        time.sleep(0.2)


def test_a_kinit_and_its_renewal_reach_the_airflow_containers_without_a_restart(stack, kdc, host_ccache_dir):
    restarts = {s: (stack.state(s)["StartedAt"], stack.state(s)["Restarting"]) for s in CONSUMERS}
    assert stack.exec(CONSUMERS[0], "id", "-u").stdout.strip() == "50000"
    ccache = host_ccache_dir / CCACHE_NAME
    kinit_as_host_user(kdc, ccache)
    assert ccache.stat().st_uid != 0 and oct(ccache.stat().st_mode & 0o777) == "0o600"
    first, _ = _wait_for_ticket(stack, CONSUMERS[0], None, timeout=RENEWAL_BOUND + 10)  # first share: one interval more
    assert kdc.user_principal in first
    time.sleep(1.1)  # klist shows seconds: the renewed ticket's start time must differ
    kinit_as_host_user(kdc, ccache)  # replaces the file (rename): only a directory mount sees it
    latencies = {}
    for service in CONSUMERS:
        klist, latencies[service] = _wait_for_ticket(stack, service, _starts(first))
        assert kdc.user_principal in klist
    assert all(seconds <= RENEWAL_BOUND for seconds in latencies.values()), latencies
    assert {s: (stack.state(s)["StartedAt"], stack.state(s)["Restarting"]) for s in CONSUMERS} == restarts
    # The consumers mount the volume read-only: not even root in them can change the shared copy.
    denied = stack.exec(CONSUMERS[0], "touch", "/krb5/cache/krb5cc", user="0", check=False)
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr


def _diagnostics(stack, **env) -> subprocess.CompletedProcess:
    script = stack.bootstrap / "diagnostics" / "test-openmetadata-krb.sh"
    return subprocess.run(
        ["bash", str(script)],
        # As the script documents it: Compose's exec into the consumer, which it turns into one
        # into the sidecar (KRB_SIDECAR_EXEC) to read the sidecar's own status.
        env={**stack.env, "KRB_EXEC": f"bash {stack.bootstrap}/scripts/compose.sh exec -T airflow-scheduler", **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_diagnostics_pass_in_container_mode_then_name_an_expired_ticket_and_a_wrong_realm(
    stack, kdc, host_ccache_dir
):
    ccache = host_ccache_dir / CCACHE_NAME
    kinit_as_host_user(kdc, ccache)
    time.sleep(RENEWAL_BOUND)
    good = _diagnostics(stack, KRB5_REALM=kdc.realm, KRB5_PRINCIPAL=kdc.user_principal)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"^PASS\s+shared cache valid", good.stdout, re.MULTILINE), good.stdout
    assert re.search(r"^PASS\s+consumer sees the ticket", good.stdout, re.MULTILINE), good.stdout

    wrong = _diagnostics(stack, KRB5_REALM="WRONG.EXAMPLE")
    assert wrong.returncode != 0, wrong.stdout
    assert re.search(r"^FAIL\s+shared cache valid.*WRONG\.EXAMPLE", wrong.stdout, re.MULTILINE), wrong.stdout

    # A short ticket the sidecar still shares (it never replaces a copy with an expired one),
    # then expires in the consumer's hands.
    shared = _consumer_ticket(stack, "airflow-scheduler")
    kinit_as_host_user(kdc, ccache, lifetime="20s")
    _wait_for_ticket(stack, "airflow-scheduler", _starts(shared))
    kdc.wait_expired(ccache)
    expired = _diagnostics(stack, KRB_MIN_LIFETIME_SECONDS="0")
    assert expired.returncode != 0, expired.stdout
    line = next(line for line in expired.stdout.splitlines() if "shared cache valid" in line)
    assert line.startswith("FAIL") and "expired" in line.lower(), expired.stdout
    kinit_as_host_user(kdc, ccache)  # leave a good ticket for whoever comes next

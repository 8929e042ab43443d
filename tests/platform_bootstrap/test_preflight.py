"""Machine checks before anything starts: ports in use, the bind address, the Kerberos directory."""

from __future__ import annotations

import os
import socket

import pytest
from platform_bootstrap.local_postgres import free_port

from .conftest import run_platform

PORT_OPTIONS = {
    "openmetadata": "--openmetadata-port",
    "openmetadata_admin": "--openmetadata-admin-port",
    "postgres": "--postgres-port",
    "elasticsearch": "--elasticsearch-port",
    "airflow": "--airflow-port",
}


@pytest.fixture
def listening():
    """A port something else listens on, the way a local PostgreSQL holds 5432."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def _free_ports(**chosen: int) -> list[str]:
    """Setup flags giving every port a free number, except the ones in ``chosen``."""
    args = []
    for name, option in PORT_OPTIONS.items():
        args += [option, str(chosen.get(name) or free_port())]
    return args


def _fake_docker(tmp_path, ports_line: str) -> dict:
    """PATH with a `docker` whose `docker ps` lists this platform's containers publishing ``ports_line``."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    (bindir / "docker").write_text(f'#!/bin/sh\n[ "$1" = ps ] && echo "{ports_line}"\nexit 0\n')
    (bindir / "docker").chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}


def test_the_wizard_reports_a_port_in_use_and_writes_nothing(tmp_path, listening):
    result = run_platform("setup", "-y", "--dir", str(tmp_path), *_free_ports(postgres=listening))
    assert result.returncode == 2
    assert (
        f"error: ports.postgres: expected a free port: ports.postgres = {listening} (PLATFORM_POSTGRES_PORT) "
        "is already in use on 127.0.0.1" in result.stderr
    )
    assert "./platform setup -y --postgres-port <free port>" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_rerun_checks_only_the_ports_it_changes(tmp_path, listening):
    """An unchanged busy port is most likely the platform itself, running."""
    flags = _free_ports(elasticsearch=listening)
    assert run_platform("setup", "-y", "--skip-port-check", "--dir", str(tmp_path), *flags).returncode == 0
    assert run_platform("setup", "-y", "--dir", str(tmp_path)).returncode == 0
    moved = run_platform("setup", "-y", "--dir", str(tmp_path), "--airflow-port", str(listening))
    assert moved.returncode == 2 and "ports.airflow" in moved.stderr  # clash with elasticsearch first
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen()
    try:
        busy = other.getsockname()[1]
        result = run_platform("setup", "-y", "--dir", str(tmp_path), "--airflow-port", str(busy))
        assert result.returncode == 2
        assert f"ports.airflow = {busy} (PLATFORM_AIRFLOW_PORT) is already in use" in result.stderr
    finally:
        other.close()


def test_preflight_names_the_busy_port_and_its_setting(tmp_path, listening):
    assert (
        run_platform(
            "setup", "-y", "--skip-port-check", "--dir", str(tmp_path), *_free_ports(openmetadata=listening)
        ).returncode
        == 0
    )
    result = run_platform("preflight", "--dir", str(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: ports.openmetadata = {listening} (PLATFORM_OPENMETADATA_PORT) is already in use on 127.0.0.1: "
        f"stop what listens there (`ss -ltnp 'sport = :{listening}'` shows it) or choose another port: "
        "`./platform setup -y --openmetadata-port <free port>`"
    ]
    # The same port published by this platform's own running container is no clash.
    ours = run_platform(
        "preflight", "--dir", str(tmp_path), env=_fake_docker(tmp_path, f"127.0.0.1:{listening}->8585/tcp")
    )
    assert ours.returncode == 0, ours.stderr
    assert "preflight ok" in ours.stdout


def test_a_bind_address_of_another_machine_is_refused(tmp_path):
    result = run_platform("setup", "-y", "--dir", str(tmp_path), "--bind-address", "203.0.113.9", *_free_ports())
    assert result.returncode == 2
    assert "error: bind_address: expected an address of this machine (or 0.0.0.0 for all), 203.0.113.9" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_kerberos_directory_gets_the_commands_and_is_not_created(tmp_path):
    hostdir = tmp_path / "krb-home"
    args = ["--kerberos", "--kerberos-ccache", str(hostdir / "krb5cc"), "--kerberos-principal", "alice"]
    args += ["--kerberos-realm", "EXAMPLE.COM"]
    setup = run_platform("setup", "-y", "--skip-port-check", "--dir", str(tmp_path), *args)
    assert setup.returncode == 0, setup.stderr
    assert f"KRB5_HOST_CCACHE_DIR={hostdir} does not exist" in setup.stderr  # said at once, written anyway
    result = run_platform("preflight", "--dir", str(tmp_path))
    assert result.returncode == 1
    assert f"mkdir -p -m 700 {hostdir} && kinit -c FILE:{hostdir}/krb5cc alice@EXAMPLE.COM" in result.stderr
    assert not hostdir.exists()
    # With the directory but no ticket yet, the platform may start: a note, exit 0.
    hostdir.mkdir(mode=0o700)
    keyring = {**os.environ, "KRB5CCNAME": "KEYRING:persistent:0"}
    waiting = run_platform("preflight", "--dir", str(tmp_path), env=keyring)
    assert waiting.returncode == 0, waiting.stderr
    assert "no ticket cache at" in waiting.stdout and "the platform starts anyway" in waiting.stdout
    assert "KEYRING: cache, which cannot be shared" in waiting.stdout


def test_interactive_setup_reasks_a_busy_port_and_a_foreign_address(tmp_path, listening, monkeypatch):
    from click.testing import CliRunner
    from platform_bootstrap import cli

    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    free = [str(free_port()) for _ in range(5)]
    # cluster, bind (foreign, then default), om port (busy, then free), admin, pg, es, airflow,
    # heap, 4 images, kerberos?
    answers = ["", "203.0.113.9", "", str(listening), free[0], *free[1:5], "", "", "", "", "", "n"]
    result = CliRunner().invoke(cli.main, ["setup", "--dir", str(tmp_path)], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "bind_address: expected an address of this machine" in result.output
    assert f"ports.openmetadata: expected a free port: ports.openmetadata = {listening}" in result.output
    written = (tmp_path / ".env").read_text()
    assert f"PLATFORM_OPENMETADATA_PORT={free[0]}\n" in written and "PLATFORM_BIND_ADDRESS=127.0.0.1\n" in written

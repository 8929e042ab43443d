"""Checks that look at this machine before the stack starts: address, ports, Kerberos directory.

:mod:`.settings` checks values; this module checks that they work *here*: the bind address
belongs to the host, each published port is free (or already published by this platform's
own containers), and the host directory the Kerberos sidecar mounts exists. Every problem
names the setting to change and how.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .settings import PORT_ENV, ConfigError, PlatformConfig

PORT_OPTIONS = {
    "openmetadata": "--openmetadata-port",
    "openmetadata_admin": "--openmetadata-admin-port",
    "postgres": "--postgres-port",
    "elasticsearch": "--elasticsearch-port",
    "airflow": "--airflow-port",
}


@dataclass
class Finding:
    """One preflight result: ``level`` is ``ok``, ``note`` (fine, but read it) or ``fail``."""

    name: str
    level: str
    detail: str


def check_bind_address(address: str) -> None:
    """The bind address must belong to this machine (0.0.0.0 always does).

    Raises:
        ConfigError: (``bind_address``) binding to it fails with "cannot assign requested address".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as exc:
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ConfigError(
                    "bind_address",
                    f"expected an address of this machine (or 0.0.0.0 for all), {address} is not one "
                    "(see `ip -4 addr`)",
                ) from None
            raise ConfigError("bind_address", f"cannot bind to {address} ({exc.strerror})") from None


def port_in_use(address: str, port: int) -> bool:
    """True when a TCP listener already holds ``address:port`` (what Docker's publish would hit)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: a socket in TIME_WAIT does not stop Docker either.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def ports_published_by_platform(project: str = "platform") -> set[int]:
    """Host ports published by this Compose project's running containers (``docker ps`` labels).

    Empty when Docker is absent or unreachable: then nothing of ours can hold a port.
    """
    if not shutil.which("docker"):
        return set()
    try:
        result = subprocess.run(
            [
                "docker",
                "ps",
                "--filter",
                f"label=com.docker.compose.project={project}",
                "--format",
                "{{.Ports}}",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if result.returncode != 0:
        return set()
    # e.g. "127.0.0.1:8585->8585/tcp, 127.0.0.1:8586->8586/tcp"
    return {int(port) for port in re.findall(r":(\d+)->", result.stdout)}


def port_problem(cfg: PlatformConfig, name: str) -> str:
    """The message for ``ports.<name>`` being taken: the setting, who holds it, how to change it."""
    port = cfg.ports[name]
    return (
        f"ports.{name} = {port} ({PORT_ENV[name]}) is already in use on {cfg.bind_address}: stop what listens "
        f"there (`ss -ltnp 'sport = :{port}'` shows it) or choose another port: "
        f"`./platform setup -y {PORT_OPTIONS[name]} <free port>`"
    )


def busy_ports(cfg: PlatformConfig, names=None, project: str = "platform") -> list[str]:
    """Names of ``cfg.ports`` (or ``names``) taken on the bind address by something else than this platform."""
    names = list(names if names is not None else cfg.ports)
    taken = [name for name in names if port_in_use(cfg.bind_address, cfg.ports[name])]
    if not taken:
        return []
    ours = ports_published_by_platform(project)
    return [name for name in taken if cfg.ports[name] not in ours]


def kerberos_findings(cfg: PlatformConfig, host_uid: int | None = None) -> list[Finding]:
    """What the sidecar will find on the host: the directory (must exist), the cache (may come later).

    Nothing is created: a missing directory is reported with the commands that create it.
    """
    if not cfg.kerberos.enabled:
        return []
    directory, name = cfg.host_ccache_dir, cfg.host_ccache_name
    path = Path(directory) / name
    principal = cfg.kerberos.principal or "you"
    if "@" not in principal:
        principal += "@" + (cfg.kerberos.realm or "REALM")
    kinit = f"kinit -c FILE:{path} {principal}"
    findings = []
    if not Path(directory).is_dir():
        findings.append(
            Finding(
                "kerberos",
                "fail",
                f"KRB5_HOST_CCACHE_DIR={directory} does not exist, and the sidecar mounts it: create it and get a "
                f"ticket: `mkdir -p -m 700 {directory} && {kinit}` (or choose another cache: "
                "`./platform setup -y --kerberos-ccache /path/to/file`)",
            )
        )
        return findings
    if not path.exists():
        findings.append(
            Finding(
                "kerberos",
                "note",
                f"no ticket cache at {path} yet: the platform starts anyway and the sidecar waits; run `{kinit}` "
                f"(or `export KRB5CCNAME=FILE:{path}` so every kinit writes there)",
            )
        )
    elif path.is_dir():
        findings.append(
            Finding(
                "kerberos",
                "fail",
                f"{path} is a directory, not a ticket cache (a single-file bind mount creates one): "
                f"`rmdir {path} && {kinit}`",
            )
        )
    else:
        owner = path.stat().st_uid
        if host_uid is not None and owner != host_uid and host_uid != 0:
            findings.append(
                Finding(
                    "kerberos",
                    "fail",
                    f"{path} belongs to uid {owner} but the sidecar runs as uid {host_uid} (KRB5_HOST_UID) and "
                    f"cannot read a 0600 cache: `./platform setup -y --kerberos-host-uid {owner}`",
                )
            )
        else:
            findings.append(Finding("kerberos", "ok", f"ticket cache {path} present"))
    ccname = os.environ.get("KRB5CCNAME", "")
    kind = ccname.split(":", 1)[0].upper() if ":" in ccname.split("/", 1)[0] else "FILE"
    if ccname and kind != "FILE":
        findings.append(
            Finding(
                "kerberos",
                "note",
                f"your shell's KRB5CCNAME={ccname} is a {kind}: cache, which cannot be shared: "
                f"`export KRB5CCNAME=FILE:{path}` (e.g. in ~/.profile) before kinit",
            )
        )
    elif ccname and ccname.removeprefix("FILE:") != str(path):
        findings.append(
            Finding(
                "kerberos",
                "note",
                f"your shell's KRB5CCNAME={ccname} is not the cache the sidecar shares ({path}): kinit writes "
                f"elsewhere; `export KRB5CCNAME=FILE:{path}`",
            )
        )
    return findings


def default_host_uid(cfg: PlatformConfig) -> int:
    """The uid the sidecar should run as: the cache file's owner, else the invoking user."""
    if cfg.kerberos.host_uid is not None:
        return cfg.kerberos.host_uid
    if cfg.kerberos.host_ccache:
        try:
            return Path(cfg.kerberos.host_ccache).stat().st_uid
        except OSError:
            pass
    sudo_uid = os.environ.get("SUDO_UID", "")
    return int(sudo_uid) if sudo_uid.isdigit() else os.getuid()

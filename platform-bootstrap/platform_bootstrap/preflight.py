"""Checks that look at this machine before the stack starts: engine, Compose, address, ports,
Kerberos directory, images.

:mod:`.settings` checks values; this module checks that they work *here*, in the order a fix
has to happen: the Docker engine answers and Compose v2 is there (:func:`docker_verdict`, the
verdict of ``scripts/compose.sh --check``, so the shell and Python share one wording), the
bind address belongs to the host, each published port is free (or already published by this
platform's own containers), the host directory the Kerberos sidecar mounts exists, and every
image ``up`` needs can be pulled (:func:`needed_images`, :func:`pull_missing`). Every problem
names the setting to change and how.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .settings import DEFAULT_IMAGES, PORT_ENV, ConfigError, PlatformConfig

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


# -- the Docker engine and Compose: scripts/compose.sh --check decides ----------------------
# Its exit statuses (see the script's header): the engine is the problem, or Compose is.
ENGINE_PROBLEM = 3
COMPOSE_PROBLEM = 4


class ComposeError(Exception):
    """``scripts/compose.sh`` could not answer (its one line, or what went wrong running it)."""


@dataclass
class DockerVerdict:
    """What ``scripts/compose.sh --check`` found, checked in the order a fix has to happen.

    ``engine_ok``: the engine answers ``docker info``; ``compose_ok``: Compose v2 is there (only
    asked once the engine answers: False too while it does not); ``problem``: the script's one
    line without ``error:`` (the cause and its fix, "" when all is fine); ``compose``: the
    Compose command it runs (e.g. ``docker compose``).
    """

    engine_ok: bool
    compose_ok: bool
    problem: str = ""
    compose: str = ""

    @property
    def ok(self) -> bool:
        """True when the engine answers and Compose v2 is there."""
        return self.engine_ok and self.compose_ok


def compose_script(bootstrap_dir: Path) -> Path:
    """``<bootstrap_dir>/scripts/compose.sh``: the one place that runs Compose on the platform files."""
    return Path(bootstrap_dir) / "scripts" / "compose.sh"


def compose_env(dotenv: dict[str, str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for ``scripts/compose.sh``: ``dotenv`` (the ``.env`` of ``--dir``) under
    ``environ`` (default: this process's), whose variables win as they do in Compose."""
    return {**dotenv, **(os.environ if environ is None else environ)}


def _error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
    return errors[-1] if errors else (lines[-1] if lines else "")


def _compose_sh(script: Path, args: list[str], env: dict[str, str] | None, timeout: float):
    """``bash scripts/compose.sh ARGS``, output captured; raises TimeoutExpired or OSError as subprocess does."""
    return subprocess.run(
        ["bash", str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def docker_verdict(bootstrap_dir: Path, env: dict[str, str] | None = None, timeout: float = 60.0) -> DockerVerdict:
    """Run ``scripts/compose.sh --check`` (engine first, then Compose v2) and return its verdict.

    ``env`` is the script's environment (default: this process's). Never raises: a script that
    cannot run or hangs (an engine that never answers ``docker info``) is an engine problem.
    """
    script = compose_script(bootstrap_dir)
    try:
        result = _compose_sh(script, ["--check"], env, timeout)
    except subprocess.TimeoutExpired:
        return DockerVerdict(
            False,
            False,
            f"the Docker engine did not answer `docker info` within {timeout:.0f}s: check DOCKER_HOST "
            "(`docker context ls`) or restart the engine",
        )
    except OSError as exc:
        return DockerVerdict(False, False, f"cannot run {script} ({exc.strerror or exc})")
    if result.returncode == 0:
        return DockerVerdict(True, True, compose=result.stdout.strip())
    problem = _error_line(result.stderr) or f"{script} --check exited {result.returncode}"
    return DockerVerdict(result.returncode == COMPOSE_PROBLEM, False, problem)


def run_compose(bootstrap_dir: Path, args: list[str], env: dict[str, str] | None = None, timeout: float = 120.0) -> str:
    """``scripts/compose.sh ARGS`` (``PLATFORM_COMPOSE_FILES`` and the profiles in ``env`` apply);
    returns its stdout.

    Raises:
        ComposeError: it exited non-zero (its error line), hung past ``timeout`` or could not run.
    """
    script = compose_script(bootstrap_dir)
    try:
        result = _compose_sh(script, args, env, timeout)
    except subprocess.TimeoutExpired:
        raise ComposeError(f"`compose {' '.join(args)}` did not finish within {timeout:.0f}s") from None
    except OSError as exc:
        raise ComposeError(f"cannot run {script} ({exc.strerror or exc})") from None
    if result.returncode != 0:
        raise ComposeError(_error_line(result.stderr) or f"`compose {' '.join(args)}` exited {result.returncode}")
    return result.stdout


def compose_config(bootstrap_dir: Path, env: dict[str, str] | None = None) -> dict:
    """The stack as Compose resolves it (``compose config --format json``): only the services of
    the enabled profiles, images and build arguments interpolated from ``env``.

    Raises:
        ComposeError: Compose cannot render the files, or printed something else than a JSON object.
    """
    text = run_compose(bootstrap_dir, ["config", "--format", "json"], env)
    try:
        config = json.loads(text)
    except ValueError:
        raise ComposeError(f"`compose config --format json` printed no JSON: {text.strip()[:200]}") from None
    if not isinstance(config, dict):
        raise ComposeError("`compose config --format json` printed no JSON object")
    return config


# -- images: pulled before `up`, so one that cannot be pulled is named with its setting --------
# The platform Airflow's services, all of one image built here (docker-compose.airflow.yml).
_AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)
# The .env variable each service's image comes from in the platform's compose files ...
_SERVICE_IMAGE_VARS = {
    "platform-postgres": "IMAGE_POSTGRES",
    "airflow-db-setup": "IMAGE_POSTGRES",
    "pagila-loader": "IMAGE_POSTGRES",
    "platform-elasticsearch": "IMAGE_ELASTICSEARCH",
    "openmetadata-migrate": "IMAGE_OPENMETADATA_SERVER",
    "openmetadata-server": "IMAGE_OPENMETADATA_SERVER",
    "developer-kerberos-service": "IMAGE_KERBEROS_SIDECAR",
    **dict.fromkeys(_AIRFLOW_SERVICES, "IMAGE_AIRFLOW"),
}
# ... and, for a service built here, the variable of the base it is built FROM (build arg BASE_IMAGE).
_SERVICE_BASE_VARS = {
    "developer-kerberos-service": "IMAGE_KERBEROS_SIDECAR_BASE",
    **dict.fromkeys(_AIRFLOW_SERVICES, "IMAGE_AIRFLOW_BASE"),
}


@dataclass
class ImageNeed:
    """One image ``up`` may have to pull.

    ``image``: the reference; ``services``: who needs it; ``variable``: the ``.env`` variable it
    comes from (None: written in a compose file); ``built``: for the base of a local build, the
    image built FROM it (when that one is present, nothing is built and the base is not needed).
    """

    image: str
    services: list[str] = field(default_factory=list)
    variable: str | None = None
    built: str | None = None


def image_variable(image: str, service: str, env: dict[str, str], base: bool = False) -> str | None:
    """The ``IMAGE_*`` variable of ``env`` that ``image`` of ``service`` (or its build's base) comes from.

    The variable whose value is ``image`` (the service's own first); else the service's usual
    variable when it is not set (the compose file's default is in use); else None (an override
    file writes the image itself).
    """
    usual = (_SERVICE_BASE_VARS if base else _SERVICE_IMAGE_VARS).get(service)
    matching = sorted(name for name, value in env.items() if name.startswith("IMAGE_") and value == image)
    if usual in matching:
        return usual
    if matching:
        return matching[0]
    if usual and not env.get(usual):
        return usual
    return None


def needed_images(config: dict, env: dict[str, str]) -> list[ImageNeed]:
    """The images ``up`` may pull, from ``compose config --format json`` (``config``), in order.

    A service with a ``build:`` section is built here, not pulled: its base (build arg
    ``BASE_IMAGE``) is needed instead, unless the built image is present. ``pull_policy: never``
    is never pulled. ``env`` (the interpolation environment) attributes each image to its
    ``IMAGE_*`` variable. No Docker call.
    """
    needs: dict[tuple[str, str | None], ImageNeed] = {}
    for service, spec in (config.get("services") or {}).items():
        if not isinstance(spec, dict):
            continue
        policy = str(spec.get("pull_policy") or "missing")
        build = spec.get("build")
        if build:
            args = build.get("args") if isinstance(build, dict) else None
            base = (args or {}).get("BASE_IMAGE") if isinstance(args, dict) else None
            if not base:
                continue
            # pull_policy: build rebuilds every time, so the base is needed even with the image there.
            image, built, variable = base, (None if policy == "build" else spec.get("image")), True
        else:
            image, built, variable = spec.get("image"), None, False
            if not image or policy == "never":
                continue
        need = needs.setdefault(
            (image, built), ImageNeed(image, variable=image_variable(image, service, env, base=variable), built=built)
        )
        need.services.append(service)
    return list(needs.values())


def image_present(image: str, timeout: float = 60.0) -> bool:
    """True when the engine holds ``image`` (``docker image inspect``); False also when it cannot say."""
    try:
        result = subprocess.run(
            ["docker", "image", "inspect", image],
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def pull_image(image: str) -> str | None:
    """``docker pull image``, its progress on this process's stdout; None when it worked, else
    docker's error line (never raises)."""
    try:
        result = subprocess.run(
            ["docker", "pull", image], stderr=subprocess.PIPE, text=True, check=False, stdin=subprocess.DEVNULL
        )
    except OSError as exc:
        return f"cannot run docker ({exc.strerror or exc})"
    if result.returncode == 0:
        return None
    return _error_line(result.stderr) or f"docker pull exited {result.returncode}"


def registry_of(image: str) -> tuple[str, str]:
    """``(registry, rest)`` of an image reference by Docker's rule: the first component is a
    registry when it has a '.' or ':' or is ``localhost``; else the image is on docker.io."""
    first, slash, rest = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "docker.io", image if slash else f"library/{image}"


def _pull_cause(image: str, error: str) -> tuple[str, str]:
    """(the cause, in words; what to do about the image) for docker's error line."""
    registry, _ = registry_of(image)
    lowered = error.lower()
    if "x509" in lowered or "certificate" in lowered:
        return (
            f"the Docker engine does not trust the TLS certificate of {registry}",
            f"give the engine your CA (/etc/docker/certs.d/{registry}/ca.crt), or point it at a registry it trusts",
        )
    if "toomanyrequests" in lowered or "rate limit" in lowered:
        return (
            f"{registry} refuses more pulls for now (rate limit)",
            f"`docker login {registry}` (a higher limit), or point it at your registry mirror",
        )
    if "does not exist or may require" in lowered:
        return (
            f"{registry} has no such repository, or wants a login",
            f"check the name, or `docker login {registry}`, or point it at your registry mirror",
        )
    if "unauthorized" in lowered or "authentication required" in lowered or "denied" in lowered:
        return (
            f"{registry} refuses the pull without a login",
            f"`docker login {registry}` first, or point it at a mirror you may pull from",
        )
    if "manifest unknown" in lowered or "not found" in lowered:
        return f"{registry} has no such image or tag", "check its name and tag"
    unreachable = (
        "no such host",
        "dial tcp",
        "i/o timeout",
        "connection refused",
        "network is unreachable",
        "tls handshake timeout",
        "timeout exceeded",
        "deadline exceeded",
        "proxyconnect",
        "no route to host",
    )
    if any(marker in lowered for marker in unreachable):
        return (
            f"the Docker engine cannot reach the registry {registry}",
            "point it at a registry or mirror the engine reaches",
        )
    return "docker pull failed", "point it at an image the engine can pull"


def image_setting(variable: str, options: dict[str, str], example: str) -> str:
    """How to change ``variable`` (e.g. ``IMAGE_POSTGRES``): the setup option in ``options``
    (variable -> ``--image-postgres``), else its key in ``platform-config.yaml``, else ``.env``."""
    if variable in options:
        return f"`./platform setup -y {options[variable]} {example}`"
    key = variable.removeprefix("IMAGE_").lower()
    if key in DEFAULT_IMAGES:
        return f"set images.{key}: {example} in platform-config.yaml, then `./platform setup -y`"
    return f"set {variable}={example} in .env"


def pull_problem(need: ImageNeed, error: str, options: dict[str, str]) -> str:
    """The one line for an image that could not be pulled: the image, who needs it, the cause,
    and the ``.env`` variable with the setting that chooses it (see :func:`image_setting`)."""
    services = ", ".join(need.services)
    what = f"the base {need.built} is built FROM, for {services}" if need.built else f"for {services}"
    cause, action = _pull_cause(need.image, error)
    _, rest = registry_of(need.image)
    if need.variable:
        setting = image_setting(need.variable, options, f"<registry>/{rest}")
        where = f"It comes from {need.variable} in .env: {action}: {setting}"
    else:
        where = f"It is written in a compose file, not .env (see PLATFORM_COMPOSE_FILES): {action} there"
    return f"cannot pull {need.image} ({what}): {cause} ({error}). {where}"


def pull_missing(
    needs: list[ImageNeed],
    options: dict[str, str],
    say: Callable[[str], None] = print,
    present: Callable[[str], bool] = image_present,
    pull: Callable[[str], str | None] = pull_image,
) -> list[str]:
    """Pull each of ``needs`` that the engine does not hold yet, one ``docker pull`` per image.

    Present images (``docker image inspect``) are not pulled again, nor a build's base when the
    built image is present. ``say`` gets one progress line per pull. Returns one problem line per
    image that failed (:func:`pull_problem`; ``options`` maps ``IMAGE_*`` to setup options), [] when
    all is there. Never raises.
    """
    problems = []
    for need in needs:
        if (need.built and present(need.built)) or present(need.image):
            continue
        say(f"pulling {need.image} (for {', '.join(need.services)})...")
        error = pull(need.image)
        if error is not None:
            problems.append(pull_problem(need, error, options))
    return problems

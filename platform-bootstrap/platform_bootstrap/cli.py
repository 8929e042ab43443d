"""Command line of ``platform-bootstrap/platform``: setup, preflight, bot-token, status, login-info."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from . import health as health_mod
from . import preflight as preflight_mod
from .envfile import read_env, update_env_file
from .omapi import (
    OpenMetadataApiError,
    airflow_connection_uri,
    fetch_ingestion_bot_token,
)
from .progress import wait_for
from .settings import ConfigError, PlatformConfig, read_ca_bundle
from .wizard import ENV_NAME, apply_answers, load_previous, run_setup

DEFAULT_DIR = Path(__file__).resolve().parent.parent
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# (answer key, CLI option, prompt text or None = flag/env only). Every option also reads
# PLATFORM_<OPTION> from the environment.
_SETTINGS = [
    ("cluster_name", "cluster-name", "OpenMetadata cluster name"),
    ("bind_address", "bind-address", "Address the published ports bind to (127.0.0.1, 0.0.0.0 or a host IP)"),
    ("ports.openmetadata", "openmetadata-port", "OpenMetadata UI/API port"),
    ("ports.openmetadata_admin", "openmetadata-admin-port", "OpenMetadata admin (health) port"),
    ("ports.postgres", "postgres-port", "PostgreSQL port"),
    ("ports.elasticsearch", "elasticsearch-port", "Elasticsearch port"),
    ("ports.airflow", "airflow-port", "Platform Airflow api-server port"),
    ("elasticsearch_heap", "elasticsearch-heap", "Elasticsearch heap (e.g. 512m, 1g)"),
    ("images.postgres", "image-postgres", "PostgreSQL image"),
    ("images.elasticsearch", "image-elasticsearch", "Elasticsearch image"),
    ("images.openmetadata_server", "image-openmetadata-server", "OpenMetadata server image (2.0.x)"),
    ("images.airflow_base", "image-airflow-base", "Base image the platform Airflow is built from"),
    ("images.kerberos_sidecar", "image-kerberos-sidecar", "Kerberos sidecar image"),
    ("images.kerberos_sidecar_base", "image-kerberos-sidecar-base", "Base image the Kerberos sidecar is built from"),
    (
        "ca_bundle",
        "ca-bundle",
        "Extra CA certificates the image builds trust: a PEM file (empty or none: no extra CA)",
    ),
    ("kerberos.enabled", "kerberos", "Share your Kerberos ticket with containers?"),
    ("kerberos.realm", "kerberos-realm", "Kerberos realm"),
    ("kerberos.principal", "kerberos-principal", "Kerberos principal"),
    ("kerberos.host_ccache", "kerberos-ccache", "Host Kerberos ticket cache file (its directory is mounted)"),
    ("kerberos.share_gid", "kerberos-share-gid", "Group id of the containers using the ticket (0: apache/airflow)"),
    ("kerberos.host_uid", "kerberos-host-uid", None),
]


def _current(cfg: PlatformConfig, key: str):
    section, _, name = key.partition(".")
    if not name:
        return getattr(cfg, section)
    return getattr(cfg, section)[name] if section in ("ports", "images") else getattr(cfg.kerberos, name)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _fail(exc: Exception, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {exc}")
    sys.exit(code)


def _default_ccache() -> str:
    """The host's FILE cache if KRB5CCNAME names one, else MIT's default ``/tmp/krb5cc_<uid>``."""
    name = os.environ.get("KRB5CCNAME", "")
    if name.startswith("FILE:") or name.startswith("/"):
        return name.removeprefix("FILE:")
    return f"/tmp/krb5cc_{os.getuid()}"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Set up and operate the always-on platform stack (OpenMetadata and friends)."""


def _setup_options(func):
    for key, opt, text in reversed(_SETTINGS):
        envvar = "PLATFORM_" + opt.upper().replace("-", "_")
        text = text or {"kerberos.host_uid": "uid the Kerberos sidecar runs as (default: the cache file's owner)"}[key]
        if key == "kerberos.enabled":
            func = click.option(
                "--kerberos/--no-kerberos",
                "kerberos__enabled",
                default=None,
                envvar=envvar,
                help=f"{text} [env {envvar}]",
            )(func)
        else:
            func = click.option(
                f"--{opt}", key.replace(".", "__"), default=None, envvar=envvar, help=f"{text} [env {envvar}]"
            )(func)
    return func


@main.command()
@click.option(
    "--non-interactive",
    "-y",
    is_flag=True,
    envvar="PLATFORM_NON_INTERACTIVE",
    help="Take flags/env and previous answers, ask nothing (CI).",
)
@click.option(
    "--dir",
    "base_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_DIR,
    show_default=True,
    help="Where platform-config.yaml, .env and secrets/ go.",
)
@click.option(
    "--skip-port-check",
    is_flag=True,
    envvar="PLATFORM_SKIP_PORT_CHECK",
    help="Do not test whether the (new) ports are free on the bind address.",
)
@_setup_options
def setup(non_interactive: bool, base_dir: Path, skip_port_check: bool, **options) -> None:
    """Write platform-config.yaml and .env (0600) with generated secrets; safe to re-run.

    Everything is checked first (values, the bind address, free ports); every problem is reported
    at once and nothing is written on error. Ends with the next command to run.
    """
    again = "./platform setup -y" if non_interactive else "./platform setup"
    answers = {k.replace("__", "."): v for k, v in options.items()}
    try:
        cfg, _ = load_previous(base_dir) if base_dir.is_dir() else (PlatformConfig(), {})
    except ConfigError as exc:
        _setup_failed(exc, again)
    if not non_interactive:
        if not _stdin_is_terminal():
            _fail(
                ConfigError(
                    "stdin", "expected a terminal for questions; use --non-interactive (or PLATFORM_NON_INTERACTIVE=1)"
                )
            )
        first_run = not (base_dir / "platform-config.yaml").exists()
        answers = _ask(cfg, answers, check_ports=not skip_port_check, first_run=first_run)
    try:
        result = run_setup(base_dir, answers, check_ports=not skip_port_check)
    except ConfigError as exc:
        _setup_failed(exc, again)
    except OSError as exc:
        _setup_failed(ConfigError("output_dir", f"cannot write ({exc.strerror})"), again)
    out.print(f"Wrote {result.config_path} and {result.env_path} (mode 0600).")
    if result.new_secrets:
        out.print(f"Generated: {', '.join(result.new_secrets)}.")
    else:
        out.print("Kept the existing secrets.")
    if result.new_jwt_keys:
        out.print("Generated the server's JWT signing keys in secrets/jwt/.")
    if result.ca_copy:
        out.print(f"Copied the CA bundle to {result.ca_copy}: image builds trust it (rebuild to apply a change).")
    elif result.ca_removed:
        out.print("Removed the previous CA bundle copy (ca_bundle is empty).")
    for finding in result.findings:
        if finding.level != "ok":
            err.print(f"[yellow]{finding.name}:[/] {finding.detail}")
    out.print("Next: `make openmetadata-start` (in the repository root) starts the platform.")


def _setup_failed(exc: ConfigError, again: str) -> None:
    """Print every problem of a refused setup (one ``error: <field>: expected ...`` line each), that
    nothing was written, and the command to run once they are fixed; exit 2."""
    problems = exc.errors
    for problem in problems:
        err.print(f"[bold red]error:[/] {escape(str(problem))}")
    these = "it" if len(problems) == 1 else f"these {len(problems)}"
    err.print(f"[yellow]Nothing was written.[/] Fix {these} and run `{escape(again)}` again.")
    sys.exit(2)


def _machine_problem(trial: PlatformConfig, key: str, previous: PlatformConfig, check_ports: bool, first_run: bool):
    """Why ``key``'s answer cannot work on this host (address not ours, port taken, CA file unusable), or None."""
    if key == "ca_bundle" and trial.ca_bundle:
        try:
            read_ca_bundle(trial.ca_bundle)
        except ConfigError as exc:
            return str(exc)
    if key == "bind_address":
        try:
            preflight_mod.check_bind_address(trial.bind_address)
        except ConfigError as exc:
            return str(exc)
    name = key.partition(".")[2]
    if key.startswith("ports.") and check_ports:
        changed = first_run or str(previous.ports.get(name)) != str(trial.ports[name])
        if changed and preflight_mod.busy_ports(trial, [name]):
            return f"{key}: expected a free port: {preflight_mod.port_problem(trial, name)}"
    return None


def _ask(cfg: PlatformConfig, answers: dict, check_ports: bool = True, first_run: bool = True) -> dict:
    """Prompt for every setting not given on the command line; re-ask until the field is valid
    and, for the address and the ports, usable on this host."""
    result = dict(answers)
    for key, _opt, text in _SETTINGS:
        if result.get(key) is not None or text is None:
            continue
        if key.startswith("kerberos.") and key != "kerberos.enabled" and not result.get("kerberos.enabled"):
            continue
        while True:
            default = _current(cfg, key)
            if key == "kerberos.enabled":
                value = click.confirm(text, default=bool(default))
            else:
                if key == "kerberos.host_ccache" and not default:
                    default = _default_ccache()
                value = click.prompt(text, default=str(default) if default is not None else "", show_default=True)
            trial = copy.deepcopy(cfg)
            try:
                apply_answers(trial, {**result, key: value}).validate()
            except ConfigError as exc:
                mine = [problem for problem in exc.errors if problem.field == key]
                if mine:
                    err.print(f"[red]{escape(str(mine[0]))}[/]")
                    continue
            else:
                problem = _machine_problem(trial, key, cfg, check_ports, first_run)
                if problem:
                    err.print(f"[red]{problem}[/]")
                    continue
            result[key] = value
            break
    return result


def _load(base_dir: Path) -> tuple[PlatformConfig, dict[str, str]]:
    env_path = base_dir / ENV_NAME
    try:
        cfg, env = load_previous(base_dir)
    except ConfigError as exc:
        _fail(exc)
    if not env:
        _fail(ConfigError(".env", f"{env_path} not found; run `platform setup` first"))
    try:
        cfg.validate()
    except ConfigError as exc:
        _fail(exc)
    return cfg, env


@main.command()
@click.option("--dir", "base_dir", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True)
@click.option("--project", default=None, help="Compose project whose own ports are not a clash (default from .env).")
def preflight(base_dir: Path, project: str | None) -> None:
    """Before `up`, in the order a fix has to happen: the Docker engine answers, Compose v2 is
    there, the bind address is this host's, every port is free, the Kerberos directory exists.

    Exit 1 with one line per problem, naming the setting and the fix; nothing is created. Without
    an engine the ports are not checked (the platform's own containers could not be told apart).
    """
    cfg, env = _load(base_dir)
    problems = []
    docker = preflight_mod.docker_verdict(DEFAULT_DIR)
    if not docker.ok:
        problems.append(docker.problem)
    try:
        preflight_mod.check_bind_address(cfg.bind_address)
    except ConfigError as exc:
        problems.append(str(exc))
    else:
        if docker.engine_ok:
            project = project or env.get("COMPOSE_PROJECT_NAME") or "platform"
            busy = preflight_mod.busy_ports(cfg, project=project)
            problems += [preflight_mod.port_problem(cfg, name) for name in busy]
    host_uid = env.get("KRB5_HOST_UID")
    findings = preflight_mod.kerberos_findings(cfg, int(host_uid) if (host_uid or "").isdigit() else None)
    problems += [f"kerberos: {f.detail}" for f in findings if f.level == "fail"]
    for finding in findings:
        if finding.level == "note":
            out.print(f"[yellow]note:[/] kerberos: {finding.detail}")
    if problems:
        for problem in problems:
            err.print(f"[bold red]error:[/] {escape(problem)}")
        sys.exit(1)
    out.print(
        f"preflight ok: Docker engine and Compose v2 ({escape(docker.compose)}), {cfg.bind_address}, "
        f"ports {', '.join(str(p) for p in cfg.ports.values())} free or ours"
    )


def _image_options() -> dict[str, str]:
    """``IMAGE_POSTGRES`` -> ``--image-postgres``: the setup option of each image setting."""
    return {
        "IMAGE_" + key.partition(".")[2].upper(): f"--{option}"
        for key, option, _text in _SETTINGS
        if key.startswith("images.")
    }


@main.command()
@click.option("--dir", "base_dir", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True)
def pull(base_dir: Path) -> None:
    """Before `up`: pull each image the stack needs that this engine does not hold yet.

    One `docker pull` per image: not the images built here (a `build:` section; their base image
    instead, while the built image is missing), not `pull_policy: never` ones, not present ones.
    Exit 1 naming each image that failed, why, and the .env variable and setup option choosing it.
    """
    _cfg, env = _load(base_dir)
    docker = preflight_mod.docker_verdict(DEFAULT_DIR)
    if not docker.ok:
        _fail(escape(docker.problem), code=1)
    environment = preflight_mod.compose_env(env)
    try:
        config = preflight_mod.compose_config(DEFAULT_DIR, environment)
    except preflight_mod.ComposeError as exc:
        _fail(escape(f"cannot list the stack's images: {exc}"), code=1)
    needs = preflight_mod.needed_images(config, environment)
    problems = preflight_mod.pull_missing(needs, _image_options(), say=lambda line: out.print(escape(line)))
    if problems:
        for problem in problems:
            err.print(f"[bold red]error:[/] {escape(problem)}")
        sys.exit(1)
    out.print(f"images ok: the {len(needs)} the stack pulls are all here")


@main.command("bot-token")
@click.option("--dir", "base_dir", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True)
@click.option("--url", default=None, help="Server URL (default: OPENMETADATA_HOST_PORT from .env).")
@click.option(
    "--wait", "wait_seconds", default=0, type=int, help="Retry for this many seconds while the server starts."
)
@click.option("--poll", default=5.0, type=float, show_default=True, help="Seconds between tries while waiting.")
def bot_token(base_dir: Path, url: str | None, wait_seconds: int, poll: float) -> None:
    """Fetch the ingestion bot's JWT from the server and store it in .env for Airflow."""
    env_path = base_dir / ENV_NAME
    env = read_env(env_path)
    if not env:
        _fail(ConfigError(".env", f"{env_path} not found; run `platform setup` first"))
    if not url:
        url = env.get("OPENMETADATA_HOST_PORT")
    if not url:
        cfg, _ = load_previous(base_dir)
        url = cfg.openmetadata_url
    password = env.get("OPENMETADATA_ADMIN_PASSWORD")
    if not password:
        _fail(ConfigError("OPENMETADATA_ADMIN_PASSWORD", "missing from .env; re-run `platform setup`"))
    email = env.get("OPENMETADATA_ADMIN_EMAIL") or "admin@open-metadata.org"

    def attempt():
        try:
            return True, "token received", fetch_ingestion_bot_token(url, email, password)
        except OpenMetadataApiError as exc:
            # Only "cannot reach" is worth waiting for (the server is starting); anything else is final.
            return "cannot reach" not in str(exc), str(exc), exc

    done, _status, value = wait_for(
        f"the OpenMetadata server at {url} to hand out the bot token", attempt, wait_seconds, err, poll=poll
    )
    if isinstance(value, Exception) or not done:
        _fail(value, code=1)
    token = value
    try:
        update_env_file(
            env_path,
            {
                "OPENMETADATA_JWT_TOKEN": token,
                "AIRFLOW_CONN_OPENMETADATA_DEFAULT": airflow_connection_uri(url, token),
            },
        )
    except ValueError as exc:
        _fail(exc, code=1)
    out.print(
        f"Stored the ingestion-bot token in {env_path} (OPENMETADATA_JWT_TOKEN, AIRFLOW_CONN_OPENMETADATA_DEFAULT)."
    )


def _status(base_dir: Path, host: str | None, wait_seconds: int, poll: float) -> None:
    cfg, env = _load(base_dir)
    # Once per run: the engine and Compose (the first line), and which services this stack has.
    docker = preflight_mod.docker_verdict(DEFAULT_DIR)
    services = health_mod.compose_services(DEFAULT_DIR, preflight_mod.compose_env(env))
    ctx = health_mod.StackContext(
        cfg=cfg,
        env=env,
        host=host or cfg.client_host,
        bootstrap_dir=DEFAULT_DIR,
        docker=docker,
        services=services,
    )

    def attempt():
        checks = health_mod.run_checks(ctx)
        failing = [c for c in checks if c.state == "fail"]
        if not failing:
            return True, "all up", checks
        more = f" (and {len(failing) - 1} more failing)" if len(failing) > 1 else ""
        return False, f"{failing[0].name}: {failing[0].detail}{more}", checks

    _done, _status_line, checks = wait_for(
        f"the platform on {ctx.host}",
        attempt,
        wait_seconds,
        err,
        poll=poll,
    )
    checks = [health_mod.check_docker(docker), *checks]
    marks = {"ok": "[green]ok  [/]", "waiting": "[yellow]wait[/]", "skipped": "[dim]skip[/]", "fail": "[red]FAIL[/]"}
    for c in checks:
        out.print(f"  {marks[c.state]} {c.name:<9} {escape(c.detail)}")
    sys.exit(0 if all(c.state != "fail" for c in checks) else 1)


_status_options = [
    click.option("--dir", "base_dir", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True),
    click.option("--host", default=None, help="Address to reach the published ports (default: from the bind address)."),
    click.option(
        "--wait", "wait_seconds", default=0, type=int, help="Keep checking until all is up or this many seconds pass."
    ),
    click.option("--poll", default=5.0, type=float, show_default=True, help="Seconds between checks while waiting."),
]


def _with_status_options(func):
    for option in reversed(_status_options):
        func = option(func)
    return func


@main.command()
@_with_status_options
def status(base_dir: Path, host: str | None, wait_seconds: int, poll: float) -> None:
    """Check the Docker engine and Compose, then server, search, database, the Kerberos sidecar
    and Airflow; exit 1 if any fails.

    Kerberos waiting for a first ticket is shown as `wait`, a service this stack leaves out
    (e.g. search under a profile nobody enables) as `skip`; neither is a failure.
    """
    _status(base_dir, host, wait_seconds, poll)


@main.command()
@_with_status_options
def health(base_dir: Path, host: str | None, wait_seconds: int, poll: float) -> None:
    """Same as `status` (kept for scripts)."""
    _status(base_dir, host, wait_seconds, poll)


@main.command("login-info")
@click.option("--dir", "base_dir", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True)
def login_info(base_dir: Path) -> None:
    """Print the UI URL and how to log in (never the password itself)."""
    env = read_env(base_dir / ENV_NAME)
    try:
        cfg, _ = load_previous(base_dir)
    except ConfigError:
        cfg = PlatformConfig()
    url = env.get("OPENMETADATA_HOST_PORT") or cfg.openmetadata_url
    email = env.get("OPENMETADATA_ADMIN_EMAIL", "admin@open-metadata.org")
    out.print(f"OpenMetadata UI: {url}")
    out.print(f"Log in as {email}; the password is OPENMETADATA_ADMIN_PASSWORD in {base_dir / ENV_NAME}")
    out.print(f"  (e.g. grep OPENMETADATA_ADMIN_PASSWORD {base_dir / ENV_NAME})")

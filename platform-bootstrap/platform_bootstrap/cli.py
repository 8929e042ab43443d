"""Command line of ``platform-bootstrap/platform``: setup, bot-token, health, login-info."""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from . import health as health_mod
from .envfile import read_env, update_env_file
from .omapi import (
    OpenMetadataApiError,
    airflow_connection_uri,
    fetch_ingestion_bot_token,
)
from .settings import ConfigError, PlatformConfig
from .wizard import ENV_NAME, apply_answers, load_previous, run_setup

DEFAULT_DIR = Path(__file__).resolve().parent.parent
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# (answer key, CLI option, prompt text). Every option also reads PLATFORM_<OPTION> from the env.
_SETTINGS = [
    ("cluster_name", "cluster-name", "OpenMetadata cluster name"),
    ("bind_address", "bind-address", "Address the published ports bind to"),
    ("ports.openmetadata", "openmetadata-port", "OpenMetadata UI/API port"),
    ("ports.openmetadata_admin", "openmetadata-admin-port", "OpenMetadata admin (health) port"),
    ("ports.postgres", "postgres-port", "PostgreSQL port"),
    ("ports.elasticsearch", "elasticsearch-port", "Elasticsearch port"),
    ("elasticsearch_heap", "elasticsearch-heap", "Elasticsearch heap (e.g. 512m, 1g)"),
    ("images.postgres", "image-postgres", "PostgreSQL image"),
    ("images.elasticsearch", "image-elasticsearch", "Elasticsearch image"),
    ("images.openmetadata_server", "image-openmetadata-server", "OpenMetadata server image (2.0.x)"),
    ("images.kerberos_sidecar", "image-kerberos-sidecar", "Kerberos sidecar image"),
    ("kerberos.enabled", "kerberos", "Share your Kerberos ticket with containers?"),
    ("kerberos.realm", "kerberos-realm", "Kerberos realm"),
    ("kerberos.principal", "kerberos-principal", "Kerberos principal"),
    ("kerberos.host_ccache", "kerberos-ccache", "Host Kerberos ticket cache file"),
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Set up and operate the always-on platform stack (OpenMetadata and friends)."""


def _setup_options(func):
    for key, opt, text in reversed(_SETTINGS):
        envvar = "PLATFORM_" + opt.upper().replace("-", "_")
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
@_setup_options
def setup(non_interactive: bool, base_dir: Path, **options) -> None:
    """Write platform-config.yaml and .env (0600) with generated secrets; safe to re-run."""
    answers = {k.replace("__", "."): v for k, v in options.items()}
    try:
        cfg, _ = load_previous(base_dir) if base_dir.is_dir() else (PlatformConfig(), {})
    except ConfigError as exc:
        _fail(exc)
    if not non_interactive:
        if not _stdin_is_terminal():
            _fail(
                ConfigError(
                    "stdin", "expected a terminal for questions; use --non-interactive (or PLATFORM_NON_INTERACTIVE=1)"
                )
            )
        answers = _ask(cfg, answers)
    try:
        result = run_setup(base_dir, answers)
    except ConfigError as exc:
        err.print("[yellow]Nothing was written.[/]")
        _fail(exc)
    except OSError as exc:
        err.print("[yellow]Nothing was written.[/]")
        _fail(ConfigError("output_dir", f"cannot write ({exc.strerror})"))
    out.print(f"Wrote {result.config_path} and {result.env_path} (mode 0600).")
    if result.new_secrets:
        out.print(f"Generated: {', '.join(result.new_secrets)}.")
    else:
        out.print("Kept the existing secrets.")
    if result.new_jwt_keys:
        out.print("Generated the server's JWT signing keys in secrets/jwt/.")


def _ask(cfg: PlatformConfig, answers: dict) -> dict:
    """Prompt for every setting not given on the command line; re-ask until the field is valid."""
    result = dict(answers)
    for key, _opt, text in _SETTINGS:
        if result.get(key) is not None:
            continue
        if key.startswith("kerberos.") and key != "kerberos.enabled" and not result.get("kerberos.enabled"):
            continue
        while True:
            default = _current(cfg, key)
            if key == "kerberos.enabled":
                value = click.confirm(text, default=bool(default))
            else:
                if key == "kerberos.host_ccache" and not default:
                    default = f"/tmp/krb5cc_{os.getuid()}"
                value = click.prompt(text, default=str(default) if default is not None else "", show_default=True)
            trial = copy.deepcopy(cfg)
            try:
                apply_answers(trial, {**result, key: value}).validate()
            except ConfigError as exc:
                if exc.field == key or exc.field == "ports":
                    err.print(f"[red]{exc}[/]")
                    continue
            result[key] = value
            break
    return result


@main.command("bot-token")
@click.option("--dir", "base_dir", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True)
@click.option("--url", default=None, help="Server URL (default: OPENMETADATA_HOST_PORT from .env).")
@click.option(
    "--wait", "wait_seconds", default=0, type=int, help="Retry for this many seconds while the server starts."
)
def bot_token(base_dir: Path, url: str | None, wait_seconds: int) -> None:
    """Fetch the ingestion bot's JWT from the server and store it in .env for Airflow."""
    env_path = base_dir / ENV_NAME
    env = read_env(env_path)
    if not env:
        _fail(ConfigError(".env", f"{env_path} not found; run `platform setup` first"))
    url = url or env.get("OPENMETADATA_HOST_PORT") or "http://localhost:8585"
    password = env.get("OPENMETADATA_ADMIN_PASSWORD")
    if not password:
        _fail(ConfigError("OPENMETADATA_ADMIN_PASSWORD", "missing from .env; re-run `platform setup`"))
    email = env.get("OPENMETADATA_ADMIN_EMAIL") or "admin@open-metadata.org"
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            token = fetch_ingestion_bot_token(url, email, password)
            break
        except OpenMetadataApiError as exc:
            if time.monotonic() >= deadline or "cannot reach" not in str(exc):
                _fail(exc, code=1)
            time.sleep(5)
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


@main.command()
@click.option("--dir", "base_dir", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--wait", "wait_seconds", default=0, type=int, help="Keep checking until healthy or this many seconds pass."
)
def health(base_dir: Path, host: str, wait_seconds: int) -> None:
    """Check server, search and database health; exit 1 if any is unhealthy."""
    try:
        cfg, env = load_previous(base_dir)
    except ConfigError as exc:
        _fail(exc)
    deadline = time.monotonic() + wait_seconds
    while True:
        checks = [
            health_mod.check_server(host, cfg.ports["openmetadata"], cfg.ports["openmetadata_admin"]),
            health_mod.check_search(host, cfg.ports["elasticsearch"]),
            health_mod.check_database(
                host,
                cfg.ports["postgres"],
                "openmetadata_user",
                env.get("OPENMETADATA_DB_PASSWORD", ""),
                "openmetadata_db",
            ),
        ]
        if all(c.ok for c in checks) or time.monotonic() >= deadline:
            break
        time.sleep(5)
    for c in checks:
        mark = "[green]ok  [/]" if c.ok else "[red]FAIL[/]"
        out.print(f"  {mark} {c.name:<9} {c.detail}")
    sys.exit(0 if all(c.ok for c in checks) else 1)


@main.command("login-info")
@click.option("--dir", "base_dir", type=click.Path(path_type=Path), default=DEFAULT_DIR, show_default=True)
def login_info(base_dir: Path) -> None:
    """Print the UI URL and how to log in (never the password itself)."""
    env = read_env(base_dir / ENV_NAME)
    url = env.get("OPENMETADATA_HOST_PORT", "http://localhost:8585")
    email = env.get("OPENMETADATA_ADMIN_EMAIL", "admin@open-metadata.org")
    out.print(f"OpenMetadata UI: {url}")
    out.print(f"Log in as {email}; the password is OPENMETADATA_ADMIN_PASSWORD in {base_dir / ENV_NAME}")
    out.print(f"  (e.g. grep OPENMETADATA_ADMIN_PASSWORD {base_dir / ENV_NAME})")

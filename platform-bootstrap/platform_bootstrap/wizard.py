"""The setup wizard's logic: merge answers with the previous run, validate, write atomically.

Writes, in ``base_dir`` (``platform-bootstrap/`` by default):

* ``platform-config.yaml``: non-secret settings (ports, cluster name, images, Kerberos);
* ``.env`` (0600): what Docker Compose interpolates, the generated secrets, the server URL
  and the ingestion-bot token placeholder;
* ``secrets/jwt/{private,public}_key.der``: the server's JWT signing keys.

Precedence for every setting: explicit answer > previous ``platform-config.yaml`` > default.
Secrets already in ``.env`` are always kept.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import secrets_gen
from .envfile import atomic_write, read_env, render_env
from .omapi import airflow_connection_uri
from .settings import ConfigError, PlatformConfig

CONFIG_NAME = "platform-config.yaml"
ENV_NAME = ".env"
SECRETS_DIR = "secrets"
ADMIN_EMAIL_DEFAULT = "admin@open-metadata.org"

# .env keys this wizard owns (recomputed on every run); any other key is carried over as is.
_MANAGED_KEYS = {
    "COMPOSE_PROJECT_NAME",
    "COMPOSE_PROFILES",
    "OPENMETADATA_CLUSTER_NAME",
    "PLATFORM_BIND_ADDRESS",
    "PLATFORM_OPENMETADATA_PORT",
    "PLATFORM_OPENMETADATA_ADMIN_PORT",
    "PLATFORM_POSTGRES_PORT",
    "PLATFORM_ELASTICSEARCH_PORT",
    "ELASTICSEARCH_HEAP",
    "IMAGE_POSTGRES",
    "IMAGE_ELASTICSEARCH",
    "IMAGE_OPENMETADATA_SERVER",
    "IMAGE_KERBEROS_SIDECAR",
    "KRB5_HOST_CCACHE",
    "KRB5_REALM",
    "KRB5_PRINCIPAL",
    "OPENMETADATA_HOST_PORT",
    "OPENMETADATA_ADMIN_EMAIL",
    "OPENMETADATA_JWT_TOKEN",
    "AIRFLOW_CONN_OPENMETADATA_DEFAULT",
    *secrets_gen.SECRET_KEYS,
}


@dataclass
class SetupResult:
    """What :func:`run_setup` wrote: paths and whether secrets/keys were newly generated."""

    config_path: Path
    env_path: Path
    new_secrets: list[str]
    new_jwt_keys: bool


def check_writable_dir(path: Path) -> Path:
    """Return ``path`` resolved if it is an existing directory we can create files in.

    Raises:
        ConfigError: (field ``output_dir``) missing, not a directory, or not writable.
    """
    path = Path(path)
    if not path.is_dir():
        raise ConfigError("output_dir", f"expected an existing directory, {path} is not one")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            "output_dir", f"expected a writable directory, cannot write in {path} ({exc.strerror})"
        ) from None
    return path.resolve()


def load_previous(base_dir: Path) -> tuple[PlatformConfig, dict[str, str]]:
    """Read the previous run's config and ``.env`` (defaults/empty when absent).

    Raises:
        ConfigError: ``platform-config.yaml`` exists but is not valid YAML / not a mapping.
    """
    cfg_path = Path(base_dir) / CONFIG_NAME
    data = None
    if cfg_path.exists():
        try:
            data = yaml.safe_load(cfg_path.read_text())
        except yaml.YAMLError as exc:
            raise ConfigError(
                CONFIG_NAME, f"expected valid YAML ({exc.__class__.__name__}); fix or delete the file"
            ) from None
    return PlatformConfig.from_dict(data), read_env(Path(base_dir) / ENV_NAME)


def apply_answers(cfg: PlatformConfig, answers: dict) -> PlatformConfig:
    """Apply ``answers`` (dotted keys such as ``ports.openmetadata``; None = not given) to ``cfg``.

    Raises:
        ConfigError: an unknown key.
    """
    for key, value in answers.items():
        if value is None:
            continue
        section, _, name = key.partition(".")
        if section in ("ports", "images") and name:
            getattr(cfg, section)[name] = value
        elif section == "kerberos" and name in cfg.kerberos.__dataclass_fields__:
            setattr(cfg.kerberos, name, value)
        elif not name and section in ("cluster_name", "bind_address", "elasticsearch_heap"):
            setattr(cfg, section, value)
        else:
            raise ConfigError(key, "unknown setting")
    return cfg


def build_env(cfg: PlatformConfig, secret_values: dict[str, str], previous: dict[str, str]) -> str:
    """Render the ``.env`` text for ``cfg``; keeps the bot token and unknown keys of ``previous``."""
    host_port = f"http://localhost:{cfg.ports['openmetadata']}"
    token = previous.get("OPENMETADATA_JWT_TOKEN", "")
    bot = {
        "OPENMETADATA_HOST_PORT": host_port,
        "OPENMETADATA_ADMIN_EMAIL": previous.get("OPENMETADATA_ADMIN_EMAIL") or ADMIN_EMAIL_DEFAULT,
        "OPENMETADATA_JWT_TOKEN": token,
    }
    if token:
        bot["AIRFLOW_CONN_OPENMETADATA_DEFAULT"] = airflow_connection_uri(host_port, token)
    sections = [
        (
            "Docker Compose project and profiles (kerberos starts the ticket-sharing sidecar)",
            {
                "COMPOSE_PROJECT_NAME": "platform",
                "COMPOSE_PROFILES": "kerberos" if cfg.kerberos.enabled else "",
            },
        ),
        (
            "Ports published on the host and the address they bind to",
            {
                "OPENMETADATA_CLUSTER_NAME": cfg.cluster_name,
                "PLATFORM_BIND_ADDRESS": cfg.bind_address,
                "PLATFORM_OPENMETADATA_PORT": str(cfg.ports["openmetadata"]),
                "PLATFORM_OPENMETADATA_ADMIN_PORT": str(cfg.ports["openmetadata_admin"]),
                "PLATFORM_POSTGRES_PORT": str(cfg.ports["postgres"]),
                "PLATFORM_ELASTICSEARCH_PORT": str(cfg.ports["elasticsearch"]),
                "ELASTICSEARCH_HEAP": cfg.elasticsearch_heap,
            },
        ),
        (
            "Images (point these at your registry mirror, e.g. Artifactory)",
            {
                "IMAGE_POSTGRES": cfg.images["postgres"],
                "IMAGE_ELASTICSEARCH": cfg.images["elasticsearch"],
                "IMAGE_OPENMETADATA_SERVER": cfg.images["openmetadata_server"],
                "IMAGE_KERBEROS_SIDECAR": cfg.images["kerberos_sidecar"],
            },
        ),
        (
            "Kerberos ticket sharing",
            {
                "KRB5_HOST_CCACHE": cfg.kerberos.host_ccache or "/dev/null",
                "KRB5_REALM": cfg.kerberos.realm,
                "KRB5_PRINCIPAL": cfg.kerberos.principal,
            },
        ),
        (
            "Secrets generated once and kept on re-runs (a changed DB password would lock out the volume)",
            {k: secret_values[k] for k in secrets_gen.SECRET_KEYS},
        ),
        ("OpenMetadata API for Airflow; the token is fetched from the server by `make openmetadata-start`", bot),
    ]
    extra = {k: v for k, v in previous.items() if k not in _MANAGED_KEYS}
    if extra:
        sections.append(("Kept from the previous .env", extra))
    return render_env(sections)


def run_setup(base_dir: Path, answers: dict) -> SetupResult:
    """Validate everything, then write config, ``.env`` and JWT keys; nothing is written on error.

    Args:
        base_dir: directory receiving the files (normally ``platform-bootstrap/``).
        answers: dotted setting keys to values (None = keep previous/default).

    Raises:
        ConfigError: a bad setting or an unusable ``base_dir`` (message names the field).
    """
    base_dir = check_writable_dir(base_dir)
    cfg, previous_env = load_previous(base_dir)
    cfg = apply_answers(cfg, answers)
    cfg.validate()
    secret_values = secrets_gen.merge_secrets(previous_env)
    new_secrets = [k for k in secrets_gen.SECRET_KEYS if not previous_env.get(k)]
    try:
        env_text = build_env(cfg, secret_values, previous_env)
    except ValueError as exc:
        raise ConfigError(".env", str(exc)) from None
    config_text = (
        "# Written by `platform-bootstrap/platform setup`; edit and re-run setup to apply.\n"
        "# Secrets are not here: they live in .env (mode 0600).\n" + yaml.safe_dump(cfg.to_dict(), sort_keys=False)
    )
    new_keys = secrets_gen.ensure_jwt_keys(base_dir / SECRETS_DIR)
    config_path, env_path = base_dir / CONFIG_NAME, base_dir / ENV_NAME
    atomic_write(config_path, config_text, mode=0o644)
    atomic_write(env_path, env_text, mode=0o600)
    return SetupResult(config_path, env_path, new_secrets, new_keys)

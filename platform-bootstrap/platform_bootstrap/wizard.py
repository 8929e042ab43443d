"""The setup wizard's logic: merge answers with the previous run, validate, write atomically.

Writes, in ``base_dir`` (``platform-bootstrap/`` by default):

* ``platform-config.yaml``: non-secret settings (ports, cluster name, images, Kerberos);
* ``.env`` (0600): what Docker Compose interpolates, the generated secrets, the server URL
  and the ingestion-bot token placeholder;
* ``secrets/jwt/{private,public}_key.der``: the server's JWT signing keys;
* ``ca-certificates/extra-ca.crt`` (0644): a copy of the ``ca_bundle`` file, trusted by the
  image builds (removed when the setting is empty).

Precedence for every setting: explicit answer > previous ``platform-config.yaml`` > default.
Secrets already in ``.env`` are always kept.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import preflight, secrets_gen
from .envfile import atomic_write, read_env, render_env
from .omapi import airflow_connection_uri
from .settings import (
    DEFAULT_PORTS,
    PORT_ENV,
    ConfigError,
    PlatformConfig,
    collecting,
    raise_if_any,
    read_ca_bundle,
)

CONFIG_NAME = "platform-config.yaml"
ENV_NAME = ".env"
SECRETS_DIR = "secrets"
# Every *.crt here is trusted by the image builds (airflow/Dockerfile); the wizard owns one file.
CA_DIR = "ca-certificates"
CA_COPY_NAME = "extra-ca.crt"
ADMIN_EMAIL_DEFAULT = "admin@open-metadata.org"

# .env keys this wizard owns (recomputed on every run); any other key is carried over as is.
_MANAGED_KEYS = {
    "COMPOSE_PROJECT_NAME",
    "COMPOSE_PROFILES",
    "OPENMETADATA_CLUSTER_NAME",
    "PLATFORM_BIND_ADDRESS",
    *PORT_ENV.values(),
    "ELASTICSEARCH_HEAP",
    "IMAGE_POSTGRES",
    "IMAGE_ELASTICSEARCH",
    "IMAGE_OPENMETADATA_SERVER",
    "IMAGE_KERBEROS_SIDECAR",
    "IMAGE_KERBEROS_SIDECAR_BASE",
    "IMAGE_AIRFLOW_BASE",
    "IMAGE_AIRFLOW",
    "AIRFLOW_BASE_URL",
    "KRB5_HOST_CCACHE_DIR",
    "KRB5_HOST_CCACHE_NAME",
    "KRB5_HOST_UID",
    "KRB5_SHARE_GID",
    "KRB5_REALM",
    "KRB5_PRINCIPAL",
    "OPENMETADATA_HOST_PORT",
    "OPENMETADATA_ADMIN_EMAIL",
    "OPENMETADATA_JWT_TOKEN",
    "AIRFLOW_CONN_OPENMETADATA_DEFAULT",
    *secrets_gen.SECRET_KEYS,
}
# Names earlier versions wrote for settings that now have one name each: dropped on re-run.
_RETIRED_KEYS = {"KRB5_HOST_CCACHE", "HOST_UID", "HOST_KRB5CCNAME", "HOST_KRB5_CACHE"}


@dataclass
class SetupResult:
    """What :func:`run_setup` wrote: paths, whether secrets/keys were newly generated, the
    Kerberos findings about the host (notes such as "no ticket yet"), and the CA bundle's copy
    (``ca_copy``: its path when written; ``ca_removed``: a previous copy was deleted)."""

    config_path: Path
    env_path: Path
    new_secrets: list[str]
    new_jwt_keys: bool
    findings: list[preflight.Finding]
    ca_copy: Path | None = None
    ca_removed: bool = False


def check_writable_dir(path: Path, field_name: str = "output_dir") -> Path:
    """Return ``path`` resolved if it is an existing directory we can create files in.

    Raises:
        ConfigError: (field ``field_name``, default ``output_dir``) missing, not a directory,
            or not writable.
    """
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(field_name, f"expected an existing directory, {path} is not one")
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            field_name, f"expected a writable directory, cannot write in {path} ({exc.strerror})"
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

    Every known key is applied (``cfg`` is changed in place and returned), even when some are not.

    Raises:
        ConfigError: an unknown key (a :class:`.settings.ConfigErrors` naming each, when several).
    """
    unknown: list[ConfigError] = []
    for key, value in answers.items():
        if value is None:
            continue
        section, _, name = key.partition(".")
        if section in ("ports", "images") and name:
            getattr(cfg, section)[name] = value
        elif section == "kerberos" and name in cfg.kerberos.__dataclass_fields__:
            setattr(cfg.kerberos, name, value)
        elif not name and section in ("cluster_name", "bind_address", "elasticsearch_heap", "ca_bundle"):
            setattr(cfg, section, value)
        else:
            unknown.append(ConfigError(key, "unknown setting"))
    raise_if_any(unknown)
    return cfg


def build_env(cfg: PlatformConfig, secret_values: dict[str, str], previous: dict[str, str]) -> str:
    """Render the ``.env`` text for ``cfg``; keeps the bot token and unknown keys of ``previous``."""
    host_port = cfg.openmetadata_url  # host-side tools reach the server through the bind address
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
                **{env: str(cfg.ports[name]) for name, env in PORT_ENV.items()},
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
                "IMAGE_KERBEROS_SIDECAR_BASE": cfg.images["kerberos_sidecar_base"],
                "IMAGE_AIRFLOW_BASE": cfg.images["airflow_base"],
                "IMAGE_AIRFLOW": cfg.images["airflow"],
            },
        ),
        (
            "The platform Airflow: its UI (and OpenMetadata's links to it). Optional build settings, kept\n"
            "when you add them: PIP_INDEX_URL (a PyPI mirror), SPACY_MODEL_PACKAGE (the spaCy model for PII\n"
            "classification: a pip requirement or wheel URL), INSTALL_MSODBC18=true, PAGILA_DIR.",
            {"AIRFLOW_BASE_URL": cfg.airflow_url},
        ),
        (
            "Kerberos ticket sharing: the sidecar mounts KRB5_HOST_CCACHE_DIR read-only and shares the cache\n"
            "KRB5_HOST_CCACHE_NAME in it; it runs as KRB5_HOST_UID (the cache's owner) and group KRB5_SHARE_GID\n"
            "(the consumers' group). Consumers use KRB5CCNAME=FILE:/krb5/cache/krb5cc.",
            {
                "KRB5_HOST_CCACHE_DIR": cfg.host_ccache_dir,
                "KRB5_HOST_CCACHE_NAME": cfg.host_ccache_name,
                "KRB5_HOST_UID": str(preflight.default_host_uid(cfg)),
                "KRB5_SHARE_GID": str(cfg.kerberos.share_gid),
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
    extra = {k: v for k, v in previous.items() if k not in _MANAGED_KEYS | _RETIRED_KEYS}
    if extra:
        sections.append(("Kept from the previous .env", extra))
    return render_env(sections)


def ports_to_check(cfg: PlatformConfig, previous: PlatformConfig | None) -> list[str]:
    """Ports whose availability matters: all on a first run, else those changed since the last run.

    An unchanged port that is busy is most likely this platform's own running container.
    """
    if previous is None or previous.bind_address != cfg.bind_address:
        return list(DEFAULT_PORTS)
    return [name for name in DEFAULT_PORTS if str(previous.ports.get(name)) != str(cfg.ports[name])]


def check_machine(
    cfg: PlatformConfig, previous: PlatformConfig | None, check_ports: bool = True, skip: frozenset[str] = frozenset()
) -> None:
    """The address belongs to this host and the (new) ports are free.

    Args:
        cfg: the settings (validated, apart from the fields in ``skip``).
        previous: the previous run's settings (None on a first run): only changed ports are tested.
        check_ports: test the ports at all.
        skip: fields already found bad (``bind_address``, ``ports.<name>``): not tested here.

    Raises:
        ConfigError: ``bind_address`` (then the ports are not tested), or every busy
            ``ports.<name>`` (a :class:`.settings.ConfigErrors` when several), naming the fix.
    """
    if "bind_address" in skip:
        return
    preflight.check_bind_address(cfg.bind_address)
    if not check_ports:
        return
    names = [name for name in ports_to_check(cfg, previous) if f"ports.{name}" not in skip]
    raise_if_any(
        [
            ConfigError(f"ports.{name}", "expected a free port: " + preflight.port_problem(cfg, name))
            for name in preflight.busy_ports(cfg, names)
        ]
    )


def prepare_ca_copy(base_dir: Path, cfg: PlatformConfig) -> bytes | None:
    """Read and check what :func:`write_ca_copy` will write, before anything is written.

    Args:
        base_dir: the wizard's directory (the copy goes to ``<base_dir>/ca-certificates/``).
        cfg: a validated config; ``cfg.ca_bundle`` is an absolute path or ``""``.

    Returns:
        The bundle's bytes, or None when ``cfg.ca_bundle`` is empty (no extra CA).

    Raises:
        ConfigError: (``ca_bundle``) see :func:`.settings.read_ca_bundle`; or
            ``ca-certificates/`` exists but is not a writable directory.
    """
    data = read_ca_bundle(cfg.ca_bundle) if cfg.ca_bundle else None
    ca_dir = Path(base_dir) / CA_DIR
    if (data is not None or (ca_dir / CA_COPY_NAME).exists()) and (ca_dir.exists() or ca_dir.is_symlink()):
        check_writable_dir(ca_dir, "ca_bundle")
    return data


def write_ca_copy(base_dir: Path, data: bytes | None) -> tuple[Path | None, bool]:
    """Write ``data`` to ``<base_dir>/ca-certificates/extra-ca.crt`` (0644, atomically), or remove it.

    Args:
        base_dir: the wizard's directory.
        data: the bundle from :func:`prepare_ca_copy`; None removes a previous copy.

    Returns:
        ``(path written or None, whether a previous copy was removed)``.

    Raises:
        OSError: the directory cannot be created or written.
    """
    path = Path(base_dir) / CA_DIR / CA_COPY_NAME
    if data is None:
        existed = path.exists() or path.is_symlink()
        path.unlink(missing_ok=True)
        return None, existed
    path.parent.mkdir(mode=0o755, exist_ok=True)
    atomic_write(path, data, mode=0o644)
    return path, False


def run_setup(base_dir: Path, answers: dict, check_ports: bool = True) -> SetupResult:
    """Validate everything, then write config, ``.env``, JWT keys and the CA bundle's copy;
    nothing is written on error.

    Args:
        base_dir: directory receiving the files (normally ``platform-bootstrap/``).
        answers: dotted setting keys to values (None = keep previous/default).
        check_ports: also refuse ports that something else already listens on (bind test on
            the bind address); only new or changed ports are tested on a re-run.

    Raises:
        ConfigError: an unusable ``base_dir`` or previous ``platform-config.yaml`` (alone); else
            every bad setting at once (``ca_bundle``: also a missing, unreadable or wrong file;
            the address and ports: also not usable on this host), a
            :class:`.settings.ConfigErrors` when there are several. Each names its field and what
            was expected.
    """
    base_dir = check_writable_dir(base_dir)
    cfg, previous_env = load_previous(base_dir)
    previous = copy.deepcopy(cfg) if (base_dir / CONFIG_NAME).exists() else None
    errors: list[ConfigError] = []
    with collecting(errors):
        apply_answers(cfg, answers)
    with collecting(errors):
        cfg.validate()
    bad = frozenset(error.field for error in errors)
    with collecting(errors):
        check_machine(cfg, previous, check_ports, skip=bad)
    ca_data = None
    if "ca_bundle" not in bad:
        with collecting(errors):
            ca_data = prepare_ca_copy(base_dir, cfg)
    raise_if_any(errors)
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
    ca_copy, ca_removed = write_ca_copy(base_dir, ca_data)
    config_path, env_path = base_dir / CONFIG_NAME, base_dir / ENV_NAME
    atomic_write(config_path, config_text, mode=0o644)
    atomic_write(env_path, env_text, mode=0o600)
    return SetupResult(
        config_path,
        env_path,
        new_secrets,
        new_keys,
        preflight.kerberos_findings(cfg, preflight.default_host_uid(cfg)),
        ca_copy,
        ca_removed,
    )

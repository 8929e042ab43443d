"""The platform's user-facing settings (``platform-config.yaml``): defaults and validation.

Everything here is non-secret. Secrets live in ``.env`` (see :mod:`.secrets_gen`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

# The server's major.minor must equal the pinned openmetadata-ingestion client's (2.0.6.0):
# the client refuses to talk to a server of another minor version.
DEFAULT_IMAGES = {
    "postgres": "docker.io/library/postgres:16",
    # OpenMetadata 2.0.x quickstart ships Elasticsearch 9.3.0 alongside the server.
    "elasticsearch": "docker.elastic.co/elasticsearch/elasticsearch:9.3.0",
    "openmetadata_server": "docker.getcollate.io/openmetadata/server:2.0.6",
    "kerberos_sidecar": "platform/developer-kerberos-service:local",
}
DEFAULT_PORTS = {
    "openmetadata": 8585,
    "openmetadata_admin": 8586,
    "postgres": 5432,
    "elasticsearch": 9200,
}

_IMAGE_RE = re.compile(r"^[a-z0-9][a-z0-9._\-/:@]*$", re.IGNORECASE)
_CLUSTER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$", re.IGNORECASE)
_HEAP_RE = re.compile(r"^[1-9][0-9]*[mg]$")
_REALM_RE = re.compile(r"^[A-Z0-9.\-]*$")
_PRINCIPAL_RE = re.compile(r"^[^\s@]+(@[A-Z0-9.\-]+)?$|^$")


class ConfigError(ValueError):
    """A setting has a bad value. ``field`` names it; the message says what was expected."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass
class KerberosSettings:
    """Kerberos ticket sharing with containers (the developer-kerberos-service sidecar)."""

    enabled: bool = False
    realm: str = ""
    principal: str = ""
    host_ccache: str = ""


@dataclass
class PlatformConfig:
    """All non-secret settings the wizard asks for; mirrors ``platform-config.yaml``."""

    cluster_name: str = "openmetadata"
    bind_address: str = "127.0.0.1"
    elasticsearch_heap: str = "1g"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    images: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_IMAGES))
    kerberos: KerberosSettings = field(default_factory=KerberosSettings)

    # -- (de)serialisation ---------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain dict for YAML, keys in a stable order."""
        return {
            "cluster_name": self.cluster_name,
            "bind_address": self.bind_address,
            "elasticsearch_heap": self.elasticsearch_heap,
            "ports": dict(self.ports),
            "images": dict(self.images),
            "kerberos": {f.name: getattr(self.kerberos, f.name) for f in fields(KerberosSettings)},
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> PlatformConfig:
        """Build from a parsed ``platform-config.yaml``; missing keys take defaults.

        Raises:
            ConfigError: the file's top level or a section is not a mapping.
        """
        data = data or {}
        if not isinstance(data, dict):
            raise ConfigError("platform-config.yaml", "expected a mapping at the top level")
        cfg = cls()
        for key in ("cluster_name", "bind_address", "elasticsearch_heap"):
            if key in data:
                setattr(cfg, key, str(data[key]))
        for section, target in (("ports", cfg.ports), ("images", cfg.images)):
            value = data.get(section) or {}
            if not isinstance(value, dict):
                raise ConfigError(section, "expected a mapping")
            target.update(value)
        krb = data.get("kerberos") or {}
        if not isinstance(krb, dict):
            raise ConfigError("kerberos", "expected a mapping")
        cfg.kerberos = KerberosSettings(
            **{**cfg.kerberos.__dict__, **{k: v for k, v in krb.items() if k in KerberosSettings.__dataclass_fields__}}
        )
        return cfg

    # -- validation ----------------------------------------------------------------
    def validate(self) -> None:
        """Check every field; normalise ports to int.

        Raises:
            ConfigError: the first bad field, naming it and what was expected.
        """
        if not _CLUSTER_RE.match(self.cluster_name or ""):
            raise ConfigError("cluster_name", "expected 1-63 letters, digits, '-' or '_'")
        if self.bind_address not in ("127.0.0.1", "0.0.0.0") and not re.match(
            r"^\d{1,3}(\.\d{1,3}){3}$", self.bind_address
        ):
            raise ConfigError("bind_address", "expected an IPv4 address such as 127.0.0.1")
        if not _HEAP_RE.match(self.elasticsearch_heap or ""):
            raise ConfigError("elasticsearch_heap", "expected a JVM size such as 512m or 1g")
        for name in DEFAULT_PORTS:
            self.ports[name] = validate_port(f"ports.{name}", self.ports.get(name))
        unknown = set(self.ports) - set(DEFAULT_PORTS)
        if unknown:
            raise ConfigError(f"ports.{min(unknown)}", f"unknown port; expected one of {sorted(DEFAULT_PORTS)}")
        used = [p for p in self.ports.values()]
        if len(set(used)) != len(used):
            raise ConfigError("ports", "expected distinct host ports, got a duplicate")
        for name in DEFAULT_IMAGES:
            validate_image(f"images.{name}", self.images.get(name))
        krb = self.kerberos
        if not isinstance(krb.enabled, bool):
            raise ConfigError("kerberos.enabled", "expected true or false")
        if not _REALM_RE.match(krb.realm or ""):
            raise ConfigError("kerberos.realm", "expected an upper-case realm such as EXAMPLE.COM")
        if not _PRINCIPAL_RE.match(krb.principal or ""):
            raise ConfigError("kerberos.principal", "expected user or user@REALM without spaces")
        if krb.enabled and not krb.host_ccache:
            raise ConfigError(
                "kerberos.host_ccache", "expected the path of your Kerberos ticket cache (e.g. /tmp/krb5cc_1000)"
            )
        if krb.host_ccache and (not krb.host_ccache.startswith("/") or re.search(r"\s", krb.host_ccache)):
            raise ConfigError(
                "kerberos.host_ccache", "expected an absolute file path without spaces (FILE: caches only)"
            )


def validate_port(field_name: str, value) -> int:
    """Return ``value`` as an int in 1..65535.

    Raises:
        ConfigError: not an integer or out of range.
    """
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        raise ConfigError(field_name, f"expected a port number 1-65535, got {value!r}") from None
    if not 1 <= port <= 65535:
        raise ConfigError(field_name, f"expected a port number 1-65535, got {port}")
    return port


def validate_image(field_name: str, value) -> str:
    """Check an image reference such as ``registry.corp/mirror/postgres:16``.

    Raises:
        ConfigError: empty, contains whitespace or characters an image reference cannot have.
    """
    text = "" if value is None else str(value)
    if not text:
        raise ConfigError(field_name, "expected an image reference such as registry/name:tag, got nothing")
    if re.search(r"\s", text):
        raise ConfigError(field_name, f"expected an image reference without spaces, got {text!r}")
    if not _IMAGE_RE.match(text):
        raise ConfigError(field_name, f"expected an image reference (letters, digits, . _ - / : @), got {text!r}")
    return text

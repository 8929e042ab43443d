"""The platform's user-facing settings (``platform-config.yaml``): defaults and validation.

Everything here is non-secret. Secrets live in ``.env`` (see :mod:`.secrets_gen`). The checks
here look at the values only (and :func:`read_ca_bundle` at the one file a setting names, when
the wizard copies it); checks that look at the machine (is a port free, does the address belong
to this host, is the Kerberos directory there) are in :mod:`.preflight`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from importlib import metadata as importlib_metadata
from pathlib import Path

# The server's major.minor must equal the pinned openmetadata-ingestion client's (2.0.6.0):
# the client refuses to talk to a server of another minor version.
DEFAULT_IMAGES = {
    "postgres": "docker.io/library/postgres:16",
    # OpenMetadata 2.0.x quickstart ships Elasticsearch 9.3.0 alongside the server.
    "elasticsearch": "docker.elastic.co/elasticsearch/elasticsearch:9.3.0",
    "openmetadata_server": "docker.getcollate.io/openmetadata/server:2.0.6",
    "kerberos_sidecar": "platform/developer-kerberos-service:local",
    # The base the sidecar is built FROM (kerberos/Dockerfile: stdlib Python, nothing installed).
    "kerberos_sidecar_base": "docker.io/library/python:3.12-slim",
    # The platform Airflow: the base it is built FROM, and the tag of the built image.
    "airflow_base": "docker.io/apache/airflow:3.3.2-python3.11",
    "airflow": "platform/airflow:local",
}
# Host ports, chosen to miss what developers already run: a local PostgreSQL (5432, e.g. the
# cluster Debian's postgresql package starts), Elasticsearch (9200), Airflow/web servers (8080).
DEFAULT_PORTS = {
    "openmetadata": 8585,
    "openmetadata_admin": 8586,
    "postgres": 15432,
    "elasticsearch": 19200,
    # Reserved for the platform Airflow api-server (docker-compose.airflow.yml).
    "airflow": 18080,
}
# The .env variable Docker Compose reads for each port (one name per setting everywhere).
PORT_ENV = {
    "openmetadata": "PLATFORM_OPENMETADATA_PORT",
    "openmetadata_admin": "PLATFORM_OPENMETADATA_ADMIN_PORT",
    "postgres": "PLATFORM_POSTGRES_PORT",
    "elasticsearch": "PLATFORM_ELASTICSEARCH_PORT",
    "airflow": "PLATFORM_AIRFLOW_PORT",
}

_CLUSTER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$", re.IGNORECASE)
_HEAP_RE = re.compile(r"^[1-9][0-9]*[mg]$")
_REALM_RE = re.compile(r"^[A-Z0-9.\-]*$")
_PRINCIPAL_RE = re.compile(r"^[^\s@:]+(@[A-Z0-9.\-]+)?$|^$")

# Docker's image reference grammar (github.com/distribution/reference, regexp.go):
# [domain[:port]/]path-component[/path-component...][:tag][@digest]; path components are
# lower case, the domain may not be.
_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE_RE = re.compile(
    rf"^(?P<name>(?:(?P<domain>{_DOMAIN})/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_NAME_MAX = 255

# One PEM certificate block; a CA bundle has one or many.
_CERTIFICATE_RE = re.compile(rb"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")
_CA_BUNDLE_MAX = 16 * 2**20

CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints.txt"


class ConfigError(ValueError):
    """A setting has a bad value. ``field`` names it; the message says what was expected."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name

    @property
    def errors(self) -> list[ConfigError]:
        """Every bad setting this error reports: ``[self]`` (a :class:`ConfigErrors` has several)."""
        return [self]


class ConfigErrors(ConfigError):
    """Several settings have bad values, all reported at once.

    ``errors`` holds one :class:`ConfigError` per problem, in the order the settings are checked;
    ``field`` is the first one's field, and the message is theirs, one per line.
    """

    def __init__(self, errors: list[ConfigError]):
        flat = [error for each in errors for error in each.errors]
        if not flat:
            raise ValueError("ConfigErrors needs at least one error")
        ValueError.__init__(self, "\n".join(str(error) for error in flat))
        self.field = flat[0].field
        self._errors = flat

    @property
    def errors(self) -> list[ConfigError]:
        """Every bad setting, in the order they were checked."""
        return list(self._errors)


@contextlib.contextmanager
def collecting(errors: list[ConfigError]) -> Iterator[None]:
    """``with collecting(errors): ...`` adds a :class:`ConfigError` raised in the block (each of a
    :class:`ConfigErrors`) to ``errors`` instead of letting it through; other exceptions pass."""
    try:
        yield
    except ConfigError as exc:
        errors.extend(exc.errors)


def raise_if_any(errors: list[ConfigError]) -> None:
    """Raise what ``errors`` holds: nothing when empty, the error itself when one, else a :class:`ConfigErrors`.

    Raises:
        ConfigError: ``errors`` is not empty.
    """
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)


@dataclass
class KerberosSettings:
    """Kerberos ticket sharing with containers (the developer-kerberos-service sidecar).

    ``host_ccache`` is the host's FILE cache path; its directory is what the sidecar mounts
    (``KRB5_HOST_CCACHE_DIR``) and its name what it reads there (``KRB5_HOST_CCACHE_NAME``).
    ``share_gid`` is the consumers' group (the copy is 0640; 0 suits the apache/airflow images).
    ``host_uid`` is the uid the sidecar runs as; None = the cache file's owner (or yours).
    """

    enabled: bool = False
    realm: str = ""
    principal: str = ""
    host_ccache: str = ""
    share_gid: int = 0
    host_uid: int | None = None


@dataclass
class PlatformConfig:
    """All non-secret settings the wizard asks for; mirrors ``platform-config.yaml``."""

    cluster_name: str = "openmetadata"
    bind_address: str = "127.0.0.1"
    elasticsearch_heap: str = "1g"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    images: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_IMAGES))
    kerberos: KerberosSettings = field(default_factory=KerberosSettings)
    # A PEM file of extra CA certificates the image builds trust ("" = none); the wizard copies
    # it to ca-certificates/extra-ca.crt. The path of the source file, not its content.
    ca_bundle: str = ""

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
            "ca_bundle": self.ca_bundle,
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
        if data.get("ca_bundle") is not None:
            cfg.ca_bundle = str(data["ca_bundle"])
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

    # -- derived values ------------------------------------------------------------
    @property
    def client_host(self) -> str:
        """Where host-side tools reach the published ports: the bind address, 127.0.0.1 for 0.0.0.0."""
        return client_host(self.bind_address)

    @property
    def openmetadata_url(self) -> str:
        """The server URL for clients on the host, e.g. ``http://127.0.0.1:8585``."""
        return f"http://{self.client_host}:{self.ports['openmetadata']}"

    @property
    def airflow_url(self) -> str:
        """The platform Airflow's URL on the host (its UI, and links in OpenMetadata), e.g. ``http://127.0.0.1:18080``."""
        return f"http://{self.client_host}:{self.ports['airflow']}"

    # -- validation ----------------------------------------------------------------
    def validate(self) -> None:
        """Check every field; normalise the address, ports and ids (ports and ids to int).

        Every bad field is reported, not only the first; a field that fails keeps its value.

        Raises:
            ConfigError: the bad field, naming it and what was expected; a :class:`ConfigErrors`
                (its ``errors``: one per field, in the order checked) when several are bad.
        """
        errors: list[ConfigError] = []
        if not _CLUSTER_RE.match(self.cluster_name or ""):
            errors.append(ConfigError("cluster_name", "expected 1-63 letters, digits, '-' or '_'"))
        with collecting(errors):
            self.bind_address = validate_bind_address(self.bind_address)
        if not _HEAP_RE.match(self.elasticsearch_heap or ""):
            errors.append(ConfigError("elasticsearch_heap", "expected a JVM size such as 512m or 1g"))
        errors += [
            ConfigError(f"ports.{name}", f"unknown port; expected one of {sorted(DEFAULT_PORTS)}")
            for name in sorted(set(self.ports) - set(DEFAULT_PORTS))
        ]
        seen: dict[int, str] = {}
        for name in DEFAULT_PORTS:
            with collecting(errors):
                port = self.ports[name] = validate_port(f"ports.{name}", self.ports.get(name))
                if port in seen:
                    raise ConfigError(
                        f"ports.{name}",
                        f"expected a port different from ports.{seen[port]}: both are {port} "
                        f"({PORT_ENV[seen[port]]} and {PORT_ENV[name]} in .env)",
                    )
                seen[port] = name
        for name in DEFAULT_IMAGES:
            with collecting(errors):
                validate_image(f"images.{name}", self.images.get(name))
                if name == "openmetadata_server":
                    validate_server_image(f"images.{name}", self.images[name])
        errors += self._kerberos_errors()
        with collecting(errors):
            self.ca_bundle = validate_ca_bundle_path(self.ca_bundle)
        raise_if_any(errors)

    def _kerberos_errors(self) -> list[ConfigError]:
        """Check the ``kerberos.*`` fields (normalising ids and the cache path); one error per bad field."""
        krb, errors = self.kerberos, []
        if not isinstance(krb.enabled, bool):
            errors.append(ConfigError("kerberos.enabled", "expected true or false"))
        realm_ok = bool(_REALM_RE.match(krb.realm or ""))
        if not realm_ok:
            errors.append(ConfigError("kerberos.realm", "expected an upper-case realm such as EXAMPLE.COM"))
        if not _PRINCIPAL_RE.match(krb.principal or ""):
            errors.append(ConfigError("kerberos.principal", "expected user or user@REALM without spaces"))
        elif realm_ok and "@" in (krb.principal or "") and krb.realm and krb.principal.rsplit("@", 1)[1] != krb.realm:
            errors.append(
                ConfigError(
                    "kerberos.principal",
                    f"expected a principal of realm {krb.realm} (kerberos.realm), got {krb.principal}",
                )
            )
        with collecting(errors):
            krb.share_gid = validate_id("kerberos.share_gid", krb.share_gid)
        with collecting(errors):
            krb.host_uid = validate_id("kerberos.host_uid", krb.host_uid) if krb.host_uid not in (None, "") else None
        with collecting(errors):
            self._check_host_ccache()
        return errors

    def _check_host_ccache(self) -> None:
        """Check (and normalise) ``kerberos.host_ccache``.

        Raises:
            ConfigError: (``kerberos.host_ccache``) missing while Kerberos is on, not a FILE cache,
                not an absolute path without spaces or ':', or a file directly in ``/``.
        """
        krb = self.kerberos
        if krb.enabled and not krb.host_ccache:
            raise ConfigError(
                "kerberos.host_ccache", "expected the path of your Kerberos ticket cache file (e.g. /tmp/krb5cc_1000)"
            )
        if krb.host_ccache:
            path = str(krb.host_ccache)
            if path.upper().startswith(("KEYRING:", "KCM:", "API:", "DIR:", "MEMORY:")):
                raise ConfigError(
                    "kerberos.host_ccache",
                    f"expected a FILE cache path; {path.split(':', 1)[0]}: caches cannot be shared with containers "
                    "(use e.g. /tmp/krb5cc_1000 and `export KRB5CCNAME=FILE:/tmp/krb5cc_1000` before kinit)",
                )
            path = path.removeprefix("FILE:")
            if not path.startswith("/") or re.search(r"[\s:]", path) or path.endswith("/"):
                raise ConfigError(
                    "kerberos.host_ccache", f"expected an absolute file path without spaces or ':', got {path!r}"
                )
            if str(Path(path).parent) == "/":
                raise ConfigError(
                    "kerberos.host_ccache",
                    f"expected a cache in a directory other than / (the sidecar mounts the directory), got {path!r}",
                )
            krb.host_ccache = path

    @property
    def host_ccache_dir(self) -> str:
        """``KRB5_HOST_CCACHE_DIR``: the directory the sidecar mounts read-only."""
        return str(Path(self.kerberos.host_ccache).parent) if self.kerberos.host_ccache else ""

    @property
    def host_ccache_name(self) -> str:
        """``KRB5_HOST_CCACHE_NAME``: the cache's file name inside that directory."""
        return Path(self.kerberos.host_ccache).name if self.kerberos.host_ccache else "krb5cc"


def client_host(bind_address: str) -> str:
    """The address host-side calls use for ports published on ``bind_address`` (0.0.0.0 -> 127.0.0.1)."""
    return "127.0.0.1" if bind_address in ("0.0.0.0", "") else bind_address


def validate_bind_address(value) -> str:
    """Return ``value`` as a normalised IPv4 address.

    Raises:
        ConfigError: (``bind_address``) not an IPv4 address (IPv6 is refused: Compose's
            ``host:port:port`` form cannot carry it unbracketed).
    """
    text = str(value or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ConfigError(
            "bind_address", f"expected an IPv4 address such as 127.0.0.1 or 0.0.0.0, got {text!r}"
        ) from None
    if address.version != 4:
        raise ConfigError("bind_address", f"expected an IPv4 address (IPv6 is not supported here), got {text!r}")
    return str(address)


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


def validate_id(field_name: str, value) -> int:
    """Return a numeric uid/gid (0..2**31-1).

    Raises:
        ConfigError: not a non-negative integer.
    """
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ConfigError(field_name, f"expected a numeric id such as 0 or 1000, got {value!r}") from None
    if not 0 <= number < 2**31:
        raise ConfigError(field_name, f"expected a numeric id such as 0 or 1000, got {number}")
    return number


def parse_image_reference(field_name: str, value) -> dict:
    """Split an image reference by Docker's grammar into ``{name, domain, tag, digest}``.

    Raises:
        ConfigError: empty, whitespace, upper-case repository path, bad tag/digest or too long.
    """
    text = "" if value is None else str(value)
    if not text:
        raise ConfigError(field_name, "expected an image reference such as registry/name:tag, got nothing")
    if re.search(r"\s", text):
        raise ConfigError(field_name, f"expected an image reference without spaces, got {text!r}")
    match = _REFERENCE_RE.match(text)
    if not match:
        lowered = _REFERENCE_RE.match(_lower_path(text))
        if lowered:
            raise ConfigError(
                field_name,
                f"expected a lower-case repository path (Docker refuses upper case there), got {text!r}; "
                f"try {_lower_path(text)!r}",
            )
        raise ConfigError(
            field_name,
            f"expected an image reference [registry[:port]/]path[:tag][@sha256:digest] with a lower-case path "
            f"(letters, digits, '.', '_', '-'), got {text!r}",
        )
    if len(match.group("name")) > _NAME_MAX:
        raise ConfigError(field_name, f"expected a repository name of at most {_NAME_MAX} characters")
    return match.groupdict()


def _lower_path(text: str) -> str:
    """``text`` with the repository path (not the domain, tag or digest) in lower case."""
    rest, at, digest = text.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        domain, path = first + "/", remainder
    else:
        domain, path = "", rest
    repo, colon, tag = path.rpartition(":") if ":" in path else (path, "", "")
    return domain + repo.lower() + colon + tag + at + digest


def validate_image(field_name: str, value) -> str:
    """Check an image reference such as ``registry.corp/mirror/postgres:16`` (Docker's grammar).

    Raises:
        ConfigError: see :func:`parse_image_reference`.
    """
    parse_image_reference(field_name, value)
    return str(value)


def validate_ca_bundle_path(value) -> str:
    """Return the ``ca_bundle`` setting as an absolute path, or ``""`` for none.

    ``value`` is a path (``~`` expanded, relative to the current directory), or empty / ``none``
    for no extra CA bundle. Only the value is checked here; the file itself is read by
    :func:`read_ca_bundle` when the wizard copies it.

    Raises:
        ConfigError: (``ca_bundle``) not a single-line path.
    """
    text = "" if value is None else str(value).strip()
    if text.lower() in ("", "none"):
        return ""
    if re.search(r"[\x00\r\n]", text):
        raise ConfigError("ca_bundle", f"expected the path of a PEM file on one line, got {text!r}")
    return os.path.abspath(os.path.expanduser(text))


def read_ca_bundle(path: str) -> bytes:
    """Read the CA bundle at ``path`` and check it holds CA certificates and nothing secret.

    Args:
        path: the (absolute) path of a PEM file: one or many ``-----BEGIN CERTIFICATE-----``
            blocks, as in ``/etc/ssl/certs/ca-certificates.crt`` or a corporate root CA's file.

    Returns:
        The file's bytes, unchanged.

    Raises:
        ConfigError: (``ca_bundle``) the file is missing, not a regular file, unreadable, larger
            than 16 MiB, contains a private key (``PRIVATE KEY``), or has no certificate block.
    """
    source = Path(path)
    if not source.exists():
        raise ConfigError(
            "ca_bundle",
            f"expected an existing PEM file of CA certificates, {path} does not exist "
            "(give another file, or an empty value / none for no extra CA)",
        )
    if not source.is_file():
        raise ConfigError("ca_bundle", f"expected a PEM file of CA certificates, {path} is not a regular file")
    try:
        with source.open("rb") as fh:
            data = fh.read(_CA_BUNDLE_MAX + 1)
    except OSError as exc:
        raise ConfigError(
            "ca_bundle", f"expected a readable PEM file of CA certificates, cannot read {path} ({exc.strerror})"
        ) from None
    if len(data) > _CA_BUNDLE_MAX:
        raise ConfigError(
            "ca_bundle",
            f"expected a PEM file of CA certificates of at most {_CA_BUNDLE_MAX // 2**20} MiB, {path} is larger",
        )
    if b"PRIVATE KEY" in data:
        raise ConfigError(
            "ca_bundle",
            f"expected CA certificates only, {path} contains a PRIVATE KEY: refused (it would be copied into "
            "every image build); give the CA's certificate, which is public",
        )
    if not _CERTIFICATE_RE.search(data):
        raise ConfigError(
            "ca_bundle",
            f"expected a PEM file with at least one -----BEGIN CERTIFICATE----- block, {path} has none "
            "(a DER file converts with `openssl x509 -inform der -in FILE -out FILE.crt`)",
        )
    return data


def client_major_minor() -> str | None:
    """``major.minor`` of the openmetadata-ingestion client: installed, else pinned in constraints.txt."""
    try:
        return ".".join(importlib_metadata.version("openmetadata-ingestion").split(".")[:2])
    except importlib_metadata.PackageNotFoundError:
        pass
    try:
        text = CONSTRAINTS.read_text()
    except OSError:
        return None
    match = re.search(r"^openmetadata-ingestion==(\d+)\.(\d+)", text, re.MULTILINE)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def validate_server_image(field_name: str, value) -> str:
    """The server image's tag must start with the client's major.minor (the client refuses other servers).

    Raises:
        ConfigError: no tag, or a tag of another major.minor.
    """
    expected = client_major_minor()
    if expected is None:
        return str(value)
    tag = parse_image_reference(field_name, value)["tag"]
    if not tag:
        raise ConfigError(
            field_name,
            f"expected a tag of version {expected}.x (e.g. ...:{expected}.6) to match the openmetadata-ingestion "
            f"client, got no tag in {value!r}",
        )
    if not re.match(rf"^v?{re.escape(expected)}(?:[.-]|$)", tag):
        raise ConfigError(
            field_name,
            f"expected a {expected}.x tag: the openmetadata-ingestion client is {expected} and refuses a server "
            f"of another major.minor, got {tag!r}",
        )
    return str(value)

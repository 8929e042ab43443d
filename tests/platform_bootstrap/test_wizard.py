"""The setup wizard: files, permissions, secret strength and reuse, refusal of bad input."""

from __future__ import annotations

import os
import re
import stat

import pytest
import yaml
from platform_bootstrap.envfile import read_env
from platform_bootstrap.secrets_gen import SECRET_KEYS

from .conftest import BOOTSTRAP, run_platform

SERVER_IMAGE = "images.openmetadata_server"


def _snapshot(path):
    return {p.relative_to(path): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_non_interactive_writes_both_files_with_strong_secrets(setup_dir):
    env = read_env(setup_dir / ".env")
    cfg = yaml.safe_load((setup_dir / "platform-config.yaml").read_text())
    assert stat.S_IMODE(os.stat(setup_dir / ".env").st_mode) == 0o600
    assert cfg["ports"]["openmetadata"] == 8585
    assert cfg["images"]["openmetadata_server"].endswith(":2.0.6")
    for key in ("POSTGRES_PASSWORD", "OPENMETADATA_DB_PASSWORD", "OPENMETADATA_ADMIN_PASSWORD"):
        assert len(env[key]) >= 24 and env[key].isalnum(), key
    assert len({env[k] for k in SECRET_KEYS}) == len(SECRET_KEYS)
    assert env["OPENMETADATA_ADMIN_PASSWORD"] != "admin"
    assert env["OPENMETADATA_HOST_PORT"] == "http://127.0.0.1:8585"  # through the bind address
    assert cfg["ports"] == {
        "openmetadata": 8585,
        "openmetadata_admin": 8586,
        "postgres": 15432,
        "elasticsearch": 19200,
        "airflow": 18080,
    }
    assert env["PLATFORM_AIRFLOW_PORT"] == "18080" and env["PLATFORM_POSTGRES_PORT"] == "15432"
    assert env["OPENMETADATA_JWT_TOKEN"] == ""  # placeholder until the server hands out the token
    # No secret leaks into the non-secret config file.
    text = (setup_dir / "platform-config.yaml").read_text()
    assert not any(env[k] in text for k in SECRET_KEYS)
    assert stat.S_IMODE(os.stat(setup_dir / "secrets").st_mode) == 0o700
    assert (setup_dir / "secrets/jwt/private_key.der").stat().st_size > 1000


def test_two_installations_get_different_secrets(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for d in (a, b):
        assert run_platform("setup", "-y", "--skip-port-check", "--dir", str(d)).returncode == 0
    ea, eb = read_env(a / ".env"), read_env(b / ".env")
    assert all(ea[k] != eb[k] for k in SECRET_KEYS)
    assert (a / "secrets/jwt/private_key.der").read_bytes() != (b / "secrets/jwt/private_key.der").read_bytes()


def test_rerun_keeps_secrets_token_and_keys_and_changes_only_what_was_asked(setup_dir):
    before = read_env(setup_dir / ".env")
    key_before = (setup_dir / "secrets/jwt/private_key.der").read_bytes()
    from platform_bootstrap.envfile import update_env_file

    update_env_file(setup_dir / ".env", {"OPENMETADATA_JWT_TOKEN": "eyJ.bot.token", "MY_OWN_SETTING": "kept"})
    result = run_platform(
        "setup",
        "-y",
        "--skip-port-check",
        "--dir",
        str(setup_dir),
        "--openmetadata-port",
        "9585",
        "--image-postgres",
        "artifactory.corp.example/docker/postgres:16",
    )
    assert result.returncode == 0, result.stderr
    assert "Kept the existing secrets" in result.stdout
    after = read_env(setup_dir / ".env")
    assert all(after[k] == before[k] for k in SECRET_KEYS)
    assert after["PLATFORM_OPENMETADATA_PORT"] == "9585"
    assert after["OPENMETADATA_HOST_PORT"] == "http://127.0.0.1:9585"
    assert after["IMAGE_POSTGRES"] == "artifactory.corp.example/docker/postgres:16"
    assert after["IMAGE_ELASTICSEARCH"] == before["IMAGE_ELASTICSEARCH"]
    assert after["OPENMETADATA_JWT_TOKEN"] == "eyJ.bot.token"
    assert "127.0.0.1:9585" in after["AIRFLOW_CONN_OPENMETADATA_DEFAULT"]
    assert after["MY_OWN_SETTING"] == "kept"
    assert (setup_dir / "secrets/jwt/private_key.der").read_bytes() == key_before
    # A second run without flags keeps the changed port (previous answer beats default).
    assert run_platform("setup", "-y", "--skip-port-check", "--dir", str(setup_dir)).returncode == 0
    assert read_env(setup_dir / ".env")["PLATFORM_OPENMETADATA_PORT"] == "9585"


def test_settings_from_environment_variables(tmp_path):
    env = {
        **os.environ,
        "PLATFORM_NON_INTERACTIVE": "1",
        "PLATFORM_SKIP_PORT_CHECK": "1",
        "PLATFORM_POSTGRES_PORT": "25432",
        "PLATFORM_KERBEROS": "true",
        "PLATFORM_KERBEROS_CCACHE": "/tmp/krb5cc_1000",
        "PLATFORM_KERBEROS_REALM": "EXAMPLE.COM",
    }
    result = run_platform("setup", "--dir", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    written = read_env(tmp_path / ".env")
    assert written["PLATFORM_POSTGRES_PORT"] == "25432"
    assert written["COMPOSE_PROFILES"] == "kerberos"
    # One name per setting: the directory the sidecar mounts and the file in it.
    assert (written["KRB5_HOST_CCACHE_DIR"], written["KRB5_HOST_CCACHE_NAME"]) == ("/tmp", "krb5cc_1000")
    assert written["KRB5_SHARE_GID"] == "0" and written["KRB5_HOST_UID"].isdigit()
    assert written["KRB5_REALM"] == "EXAMPLE.COM" and "KRB5_HOST_CCACHE" not in written


@pytest.mark.parametrize(
    "args, field",
    [
        (["--openmetadata-port", "70000"], "ports.openmetadata"),
        (["--postgres-port", "abc"], "ports.postgres"),
        (["--image-elasticsearch", "my mirror/elasticsearch:9"], "images.elasticsearch"),
        (["--elasticsearch-heap", "lots"], "elasticsearch_heap"),
        (["--elasticsearch-port", "8585"], "ports.elasticsearch"),
        (["--airflow-port", "8586"], "ports.airflow"),
        (["--kerberos"], "kerberos.host_ccache"),
        (["--kerberos", "--kerberos-ccache", "KEYRING:persistent:1000"], "kerberos.host_ccache"),
        (["--kerberos", "--kerberos-ccache", "/krb5cc"], "kerberos.host_ccache"),
        (["--kerberos-share-gid", "staff"], "kerberos.share_gid"),
        (["--kerberos-realm", "EXAMPLE.COM", "--kerberos-principal", "bob@OTHER.LAB"], "kerberos.principal"),
        (["--bind-address", "999.999.999.999"], "bind_address"),
        (["--bind-address", "::1"], "bind_address"),
        (["--bind-address", "localhost"], "bind_address"),
        (["--image-openmetadata-server", "docker.getcollate.io/openmetadata/server:1.9.0"], SERVER_IMAGE),
        (["--image-openmetadata-server", "docker.getcollate.io/openmetadata/server"], SERVER_IMAGE),
        (["--image-postgres", "Docker.io/Library/Postgres:16"], "images.postgres"),
        (["--image-elasticsearch", "mirror.corp/elastic//elasticsearch:9"], "images.elasticsearch"),
        (["--image-kerberos-sidecar", "platform/sidecar:"], "images.kerberos_sidecar"),
        (["--image-kerberos-sidecar-base", "Python:3.12-slim"], "images.kerberos_sidecar_base"),
        (["--image-airflow-base", "mirror.corp/apache/airflow:"], "images.airflow_base"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(setup_dir, args, field):
    before = _snapshot(setup_dir)
    result = run_platform("setup", "-y", "--skip-port-check", "--dir", str(setup_dir), *args)
    assert result.returncode == 2
    assert f"error: {field}: expected" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(setup_dir) == before


def test_bad_input_on_first_run_creates_no_file(tmp_path):
    result = run_platform("setup", "-y", "--dir", str(tmp_path), "--openmetadata-admin-port", "0")
    assert result.returncode == 2 and "ports.openmetadata_admin" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unusable_output_dir_is_refused(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    result = run_platform("setup", "-y", "--dir", str(not_a_dir / "sub"))
    assert result.returncode == 2
    assert "output_dir: expected an existing directory" in result.stderr


def test_interactive_mode_reprompts_on_bad_answer(tmp_path, monkeypatch):
    """Drive the prompts through click's test runner (it fakes a terminal)."""
    from click.testing import CliRunner
    from platform_bootstrap import cli

    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    # cluster, bind (bad then good), om port (bad then good), admin, pg, es, airflow, heap, 6 images,
    # CA bundle, kerberos? no
    answers = ["mycluster", "999.1.1.1", "", "99999", "8600", *[""] * 12, "n"]
    result = CliRunner().invoke(
        cli.main, ["setup", "--skip-port-check", "--dir", str(tmp_path)], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "expected a port number 1-65535" in result.output and "bind_address: expected an IPv4" in result.output
    written = read_env(tmp_path / ".env")
    assert written["OPENMETADATA_CLUSTER_NAME"] == "mycluster"
    assert written["PLATFORM_OPENMETADATA_PORT"] == "8600"


def test_the_error_messages_say_what_is_wrong(setup_dir):
    def error(*args):
        result = run_platform("setup", "-y", "--skip-port-check", "--dir", str(setup_dir), *args)
        assert result.returncode == 2
        return result.stderr

    clash = error("--elasticsearch-port", "8585")
    assert "ports.elasticsearch: expected a port different from ports.openmetadata: both are 8585" in clash
    assert "PLATFORM_OPENMETADATA_PORT" in clash and "PLATFORM_ELASTICSEARCH_PORT" in clash
    upper = error("--image-postgres", "Docker.io/Library/Postgres:16")
    assert "lower-case repository path" in upper and "'Docker.io/library/postgres:16'" in upper
    old_server = error("--image-openmetadata-server", "docker.getcollate.io/openmetadata/server:1.9.0")
    assert "expected a 2.0.x tag" in old_server and "'1.9.0'" in old_server


@pytest.mark.parametrize(
    "ref",
    [
        "docker.io/library/postgres:16",
        "postgres",
        "localhost:5000/team/postgres:16.4-alpine",
        "Artifactory.Corp.Example:8443/docker-remote/elasticsearch/elasticsearch:9.3.0",
        "registry.example.com/openmetadata/server:2.0.6@sha256:" + "a" * 64,
        "[::1]:5000/x/y_z__w-v:latest",
    ],
)
def test_valid_image_references(ref):
    from platform_bootstrap.settings import validate_image

    assert validate_image("images.x", ref) == ref


@pytest.mark.parametrize(
    "ref",
    ["POSTGRES:16", "docker.io/Library/postgres", "postgres:", "postgres:-1", "a//b", "-x/y", "x/y@sha256:abc", "x y"],
)
def test_invalid_image_references(ref):
    from platform_bootstrap.settings import ConfigError, validate_image

    with pytest.raises(ConfigError) as err:
        validate_image("images.x", ref)
    assert err.value.field == "images.x"


def test_client_version_falls_back_to_the_pinned_constraint(monkeypatch):
    from platform_bootstrap import settings

    def missing(name):
        raise settings.importlib_metadata.PackageNotFoundError(name)

    monkeypatch.setattr(settings.importlib_metadata, "version", missing)
    pinned = re.search(r"^openmetadata-ingestion==(\d+\.\d+)", settings.CONSTRAINTS.read_text(), re.MULTILINE)
    assert settings.client_major_minor() == pinned.group(1) == "2.0"


def test_rerun_drops_the_retired_setting_names(setup_dir):
    (setup_dir / ".env").write_text(
        (setup_dir / ".env").read_text() + "KRB5_HOST_CCACHE=/tmp/krb5cc_0\nHOST_UID=1000\nMY_SETTING=kept\n"
    )
    assert run_platform("setup", "-y", "--skip-port-check", "--dir", str(setup_dir)).returncode == 0
    env = read_env(setup_dir / ".env")
    assert "KRB5_HOST_CCACHE" not in env and "HOST_UID" not in env and env["MY_SETTING"] == "kept"


def test_host_uid_is_the_cache_owner(tmp_path):
    cache = tmp_path / "krb5cc_dev"
    cache.write_bytes(b"x")
    os.chown(cache, 4321, 4321)
    result = run_platform(
        "setup", "-y", "--skip-port-check", "--dir", str(tmp_path), "--kerberos", "--kerberos-ccache", str(cache)
    )
    assert result.returncode == 0, result.stderr
    env = read_env(tmp_path / ".env")
    assert env["KRB5_HOST_UID"] == "4321" and env["KRB5_HOST_CCACHE_DIR"] == str(tmp_path)


# -- corporate networks: the CA bundle and the base-image mirrors ------------------------------


def _ca_certificate(name: str):
    """A self-signed CA certificate (and its key), as a corporate root CA would be."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _cert_pem(cert, encoding=None) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(encoding or serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def ca_file(tmp_path_factory):
    """A PEM bundle of two CA certificates outside the setup directory."""
    path = tmp_path_factory.mktemp("corp") / "corp-root-ca.pem"
    path.write_bytes(b"".join(_cert_pem(_ca_certificate(n)[0]) for n in ("Corp Root CA", "Corp Proxy CA")))
    return path


def _setup(setup_dir, *args, env=None):
    return run_platform("setup", "-y", "--skip-port-check", "--dir", str(setup_dir), *args, env=env)


def test_ca_bundle_is_copied_for_the_image_builds(setup_dir, ca_file):
    result = _setup(setup_dir, "--ca-bundle", str(ca_file))
    assert result.returncode == 0, result.stderr
    copy = setup_dir / "ca-certificates" / "extra-ca.crt"
    assert copy.read_bytes() == ca_file.read_bytes()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o644  # the build context reads it; nothing secret in it
    assert "extra-ca.crt" in result.stdout
    assert not list(copy.parent.glob(".*.tmp"))  # written through a temp file, renamed
    # The source path is a setting like the others: a re-run without the flag copies it again.
    assert yaml.safe_load((setup_dir / "platform-config.yaml").read_text())["ca_bundle"] == str(ca_file)
    ca_file.write_bytes(_cert_pem(_ca_certificate("Corp Root CA 2")[0]))
    assert _setup(setup_dir).returncode == 0
    assert copy.read_bytes() == ca_file.read_bytes()


def test_ca_bundle_from_the_environment_and_a_relative_path(tmp_path, ca_file):
    env = {**os.environ, "PLATFORM_CA_BUNDLE": ca_file.name}
    result = run_platform("setup", "-y", "--skip-port-check", "--dir", str(tmp_path), env=env, cwd=ca_file.parent)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ca-certificates/extra-ca.crt").read_bytes() == ca_file.read_bytes()
    # Stored absolute: a later run from another directory still finds it.
    assert yaml.safe_load((tmp_path / "platform-config.yaml").read_text())["ca_bundle"] == str(ca_file)


@pytest.mark.parametrize(
    "kind, message",
    [
        ("missing", "expected an existing PEM file of CA certificates"),
        ("directory", "is not a regular file"),
        ("no-certificate", "expected a PEM file with at least one -----BEGIN CERTIFICATE----- block"),
        ("der", "expected a PEM file with at least one -----BEGIN CERTIFICATE----- block"),
        ("certificate-and-key", "contains a PRIVATE KEY"),
        ("key-only", "contains a PRIVATE KEY"),
    ],
)
def test_bad_ca_bundle_is_refused_and_nothing_is_written(setup_dir, tmp_path_factory, ca_file, kind, message):
    from cryptography.hazmat.primitives.serialization import Encoding

    # A previous good copy must survive a refused run unchanged.
    assert _setup(setup_dir, "--ca-bundle", str(ca_file)).returncode == 0
    cert, key = _ca_certificate("Corp Root CA")
    bad = tmp_path_factory.mktemp("bad") / "bundle.pem"
    if kind == "directory":
        bad.mkdir()
    elif kind == "no-certificate":
        bad.write_text("-----BEGIN CERTIFICATE-----\n(truncated)\n# just a note, no certificate\n")
    elif kind == "der":
        bad.write_bytes(_cert_pem(cert, Encoding.DER))
    elif kind == "certificate-and-key":
        bad.write_bytes(_cert_pem(cert) + _key_pem(key))
    elif kind == "key-only":
        bad.write_bytes(_key_pem(key))
    before = _snapshot(setup_dir)
    result = _setup(setup_dir, "--ca-bundle", str(bad))
    assert result.returncode == 2
    assert "error: ca_bundle: expected" in result.stderr and message in result.stderr
    assert "Nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert _snapshot(setup_dir) == before
    if "KEY" in message:
        assert "BEGIN" not in result.stderr  # the key's content never reaches the terminal


def test_bad_ca_bundle_on_first_run_creates_no_file(tmp_path):
    text_file = tmp_path.parent / f"{tmp_path.name}-notes.txt"
    text_file.write_text("not a certificate\n")
    result = run_platform("setup", "-y", "--skip-port-check", "--dir", str(tmp_path), "--ca-bundle", str(text_file))
    assert result.returncode == 2 and "error: ca_bundle: expected" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("empty", ["", "none"])
def test_empty_ca_bundle_removes_the_previous_copy_only(setup_dir, ca_file, empty):
    assert _setup(setup_dir, "--ca-bundle", str(ca_file)).returncode == 0
    own = setup_dir / "ca-certificates" / "my-own.crt"  # put there by hand: not the wizard's to remove
    own.write_bytes(ca_file.read_bytes())
    result = _setup(setup_dir, "--ca-bundle", empty)
    assert result.returncode == 0, result.stderr
    assert not (setup_dir / "ca-certificates" / "extra-ca.crt").exists()
    assert own.exists()
    assert yaml.safe_load((setup_dir / "platform-config.yaml").read_text())["ca_bundle"] == ""
    # ...and stays removed on a plain re-run.
    assert _setup(setup_dir).returncode == 0
    assert not (setup_dir / "ca-certificates" / "extra-ca.crt").exists()


def test_no_ca_bundle_by_default(setup_dir):
    assert yaml.safe_load((setup_dir / "platform-config.yaml").read_text())["ca_bundle"] == ""
    assert not (setup_dir / "ca-certificates").exists()


def test_interactive_ca_bundle_is_asked_again_until_usable(tmp_path, ca_file, monkeypatch):
    from click.testing import CliRunner
    from platform_bootstrap import cli

    monkeypatch.setattr(cli, "_stdin_is_terminal", lambda: True)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    missing = tmp_path / "missing.pem"
    # 8 defaults (cluster .. heap), 6 images, the CA bundle (missing, then good), kerberos? no
    answers = [*[""] * 14, str(missing), str(ca_file), "n"]
    result = CliRunner().invoke(
        cli.main, ["setup", "--skip-port-check", "--dir", str(out_dir)], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert f"ca_bundle: expected an existing PEM file of CA certificates, {missing} does not exist" in result.output
    assert (out_dir / "ca-certificates/extra-ca.crt").read_bytes() == ca_file.read_bytes()


def test_base_image_mirrors_reach_env(setup_dir):
    airflow_base = "artifactory.corp.example/docker-remote/apache/airflow:3.3.2-python3.11"
    sidecar_base = "artifactory.corp.example/docker-remote/library/python:3.12-slim"
    assert read_env(setup_dir / ".env")["IMAGE_KERBEROS_SIDECAR_BASE"] == "docker.io/library/python:3.12-slim"
    result = _setup(setup_dir, "--image-airflow-base", airflow_base)
    assert result.returncode == 0, result.stderr
    env = {**os.environ, "PLATFORM_IMAGE_KERBEROS_SIDECAR_BASE": sidecar_base}
    assert _setup(setup_dir, env=env).returncode == 0
    written = read_env(setup_dir / ".env")
    assert written["IMAGE_AIRFLOW_BASE"] == airflow_base  # kept from the previous run
    assert written["IMAGE_KERBEROS_SIDECAR_BASE"] == sidecar_base
    images = yaml.safe_load((setup_dir / "platform-config.yaml").read_text())["images"]
    assert (images["airflow_base"], images["kerberos_sidecar_base"]) == (airflow_base, sidecar_base)


def test_compose_build_defaults_are_the_wizard_defaults():
    """Without a .env, compose builds from the same upstream bases the wizard writes by default."""
    from platform_bootstrap.settings import DEFAULT_IMAGES

    base = yaml.safe_load((BOOTSTRAP / "docker-compose.yml").read_text())
    args = base["services"]["developer-kerberos-service"]["build"]["args"]
    assert args["BASE_IMAGE"] == "${IMAGE_KERBEROS_SIDECAR_BASE:-" + DEFAULT_IMAGES["kerberos_sidecar_base"] + "}"
    airflow = (BOOTSTRAP / "docker-compose.airflow.yml").read_text()
    assert "${IMAGE_AIRFLOW_BASE:-" + DEFAULT_IMAGES["airflow_base"] + "}" in airflow


def test_readme_names_every_image_setting_and_its_env():
    from platform_bootstrap.settings import DEFAULT_IMAGES

    readme = (BOOTSTRAP / "README.md").read_text()
    for name, default in DEFAULT_IMAGES.items():
        row = f"| `images.{name}` |"
        assert row in readme, name
        line = next(line for line in readme.splitlines() if line.startswith(row))
        assert f"`IMAGE_{name.upper()}`" in line and f"`{default}`" in line, name
    assert "--ca-bundle" in readme and "PLATFORM_CA_BUNDLE" in readme and "PIP_INDEX_URL" in readme


# -- every problem at once, and the next command -------------------------------------------------


def test_every_bad_setting_is_reported_at_once_and_nothing_is_written(setup_dir):
    before = _snapshot(setup_dir)
    result = _setup(
        setup_dir,
        "--bind-address",
        "localhost",
        "--openmetadata-port",
        "70000",
        "--elasticsearch-port",
        "8585",
        "--elasticsearch-heap",
        "lots",
        "--image-postgres",
        "Docker.io/Library/Postgres:16",
        "--kerberos",
        "--kerberos-share-gid",
        "staff",
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    fields = [
        "bind_address",
        "elasticsearch_heap",
        "ports.openmetadata",
        "images.postgres",
        "kerberos.share_gid",
        "kerberos.host_ccache",
    ]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert [line.split(":")[1].strip() for line in errors] == fields, result.stderr  # each once, in order
    assert all(": expected " in line for line in errors), errors
    # 70000 is not a port, so it clashes with nothing: the clash is not reported on top of it.
    assert "different from" not in result.stderr
    assert "Nothing was written. Fix these 6 and run `./platform setup -y` again." in result.stderr
    assert _snapshot(setup_dir) == before
    # One bad setting: said the same way.
    single = _setup(setup_dir, "--elasticsearch-port", "8585")
    assert single.returncode == 2 and single.stderr.count("error: ") == 1
    assert "error: ports.elasticsearch: expected a port different from ports.openmetadata" in single.stderr
    assert "Nothing was written. Fix it and run `./platform setup -y` again." in single.stderr


def test_a_busy_port_is_reported_with_the_bad_values(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_platform(
            "setup", "-y", "--dir", str(tmp_path), "--airflow-port", str(port), "--elasticsearch-heap", "lots"
        )
    assert result.returncode == 2, result.stderr
    assert "error: elasticsearch_heap: expected a JVM size" in result.stderr
    assert "error: ports.airflow: expected a free port" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_validate_collects_every_field(tmp_path):
    from platform_bootstrap.settings import ConfigError, ConfigErrors, PlatformConfig

    cfg = PlatformConfig(cluster_name="bad name!", elasticsearch_heap="lots")
    cfg.ports.update(openmetadata="x", nosuch=1)
    cfg.kerberos.realm = "lower.case"
    with pytest.raises(ConfigErrors) as err:
        cfg.validate()
    fields = [e.field for e in err.value.errors]
    assert fields == ["cluster_name", "elasticsearch_heap", "ports.nosuch", "ports.openmetadata", "kerberos.realm"]
    assert isinstance(err.value, ConfigError) and err.value.field == "cluster_name"  # callers of one error still work
    assert str(err.value).splitlines()[1].startswith("elasticsearch_heap: expected")
    # One bad field is a plain ConfigError, as before.
    with pytest.raises(ConfigError) as one:
        PlatformConfig(elasticsearch_heap="lots").validate()
    assert type(one.value) is ConfigError and one.value.errors == [one.value]


def test_success_ends_with_the_next_command(tmp_path):
    result = run_platform("setup", "-y", "--skip-port-check", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("Next: `make openmetadata-start`")

"""Bad input is refused with a named cause before anything starts: a port already taken, a
missing Kerberos cache directory, an image that cannot be pulled, and no engine for a run that
is not root. Each runs ``make openmetadata-start`` in its own checkout copy on the real engine
and checks that no container was created."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

from tests.engine import docker_engine
from tests.engine.stack import set_up_stack


@pytest.fixture
def fresh(engine, tmp_path):
    """A checkout copy set up with free ports, Kerberos off, compose project ``badinput``."""
    stack = set_up_stack(engine, tmp_path, "--no-kerberos", COMPOSE_PROJECT_NAME="badinput")
    stack.env.pop("PLATFORM_COMPOSE_FILES")  # the product's files alone: upstream images, no doubles
    stack.ports = {name: int(stack.dotenv[f"PLATFORM_{name.upper()}_PORT"]) for name in ("postgres", "airflow")}
    yield stack
    stack.compose("down", "--remove-orphans", check=False)  # volumes are named, and shared with the stack's: kept


def _nothing_started(stack) -> None:
    listed = stack.engine.docker("ps", "-a", "-q", "--filter", "label=com.docker.compose.project=badinput").stdout
    assert listed.split() == [], "a container was created"


def test_a_port_already_taken_is_refused_naming_the_setting(fresh):
    port = fresh.ports["postgres"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = fresh.make("openmetadata-start", check=False, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert str(port) in out and "ports.postgres" in out, out
    _nothing_started(fresh)


def test_a_missing_kerberos_cache_directory_is_refused_naming_it(fresh, tmp_path):
    missing = tmp_path / "no-such-dir"
    cache = tmp_path / "made-for-setup"
    cache.mkdir()
    fresh.platform(
        "setup",
        "--non-interactive",
        "--kerberos",
        "--kerberos-ccache",
        str(cache / "krb5cc"),
        "--kerberos-host-uid",
        "4242",
    )
    shutil.rmtree(cache)  # gone after setup, as when a laptop's /run/user directory is not there yet
    result = fresh.make("openmetadata-start", check=False, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert str(cache) in out and "kerberos" in out.lower(), out
    assert not missing.exists() and not cache.exists()  # nothing created it (Docker would, for a bind mount)
    _nothing_started(fresh)


def test_an_image_that_cannot_be_pulled_is_named_with_the_setting_that_mirrors_it(fresh):
    fresh.env["IMAGE_POSTGRES"] = "mirror.invalid/library/postgres:16"
    result = fresh.make("openmetadata-start", check=False, timeout=600)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "mirror.invalid/library/postgres:16" in out, out
    assert "IMAGE_POSTGRES" in out and "--image-postgres" in out, out
    _nothing_started(fresh)


def test_no_engine_and_not_root_names_both_fixes(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    monkeypatch.setattr(docker_engine, "ENGINE_HOME", tmp_path / "engine")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(docker_engine.EngineError) as caught:
        docker_engine.ensure_engine()
    message = str(caught.value)
    assert "not root" in message and "start Docker" in message and "as root" in message
    assert not (tmp_path / "engine").exists()  # nothing was started or created

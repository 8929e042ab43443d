"""Fixtures of the engine area: a Docker engine, the local images, and one platform stack for
the session, brought up the way a user does it (``./platform setup``, ``make openmetadata-start``).

The stack uses free ports, a Kerberos cache directory owned by a non-root host user
(:data:`HOST_USER_UID`) and the host's CA bundle for the image builds (that is how the builds
reach PyPI here, as behind a corporate proxy). It is taken down with its volumes at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.engine import images
from tests.engine.docker_engine import EngineError, ensure_engine
from tests.engine.stack import set_up_stack
from tests.support.kdc import TestKDC

HOST_USER_UID = 4242  # the developer on the host: not root, no passwd entry needed
CCACHE_NAME = "krb5cc"


@pytest.fixture(scope="package")
def engine():
    """The user's Docker engine, or a dockerd started (and stopped) here; see docker_engine."""
    try:
        found = ensure_engine()
    except EngineError as exc:
        pytest.fail(f"no Docker engine for the engine tests: {exc}")
    yield found
    found.stop()


@pytest.fixture(scope="package")
def kdc():
    """A throwaway MIT KDC on loopback (realm KRBTEST.COM, user alice)."""
    realm = TestKDC()
    yield realm
    realm.stop()


@pytest.fixture(scope="package")
def host_ccache_dir():
    """The host directory of the developer's ticket cache: owned by :data:`HOST_USER_UID`, 0700."""
    parent = Path(tempfile.mkdtemp(prefix="engine-krb-"))
    parent.chmod(0o755)
    path = parent / "cache"
    path.mkdir(mode=0o700)
    os.chown(path, HOST_USER_UID, HOST_USER_UID)
    yield path
    shutil.rmtree(parent, ignore_errors=True)


def kinit_as_host_user(kdc: TestKDC, ccache: Path, lifetime: str | None = None) -> None:
    """``kinit`` as :data:`HOST_USER_UID` into ``ccache`` (a new file, as kinit writes it).

    The realm's krb5.conf lives in the KDC's private directory: the user gets a readable copy
    beside the cache directory.

    Raises:
        AssertionError: kinit failed (its stderr; never the password).
    """
    config = ccache.parent.parent / "krb5.conf"
    if not config.exists():
        shutil.copyfile(kdc.env["KRB5_CONFIG"], config)
        config.chmod(0o644)
    args = ["setpriv", f"--reuid={HOST_USER_UID}", f"--regid={HOST_USER_UID}", "--clear-groups", "kinit"]
    args += (["-l", lifetime] if lifetime else []) + [kdc.user_principal]
    env = {**kdc.client_env(ccache), "KRB5_CONFIG": str(config)}
    result = subprocess.run(args, input=kdc.password + "\n", env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def _refuse_a_users_platform(engine) -> None:
    """On a user's engine, never replace a platform the tests did not make (its volumes are data)."""
    if engine.started_here:
        return
    found = engine.docker("volume", "ls", "-q", "--filter", "name=platform_postgres_data").stdout.split()
    if found:
        pytest.fail(
            "this Docker engine already holds a platform (volume platform_postgres_data): the engine tests "
            "would replace it. Stop and remove it first (make openmetadata-clean), or run the tests as root "
            "with no engine running so they start their own dockerd"
        )


@pytest.fixture(scope="package")
def stack(engine, kdc, host_ccache_dir, tmp_path_factory):
    """The platform stack, up and healthy: :class:`PlatformStack`.

    Steps, each timed in ``stack.timings``: the base doubles (debootstrap once per engine), the
    wizard, the product images (``compose build``: the platform Airflow and the sidecar), the
    stand-in image, then ``make openmetadata-start``.
    """
    _refuse_a_users_platform(engine)
    timings = {f"build {tag}": seconds for tag, seconds in images.build_base_doubles(engine).items()}
    stack = set_up_stack(
        engine,
        tmp_path_factory.mktemp("platform"),
        "--kerberos",
        "--kerberos-realm",
        kdc.realm,
        "--kerberos-principal",
        kdc.user_principal,
        "--kerberos-ccache",
        str(host_ccache_dir / CCACHE_NAME),
        "--kerberos-share-gid",
        "0",
        "--kerberos-host-uid",
        str(HOST_USER_UID),
    )
    stack.timings.update(timings)
    stack.compose("down", "-v", "--remove-orphans", check=False)  # a killed earlier run's leftovers (our engine)
    started = time.monotonic()
    stack.compose("build", timeout=1800)
    stack.timings["build platform images (compose build)"] = time.monotonic() - started
    stack.timings[f"build {images.STANDIN}"] = images.build_standin(engine, stack.dotenv["IMAGE_AIRFLOW"])
    started = time.monotonic()
    result = stack.make("openmetadata-start", timeout=1200, check=False)
    stack.timings["make openmetadata-start"] = time.monotonic() - started
    stack.start_output = result.stdout + result.stderr
    assert result.returncode == 0, f"make openmetadata-start failed:\n{stack.start_output[-6000:]}\n{stack.log_tails()}"
    yield stack
    stack.compose("down", "-v", "--remove-orphans", check=False, timeout=300)


def pytest_collection_modifyitems(session, config, items):
    """test_lifecycle.py ends the engine area's stack (it replaces, then removes its volumes): it
    runs last among the engine tests, which stay where they are in the session."""
    places = [i for i, item in enumerate(items) if item.nodeid.startswith("tests/engine/")]
    ordered = sorted((items[i] for i in places), key=lambda item: "/test_lifecycle.py" in item.nodeid)
    for i, item in zip(places, ordered, strict=True):
        items[i] = item

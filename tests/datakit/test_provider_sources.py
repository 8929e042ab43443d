"""Each provider source renders a requirements.txt that pip accepts and resolves the provider
from the place it names, offline: `pip install --dry-run` against a local index (index), a
local clone (git) and the installed packages (wheel; its Dockerfile line really runs in
test_provider_dist). And why one --index-url: with --extra-index-url, a higher version of the
same name on another index wins."""

from __future__ import annotations

import shutil
import threading
import zipfile
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.datakit.checkout import commit_all, snapshot_checkout
from tests.datakit.conftest import PROVIDER_DIST, clean_env, render, run, wheel_metadata


@contextmanager
def local_index(root: Path, wheels: list[Path]):
    """A PEP 503 "simple" index over HTTP serving ``wheels``; yields (URL, paths requested)."""
    project = root / "simple" / PROVIDER_DIST
    project.mkdir(parents=True)
    for wheel in wheels:
        shutil.copy2(wheel, project / wheel.name)
    requested: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the test asserts on `requested`
            requested.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/simple", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def fake_provider_wheel(directory: Path, version: str) -> Path:
    """A minimal valid wheel named like the provider (what a squatter could publish on PyPI)."""
    name = f"airflow_provider_openmetadata_platform-{version}"
    wheel = directory / f"{name}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            f"{name}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {PROVIDER_DIST}\nVersion: {version}\n"
        )
        archive.writestr(
            f"{name}.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{name}.dist-info/RECORD", "")
    return wheel


def dry_run(venv: Path, args: list[str], cwd: Path):
    return run([str(venv / "bin" / "pip"), "install", "--dry-run", *args], cwd, clean_env())


def test_index_source_resolves_the_provider_from_the_private_index(provider_dist, fresh_venv, tmp_path):
    version = wheel_metadata(provider_dist["wheel"])["Version"]
    with local_index(tmp_path / "index", [provider_dist["wheel"]]) as (url, requested):
        project = render(tmp_path / "kit", provider_source="index", provider_index_url=url, provider_version=version)
        result = dry_run(fresh_venv(), ["-r", "requirements.txt"], project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"Would install {PROVIDER_DIST}-{version}" in result.stdout, result.stdout[-2000:]
    assert f"/simple/{PROVIDER_DIST}/" in requested


def test_git_source_builds_the_provider_from_the_pinned_commit(fresh_venv, tmp_path):
    """pip clones the repository at the commit and builds the provider from provider/ (setuptools-scm
    reads the clone's history); build tools and dependencies come from what is installed."""
    checkout = snapshot_checkout(tmp_path / "repo")
    commit = commit_all(checkout, "snapshot of the working tree")
    project = render(
        tmp_path / "kit",
        provider_source="git",
        provider_git_url=checkout.as_uri(),
        provider_git_commit=commit,
        use_sqlserver_kerberos="yes",
    )
    result = dry_run(fresh_venv(), ["--no-index", "--no-build-isolation", "-r", "requirements.txt"], project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"Would install {PROVIDER_DIST}-" in result.stdout, result.stdout[-2000:]
    (would,) = [line for line in result.stdout.splitlines() if line.startswith("Would install")]
    assert f"+g{commit[:7]}" in would, would  # the version names the pinned commit


def test_wheel_source_requirements_are_all_satisfied_without_an_index(fresh_venv, tmp_path):
    project = render(tmp_path / "kit", use_sqlserver_kerberos="yes")
    result = dry_run(fresh_venv(), ["--no-index", "-r", "requirements.txt"], project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Would install" not in result.stdout, "requirements.txt asks for something .venv does not have"


def test_extra_index_url_lets_another_index_substitute_the_provider(provider_dist, fresh_venv, tmp_path):
    """Dependency confusion, shown: a squatter's 99.0 on a second index beats the internal build."""
    version = wheel_metadata(provider_dist["wheel"])["Version"]
    squatter = fake_provider_wheel(tmp_path, "99.0")
    venv = fresh_venv()
    with (
        local_index(tmp_path / "internal", [provider_dist["wheel"]]) as (internal, _),
        local_index(tmp_path / "public", [squatter]) as (public, public_requests),
    ):
        confused = dry_run(
            venv, ["--no-deps", "--index-url", internal, "--extra-index-url", public, PROVIDER_DIST], tmp_path
        )
        assert f"Would install {PROVIDER_DIST}-99.0" in confused.stdout, confused.stdout[-2000:] + confused.stderr
        # The kit's way: one index, an exact pin. The other index is never asked.
        del public_requests[:]
        project = render(
            tmp_path / "kit", provider_source="index", provider_index_url=internal, provider_version=version
        )
        safe = dry_run(venv, ["-r", "requirements.txt"], project)
    assert f"Would install {PROVIDER_DIST}-{version}" in safe.stdout, safe.stdout[-2000:] + safe.stderr
    assert public_requests == []

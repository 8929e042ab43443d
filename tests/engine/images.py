"""Local images for the engine tests where no registry can be reached: clearly named test doubles.

Every double is tagged ``platform-test-double/<name>``, built from Debian packages on a base
that ``debootstrap`` makes from this machine's Debian mirror and ``docker import`` loads. The
base is made once per engine (its data root is cached, see docker_engine.ENGINE_HOME); the
Dockerfiles (tests/engine/images/) then build from the engine's layer cache, in seconds the
second time. ``python -m tests.engine.images`` builds them all and prints each build's time.

- ``debian:bookworm``: the debootstrapped base (minbase with ca-certificates);
- ``python:3.11-bookworm``: the Kerberos sidecar's base (stands for python:3.12-slim);
- ``airflow-base:3.3.2-python3.11``: apache/airflow's shape (see its Dockerfile);
- ``postgres:15-bookworm``: the official postgres image's contract;
- ``openmetadata-standin:local``: the stand-in answering as ``openmetadata-server`` (built on
  the platform's Airflow image, so after it).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.engine.docker_engine import REPO_ROOT, Engine, ensure_engine

HERE = Path(__file__).resolve().parent
PREFIX = "platform-test-double"
DEBIAN_BASE = f"{PREFIX}/debian:bookworm"
PYTHON = f"{PREFIX}/python:3.11-bookworm"
AIRFLOW_BASE = f"{PREFIX}/airflow-base:3.3.2-python3.11"
POSTGRES = f"{PREFIX}/postgres:15-bookworm"
STANDIN = f"{PREFIX}/openmetadata-standin:local"
# (tag, Dockerfile directory); the build context is that directory.
BASE_DOUBLES = ((PYTHON, "python"), (AIRFLOW_BASE, "airflow-base"), (POSTGRES, "postgres"))


def debian_mirror(sources: tuple[Path, ...] = (Path("/etc/apt/sources.list.d"), Path("/etc/apt/sources.list"))) -> str:
    """The Debian mirror this machine's apt uses (deb822 ``URIs:`` or a ``deb`` line), else deb.debian.org."""
    files: list[Path] = []
    for source in sources:
        files += sorted(source.glob("*.sources")) + sorted(source.glob("*.list")) if source.is_dir() else [source]
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        for match in re.finditer(r"^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+/debian)/?\s", text, re.MULTILINE):
            return match.group(1)
    return "http://deb.debian.org/debian"


def image_exists(engine: Engine, tag: str) -> bool:
    """True when ``tag`` is in the engine's image store."""
    return engine.docker("image", "inspect", tag, check=False).returncode == 0


def build_debian_base(engine: Engine, mirror: str | None = None) -> float:
    """``debootstrap --variant=minbase bookworm`` then ``docker import`` as :data:`DEBIAN_BASE`;
    nothing when the image exists. Returns seconds spent.

    Raises:
        subprocess.CalledProcessError: debootstrap or the import failed (output attached).
    """
    if image_exists(engine, DEBIAN_BASE):
        return 0.0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="debootstrap-") as root:
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=ca-certificates",
                "bookworm",
                root,
                mirror or debian_mirror(),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        # The package cache and lists are not part of an image (the official ones ship none either).
        subprocess.run(
            ["bash", "-c", f"rm -rf {root}/var/cache/apt/archives/*.deb {root}/var/lib/apt/lists/*"], check=True
        )
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        engine.docker("import", "--change", 'CMD ["bash"]', "-", DEBIAN_BASE, stdin=tar.stdout, timeout=600)
        tar.wait()
    return time.monotonic() - started


def docker_build(
    engine: Engine,
    tag: str,
    dockerfile: Path,
    context: Path,
    build_args: dict[str, str] | None = None,
    no_cache: bool = False,
) -> float:
    """``docker build`` (the classic builder Compose uses without buildx); returns seconds.

    ``no_cache``: no layer from the engine's cache (a cold build; base images stay local).

    Raises:
        RuntimeError: the build failed; the message ends with its output's last 40 lines.
    """
    started = time.monotonic()
    args = ["build", "--tag", tag, "--file", str(dockerfile), *(["--no-cache"] if no_cache else [])]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    result = engine.docker(
        *args,
        str(context),
        check=False,
        timeout=1800,
        stderr=subprocess.STDOUT,
        stdout=subprocess.PIPE,
        capture_output=False,
    )
    if result.returncode != 0:
        tail = "\n".join(result.stdout.splitlines()[-40:])
        raise RuntimeError(f"docker build of {tag} failed:\n{tail}")
    return time.monotonic() - started


def build_base_doubles(engine: Engine) -> dict[str, float]:
    """The debootstrap base, then every double the product images build on. Returns seconds per tag."""
    times = {DEBIAN_BASE: build_debian_base(engine)}
    for tag, folder in BASE_DOUBLES:
        times[tag] = docker_build(engine, tag, HERE / "images" / folder / "Dockerfile", HERE / "images" / folder)
    return times


def build_standin(engine: Engine, airflow_image: str, no_cache: bool = False) -> float:
    """:data:`STANDIN` on ``airflow_image`` (the platform's Airflow image, built first); seconds."""
    dockerfile = HERE / "images" / "openmetadata-standin" / "Dockerfile"
    return docker_build(engine, STANDIN, dockerfile, REPO_ROOT, {"BASE_IMAGE": airflow_image}, no_cache=no_cache)


if __name__ == "__main__":  # build the base doubles and print each time
    engine = ensure_engine()
    try:
        for tag, seconds in build_base_doubles(engine).items():
            print(f"{tag}: {seconds:.1f} s")
    finally:
        engine.stop()
    sys.exit(0)

"""`make bench`, engine area: the platform stack under a real Docker engine, as a user starts it.

Printed:
- each image's build time, cold (``--no-cache``, base images present) and cached (the same
  build again); the debootstrap base once;
- a cold ``make openmetadata-start`` (fresh volumes, images built) until every service is healthy;
- the stack's total memory at rest (``docker stats``, 60 s after the start), per container.

Runs on the tests' engine (the user's, or a dockerd started and stopped here) with the test
doubles where no registry answers (tests/engine/docker-compose.engine.yml): the OpenMetadata
server is the stand-in and search is left out, so a real stack needs more memory.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

from tests.engine import images
from tests.engine.docker_engine import ensure_engine
from tests.engine.stack import set_up_stack

UNITS = {"b": 1, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "kb": 1000, "mb": 1000**2, "gb": 1000**3}


def _bytes(text: str) -> float:
    number, unit = re.match(r"([\d.]+)\s*([a-zA-Z]+)", text.strip()).groups()
    return float(number) * UNITS[unit.lower()]


def _debootstrap_seconds(engine) -> float:
    tag = images.DEBIAN_BASE
    engine.docker("tag", tag, f"{tag}-bench-saved")
    engine.docker("rmi", tag)
    try:
        return images.build_debian_base(engine)
    finally:
        if not images.image_exists(engine, tag):  # the build failed: the tests keep their base
            engine.docker("tag", f"{tag}-bench-saved", tag)
        engine.docker("rmi", f"{tag}-bench-saved", check=False)


def main() -> None:
    engine = ensure_engine()
    try:
        images.build_base_doubles(engine)
        print("Engine: image builds (seconds)")
        print(f"  debootstrap + docker import of {images.DEBIAN_BASE}: {_debootstrap_seconds(engine):.1f}")
        for tag, folder in images.BASE_DOUBLES:
            dockerfile, context = images.HERE / "images" / folder / "Dockerfile", images.HERE / "images" / folder
            cold = images.docker_build(engine, tag, dockerfile, context, no_cache=True)
            cached = images.docker_build(engine, tag, dockerfile, context)
            print(f"  {tag}: cold {cold:.1f}, cached {cached:.1f}")
        stack = set_up_stack(engine, Path(tempfile.mkdtemp(prefix="bench-engine-")), "--no-kerberos")
        stack.compose("down", "-v", "--remove-orphans", check=False)
        for label, args in (("cold", ["--no-cache"]), ("cached", [])):
            started = time.monotonic()
            stack.compose("build", *args, timeout=1800)
            print(f"  platform images (compose build: Airflow): {label} {time.monotonic() - started:.1f}")
        standin_cold = images.build_standin(engine, stack.dotenv["IMAGE_AIRFLOW"], no_cache=True)
        standin_cached = images.build_standin(engine, stack.dotenv["IMAGE_AIRFLOW"])
        print(f"  {images.STANDIN}: cold {standin_cold:.1f}, cached {standin_cached:.1f}")

        started = time.monotonic()
        stack.make("openmetadata-start", timeout=1800)
        print(f"Engine: cold `make openmetadata-start` to all healthy: {time.monotonic() - started:.1f} s")
        time.sleep(60)
        ids = stack.compose("ps", "-q").stdout.split()
        rows = [
            json.loads(line)
            for line in engine.docker("stats", "--no-stream", "--format", "{{json .}}", *ids).stdout.splitlines()
        ]
        total = sum(_bytes(row["MemUsage"].split("/")[0]) for row in rows)
        print(f"Engine: the stack's memory at rest: {total / 1024**2:.0f} MiB in {len(rows)} containers")
        for row in sorted(rows, key=lambda r: r["Name"]):
            print(f"  {row['Name']}: {row['MemUsage'].split('/')[0].strip()}")
        stack.compose("down", "-v", "--remove-orphans", check=False, timeout=300)
    finally:
        engine.stop()


if __name__ == "__main__":
    main()

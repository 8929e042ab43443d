"""The speed fixes of openmetadata_platform.ingestion.upstream_fixes change nothing that is written:
the harvest and the profiler store the same entities and profiles with and without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def _run(catalog, fixes: str) -> subprocess.Popen:
    env = {**os.environ, **catalog.env(), "PYTHONPATH": str(REPO_ROOT), "OPENMETADATA_PLATFORM_UPSTREAM_FIXES": fixes}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workflows.fixes_probe"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_entities_are_identical_with_and_without_the_fixes(catalog):
    # Statistics present: the correctness fix (row counts of never-analyzed tables) does not apply.
    catalog.postgres.psql("ANALYZE language; ANALYZE category", database="pagila")
    runs = {fixes: _run(catalog, fixes) for fixes in ("on", "off")}  # in parallel: 2 cores
    stored = {}
    for fixes, process in runs.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        stored[fixes] = json.loads(out.strip().splitlines()[-1])
    assert len(stored["on"]["tables"]) > 10 and len(stored["on"]["column_profiles"]) >= 6
    assert stored["on"] == stored["off"]


def test_the_fixes_are_in_place_after_apply():
    import functools

    from openmetadata_platform.ingestion import upstream_fixes

    upstream_fixes.apply("profiler")
    from metadata.ingestion.connections import headers
    from metadata.profiler.interface.sqlalchemy import profiler_interface

    assert isinstance(headers._pkg_version, functools._lru_cache_wrapper)
    assert headers.inject_query_header(None, None, "SELECT 1", None, None, False)[0].endswith("\nSELECT 1")
    assert profiler_interface.gc.collect() == 0 and profiler_interface.gc.isenabled()

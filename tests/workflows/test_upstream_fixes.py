"""The speed fixes of openmetadata_platform.ingestion.upstream_fixes change nothing that is written:
the harvest and the profiler store the same entities and profiles with and without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def _run(catalog, fixes: str, *probe_args: str) -> subprocess.Popen:
    """tests/workflows/fixes_probe.py with ``probe_args``, in a process whose
    ``$OPENMETADATA_PLATFORM_UPSTREAM_FIXES`` is ``fixes``."""
    env = {**os.environ, **catalog.env(), "PYTHONPATH": str(REPO_ROOT), "OPENMETADATA_PLATFORM_UPSTREAM_FIXES": fixes}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workflows.fixes_probe", *probe_args],
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


class _Recorder:
    """An HTTP server in a thread that answers every GET with ``{}`` and records its request line."""

    def __init__(self):
        import http.server
        import threading

        lines = self.lines = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                lines.append(self.requestline)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_openmetadata_client_still_goes_through_the_proxy_of_the_environment(monkeypatch):
    """``read_proxy_environment_once``: HTTP_PROXY is honoured, NO_PROXY too, per host, on every call."""
    from metadata.ingestion.ometa.client import REST, ClientConfig
    from openmetadata_platform.ingestion import upstream_fixes

    upstream_fixes.read_proxy_environment_once()
    proxy, server = _Recorder(), _Recorder()
    try:
        for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ALL_PROXY", "HTTPS_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "direct.invalid")
        # A host only the proxy can reach: it answers for it.
        behind_proxy = REST(ClientConfig(base_url="http://openmetadata.invalid:8585/api", retry=0))
        assert behind_proxy._session.trust_env is False  # the fix is in place: requests no longer reads it
        behind_proxy.get("/system/version")
        behind_proxy.get("/system/version")
        assert proxy.lines == ["GET http://openmetadata.invalid:8585/api/v1/system/version HTTP/1.1"] * 2
        # NO_PROXY names the host: the request goes to it directly.
        monkeypatch.setenv("NO_PROXY", "direct.invalid,127.0.0.1")
        direct = REST(ClientConfig(base_url=f"{server.url}/api", retry=0))
        direct.get("/system/version")
        assert server.lines == ["GET /api/v1/system/version HTTP/1.1"]
        assert len(proxy.lines) == 2
    finally:
        proxy.close()
        server.close()


def test_lookups_of_unwritten_tables_are_skipped_and_what_is_written_is_the_same(catalog):
    """skip_lookups_of_unwritten_tables against openmetadata-ingestion's own lookup (all other
    fixes on both sides): a first harvest (every referred table still unwritten) and one over
    the stored tables write the same tables, versions and change descriptions included; the
    first sends no ``GET tables/name`` per foreign key, the second asks for each as upstream does."""
    runs = {fixes: _run(catalog, fixes, "harvest-twice") for fixes in ("on", "off:skip_lookups_of_unwritten_tables")}
    out = {}
    for fixes, process in runs.items():
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
        out[fixes] = json.loads(stdout.strip().splitlines()[-1])["harvests"]
    fixed, upstream = out["on"], out["off:skip_lookups_of_unwritten_tables"]
    foreign_keys = sum(
        1 for t in fixed[0]["tables"] for c in t.get("tableConstraints") or [] if c["constraintType"] == "FOREIGN_KEY"
    )
    assert foreign_keys >= 10
    for first_or_second in (0, 1):
        assert fixed[first_or_second]["tables"] == upstream[first_or_second]["tables"]
    # first harvest: upstream looks up each referred table (404: still in the sink's buffer)
    assert upstream[0]["requests"].get("GET tables/name", 0) >= foreign_keys
    assert fixed[0]["requests"].get("GET tables/name", 0) == 0
    # over stored tables: the same lookups as upstream, plus one listing of the schema
    assert fixed[1]["requests"].get("GET tables/name") == upstream[1]["requests"].get("GET tables/name") > 0
    assert fixed[1]["requests"]["GET tables"] == upstream[1]["requests"].get("GET tables", 0) + 1

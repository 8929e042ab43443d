"""`make demo` is quiet by default: progress and the report on the terminal, the local run's full
log in a file it names (ANSI escapes removed), ``-v``/``DEMO_VERBOSE=1``/``make demo V=1`` for the
log as it runs; known harmless warnings come with a note, unknown ones are listed first, as is."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.provider.test_demo import DEMO, run_demo

ESC = "\x1b"
LOG_LINE = "The run's full log (Airflow, openmetadata-ingestion): "


def _log_of(stdout: str) -> Path:
    line = next(line for line in stdout.splitlines() if line.startswith(LOG_LINE))
    return Path(line.removeprefix(LOG_LINE))


@pytest.fixture(scope="module")
def pagila_demo():
    """platform-bootstrap/pagila_demo.py as a module (for its report helpers)."""
    spec = importlib.util.spec_from_file_location("pagila_demo_under_test", DEMO)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_the_demo_leads_with_progress_and_the_result_and_names_its_log(openmetadata, tmp_path):
    result = run_demo(openmetadata, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert ESC not in result.stdout + result.stderr  # piped: no ANSI escapes
    assert result.stderr == "", result.stderr[-3000:]
    progress, report = result.stdout.split("\nHarvested pagila", 1)
    # Progress: the server, pagila loading, the run (naming its log), each task's start and state.
    assert progress.splitlines()[0].startswith("OpenMetadata: http://127.0.0.1:")
    assert "\n  harvest_pagila_schema: running\n  harvest_pagila_schema: success" in progress, progress
    assert len(progress.splitlines()) <= 6, progress
    assert len(result.stdout.splitlines()) <= 40, result.stdout
    for noise in ("[info", "DagBag", "next_dagrun", "Creating ORM DAG", "[DAG TEST]", "Workflow Postgres Summary"):
        assert noise not in result.stdout, noise

    # The full log: named in the progress and in the report, kept under .run/demo/, without escapes.
    log = _log_of(result.stdout)
    assert f"its log: {log}; `make demo V=1` shows it as it runs" in progress
    assert log.parent == REPO_ROOT / ".run" / "demo" and log.is_file()
    text = log.read_text()
    assert "Filling up the DagBag" in text and "[DAG TEST] starting task_id=harvest_pagila_schema" in text
    assert "Workflow Postgres Summary" in text and ESC not in text
    assert (log.parent / "latest.log").resolve() == log.resolve()

    # The known upstream warnings are listed with what they mean; the header counts them.
    lines = report.splitlines()
    header = next(line for line in lines if line.startswith("  warnings: "))
    known = [i for i, line in enumerate(lines) if line.startswith("    - ") and "GetQueries" in line]
    known += [i for i, line in enumerate(lines) if line.startswith("    - ") and "pg_stat_statements" in line]
    assert len(known) == 2, report
    assert all(lines[i + 1].startswith("      known, harmless: ") for i in known), report
    assert "2 known and harmless (noted below)" in header, header


def test_verbose_shows_the_full_log_as_it_runs(openmetadata, tmp_path):
    result = run_demo(openmetadata, tmp_path, DEMO_VERBOSE="1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    progress = result.stdout.split("\nHarvested pagila", 1)[0]
    assert "Filling up the DagBag" in progress and "[DAG TEST] starting task_id=harvest_pagila_schema" in progress
    assert ESC not in result.stdout  # piped: the escapes are left out here too
    assert "make demo V=1" not in progress  # no hint to do what is being done
    assert "Filling up the DagBag" in _log_of(result.stdout).read_text()


def test_a_failed_task_is_said_with_its_cause_from_the_log(openmetadata, tmp_path):
    result = run_demo(openmetadata, tmp_path, token="not-the-token")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    headline = next(line for line in result.stdout.splitlines() if "The pagila harvest FAILED" in line)
    log = _log_of(result.stdout)
    assert "task harvest_pagila_schema did not succeed: OpenMetadataConnectionError: " in headline, headline
    assert "rejected" in headline and headline.endswith(f"(its log: {log})")
    assert "Traceback" not in result.stdout + result.stderr and "Traceback" in log.read_text()


def test_make_demo_passes_verbosity_on():
    def recipe(*args):
        out = subprocess.run(
            ["make", "-n", "--no-print-directory", "demo", *args],
            check=False,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
        return next(line for line in out.stdout.splitlines() if "pagila_demo.py" in line)

    assert recipe().rstrip().endswith("pagila_demo.py")
    assert recipe("V=0").rstrip().endswith("pagila_demo.py")
    assert recipe("V=1").rstrip().endswith("pagila_demo.py --verbose")


def test_the_warnings_list_others_first_and_notes_the_known_ones(pagila_demo):
    report = pagila_demo.Report(ok=True, where="here", log=".run/demo/run.log")
    report.logged_warnings = [
        "metadata.Utils: Neither 'total_exec_time' nor 'total_time' found in pg_stat_statements. Defaulting",
        "metadata.Metadata: You might be missing metadata in: GetQueries due to None",
        "openmetadata_platform.lineage: owner 'data-platform' is not an OpenMetadata user",
    ]
    lines = pagila_demo.warnings_lines(report).splitlines()
    assert lines[0] == (
        "  warnings: the steps recorded 0; the run logged 3 warnings: 2 known and harmless (noted below), 1 other"
    )
    assert lines[1] == "    - openmetadata_platform.lineage: owner 'data-platform' is not an OpenMetadata user"
    assert lines[2].startswith("    - metadata.Utils: Neither") and lines[3].startswith("      known, harmless: ")
    assert max(len(line) for line in lines if not line.startswith("    - ")) <= 110
    # Only unknown ones: as before, no note.
    report.logged_warnings = report.logged_warnings[2:] * 10
    lines = pagila_demo.warnings_lines(report).splitlines()
    assert lines[0].endswith("the run logged 10 warnings:")
    assert lines[-1] == "    - ... and 2 more (in .run/demo/run.log)"
    assert not any("known" in line for line in lines)
    report.logged_warnings = []
    assert pagila_demo.warnings_lines(report) == "  warnings: the steps recorded 0; the run logged 0 warnings"


def test_verbosity_from_the_command_line_or_the_environment(pagila_demo):
    assert not pagila_demo.verbose_requested([], {})
    assert pagila_demo.verbose_requested(["-v"], {}) and pagila_demo.verbose_requested(["--verbose"], {})
    assert pagila_demo.verbose_requested([], {"DEMO_VERBOSE": "1"})
    assert not pagila_demo.verbose_requested([], {"DEMO_VERBOSE": "0"})
    with pytest.raises(SystemExit):
        pagila_demo.verbose_requested(["--loud"], {})

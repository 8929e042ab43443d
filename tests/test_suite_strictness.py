"""The suite cannot hide a failure: skips fail under CI=true, our deprecated API use fails."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.conftest import REPO_ROOT

SAMPLE = """
import shutil
import warnings

import pytest


def test_needs_a_tool():
    if shutil.which("no-such-tool-here") is None:
        pytest.skip("no-such-tool-here is not installed")


@pytest.mark.e2e
def test_needs_a_server():
    pytest.skip("no server")


def test_uses_a_deprecated_api():
    warnings.warn("old API", DeprecationWarning, stacklevel=1)
"""


def run_sample(tmp_path, ci: bool) -> subprocess.CompletedProcess:
    # A package named like ours (tests*), so the warning filters treat it as our code.
    (tmp_path / "tests_sample").mkdir()
    (tmp_path / "tests_sample" / "__init__.py").write_text("")
    (tmp_path / "tests_sample" / "test_sample.py").write_text(textwrap.dedent(SAMPLE))
    env = {**os.environ, "CI": "true" if ci else "false", "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(REPO_ROOT / "pytest.ini"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "tests.support.strict_ci",
            "tests_sample/test_sample.py",
            "-q",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_skip_fails_under_ci_but_not_in_the_e2e_suite(tmp_path):
    result = run_sample(tmp_path, ci=True)
    assert "FAILED tests_sample/test_sample.py::test_needs_a_tool" in result.stdout, result.stdout
    assert "no-such-tool-here is not installed" in result.stdout
    assert "SKIPPED" in result.stdout and "no server" in result.stdout  # the e2e skip stays a skip


def test_outside_ci_a_skip_is_reported_with_its_reason(tmp_path):
    result = run_sample(tmp_path, ci=False)
    assert "SKIPPED [1] tests_sample/test_sample.py" in result.stdout and "no-such-tool-here" in result.stdout


def test_our_own_deprecated_api_use_fails(tmp_path):
    result = run_sample(tmp_path, ci=False)
    assert "FAILED tests_sample/test_sample.py::test_uses_a_deprecated_api" in result.stdout, result.stdout
    assert "DeprecationWarning: old API" in result.stdout

"""The repository stays lint-clean and formatted (ruff.toml), so `make lint` means something."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT

PATHS = ["provider", "dags", "tests", "platform-bootstrap"]


def test_ruff_check_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *PATHS], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_ruff_format_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *PATHS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]

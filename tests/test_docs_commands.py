"""The READMEs' shell blocks that are meant to run here run as written, from the directory they name.

Convention (how a block opts in): put this HTML comment, invisible on GitHub, on the line
right before the block's opening fence (```sh or ```bash)::

    <!-- docs-test: run from <dir> -->

``<dir>`` is the directory the README tells the reader to run the block from, relative to
the repository root (``.`` for the root itself, ``provider``, ``platform-bootstrap``...).
Mark a block only when it runs on a machine like CI's: no Docker engine, no OpenMetadata
server, no network, nothing installed (the shared ``.venv`` is used, never changed), and in
seconds. Leave the others unmarked (``astro dev start``, ``make demo``, ``pip install ...``).

How the blocks run: each README gets its own copy of the checkout (a ``git clone --shared``
with the working tree's current files on top and ``.venv`` linked: see
``tests/datakit/checkout.py``) inside an otherwise empty directory, so a command that
writes into the checkout (``dist/``) or next to it (``..``) touches nothing real. The README's
marked blocks run in document order (a block may use what an earlier one made) with
``bash -euo pipefail``, in the named directory of the copy, with a throwaway ``HOME`` and
without this test suite's ``AIRFLOW_*`` settings. A block fails the test when it exits
non-zero. A malformed marker (a typo, no fence after it, a directory that does not exist)
fails too, so a block cannot drop out of the test unnoticed.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.datakit.checkout import git, snapshot_checkout

MARKER = re.compile(r"^<!-- docs-test: run from (?P<dir>\S+) -->$")
LOOSE_MARKER = re.compile(r"^\s*<!--.*docs-test", re.IGNORECASE)
FENCE = re.compile(r"^```(sh|bash)\s*$")
# The READMEs of the root, the provider, the platform and the template must have at least one
# runnable block each once their owners marked them; these already do.
MUST_HAVE_BLOCKS = ["README.md", "provider/README.md", "cookiecutter-datakit/README.md"]
BLOCK_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Block:
    readme: str  # relative to the repository root
    line: int  # 1-based line of the opening fence
    directory: str
    script: str


def readmes() -> list[str]:
    """Every README.md in git or on disk (not ignored), except the template's unrendered kit README."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*README.md")
    return sorted(
        path for path in listed.split("\0") if path and (REPO_ROOT / path).is_file() and "{{cookiecutter" not in path
    )


def parse(readme: str) -> tuple[list[Block], list[str]]:
    """(marked blocks, problems with markers) of one README."""
    lines = (REPO_ROOT / readme).read_text().splitlines()
    blocks, problems = [], []
    for index, line in enumerate(lines):
        if not LOOSE_MARKER.search(line):
            continue
        where = f"{readme}:{index + 1}"
        marker = MARKER.match(line.strip())
        if not marker:
            problems.append(
                f"{where}: malformed marker {line.strip()!r}; expected '<!-- docs-test: run from <dir> -->'"
            )
            continue
        if index + 1 >= len(lines) or not FENCE.match(lines[index + 1].strip()):
            problems.append(f"{where}: the marker must be right before a ```sh or ```bash fence")
            continue
        directory = marker.group("dir")
        if not (REPO_ROOT / directory).is_dir():
            problems.append(f"{where}: 'run from {directory}': no such directory in the repository")
            continue
        body = []
        for text in lines[index + 2 :]:
            if text.strip() == "```":
                break
            body.append(text)
        else:
            problems.append(f"{where}: the block is never closed")
            continue
        blocks.append(Block(readme, index + 2, directory, textwrap.dedent("\n".join(body))))
    return blocks, problems


def all_blocks() -> dict[str, list[Block]]:
    return {readme: blocks for readme in readmes() if (blocks := parse(readme)[0])}


def test_markers_are_well_formed():
    problems = [problem for readme in readmes() for problem in parse(readme)[1]]
    assert not problems, "\n".join(problems)


def test_the_readmes_that_must_have_runnable_blocks_have_them():
    found = all_blocks()
    missing = [readme for readme in MUST_HAVE_BLOCKS if readme not in found]
    assert not missing, f"no '<!-- docs-test: run from <dir> -->' block in {missing}"


def block_env(home: Path) -> dict[str, str]:
    """A reader's shell: this suite's AIRFLOW_* settings removed, a throwaway HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["HOME"] = str(home)
    return env


@pytest.mark.parametrize("readme", sorted(all_blocks()))
def test_readme_blocks_run_as_written(readme, tmp_path):
    blocks = all_blocks()[readme]
    checkout = snapshot_checkout(tmp_path / "workspace" / REPO_ROOT.name)
    home = tmp_path / "home"
    home.mkdir()
    for block in blocks:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.script],
            cwd=checkout / block.directory,
            env=block_env(home),
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_SECONDS,
            check=False,
        )
        assert result.returncode == 0, (
            f"{block.readme}:{block.line} (run from {block.directory}) exited {result.returncode}:\n"
            f"{block.script}\n--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
        )

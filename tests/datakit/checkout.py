"""A throwaway copy of this checkout, git history included, for commands that write or commit.

``git clone --shared`` only reads the repository (no lock, no index write, no change to the
shared working tree); the working tree's current files are then copied over the clone, so it
holds what is on disk now, committed or not. ``.venv`` is a symlink to the real one: nothing
is reinstalled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

# Commits made in a copy: a fixed identity, no hooks, no signing, no user config.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "datakit tests",
    "GIT_AUTHOR_EMAIL": "datakit-tests@example.com",
    "GIT_COMMITTER_NAME": "datakit tests",
    "GIT_COMMITTER_EMAIL": "datakit-tests@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path = REPO_ROOT) -> str:
    """Run git in ``cwd``; return stdout. Raises subprocess.CalledProcessError on failure."""
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _listed(output: str) -> set[str]:
    return {path for path in output.split("\0") if path}


def snapshot_checkout(dest: Path) -> Path:
    """Clone this repository into ``dest`` and make its files equal to the working tree's.

    Returns ``dest``. Untracked files that git ignores (``.venv``, ``.run``, ``dist``) are not
    copied; ``dest/.venv`` links to the real virtual environment.

    Raises:
        subprocess.CalledProcessError: git failed.
    """
    git("clone", "--quiet", "--shared", str(REPO_ROOT), str(dest))
    current = {
        path
        for path in _listed(git("ls-files", "-z", "--cached", "--others", "--exclude-standard"))
        if (REPO_ROOT / path).is_file()
    }
    for path in current:
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / path, target)
    # Files of HEAD that are gone from the working tree (deleted, renamed).
    for path in _listed(git("ls-files", "-z", cwd=dest)) - current:
        (dest / path).unlink(missing_ok=True)
    (dest / ".venv").symlink_to(REPO_ROOT / ".venv", target_is_directory=True)
    return dest


def commit_all(checkout: Path, message: str) -> str:
    """Commit every change in a copy made by :func:`snapshot_checkout`; return the commit hash."""
    git("add", "--all", ":!.venv", cwd=checkout)
    git("commit", "--quiet", "--no-verify", "--no-gpg-sign", "--allow-empty", "-m", message, cwd=checkout)
    return git("rev-parse", "HEAD", cwd=checkout).strip()

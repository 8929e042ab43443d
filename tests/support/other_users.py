"""Run test programs as another uid, wherever the checkout lives and whatever its modes.

The tests run as root; some run a script or Python as an unprivileged uid (``setpriv``) to
see what that user sees. That uid may be unable to reach the checkout (a clone in a 0700
home or ``mktemp -d``) and the venv (inside the checkout, its interpreter a symlink into
/root/.pyenv). So it never runs anything from there: :class:`OtherUsers` copies what it runs
and imports into one directory per session that everyone can read and traverse (0755 on every
level, under the temp dir), rewrites the checkout paths in the command and its environment to
the copies, and picks an interpreter that user can run. The copy is the same wherever the
checkout is, so the tests see the same thing in every location.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest


def others_can_reach(path: Path | str) -> bool:
    """True if a user with no special rights can get to ``path``: every directory on the way is o+x.

    Checked on the path as written and on its resolved form (symlinks: a venv's ``bin/python``
    in a private checkout is not reachable even if the interpreter it points to is).
    """
    for form in {Path(os.path.abspath(path)), Path(os.path.realpath(path))}:
        if not all(os.stat(parent).st_mode & 0o001 for parent in form.parents):
            return False
    return True


def others_can_run(path: Path | str) -> bool:
    """True if a user with no special rights can execute ``path``."""
    return others_can_reach(path) and bool(os.stat(path).st_mode & 0o001)


def open_mkdtemp(prefix: str) -> Path:
    """A new directory in the temp dir, mode 0755, that every user can reach."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    if not others_can_reach(path):
        shutil.rmtree(path, ignore_errors=True)
        pytest.fail(
            f"other users cannot reach the temp dir {path.parent} (TMPDIR={os.environ.get('TMPDIR')!r}): "
            "the tests that switch users need one they can, e.g. TMPDIR=/tmp"
        )
    return path


def _copy_file(src: str | Path, dest: str | Path) -> None:
    """Copy one file readable by everyone: 0644, or 0755 if its owner may execute the original."""
    shutil.copyfile(src, dest)
    os.chmod(dest, 0o755 if os.stat(src).st_mode & 0o100 else 0o644)


def _copy(src: Path, dest: Path, ignore: Iterable[str] = ()) -> None:
    """Copy a file or a tree (without bytecode) with modes everyone can use, whatever the original's."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        patterns = shutil.ignore_patterns("__pycache__", "*.pyc", *ignore)
        shutil.copytree(src, dest, ignore=patterns, copy_function=_copy_file)
    else:
        _copy_file(src, dest)


def _open_up(root: Path) -> None:
    """Every directory from ``root`` down is 0755 (copytree gives them the originals' modes)."""
    root.chmod(0o755)
    for parent, dirs, _ in os.walk(root):
        for name in dirs:
            Path(parent, name).chmod(0o755)


class OtherUsers:
    """What another uid runs from the checkout, copied where it can reach it.

    Args:
        repo: the checkout.
        copies: paths relative to ``repo`` that the other uid runs or imports (files or
            directories); copied to the same relative paths under :attr:`root`.
        python_path: directories relative to ``repo`` (among ``copies``' parents) that go on
            the other uid's ``PYTHONPATH``, as copies.
        third_party: top-level modules from this interpreter's environment (site-packages)
            the other uid imports, with what they import; copied too, since the venv may be
            out of reach. Compiled extensions are only valid for the same minor version,
            which :meth:`python` guarantees.
        python: the interpreter the tests use; in a command or environment value it stands
            for "python", and is replaced by one the other uid can run.
    """

    def __init__(
        self,
        repo: Path,
        copies: Iterable[str],
        python_path: Iterable[str] = (),
        third_party: Iterable[str] = (),
        python: str = sys.executable,
    ) -> None:
        self.repo = repo
        self.copies = tuple(copies)
        self.python_path = tuple(python_path)
        self.third_party = tuple(third_party)
        self.python = python
        self._root: Path | None = None
        self._interpreter: str | None = None
        self._checked: set[tuple[int, int, tuple[int, ...]]] = set()
        # A checkout path, not followed by more of a file name (…/kerberos, not …/kerberos2).
        self._in_repo = re.compile(re.escape(str(repo)) + r"(?![\w.-])")
        self._rewrites = [
            (re.compile(re.escape(str(repo / rel)) + r"(?![\w.-])"), rel) for rel in sorted(self.copies, key=len)[::-1]
        ]

    @property
    def root(self) -> Path:
        """The session's copy (made on first use, removed when the session's process exits)."""
        if self._root is None:
            root = open_mkdtemp("tests-for-other-users-")
            atexit.register(shutil.rmtree, root, True)
            for rel in self.copies:
                _copy(self.repo / rel, root / rel)
            for name in self.third_party:
                spec = importlib.util.find_spec(name)
                if spec is None or spec.origin is None:
                    pytest.fail(f"{name} is not installed in {sys.prefix} (make install)")
                if spec.submodule_search_locations:  # a package: its directory
                    _copy(Path(spec.origin).parent, root / "site-packages" / name, ignore=["tests"])
                else:
                    _copy(Path(spec.origin), root / "site-packages" / Path(spec.origin).name)
            _open_up(root)
            self._root = root
        return self._root

    def interpreter(self) -> str:
        """``python`` if other users can run it, else the system python3 of the same minor version."""
        if self._interpreter is None:
            self._interpreter = self.python if others_can_run(self.python) else self._system_python()
        return self._interpreter

    def _system_python(self) -> str:
        system = shutil.which("python3", path="/usr/bin:/bin")
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        if not system or not others_can_run(system):
            pytest.fail(
                f"no python3 other users can run ({self.python} is out of their reach): "
                "install Debian's python3 (bash .ci/install-system-packages)"
            )
        found = subprocess.run(
            [system, "-c", "import sys; print(f'{sys.version_info.major}.{sys.version_info.minor}')"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if found != version:
            pytest.fail(f"{system} is Python {found}, the venv is {version}: the tests need the same minor version")
        return system

    def env(self) -> dict[str, str]:
        """What the other uid's python needs: the copies first on ``PYTHONPATH``."""
        paths = [str(self.root / rel) for rel in self.python_path]
        if self.third_party:
            paths.append(str(self.root / "site-packages"))
        return {"PYTHONPATH": os.pathsep.join(paths)}

    def rewrite(self, value: str) -> str:
        """``value`` with every path into a copied part of the checkout pointing at the copy."""
        if value == self.python:
            return self.interpreter()
        for pattern, rel in self._rewrites:
            value = pattern.sub(lambda _, rel=rel: str(self.root / rel), value)
        return value

    def command(self, args: Iterable[str], env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
        """``args`` and ``env`` as the other uid must get them; fails on a checkout path not copied."""
        args = [self.rewrite(str(arg)) for arg in args]
        left = [arg for arg in args if arg != self.interpreter() and self._in_repo.search(arg)]
        if left:
            pytest.fail(
                f"{left} point(s) into the checkout {self.repo}, which another uid may not reach: "
                "add what it needs to the copies (tests/kerberos/conftest.py, OTHER_USERS)"
            )
        env = {key: self.rewrite(value) for key, value in env.items()}
        env.update(self.env())
        return args, env

    def check(self, uid: int, gid: int, groups: tuple[int, ...] = ()) -> None:
        """Once per user: its python imports everything it is given, or a clear failure."""
        if (uid, gid, groups) in self._checked:
            return
        names = [*self.third_party]
        for rel in self.copies:
            for root in self.python_path:
                if rel.startswith(root.rstrip("/") + "/"):
                    names.append(Path(rel[len(root.rstrip("/")) + 1 :]).parts[0].removesuffix(".py"))
        if names:
            probe = subprocess.run(
                ["setpriv", *_ids(uid, gid, groups), self.interpreter(), "-c", f"import {', '.join(names)}"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                env={**os.environ, **self.env()},
                cwd=self.root,
            )
            if probe.returncode != 0:
                pytest.fail(
                    f"uid {uid} cannot import {', '.join(names)} with {self.interpreter()} "
                    f"(PYTHONPATH={self.env()['PYTHONPATH']}): {probe.stderr.strip()}\n"
                    "A module it imports is missing from the copies: add it to third_party (OTHER_USERS in "
                    "tests/kerberos/conftest.py). It also needs the system's Kerberos libraries "
                    "(bash .ci/install-system-packages) and these modules installed in the venv (make install)."
                )
        self._checked.add((uid, gid, groups))

    def run(
        self, uid: int, gid: int, args: Iterable[str], groups: tuple[int, ...] = (), **kwargs
    ) -> subprocess.CompletedProcess:
        """``args`` as ``uid:gid`` (setpriv) with the copies; ``cwd`` defaults to the copy's root."""
        self.check(uid, gid, groups)
        args, env = self.command(args, kwargs.pop("env", None) or os.environ)
        kwargs.setdefault("cwd", self.root)
        return subprocess.run(
            ["setpriv", *_ids(uid, gid, groups), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
            **kwargs,
        )


def _ids(uid: int, gid: int, groups: tuple[int, ...]) -> list[str]:
    """setpriv's options for ``uid:gid`` with exactly ``groups`` as supplementary groups."""
    return [
        f"--reuid={uid}",
        f"--regid={gid}",
        f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups",
    ]

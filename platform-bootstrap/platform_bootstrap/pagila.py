"""Locate the pagila sample database (MIT licence) and load it into a PostgreSQL server.

Standard library only: ``make demo``'s preflight (``platform-bootstrap/demo_preflight.py``)
imports it with the system python3, before anything is installed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from platform_bootstrap.local_postgres import ThrowawayPostgres

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PAGILA_DIR = REPO_ROOT.parent / "shared" / "pagila"
PAGILA_FILES = ("pagila-schema.sql", "pagila-data.sql")
PAGILA_PROJECT = "https://github.com/devrimgunduz/pagila"


class PagilaNotFound(FileNotFoundError):
    """The pagila dump is not where it is looked for; the message says where it comes from."""


def pagila_dir(configured: str | os.PathLike | None = None) -> Path:
    """Return the folder with ``pagila-schema.sql`` and ``pagila-data.sql``.

    Args:
        configured: the folder to use; default ``$PAGILA_DIR``. When neither is set,
            ``../shared/pagila`` beside the repository. A configured folder is the only one
            looked at (as the platform's ``pagila-loader`` does), so a wrong ``PAGILA_DIR``
            is reported instead of silently replaced.

    Raises:
        PagilaNotFound: (a ``FileNotFoundError``) the folder does not hold the two files; the
            message says what pagila is, where to get it and where to put it.
    """
    configured = configured or os.environ.get("PAGILA_DIR") or None
    candidate = Path(configured).expanduser() if configured else DEFAULT_PAGILA_DIR
    missing = [name for name in PAGILA_FILES if not (candidate / name).is_file()]
    if not missing:
        return candidate
    where = f"PAGILA_DIR={configured}" if configured else f"{DEFAULT_PAGILA_DIR} (the default: PAGILA_DIR is not set)"
    raise PagilaNotFound(
        f"pagila not found: {where} has no {' and no '.join(missing)}.\n"
        f"  pagila is the PostgreSQL sample database of the pagila project ({PAGILA_PROJECT}, MIT licence);\n"
        f"  its dump is two files, {PAGILA_FILES[0]} and {PAGILA_FILES[1]}. Either:\n"
        f"  - put them in {DEFAULT_PAGILA_DIR}, e.g. git clone --depth 1 {PAGILA_PROJECT}.git {DEFAULT_PAGILA_DIR}\n"
        "  - or set PAGILA_DIR to the directory that holds them (environment or platform-bootstrap/.env)"
    )


def load_pagila(server: ThrowawayPostgres, database: str = "pagila", directory: Path | None = None) -> None:
    """Create ``database`` on ``server`` and load pagila's schema, then its data.

    Args:
        server: a started :class:`~platform_bootstrap.local_postgres.ThrowawayPostgres`.
        database: the database to create (it must not exist).
        directory: the folder with the dump; default :func:`pagila_dir`.

    Raises:
        PagilaNotFound: no dump (checked before anything is created).
        subprocess.CalledProcessError: psql failed (the SQL error is in ``stderr``).
    """
    directory = directory or pagila_dir()
    server.psql(f'CREATE DATABASE "{database}"')
    server.psql_file(directory / "pagila-schema.sql", database)
    server.psql_file(directory / "pagila-data.sql", database)

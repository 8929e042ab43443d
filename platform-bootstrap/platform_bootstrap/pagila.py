"""Locate the pagila sample database (MIT licence) and load it into a PostgreSQL server."""

from __future__ import annotations

import os
from pathlib import Path

from platform_bootstrap.local_postgres import ThrowawayPostgres

REPO_ROOT = Path(__file__).resolve().parents[2]


def pagila_dir() -> Path:
    """Return the folder with ``pagila-schema.sql`` and ``pagila-data.sql``.

    Looks at ``$PAGILA_DIR``, then ``../shared/pagila`` beside the repository.

    Raises:
        FileNotFoundError: neither holds the two files.
    """
    candidates = [Path(os.environ["PAGILA_DIR"])] if os.environ.get("PAGILA_DIR") else []
    candidates.append(REPO_ROOT.parent / "shared" / "pagila")
    for candidate in candidates:
        if (candidate / "pagila-schema.sql").is_file() and (candidate / "pagila-data.sql").is_file():
            return candidate
    raise FileNotFoundError(
        "pagila not found: set PAGILA_DIR or put pagila-schema.sql and pagila-data.sql in "
        f"{REPO_ROOT.parent / 'shared' / 'pagila'}"
    )


def load_pagila(server: ThrowawayPostgres, database: str = "pagila") -> None:
    """Create ``database`` on ``server`` and load pagila's schema, then its data.

    Raises:
        subprocess.CalledProcessError: psql failed (the SQL error is in ``stderr``).
    """
    server.psql(f'CREATE DATABASE "{database}"')
    directory = pagila_dir()
    server.psql_file(directory / "pagila-schema.sql", database)
    server.psql_file(directory / "pagila-data.sql", database)

"""Fixtures for the governance tests: a stand-in seeded like an ingested pagila catalog, the
provider's client pointed at it, and helpers writing governance folders."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

TABLE = "pagila_local.pagila.public.rental"
OTHER = "pagila_local.pagila.public.payment"
WRITES = ("PUT", "PATCH", "POST", "DELETE")


def seed_catalog(server) -> None:
    """Tables, users, a team, the PII and Tier classifications and a ``retentionDays`` property."""
    from tests.openmetadata_standin.governance import seed_tiers
    from tests.openmetadata_standin.seed import create_tables, create_team, create_user

    create_tables(server, {TABLE: ["rental_id", "rental_date", "customer_id"], OTHER: ["payment_id", "amount"]})
    create_user(server, "alice")
    create_user(server, "bob")
    create_team(server, "rentals")
    seed_tiers(server)
    status, answer = server.call("PUT", "/classifications", {"name": "PII", "description": "Personal data"})
    assert status in (200, 201), answer
    for tag in ("Sensitive", "NonSensitive"):
        status, answer = server.call("PUT", "/tags", {"name": tag, "description": tag, "classification": "PII"})
        assert status in (200, 201), answer
    _, table_type = server.call("GET", "/metadata/types/name/table")
    _, integer = server.call("GET", "/metadata/types/name/integer")
    status, answer = server.call(
        "PUT",
        f"/metadata/types/{table_type['id']}",
        {
            "name": "retentionDays",
            "description": "Days rows are kept",
            "propertyType": {"id": integer["id"], "type": "type"},
        },
    )
    assert status in (200, 201), answer


@pytest.fixture
def catalog(openmetadata_connection):
    """The per-test stand-in, seeded (see :func:`seed_catalog`); ``openmetadata_default`` points at it."""
    seed_catalog(openmetadata_connection)
    openmetadata_connection.requests.clear()
    return openmetadata_connection


@pytest.fixture
def client(catalog):
    """The provider hook's ``OpenMetadata`` client for the stand-in."""
    from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

    return OpenMetadataHook().get_conn()


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` (dedented) to ``folder/name``; returns the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


# POSTs that only read: the server's ODCS validation stores nothing.
READ_ONLY_POSTS = ("/odcs/validate/yaml",)


def writes(server) -> list:
    """The recorded requests that may change something."""
    return [r for r in server.requests if r.method in WRITES and not r.path.endswith(READ_ONLY_POSTS)]

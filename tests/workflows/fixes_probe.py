"""Run the harvest and the profiler of two small pagila tables in this process and print what the
stand-in stored, normalised (ids, timestamps and hrefs removed), as JSON on the last line.

Used by test_upstream_fixes.py in two processes, one with ``OPENMETADATA_PLATFORM_UPSTREAM_FIXES=off``
(openmetadata-ingestion as shipped). Reads the source from ``AIRFLOW_CONN_PAGILA_POSTGRES``.

``python -m tests.workflows.fixes_probe harvest-twice``: the whole schema harvested twice (a
first harvest, then one over the stored tables), no profiler; each harvest's tables with their
versions and change descriptions, and the stand-in's requests by method and route.
"""

from __future__ import annotations

import json
import os

VOLATILE = {"id", "href", "updatedAt", "timestamp", "updatedBy", "createdAt", "version", "changeDescription"}


def normalise(value, keep: set[str] = frozenset()):
    """``value`` without the :data:`VOLATILE` keys (at any depth) but those in ``keep``."""
    if isinstance(value, dict):
        return {k: normalise(v, keep) for k, v in sorted(value.items()) if k not in VOLATILE - keep}
    if isinstance(value, list):
        return [normalise(v, keep) for v in value]
    return value


def _route(path: str) -> str:
    """A request path without ``/api/v1`` and its FQN or id (``/api/v1/tables/name/x.y`` -> ``tables/name``)."""
    parts = path.split("?")[0].strip("/").removeprefix("api/v1/").split("/")
    return "/".join(parts[:2]) if len(parts) > 1 and parts[1] == "name" else parts[0]


def harvest_twice(server, source: dict) -> dict:
    from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

    harvests = []
    for index in range(2):
        server.requests.clear()
        PostgresMetadataIngestionOperator(task_id=f"harvest{index}", **source).execute(context={})
        requests: dict[str, int] = {}
        for request in list(server.requests):
            key = f"{request.method} {_route(request.path)}"
            requests[key] = requests.get(key, 0) + 1
        tables = sorted(
            (normalise(t, keep={"version", "changeDescription"}) for t in server.entities("table")),
            key=lambda t: t["fullyQualifiedName"],
        )
        harvests.append({"tables": tables, "requests": requests})
    return {"harvests": harvests}


def main() -> None:
    import sys

    from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator, PostgresProfilerOperator

    from tests.openmetadata_standin.server import StandInServer
    from tests.openmetadata_standin.timeseries import COLUMN_PROFILE, TABLE_PROFILE

    with StandInServer() as server:
        os.environ["AIRFLOW_CONN_OPENMETADATA_DEFAULT"] = json.dumps(
            {
                "conn_type": "openmetadata",
                "host": "127.0.0.1",
                "port": server.port,
                "schema": "http",
                "password": server.token,
            }
        )
        source = {"postgres_conn_id": "pagila_postgres", "service_name": "pagila", "schema_includes": ["^public$"]}
        if sys.argv[1:] == ["harvest-twice"]:
            print(json.dumps(harvest_twice(server, source), sort_keys=True))
            return
        PostgresMetadataIngestionOperator(task_id="harvest", **source).execute(context={})
        PostgresProfilerOperator(
            task_id="profile", **source, table_includes=["^language$", "^category$"], thread_count=1
        ).execute(context={})
        stored = {
            "tables": sorted((normalise(t) for t in server.entities("table")), key=lambda t: t["fullyQualifiedName"]),
            "table_profiles": normalise(server.extensions.all_rows(TABLE_PROFILE)),
            "column_profiles": normalise(server.extensions.all_rows(COLUMN_PROFILE)),
        }
    print(json.dumps(stored, sort_keys=True))


if __name__ == "__main__":
    main()

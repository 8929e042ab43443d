"""Run the harvest and the profiler of two small pagila tables in this process and print what the
stand-in stored, normalised (ids, timestamps and hrefs removed), as JSON on the last line.

Used by test_upstream_fixes.py in two processes, one with ``OPENMETADATA_PLATFORM_UPSTREAM_FIXES=off``
(openmetadata-ingestion as shipped). Reads the source from ``AIRFLOW_CONN_PAGILA_POSTGRES``.
"""

from __future__ import annotations

import json
import os

VOLATILE = {"id", "href", "updatedAt", "timestamp", "updatedBy", "createdAt", "version", "changeDescription"}


def normalise(value):
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def main() -> None:
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

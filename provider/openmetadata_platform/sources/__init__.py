"""Source systems: one module per database, from an Airflow connection to OpenMetadata.

Each module turns an Airflow connection into the ``serviceConnection.config`` dict of
OpenMetadata's connector (``PostgresConnection``, ``MssqlConnection``, ...) and offers a
preflight that fails with the driver's real reason before a workflow starts. A new source
(MySQL, Snowflake, ...) gets its own module here and an operator subclass in
:mod:`openmetadata_platform.operators.ingestion`.
"""

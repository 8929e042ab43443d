"""Example datakit DAG: rentals per day from pagila, with its lineage declared.

It reads ``public.rental`` of the pagila database, the table ``make demo`` harvested into
OpenMetadata as ``pagila.pagila.public.rental``, and rebuilds ``{{ cookiecutter.project_slug }}.daily_rentals``
in the same database, so its lineage edge lands on real catalog entities:

1. ``create_daily_rentals`` creates the (empty) table when it is missing;
2. ``register_daily_rentals`` harvests that one table into OpenMetadata, into the demo's
   DatabaseService ``pagila``: the provider's listener skips an edge whose tables
   OpenMetadata does not know, so the target must be in the catalog before the load runs;
3. ``load_daily_rentals`` rebuilds the table from ``public.rental``. Its ``inlets`` and
   ``outlets`` (``om_table``) are all the lineage needs: when the task succeeds, the
   listener sends the edge rental -> daily_rentals with its column lineage, and keeps this
   DAG as a Pipeline in OpenMetadata.

Connections: ``pagila_postgres`` (the pagila database) and ``openmetadata_default`` (see
.env.example). Nothing here imports openmetadata-ingestion at parse time (the operator
imports it when it runs), so parsing this file stays as cheap as any small DAG.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, BaseHook, task
from openmetadata_platform.lineage import om_table
from openmetadata_platform.operators.ingestion import PostgresMetadataIngestionOperator

PAGILA_CONN_ID = "pagila_postgres"
# Where `make demo` harvested pagila in OpenMetadata: service.database (PAGILA_OPENMETADATA_SERVICE there).
SERVICE, DATABASE = "pagila", "pagila"
SCHEMA = "{{ cookiecutter.project_slug }}"  # this datakit's own schema in the pagila database

# OpenMetadata fully qualified names (service.database.schema.table) of what the load reads
# and writes; for your tables, copy them from the table's page in the OpenMetadata UI.
RENTAL = om_table(f"{SERVICE}.{DATABASE}.public.rental")
DAILY_RENTALS = om_table(
    f"{SERVICE}.{DATABASE}.{SCHEMA}.daily_rentals",
    # Optional column lineage: target column -> fully qualified source columns.
    columns={
        "rental_day": [f"{RENTAL.name}.rental_date"],
        "rental_count": [f"{RENTAL.name}.rental_id"],
        "customer_count": [f"{RENTAL.name}.customer_id"],
    },
)

CREATE_SQL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.daily_rentals (
    rental_day date PRIMARY KEY,
    rental_count integer NOT NULL,
    customer_count integer NOT NULL
);
COMMENT ON TABLE {SCHEMA}.daily_rentals IS 'Rentals and distinct customers per day, from public.rental';
"""
# One transaction: readers see the old rows or the new ones, never an empty table.
LOAD_SQL = f"""
DELETE FROM {SCHEMA}.daily_rentals;
INSERT INTO {SCHEMA}.daily_rentals (rental_day, rental_count, customer_count)
SELECT rental_date::date, count(rental_id), count(DISTINCT customer_id)
FROM public.rental
GROUP BY rental_date::date;
"""


def run_sql(sql: str) -> int:
    """Run ``sql`` on ``pagila_postgres`` in one transaction; return the last statement's row count.

    Uses psycopg2 (installed with openmetadata-ingestion's postgres extra). With
    apache-airflow-providers-postgres installed, ``SQLExecuteQueryOperator(conn_id=...,
    sql=..., inlets=..., outlets=...)`` does the same without this function.

    Raises:
        psycopg2.Error: the database refused the connection or a statement.
    """
    import psycopg2

    conn = BaseHook.get_connection(PAGILA_CONN_ID)
    connection = psycopg2.connect(
        host=conn.host,
        port=conn.port or 5432,
        user=conn.login,
        password=conn.password,
        dbname=conn.schema or DATABASE,
        connect_timeout=10,
    )
    try:
        with connection, connection.cursor() as cursor:  # commits on success, rolls back on error
            cursor.execute(sql)
            return cursor.rowcount
    finally:
        connection.close()


with DAG(
    dag_id="{{ cookiecutter.project_slug }}__example_daily_rentals",
    description="Example: rebuild daily_rentals from pagila's rental table, lineage to OpenMetadata",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["{{ cookiecutter.project_slug }}", "example", "lineage"],
    owner_links={"{{ cookiecutter.dag_owner }}": "mailto:{{ cookiecutter.owner_email }}"},
    default_args={"owner": "{{ cookiecutter.dag_owner }}", "retries": 1, "retry_delay": timedelta(minutes=5)},
    doc_md=__doc__,
):

    @task
    def create_daily_rentals() -> None:
        """Create the target table (idempotent DDL: moves no data, so it declares no lineage)."""
        run_sql(CREATE_SQL)

    register_daily_rentals = PostgresMetadataIngestionOperator(
        task_id="register_daily_rentals",
        postgres_conn_id=PAGILA_CONN_ID,
        service_name=SERVICE,
        database=DATABASE,
        schema_includes=[f"^{SCHEMA}$"],
        table_includes=["^daily_rentals$"],
        include_views=False,
        include_stored_procedures=False,
        # Only this table is harvested here: never soft-delete what other harvests keep.
        mark_deleted_tables=False,
        execution_timeout=timedelta(minutes=10),
    )

    @task(inlets=[RENTAL], outlets=[DAILY_RENTALS])
    def load_daily_rentals() -> dict:
        """Rebuild daily_rentals from public.rental; return the number of days written."""
        days = run_sql(LOAD_SQL)
        return {"source": RENTAL.name, "target": DAILY_RENTALS.name, "days": days}

    create_daily_rentals() >> register_daily_rentals >> load_daily_rentals()

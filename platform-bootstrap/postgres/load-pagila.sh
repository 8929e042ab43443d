#!/usr/bin/env bash
# Loads the pagila sample database (MIT licence) into the platform's PostgreSQL once, with a
# read-only login role for the platform Airflow. Run by the pagila-loader service
# (docker-compose.airflow.yml); safe to run again: an existing pagila database is left alone,
# the role's password and grants are re-asserted.
#
# Environment: PGHOST/PGUSER/PGPASSWORD (a superuser), PAGILA_DB_PASSWORD (pagila_reader's
# password). The dump (pagila-schema.sql, pagila-data.sql) is read from /pagila.
set -euo pipefail

dump="${PAGILA_DUMP_DIR:-/pagila}"
if [[ ! -f "$dump/pagila-schema.sql" || ! -f "$dump/pagila-data.sql" ]]; then
  echo "load-pagila: no pagila dump in PAGILA_DIR (mounted at $dump): skipped; put pagila-schema.sql and pagila-data.sql there and run 'docker compose up pagila-loader'"
  exit 0
fi
if [[ -z "${PAGILA_DB_PASSWORD:-}" ]]; then
  echo "load-pagila: PAGILA_DB_PASSWORD is not set (run platform-bootstrap/platform setup)" >&2
  exit 1
fi

# The password reaches psql as a variable (:'pw' quotes it), never on a command line.
psql -v ON_ERROR_STOP=1 -X -q --dbname postgres -v pw="$PAGILA_DB_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE pagila_reader LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pagila_reader')\gexec
SELECT format('ALTER ROLE pagila_reader PASSWORD %L', :'pw')\gexec
SQL
if psql -X -tA --dbname postgres -c "SELECT 1 FROM pg_database WHERE datname = 'pagila'" | grep -q 1; then
  echo "load-pagila: database pagila exists; not reloaded"
else
  psql -v ON_ERROR_STOP=1 -X -q --dbname postgres -c 'CREATE DATABASE pagila'
  psql -v ON_ERROR_STOP=1 -X -q --dbname pagila -f "$dump/pagila-schema.sql" >/dev/null
  psql -v ON_ERROR_STOP=1 -X -q --dbname pagila -f "$dump/pagila-data.sql" >/dev/null
  echo "load-pagila: pagila loaded"
fi
psql -v ON_ERROR_STOP=1 -X -q --dbname pagila <<'SQL'
GRANT CONNECT ON DATABASE pagila TO pagila_reader;
GRANT USAGE ON SCHEMA public TO pagila_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO pagila_reader;
SQL
echo "load-pagila: pagila_reader can read pagila"

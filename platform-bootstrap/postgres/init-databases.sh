#!/usr/bin/env bash
# Creates the platform's databases, each owned by its own login role, in the shared
# PostgreSQL. Run by the postgres image on first start (/docker-entrypoint-initdb.d) and safe
# to run again by hand: existing roles and databases are left alone, ownership and grants
# are re-asserted.
#
# Environment:
#   POSTGRES_USER              superuser to connect as (default postgres)
#   OPENMETADATA_DB_PASSWORD   required: password of openmetadata_user
#   AIRFLOW_DB_PASSWORD        optional: when set, airflow_db / airflow_user are created too
# Connection: libpq defaults (the image's Unix socket), or PGHOST/PGPORT/PGPASSWORD.
set -euo pipefail

superuser="${POSTGRES_USER:-postgres}"

# create_database DB OWNER PASSWORD
# Passwords reach psql as variables (:'pw' quotes them), never on a command line or in a log.
create_database() {
  local db="$1" owner="$2" password="$3"
  psql -v ON_ERROR_STOP=1 -X -q --username "$superuser" --dbname postgres \
       -v db="$db" -v owner="$owner" -v pw="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'owner', :'pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner')\gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', :'db', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'owner')\gexec
SELECT format('GRANT ALL PRIVILEGES ON DATABASE %I TO %I', :'db', :'owner')\gexec
SQL
  # PostgreSQL 15+ no longer lets every role create in schema public: give it to the owner.
  psql -v ON_ERROR_STOP=1 -X -q --username "$superuser" --dbname "$db" -v owner="$owner" <<'SQL'
SELECT format('ALTER SCHEMA public OWNER TO %I', :'owner')\gexec
SQL
  echo "init-databases: $db owned by $owner"
}

if [[ -z "${OPENMETADATA_DB_PASSWORD:-}" ]]; then
  echo "init-databases: OPENMETADATA_DB_PASSWORD is not set (run platform-bootstrap/platform setup)" >&2
  exit 1
fi
create_database openmetadata_db openmetadata_user "$OPENMETADATA_DB_PASSWORD"

# Airflow's metadata database joins here once the platform runs Airflow on this server.
if [[ -n "${AIRFLOW_DB_PASSWORD:-}" ]]; then
  create_database airflow_db airflow_user "$AIRFLOW_DB_PASSWORD"
fi

#!/usr/bin/env bash
# Restores openmetadata_db from a backup made by backup.sh, then rebuilds the search index.
# Replaces the current database: asks first unless FORCE=1.
#
#   scripts/restore.sh BACKUP_FILE
#
# PLATFORM_PG_MODE=compose (default): stops the server, restores inside platform-postgres,
# reindexes with the server image's `openmetadata-ops.sh reindex`, starts the server again.
# PLATFORM_PG_MODE=direct: local psql/pg_restore with the libpq variables (PGHOST, PGPORT,
# PGUSER = a superuser, PGPASSWORD); runs PLATFORM_REINDEX_CMD afterwards if set.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
db="${PLATFORM_DB_NAME:-openmetadata_db}"
owner="${PLATFORM_DB_OWNER:-openmetadata_user}"
mode="${PLATFORM_PG_MODE:-compose}"
file="${1:-}"

if [[ -z "$file" ]]; then
  echo "usage: $0 BACKUP_FILE   (make openmetadata-restore BACKUP=platform-bootstrap/backups/<file>.dump)" >&2
  exit 2
fi
if [[ ! -f "$file" || "$(head -c 5 "$file")" != "PGDMP" ]]; then
  echo "error: $file is not a pg_dump custom-format archive made by backup.sh" >&2
  exit 2
fi
if [[ "${FORCE:-0}" != "1" ]]; then
  if [[ ! -t 0 ]]; then
    echo "error: restoring replaces $db; re-run with FORCE=1 to confirm" >&2
    exit 1
  fi
  read -r -p "Replace $db with $(basename "$file")? Type 'yes' to continue: " answer
  [[ "$answer" == "yes" ]] || { echo "Aborted; nothing changed."; exit 1; }
fi

compose() { "$here/scripts/compose.sh" "$@"; }
case "$mode" in
  compose)
    run_psql() { compose exec -T platform-postgres psql -X -q -v ON_ERROR_STOP=1 -U postgres "$@"; }
    run_restore() { compose exec -T platform-postgres pg_restore -U postgres "$@" <"$file"; }
    compose stop openmetadata-server ;;
  direct)
    run_psql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
    run_restore() { pg_restore "$@" "$file"; } ;;
  *) echo "error: PLATFORM_PG_MODE must be 'compose' or 'direct', got '$mode'" >&2; exit 2 ;;
esac

run_psql -d postgres -v db="$db" -v owner="$owner" <<'SQL'
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'db')\gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8''', :'db', :'owner')\gexec
SQL
run_psql -d "$db" -v owner="$owner" <<'SQL'
SELECT format('ALTER SCHEMA public OWNER TO %I', :'owner')\gexec
SQL
# Objects are recreated as the owner role whatever role made the dump.
run_restore --no-owner --role="$owner" --exit-on-error -d "$db"
echo "restore: $db restored from $file"

case "$mode" in
  compose)
    echo "restore: rebuilding the search index (openmetadata-ops.sh reindex)..."
    compose run --rm --no-deps openmetadata-migrate ./bootstrap/openmetadata-ops.sh reindex
    compose up -d --wait openmetadata-server ;;
  direct)
    if [[ -n "${PLATFORM_REINDEX_CMD:-}" ]]; then
      echo "restore: reindexing ($PLATFORM_REINDEX_CMD)"
      bash -c "$PLATFORM_REINDEX_CMD"
    fi ;;
esac

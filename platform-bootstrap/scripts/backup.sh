#!/usr/bin/env bash
# Dumps openmetadata_db (pg_dump custom format) to OUTPUT_DIR/openmetadata_db-<UTC timestamp>.dump
# and prints the file's path.
#
#   scripts/backup.sh [OUTPUT_DIR]          (default: platform-bootstrap/backups)
#
# PLATFORM_PG_MODE=compose (default) runs pg_dump inside the platform-postgres container;
# PLATFORM_PG_MODE=direct runs the local pg_dump with the libpq variables (PGHOST, PGPORT,
# PGUSER, PGPASSWORD) - for servers reachable from the host, and for the tests.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
db="${PLATFORM_DB_NAME:-openmetadata_db}"
out_dir="${1:-$here/backups}"
mode="${PLATFORM_PG_MODE:-compose}"

mkdir -p "$out_dir"
chmod 700 "$out_dir"
# Seconds plus nanoseconds keep two backups in the same second apart.
stamp="$(date -u +%Y%m%dT%H%M%S)-$(date -u +%N | cut -c1-4)"
target="$out_dir/${db}-${stamp}.dump"
tmp="$(mktemp "$out_dir/.${db}.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
chmod 600 "$tmp"

case "$mode" in
  compose) "$here/scripts/compose.sh" exec -T platform-postgres pg_dump -U postgres -Fc "$db" >"$tmp" ;;
  direct)  pg_dump -Fc -d "$db" >"$tmp" ;;
  *) echo "error: PLATFORM_PG_MODE must be 'compose' or 'direct', got '$mode'" >&2; exit 2 ;;
esac

# A custom-format archive starts with PGDMP; anything else means the dump failed quietly.
if [[ "$(head -c 5 "$tmp")" != "PGDMP" ]]; then
  echo "error: pg_dump produced no valid archive for $db" >&2
  exit 1
fi
mv "$tmp" "$target"
trap - EXIT
echo "$target"

#!/usr/bin/env bash
# The server image's bootstrap/openmetadata-ops.sh, for the stand-in test double: the
# compose file's `migrate` and restore.sh's `reindex` succeed with nothing to do, since the
# stand-in keeps no schema and no search index.
set -euo pipefail
case "${1:-}" in
  migrate | reindex) echo "openmetadata-ops (stand-in): $1: nothing to do" ;;
  *) echo "openmetadata-ops (stand-in): unknown command '${1:-}' (migrate, reindex)" >&2; exit 2 ;;
esac

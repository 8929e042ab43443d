#!/usr/bin/env bash
# Runs Docker Compose on the platform files with whichever flavour is installed:
# `docker compose` (v2 plugin) or `docker-compose` (v1). A missing tool or an unreachable
# engine gets one clear line, not a stack trace.
#
#   scripts/compose.sh [--files "a.yml b.yml"] <compose arguments...>
#
# With v1, which has no `up --wait`, --wait is dropped and `platform health --wait` polls
# the stack instead. PLATFORM_PYTHON names the Python that runs ./platform (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files=(docker-compose.yml docker-compose.openmetadata.yml)
if [[ "${1:-}" == "--files" ]]; then
  read -r -a files <<<"$2"
  shift 2
fi

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "error: Docker Compose not found: install the 'docker compose' plugin (v2) or 'docker-compose' (v1)" >&2
  exit 127
fi

# `config` only renders files; everything else needs a running engine.
if [[ "${1:-}" != "config" ]]; then
  if command -v docker >/dev/null 2>&1; then
    engine_ok() { docker info >/dev/null 2>&1; }
  else
    engine_ok() { [[ -n "${DOCKER_HOST:-}" || -S /var/run/docker.sock ]]; }
  fi
  if ! engine_ok; then
    echo "error: cannot reach the Docker engine: start Docker (or check DOCKER_HOST and access to /var/run/docker.sock)" >&2
    exit 1
  fi
fi

args=()
poll_health=0
for a in "$@"; do
  if [[ "$a" == "--wait" && "${compose[0]}" == "docker-compose" ]]; then
    poll_health=1
  else
    args+=("$a")
  fi
done

cd "$here"
file_args=()
for f in "${files[@]}"; do file_args+=(-f "$f"); done
"${compose[@]}" "${file_args[@]}" "${args[@]}"
if (( poll_health )); then
  "${PLATFORM_PYTHON:-python3}" "$here/platform" health --wait "${PLATFORM_WAIT_SECONDS:-600}"
fi

#!/usr/bin/env bash
# Runs Docker Compose v2 on the platform files. A missing tool, Compose v1 or an unreachable
# engine gets one clear line with the fix, not a stack trace.
#
#   scripts/compose.sh [--files "a.yml b.yml"] <compose arguments...>
#
# Compose v1 (`docker-compose` 1.x, Python) is refused: with Docker Engine 25 and later it
# crashes with KeyError: 'ContainerConfig' whenever it recreates a container, so the first
# `up` works and the next one after a change fails. A standalone v2 `docker-compose` is fine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files=(docker-compose.yml docker-compose.openmetadata.yml docker-compose.airflow.yml)
if [[ "${1:-}" == "--files" ]]; then
  read -r -a files <<<"$2"
  shift 2
fi

v2_fix="install Compose v2: the docker-compose-plugin package from Docker's apt/yum repository (or Docker Desktop), see https://docs.docker.com/compose/install/linux/"
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  version="$(docker-compose version --short 2>/dev/null || true)"
  if [[ "$version" != 2.* && "$version" != v2.* && "$version" != [3-9].* ]]; then
    echo "error: only Docker Compose v1 is installed (docker-compose ${version:-of unknown version}), which breaks on container recreate with Docker Engine 25+ (KeyError: 'ContainerConfig'): $v2_fix" >&2
    exit 1
  fi
  compose=(docker-compose)
else
  echo "error: Docker Compose not found: $v2_fix" >&2
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

cd "$here"
file_args=()
for f in "${files[@]}"; do file_args+=(-f "$f"); done
exec "${compose[@]}" "${file_args[@]}" "$@"

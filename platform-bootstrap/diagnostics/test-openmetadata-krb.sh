#!/usr/bin/env bash
# Kerberos path check, step by step: sidecar -> shared cache -> consumer -> SQL Server -> harvest.
# One PASS/FAIL/SKIP line per step, each failure with its cause and fix; exit status = number
# of failed steps.
#
# Two modes, same paths (the consumer's, /krb5/cache/... by default):
#   - where the shared volume is mounted (inside a consumer container, or a test): run as is;
#   - from the host: KRB_EXEC="docker compose exec -T airflow-worker" runs every probe in that
#     container. The probe script is streamed to the container's python on stdin, so the
#     container needs the provider installed, not this repository.
#
# Environment (defaults in brackets):
#   KRB_STATUS_FILE      sidecar status (consumer's path)    [/krb5/cache/status.json]
#   KRB_SHARED_CACHE     shared ticket cache (consumer's path) [/krb5/cache/krb5cc]
#   KRB_STATUS_MAX_AGE   max status age, s                   [2*interval+30, from the status]
#   KRB_CONSUMER_CCNAME  consumer's KRB5CCNAME               [$KRB5CCNAME, else FILE:$KRB_SHARED_CACHE]
#   KRB_EXEC             command prefix running the probes in the consumer []
#   KRB_PYTHON           python with the provider installed  [python3]
#   KRB_MIN_LIFETIME_SECONDS  lifetime the ticket must still have [600, the operators' default]
#   KRB5_PRINCIPAL / KRB5_REALM  expected principal and realm [unset: any]
#   KRB_MSSQL_HOST_PORT  SQL Server host:port; unset = SQL steps SKIP
#   KRB_MSSQL_DATABASE / KRB_MSSQL_DRIVER / KRB_MSSQL_ENCRYPT / KRB_MSSQL_TRUST_CERT / KRB_MSSQL_SPN
set -uo pipefail   # no -e: every step runs and is counted

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATUS_FILE="${KRB_STATUS_FILE:-/krb5/cache/status.json}"
SHARED_CACHE="${KRB_SHARED_CACHE:-/krb5/cache/krb5cc}"
CONSUMER_CCNAME="${KRB_CONSUMER_CCNAME:-${KRB5CCNAME:-FILE:$SHARED_CACHE}}"
PY="${KRB_PYTHON:-python3}"
read -r -a EXEC <<< "${KRB_EXEC:-}"
PROBE="$HERE/krb_probe.py"
failures=0

report() {  # report <PASS|FAIL|SKIP> <step> <detail>
    printf '%-4s  %-34s %s\n' "$1" "$2" "$3"
    [[ "$1" == FAIL ]] && failures=$((failures + 1))
    return 0
}

# Run the probe where the consumer runs: locally, or through KRB_EXEC with the script on stdin
# (a host path means nothing inside the container). The settings it reads go along explicitly.
probe() {  # probe <KRB5CCNAME> <probe args...>
    local ccname="$1"
    shift
    "${EXEC[@]}" env KRB5CCNAME="$ccname" \
        KRB5_PRINCIPAL="${KRB5_PRINCIPAL:-}" KRB5_REALM="${KRB5_REALM:-}" \
        KRB_MIN_LIFETIME_SECONDS="${KRB_MIN_LIFETIME_SECONDS:-600}" \
        KRB_MSSQL_HOST_PORT="${KRB_MSSQL_HOST_PORT:-}" KRB_MSSQL_DATABASE="${KRB_MSSQL_DATABASE:-master}" \
        KRB_MSSQL_DRIVER="${KRB_MSSQL_DRIVER:-ODBC Driver 18 for SQL Server}" \
        KRB_MSSQL_ENCRYPT="${KRB_MSSQL_ENCRYPT:-yes}" KRB_MSSQL_TRUST_CERT="${KRB_MSSQL_TRUST_CERT:-no}" \
        KRB_MSSQL_SPN="${KRB_MSSQL_SPN:-}" \
        "$PY" - "$@" < "$PROBE" 2>&1
}

# 1. sidecar running and able to write: its status file is fresh and has no write error
if out="$(probe "$CONSUMER_CCNAME" status "$STATUS_FILE" ${KRB_STATUS_MAX_AGE:-})"; then
    report PASS "sidecar status fresh" "$out"
else
    report FAIL "sidecar status fresh" "$out"
fi

# 2. the shared copy: present, readable here, a TGT of the expected principal, enough lifetime
if out="$(probe "FILE:$SHARED_CACHE" ticket "FILE:$SHARED_CACHE")"; then
    report PASS "shared cache valid" "$out"
else
    report FAIL "shared cache valid" "$out"
fi

# 3. the consumer sees it through its own KRB5CCNAME
if out="$(probe "$CONSUMER_CCNAME" ticket)"; then
    report PASS "consumer sees the ticket" "KRB5CCNAME=$CONSUMER_CCNAME: $out"
else
    report FAIL "consumer sees the ticket" "KRB5CCNAME=$CONSUMER_CCNAME: $out"
fi

# 4 + 5. SQL Server login (pyodbc, Trusted_Connection) and the harvest dry check
if [[ -z "${KRB_MSSQL_HOST_PORT:-}" ]]; then
    report SKIP "SQL Server Kerberos login" "KRB_MSSQL_HOST_PORT not set"
    report SKIP "harvest dry check" "KRB_MSSQL_HOST_PORT not set"
else
    if out="$(probe "$CONSUMER_CCNAME" odbc-login)"; then
        report PASS "SQL Server Kerberos login" "$out"
    else
        report FAIL "SQL Server Kerberos login" "$(tail -n 3 <<< "$out" | tr '\n' ' ')"
    fi
    if out="$(probe "$CONSUMER_CCNAME" harvest-check)"; then
        report PASS "harvest dry check" "$(tail -n 1 <<< "$out")"
    else
        report FAIL "harvest dry check" "$(tail -n 3 <<< "$out" | tr '\n' ' ')"
    fi
fi

echo "${failures} step(s) failed"
exit "$failures"

#!/usr/bin/env bash
# Kerberos path check, step by step: sidecar -> shared cache -> consumer -> SQL Server -> harvest.
# One PASS/FAIL/SKIP line per step; exit status = number of failed steps.
# Run where the shared volume is mounted (e.g. `docker compose exec airflow-worker bash ...`),
# or set KRB_EXEC to a prefix that runs the consumer-side probes there.
#
# Environment (defaults in brackets):
#   KRB_STATUS_FILE      sidecar status          [/krb5/cache/status.json]
#   KRB_SHARED_CACHE     shared ticket cache     [/krb5/cache/krb5cc]
#   KRB_STATUS_MAX_AGE   max status age, s       [2*interval+30, from the status]
#   KRB_CONSUMER_CCNAME  consumer's KRB5CCNAME   [$KRB5CCNAME, else FILE:$KRB_SHARED_CACHE]
#   KRB_EXEC             command prefix for consumer probes (e.g. "docker compose exec -T airflow-worker") []
#   KRB_PYTHON           python with the provider installed [python3]
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

# 1. sidecar running: its status file is fresh
if out="$("${EXEC[@]}" "$PY" "$PROBE" status "$STATUS_FILE" ${KRB_STATUS_MAX_AGE:-} 2>&1)"; then
    report PASS "sidecar status fresh" "$out"
else
    report FAIL "sidecar status fresh" "$out"
fi

# 2. shared cache present and holding a valid TGT
if ! "${EXEC[@]}" test -f "$SHARED_CACHE"; then
    report FAIL "shared cache valid" "$SHARED_CACHE missing: is the sidecar up and has the host run kinit?"
elif "${EXEC[@]}" klist -s -c "FILE:$SHARED_CACHE" 2>/dev/null; then
    who="$("${EXEC[@]}" klist -c "FILE:$SHARED_CACHE" 2>/dev/null | sed -n 's/^Default principal: //p')"
    until="$("${EXEC[@]}" klist -c "FILE:$SHARED_CACHE" 2>/dev/null | awk '/krbtgt\//{print $3" "$4; exit}')"
    report PASS "shared cache valid" "principal=$who expires=$until"
else
    report FAIL "shared cache valid" "$SHARED_CACHE holds no valid TGT (expired or empty): run kinit on the host"
fi

# 3. the consumer sees it through its own KRB5CCNAME
if "${EXEC[@]}" env KRB5CCNAME="$CONSUMER_CCNAME" klist -s 2>/dev/null; then
    report PASS "consumer sees the ticket" "klist -s ok with KRB5CCNAME=$CONSUMER_CCNAME"
else
    report FAIL "consumer sees the ticket" "klist -s fails with KRB5CCNAME=$CONSUMER_CCNAME (mount/permissions/group?)"
fi

# 4 + 5. SQL Server login (pyodbc, Trusted_Connection) and the harvest dry check
if [[ -z "${KRB_MSSQL_HOST_PORT:-}" ]]; then
    report SKIP "SQL Server Kerberos login" "KRB_MSSQL_HOST_PORT not set"
    report SKIP "harvest dry check" "KRB_MSSQL_HOST_PORT not set"
else
    if out="$("${EXEC[@]}" env KRB5CCNAME="$CONSUMER_CCNAME" "$PY" "$PROBE" odbc-login 2>&1)"; then
        report PASS "SQL Server Kerberos login" "$out"
    else
        report FAIL "SQL Server Kerberos login" "$(tail -n 3 <<< "$out" | tr '\n' ' ')"
    fi
    if out="$("${EXEC[@]}" env KRB5CCNAME="$CONSUMER_CCNAME" "$PY" "$PROBE" harvest-check 2>&1)"; then
        report PASS "harvest dry check" "$(tail -n 1 <<< "$out")"
    else
        report FAIL "harvest dry check" "$(tail -n 3 <<< "$out" | tr '\n' ' ')"
    fi
fi

echo "${failures} step(s) failed"
exit "$failures"

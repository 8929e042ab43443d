#!/usr/bin/env bash
# Kerberos path check, step by step: sidecar -> shared cache -> consumer -> SQL Server -> harvest.
# One PASS/FAIL/SKIP line per step, each failure with its cause and fix; exit status = number
# of failed steps.
#
# Two modes, same paths (the consumer's, /krb5/cache/... by default):
#   - where the shared volume is mounted (inside a consumer container, or a test): run as is;
#   - from the host: KRB_EXEC="docker compose exec -T airflow-scheduler" runs every probe in that
#     container. The probe script is streamed to the container's python on stdin, so the
#     container needs the provider installed, not this repository. The consumer's settings
#     (KRB5CCNAME, KRB5_PRINCIPAL, KRB5_REALM) are then the container's own, never the host's
#     (where KRB5CCNAME names the developer's host cache).
#
# The sidecar writes its status to its own /tmp when the volume refuses status.json (full,
# read-only); a consumer cannot see that file, so in container mode step 1 also asks the
# sidecar's container (KRB_SIDECAR_EXEC) for its status and reports the sidecar's own reason.
#
# Environment (defaults in brackets):
#   KRB_STATUS_FILE      sidecar status (consumer's path)    [/krb5/cache/status.json]
#   KRB_SHARED_CACHE     shared ticket cache (consumer's path) [/krb5/cache/krb5cc]
#   KRB_STATUS_MAX_AGE   max status age, s                   [2*interval+30, from the status]
#   KRB_CONSUMER_CCNAME  consumer's KRB5CCNAME               [container mode: the container's
#                        KRB5CCNAME (printenv through KRB_EXEC); else $KRB5CCNAME; either way
#                        FILE:$KRB_SHARED_CACHE when unset]
#   KRB_EXEC             command prefix running the probes in the consumer []
#   KRB_SIDECAR_EXEC     command prefix running a probe in the sidecar's container, "" = never
#                        [container mode: KRB_EXEC with its last word (the service) replaced by
#                        developer-kerberos-service; else "" (a local probe reads the local /tmp)]
#   KRB_SIDECAR_STATUS_FILE  the status file as the sidecar sees it [$KRB_STATUS_FILE]
#   KRB_PYTHON           python with the provider installed  [python3]
#   KRB_MIN_LIFETIME_SECONDS  lifetime the ticket must still have [600, the operators' default]
#   KRB5_PRINCIPAL / KRB5_REALM  expected principal and realm [the consumer's own; set: override]
#   KRB_MSSQL_HOST_PORT  SQL Server host:port; unset = SQL steps SKIP
#   KRB_MSSQL_DATABASE / KRB_MSSQL_DRIVER / KRB_MSSQL_ENCRYPT / KRB_MSSQL_TRUST_CERT / KRB_MSSQL_SPN
set -uo pipefail   # no -e: every step runs and is counted

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATUS_FILE="${KRB_STATUS_FILE:-/krb5/cache/status.json}"
SIDECAR_STATUS_FILE="${KRB_SIDECAR_STATUS_FILE:-$STATUS_FILE}"
SHARED_CACHE="${KRB_SHARED_CACHE:-/krb5/cache/krb5cc}"
PY="${KRB_PYTHON:-python3}"
read -r -a EXEC <<< "${KRB_EXEC:-}"
PROBE="$HERE/krb_probe.py"
failures=0

if [[ -n "${KRB_CONSUMER_CCNAME:-}" ]]; then
    CONSUMER_CCNAME="$KRB_CONSUMER_CCNAME"
elif (( ${#EXEC[@]} )); then
    # The container's own KRB5CCNAME: the host's names a host file the container does not have.
    CONSUMER_CCNAME="$("${EXEC[@]}" printenv KRB5CCNAME 2>/dev/null </dev/null | head -n 1 | tr -d '\r')"
    CONSUMER_CCNAME="${CONSUMER_CCNAME:-FILE:$SHARED_CACHE}"
else
    CONSUMER_CCNAME="${KRB5CCNAME:-FILE:$SHARED_CACHE}"
fi

default_sidecar=""
if (( ${#EXEC[@]} >= 2 )); then  # "docker compose exec -T <service>": the same, for the sidecar
    default_sidecar="${EXEC[*]:0:${#EXEC[@]}-1} developer-kerberos-service"
fi
read -r -a SIDECAR_EXEC <<< "${KRB_SIDECAR_EXEC-$default_sidecar}"

# Expected principal/realm: the host's only when set there (an override); else the consumer's own.
SETTINGS=()
for name in KRB5_PRINCIPAL KRB5_REALM; do
    [[ -n "${!name:-}" ]] && SETTINGS+=("$name=${!name}")
done

report() {  # report <PASS|FAIL|SKIP> <step> <detail>
    printf '%-4s  %-34s %s\n' "$1" "$2" "$3"
    [[ "$1" == FAIL ]] && failures=$((failures + 1))
    return 0
}

# Run the probe where the consumer runs: locally, or through KRB_EXEC with the script on stdin
# (a host path means nothing inside the container). The probe's own settings go along
# explicitly; KRB5_PRINCIPAL/KRB5_REALM only when set here (SETTINGS).
probe() {  # probe <KRB5CCNAME> <probe args...>
    local ccname="$1"
    shift
    "${EXEC[@]}" env KRB5CCNAME="$ccname" ${SETTINGS[@]+"${SETTINGS[@]}"} \
        KRB_MIN_LIFETIME_SECONDS="${KRB_MIN_LIFETIME_SECONDS:-600}" \
        KRB_MSSQL_HOST_PORT="${KRB_MSSQL_HOST_PORT:-}" KRB_MSSQL_DATABASE="${KRB_MSSQL_DATABASE:-master}" \
        KRB_MSSQL_DRIVER="${KRB_MSSQL_DRIVER:-ODBC Driver 18 for SQL Server}" \
        KRB_MSSQL_ENCRYPT="${KRB_MSSQL_ENCRYPT:-yes}" KRB_MSSQL_TRUST_CERT="${KRB_MSSQL_TRUST_CERT:-no}" \
        KRB_MSSQL_SPN="${KRB_MSSQL_SPN:-}" \
        "$PY" - "$@" < "$PROBE" 2>&1
}

# The status probe in the sidecar's container (stdlib only: its python3 runs it), where its
# fallback status is. Prints the probe's line and "probe-exit=N"; nothing of the kind when the
# container cannot be reached.
sidecar_status() {
    "${SIDECAR_EXEC[@]}" sh -c 'python3 - "$@"; echo "probe-exit=$?"' sh \
        status "$SIDECAR_STATUS_FILE" ${KRB_STATUS_MAX_AGE:-} < "$PROBE" 2>&1
}

# 1. sidecar running and able to write: its status file (or, when it cannot write that, its
#    fallback status) is fresh and has no write error
if out="$(probe "$CONSUMER_CCNAME" status "$STATUS_FILE" ${KRB_STATUS_MAX_AGE:-})"; then
    ok=PASS
else
    ok=FAIL
fi
if (( ${#SIDECAR_EXEC[@]} )); then
    said="$(sidecar_status)"
    case "$(tail -n 1 <<< "$said")" in
        probe-exit=0) ;;
        probe-exit=*)  # the sidecar's own view: the reason a consumer cannot see (e.g. in its /tmp)
            ok=FAIL
            out="developer-kerberos-service says: $(sed '$d' <<< "$said" | tail -n 1) (seen by the consumer: $out)"
            ;;
        *) [[ "$ok" == FAIL ]] && out="$out; developer-kerberos-service cannot be asked: $(tail -n 1 <<< "$said")" ;;
    esac
fi
report "$ok" "sidecar status fresh" "$out"

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

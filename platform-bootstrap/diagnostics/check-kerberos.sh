#!/usr/bin/env bash
# Host-side check of the developer's own Kerberos ticket, before the sidecar shares it.
# One PASS/FAIL line per step; exit status = number of failed steps.
# Environment: KRB5CCNAME (the cache kinit uses), HOST_KRB5_CACHE (the file the sidecar mounts;
# default: the FILE path from KRB5CCNAME, else /tmp/krb5cc_<uid>).
set -uo pipefail

failures=0
report() {
    printf '%-4s  %-30s %s\n' "$1" "$2" "$3"
    [[ "$1" == FAIL ]] && failures=$((failures + 1))
    return 0
}

ccname="${KRB5CCNAME:-}"
if [[ -z "$ccname" ]]; then
    ccname="$(klist 2>/dev/null | sed -n 's/^Ticket cache: //p')"
    ccname="${ccname:-FILE:/tmp/krb5cc_$(id -u)}"
fi
kind="FILE"
[[ "$ccname" == *:* && "${ccname%%/*}" == *:* ]] && kind="${ccname%%:*}"

if ! command -v klist >/dev/null; then
    report FAIL "klist installed" "install the Kerberos client tools (Debian: krb5-user, macOS: built in)"
    echo "${failures} step(s) failed"; exit "$failures"
fi

if [[ "$kind" == FILE ]]; then
    report PASS "cache type is FILE" "$ccname"
else
    report FAIL "cache type is FILE" "$ccname is a $kind: cache; the sidecar can only share files. Run: export KRB5CCNAME=FILE:\$HOME/.krb5cc_platform && kinit you@REALM"
fi

path="${HOST_KRB5_CACHE:-${ccname#FILE:}}"
if [[ -f "$path" ]]; then
    report PASS "cache file exists" "$path (this is what the sidecar mounts: HOST_KRB5_CACHE)"
else
    report FAIL "cache file exists" "$path not found: run kinit (and set HOST_KRB5_CACHE to the file)"
fi

if klist -s -c "$ccname" 2>/dev/null; then
    who="$(klist -c "$ccname" 2>/dev/null | sed -n 's/^Default principal: //p')"
    until="$(klist -c "$ccname" 2>/dev/null | awk '/krbtgt\//{print $3" "$4; exit}')"
    report PASS "valid TGT" "principal=$who expires=$until"
else
    report FAIL "valid TGT" "no valid TGT in $ccname: run kinit you@REALM"
fi

echo "${failures} step(s) failed"
exit "$failures"

#!/usr/bin/env bash
# Host-side check of the developer's own Kerberos ticket, before the sidecar shares it.
# One PASS/FAIL line per step, each failure with its cause and fix; exit status = number of
# failed steps.
#
# Settings, from the environment or else from platform-bootstrap/.env (PLATFORM_ENV_FILE),
# the same names everywhere: KRB5_HOST_CCACHE_DIR + KRB5_HOST_CCACHE_NAME (the cache the
# sidecar shares), KRB5_HOST_UID (the uid it reads it as), KRB5_PRINCIPAL / KRB5_REALM (the
# expected principal and realm). KRB5CCNAME is where your kinit writes (default: klist's).
# KRB_PYTHON: a python with the provider installed [repository .venv, else python3];
# KRB_MIN_LIFETIME_SECONDS: lifetime the TGT must still have [600, the operators' default].
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENV_FILE="${PLATFORM_ENV_FILE:-$HERE/../.env}"
failures=0
report() {
    printf '%-4s  %-30s %s\n' "$1" "$2" "$3"
    [[ "$1" == FAIL ]] && failures=$((failures + 1))
    return 0
}

setting() {  # setting NAME: the environment's value, else the .env file's
    local name="$1" value="${!1:-}"
    if [[ -z "$value" && -r "$ENV_FILE" ]]; then
        value="$(sed -n "s/^${name}=//p" "$ENV_FILE" | tail -n 1)"
    fi
    printf '%s' "$value"
}

other_cache() {  # other_cache DIR EXCEPT: the newest FILE credential cache in DIR other than EXCEPT
    local file newest=""
    for file in "$1"/*; do  # not dot files: kinit's temporary files
        [[ -f "$file" && -r "$file" && "$file" != "$2" ]] || continue
        [[ "$(id -u)" == 0 || -O "$file" ]] || continue  # your own caches, not other users' in /tmp
        case "$(od -An -tx1 -N2 "$file" 2>/dev/null | tr -d ' \n')" in
            0504 | 0503) ;;  # a version 4/3 FILE ccache
            *) continue ;;
        esac
        [[ -z "$newest" || "$file" -nt "$newest" ]] && newest="$file"
    done
    printf '%s' "$newest"
}

if ! command -v klist >/dev/null; then
    report FAIL "klist installed" "install the Kerberos client tools (Debian: krb5-user, macOS: built in)"
    echo "${failures} step(s) failed"; exit "$failures"
fi

dir="$(setting KRB5_HOST_CCACHE_DIR)"
name="$(setting KRB5_HOST_CCACHE_NAME)"
host_uid="$(setting KRB5_HOST_UID)"
export KRB5_PRINCIPAL="$(setting KRB5_PRINCIPAL)" KRB5_REALM="$(setting KRB5_REALM)"
shared=""
if [[ -n "$dir" && -n "$name" ]]; then
    shared="${dir%/}/$name"
    export KRB5_HOST_CCACHE_DIR="$dir" KRB5_HOST_CCACHE_NAME="$name"  # the probe's fixes name the host path
fi

ccname="${KRB5CCNAME:-}"
if [[ -z "$ccname" ]]; then
    ccname="$(klist 2>/dev/null | sed -n 's/^Ticket cache: //p')"
    ccname="${ccname:-FILE:/tmp/krb5cc_$(id -u)}"
fi
kind="FILE"
[[ "$ccname" == *:* && "${ccname%%/*}" == *:* ]] && kind="${ccname%%:*}"
target="${shared:-/tmp/krb5cc_$(id -u)}"

# 1. kinit must write a FILE cache: KEYRING:/KCM:/API: caches cannot be mounted
if [[ "$kind" == FILE ]]; then
    report PASS "cache type is FILE" "$ccname"
else
    report FAIL "cache type is FILE" "$ccname is a $kind: cache; the sidecar can only share files. Run: export KRB5CCNAME=FILE:$target (e.g. in ~/.profile) && kinit ${KRB5_PRINCIPAL:-you@REALM}"
fi

# 2. the file the sidecar shares (KRB5_HOST_CCACHE_DIR/KRB5_HOST_CCACHE_NAME) is the one kinit writes
path="${shared:-${ccname#FILE:}}"
# A `kinit -c` to another file of that directory: the sidecar never looks at it.
other=""
if [[ -n "$shared" && ! -e "$shared" && -d "$dir" ]]; then
    other="$(other_cache "$dir" "$shared")"
    [[ "$other" == "${ccname#FILE:}" ]] && other=""  # named below already
fi
elsewhere=""
if [[ -n "$other" ]]; then
    elsewhere=" Another cache, $other, is in that directory: the sidecar ignores a \`kinit -c\` to any file but KRB5_HOST_CCACHE_NAME ($name); kinit -c FILE:$shared ${KRB5_PRINCIPAL:-you@REALM}, or share that file instead: ./platform setup -y --kerberos-ccache $other"
fi
if [[ -n "$shared" && "$kind" == FILE && "${ccname#FILE:}" != "$shared" ]]; then
    report FAIL "kinit writes the shared file" "kinit writes ${ccname#FILE:} but the sidecar shares $shared (KRB5_HOST_CCACHE_DIR/KRB5_HOST_CCACHE_NAME): export KRB5CCNAME=FILE:$shared && kinit, or ./platform setup -y --kerberos-ccache ${ccname#FILE:}.$elsewhere"
elif [[ -d "$path" ]]; then
    report FAIL "cache file exists" "$path is a directory (a single-file bind mount creates one): rmdir $path && kinit -c FILE:$path ${KRB5_PRINCIPAL:-you@REALM}"
elif [[ -f "$path" ]]; then
    report PASS "cache file exists" "$path${shared:+ (shared by the sidecar from ${dir})}"
elif [[ -n "$dir" && ! -d "$dir" ]]; then
    report FAIL "cache file exists" "$dir (KRB5_HOST_CCACHE_DIR) does not exist: mkdir -p -m 700 $dir && kinit -c FILE:$path ${KRB5_PRINCIPAL:-you@REALM}"
else
    report FAIL "cache file exists" "$path not found: kinit -c FILE:$path ${KRB5_PRINCIPAL:-you@REALM}.$elsewhere"
fi

# 3. the sidecar runs as KRB5_HOST_UID: a 0600 cache must belong to it
if [[ -f "$path" && -n "$host_uid" && "$host_uid" != 0 ]]; then
    owner="$(stat -c %u "$path")"
    if [[ "$owner" == "$host_uid" ]]; then
        report PASS "sidecar can read it" "owned by uid $owner = KRB5_HOST_UID"
    else
        report FAIL "sidecar can read it" "$path belongs to uid $owner but the sidecar runs as uid $host_uid (KRB5_HOST_UID): ./platform setup -y --kerberos-host-uid $owner"
    fi
fi

# 4. a ticket-granting ticket (not just any ticket), of the expected principal/realm, with lifetime left
if [[ -n "${KRB_PYTHON:-}" ]]; then
    py="$KRB_PYTHON"
elif [[ -x "$HERE/../../.venv/bin/python" ]]; then
    py="$HERE/../../.venv/bin/python"
else
    py="python3"
fi
cache_arg="$ccname"
[[ "$kind" == FILE ]] && cache_arg="FILE:$path"
if out="$("$py" "$HERE/krb_probe.py" ticket "$cache_arg" 2>&1)"; then
    report PASS "valid TGT" "$out"
else
    report FAIL "valid TGT" "$(tail -n 1 <<< "$out")"
fi

echo "${failures} step(s) failed"
exit "$failures"

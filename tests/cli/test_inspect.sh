#!/bin/bash
# delegatectl inspect: decodes without verifying, and says so.
. "$(dirname "$0")/lib.sh"

setup_fixture || { not_ok "fixture"; finish; }

t=$(ci_ticket --jti inspect-me --ttl 10m --runas alice)
run_ctl inspect "$t"
expect 0 "inspect a ticket from the argument"
check "the output is marked UNVERIFIED on its first line" grep -q '^UNVERIFIED' <(head -n1 "$T/out")
check "the header is shown" grep -q '"alg": "EdDSA"' "$T/out"
check "the claims are shown" grep -q '"jti": "inspect-me"' "$T/out"
iat=$(date -u -d "@$(python3 -c "import json,sys;print(json.load(sys.stdin)['iat'])" < <(
    printf '%s' "$t" | cut -d. -f2 | tr '_-' '/+' | { read -r p; while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done; printf '%s' "$p"; } | base64 -d))" +%Y-%m-%dT%H:%M:%SZ)
check "iat is shown as an RFC 3339 time" grep -Eq "^  iat +issued +$iat" "$T/out"
check "exp is shown with a relative time" grep -Eq '^  exp +expires +[0-9T:-]+Z +\(in (9m|10m)' "$T/out"

run_ctl_in "$t" inspect -
expect_out 0 '"jti": "inspect-me"' "inspect reads '-' from stdin"
run_ctl_in "$t" inspect
expect_out 0 '"jti": "inspect-me"' "inspect reads stdin without an argument"

sig=${t##*.}
if [ "${sig:0:1}" = A ]; then c=B; else c=A; fi
run_ctl inspect "${t%.*}.$c${sig:1}"
expect_out 0 'UNVERIFIED' "inspect decodes a ticket with a broken signature (unverified)"
t2=$(ci_ticket --ttl 1m)
run_ctl inspect "$t2"
check "the expired or not is not judged, only shown" bash -c "! grep -qi 'admit' '$T/out'"

if command -v script >/dev/null; then
    # type the ticket only once the prompt is shown (echo is off by then),
    # however long that takes
    mkfifo "$T/tty.in"
    script -qec "$DELEGATECTL inspect" /dev/null <"$T/tty.in" >"$T/tty.out" 2>&1 & sp=$!
    exec 7>"$T/tty.in"
    for _ in $(seq 1 600); do grep -q 'Ticket: ' "$T/tty.out" && break; sleep 0.1; done
    printf '%s\n' "$t" >&7
    exec 7>&-
    wait "$sp"
    check "on a terminal: prompts for the ticket" grep -q '^Ticket: ' "$T/tty.out"
    check "on a terminal: reads one line and decodes it" grep -q '"jti": "inspect-me"' "$T/tty.out"
    check "on a terminal: the ticket is not echoed" bash -c "! grep -qF -- '${t:0:40}' '$T/tty.out'"
fi

run_ctl inspect "garbage"
expect 1 "inspect of garbage exits 1"
run_ctl inspect "a.b"
expect 1 "inspect of two parts exits 1"
run_ctl inspect '!!!.###.$$$'
expect 1 "inspect of bad base64url exits 1"
run_ctl inspect ""
expect 1 "inspect of an empty ticket exits 1"
run_ctl inspect a b
expect_out 2 "too many arguments" "inspect with two arguments is a usage error"
run_ctl inspect --frobnicate
expect_out 2 "unknown option '--frobnicate'" "inspect with an unknown option is a usage error"

finish

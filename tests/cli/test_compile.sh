#!/bin/bash
# delegatectl compile (issue 13): writes the compiled policy snapshot, --check
# tells fresh from stale, revoke and prune recompile it (DELEGATE_COMPILED),
# verify decides the same from it as from the text, usage errors.
. "$(dirname "$0")/lib.sh"

setup_fixture || { not_ok "fixture"; finish; }
OUT=$T/policy.bin

host_before=$(stat -c '%i %Y' /run/delegate/policy.bin 2>/dev/null)
run_ctl compile --config "$CONF"
expect_out 2 "--out is required" "compile of a non-default config without --out: usage error"
check "the host's /run/delegate/policy.bin is not touched" \
    test "$(stat -c '%i %Y' /run/delegate/policy.bin 2>/dev/null)" = "$host_before"
run_ctl compile --config "$CONF" --out relative.bin
expect 2 "compile --out with a relative path: usage error"

run_ctl compile --config "$CONF" --out "$OUT"
expect 0 "compile writes the snapshot"
check "snapshot is a root-owned 0644 regular file" test "$(stat -c '%F %a %U' "$OUT")" = "regular file 644 root"
check "no temp file left" test -z "$(find "$T" -maxdepth 1 -name '.policy.bin.*')"
run_ctl compile --config "$CONF" --out "$OUT" --check
expect_out 0 "^fresh: " "compile --check right after compile: fresh"

# an edit makes it stale; verify still sees the edit at once
t=$(ci_ticket)
run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3
expect_out 0 "^admit" "verify (no snapshot for a non-default config without DELEGATE_COMPILED): admit"
DELEGATE_COMPILED=$OUT run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3
expect_out 0 "^admit" "verify from the fresh snapshot: admit"
jti=$(printf '%s' "$t" | "$DELEGATECTL" inspect - 2>/dev/null | sed -n 's/.*"jti": *"\([^"]*\)".*/\1/p' | head -1)
check "the ticket's jti is known ($jti)" test -n "$jti"
# revoke by hand, in place, without recompiling
printf 'revoke = { tickets = ( { id = "%s"; } ); };\n' "$jti" >>"$REVOKED.new"
cat "$REVOKED.new" >"$REVOKED"; rm -f "$REVOKED.new"
run_ctl compile --config "$CONF" --out "$OUT" --check
expect_out 1 "^stale: .*revoked.conf" "compile --check after a hand edit: stale, names the file"
DELEGATE_COMPILED=$OUT run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3
expect_out 1 "deny: revoked_ticket" "verify with a stale snapshot reads the text: revoked_ticket"

# revoke with DELEGATE_COMPILED recompiles
printf 'revoke = { tickets = (); };\n' >"$REVOKED"
run_ctl compile --config "$CONF" --out "$OUT"
expect 0 "compile again"
DELEGATE_COMPILED=$OUT run_ctl revoke --config "$CONF" --ticket "$jti"
expect 0 "revoke with DELEGATE_COMPILED"
run_ctl compile --config "$CONF" --out "$OUT" --check
expect_out 0 "^fresh: " "the snapshot is fresh right after revoke (revoke recompiled it)"
DELEGATE_COMPILED=$OUT run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3
expect_out 1 "deny: revoked_ticket" "verify from the recompiled snapshot: revoked_ticket"
DELEGATE_COMPILED=$OUT run_ctl prune --config "$CONF"
expect 0 "prune with DELEGATE_COMPILED"
run_ctl compile --config "$CONF" --out "$OUT" --check
expect_out 0 "^fresh: " "the snapshot is fresh after prune"

# an unsafe snapshot is not used
chmod 0666 "$OUT"
run_ctl compile --config "$CONF" --out "$OUT" --check
expect_out 1 "^stale: .*writable" "a world-writable snapshot is refused"
chmod 0644 "$OUT"

# an invalid config: nothing compiled, an older snapshot removed
run_ctl compile --config "$CONF" --out "$OUT"
echo 'bogus = 1;' >>"$CONF"
run_ctl compile --config "$CONF" --out "$OUT"
expect_out 1 "no compiled form written" "compile of an invalid config: exit 1"
check "the older snapshot is removed" test ! -e "$OUT"


# watch keeps the snapshot fresh: after a hand edit it recompiles by itself
# (polls with a generous cap: no assumption about the machine's speed)
sed -i '$d' "$CONF"                           # drop the bogus line again
printf 'revoke = { tickets = (); };\n' >"$REVOKED"
mkdir -p "$T/sessions" && chmod 0700 "$T/sessions"
DELEGATE_COMPILED=$OUT DELEGATE_SESSIONS_DIR=$T/sessions \
    "$DELEGATECTL" watch --config "$CONF" >"$T/watch.log" 2>&1 &
WATCH_PID=$!
fresh_within() {   # fresh_within SECONDS: poll compile --check until fresh
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        "$DELEGATECTL" compile --config "$CONF" --out "$OUT" --check >/dev/null 2>&1 && return 0
        kill -0 "$WATCH_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
check "watch writes the snapshot when it starts" fresh_within 60
printf 'revoke = { tickets = ( { id = "%s"; } ); };\n' "$jti" >"$REVOKED.new"
cat "$REVOKED.new" >"$REVOKED"; rm -f "$REVOKED.new"
check "watch rewrites the snapshot after a hand edit of revoked.conf" fresh_within 60
DELEGATE_COMPILED=$OUT run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3
expect_out 1 "deny: revoked_ticket" "verify from the snapshot watch wrote: revoked_ticket"
kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null
check "watch stopped by its pid" bash -c "! kill -0 $WATCH_PID 2>/dev/null"

finish

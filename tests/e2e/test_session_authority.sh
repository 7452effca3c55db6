#!/bin/bash
# Sessions end when the config stops granting their authority, for the
# rules of the recheck that test_session_end.sh does not edit: the issuer's
# principals narrowed (a personal key that should stop speaking for
# others), the issuer's key removed (a leaked key taken out), and
# key_binding = "required" set on the actor (issue 18 item 8, issue 21
# items 1 and 2).  Real sshd, ssh client and `delegatectl watch`: each live
# session is ended with session_end and the rule's reason, and a session
# the edit does not touch goes on.
#
# Timing: never asserted; every wait polls with a generous cap.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup

GRACE=2
WAIT=$((GRACE + 30))
ACTOR=ci-deploy
e2e_keygen corp k2
AKC_DIR=$LIBDIR/delegate-e2e
install -d -m 0755 "$AKC_DIR"
install -m 0755 "$CTL" "$AKC_DIR/delegatectl"

# the config of this test: corp with keys k1 and k2, the grace short
base_config() {
    e2e_write_config
    sed -i 's|keys = ( { kid = "k1"; file = "/etc/delegate/keys/corp-k1.pub"; } ); }|keys = ( { kid = "k1"; file = "/etc/delegate/keys/corp-k1.pub"; },\n             { kid = "k2"; file = "/etc/delegate/keys/corp-k2.pub"; } ); }|' "$CONF"
    printf 'sessions = { grace = %d; };\n' "$GRACE" >>"$CONF"
}
base_config
grep -q 'kid = "k2"' "$CONF" || e2e_die "config: corp has keys k1 and k2"
"$CTL" check-config --config "$CONF" >/dev/null 2>&1 || e2e_die "test config valid"
E2E_SSHD_EXTRA=$(printf '%s\n' 'Match Group delegated' \
    '    AuthenticationMethods publickey,keyboard-interactive keyboard-interactive' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody')
e2e_start_sshd
ssh-keygen -q -t ed25519 -N '' -C e2e-a -f "$NS/client/id_a"

ticket() {   # JTI [issue options...]: a 10-minute ssh ticket for ci-deploy
    local j=$1; shift
    "$CTL" issue --key "$NS/issuer/corp-${KID:-k1}.key" --issuer corp --kid "${KID:-k1}" \
        --actor "$ACTOR" --for "${FOR:-alice}" --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
        --ttl 10m --jti "$j" "$@"
}
# start NAME TICKET M [KEY]: a session in the background whose leader runs
# "sleep 8M0" with a setsid child "sleep 8M1"; waits for STARTED
start() {
    local name=$1 t=$2 m=$3 k=${4:-} auth=(-o PreferredAuthentications=keyboard-interactive
                                            -o PubkeyAuthentication=no)
    [ -n "$k" ] && auth=(-o IdentitiesOnly=yes -i "$k"
                         -o PreferredAuthentications=publickey,keyboard-interactive)
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 300 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no "${auth[@]}" \
        -p "$PORT" "$ACTOR@127.0.0.1" \
        "setsid sleep 8${m}1 </dev/null >/dev/null 2>&1 & echo STARTED; exec sleep 8${m}0" \
        >"$NS/$name.out" 2>>"$NS/ssh-client.err" &
    wait_for 30 grep -sqx STARTED "$NS/$name.out"
}
mine() { local p c; for p in "$@"; do
    c=$(sed -n 's/^0:://p' "/proc/$p/cgroup" 2>/dev/null)
    [ -n "$c" ] && [[ $c != /..* ]] && echo "$p"; done; }
# shellcheck disable=SC2046
running() { local n; for n in "$@"; do [ -n "$(mine $(pgrep -fx "sleep $n"))" ] || return 1; done; }
# shellcheck disable=SC2046
none_running() { local n; for n in "$@"; do [ -z "$(mine $(pgrep -fx "sleep $n"))" ] || return 1; done; }
record_field() {
    /usr/bin/python3 - "$1" "$2" <<'EOF'
import glob, json, sys
for f in glob.glob("/run/delegate/sessions/*.json"):
    r = json.load(open(f))
    if r.get("jti") == sys.argv[1]:
        v = r.get(sys.argv[2])
        print("" if v is None else v)
        break
EOF
}

"$CTL" watch --config "$CONF" >>"$NS/watch.log" 2>&1 &
WATCH_PID=$!
wait_for 10 grep -q "watching" "$NS/watch.log" || e2e_die "delegatectl watch started"

# expect_end DESC JTI M REASON: the session's processes gone, session_end
expect_end() {
    local desc=$1 jti=$2 m=$3 reason=$4
    check "$desc: every process of the session is gone" wait_for "$WAIT" none_running "8${m}0" "8${m}1"
    check "$desc: its record is removed" wait_for 10 test -z "$(record_field "$jti" jti)"
    check "$desc: audit session_end reason=$reason" \
        wait_for 10 audit_has event=session_end jti="$jti" reason="$reason"
}

# ---- the issuer's principals narrowed: a session for alice ends, one for release goes on
check "issuer principals: a session for alice started" start p1 "$(ticket e2e-auth-p1)" 11
check "issuer principals: a session for release started" start p2 "$(FOR=release ticket e2e-auth-p2)" 12
check "issuer principals: both sessions run" wait_for 20 running 8110 8111 8120 8121
audit_mark
sed -i '/id = "corp"/s/principals = \["\*"\];/principals = ["release"];/' "$CONF"
grep -q 'id = "corp".*principals = \["release"\]' "$CONF" || not_ok "config edit: corp's principals"
expect_end "corp may no longer delegate alice" e2e-auth-p1 11 principal_not_allowed
check "issuer principals: the session for release still runs" running 8120 8121
check "issuer principals: no session_end for the release session" \
    audit_lacks event=session_end jti=e2e-auth-p2
base_config
"$CTL" revoke --ticket e2e-auth-p2 --terminate --config "$CONF" >/dev/null 2>&1
check "issuer principals: cleanup of the release session" wait_for "$WAIT" none_running 8120 8121
e2e_write_revoked

# ---- the issuer's key removed: a k1 session ends, a k2 session goes on --------------
check "issuer key: a session with a k1 ticket started" start k1 "$(ticket e2e-auth-k1)" 21
check "issuer key: a session with a k2 ticket started" start k2 "$(KID=k2 ticket e2e-auth-k2)" 22
check "issuer key: both sessions run" wait_for 20 running 8210 8211 8220 8221
audit_mark
sed -i -e '/kid = "k1"; file/d' \
    -e 's|^ *{ kid = "k2"; file = \(.*\) } ); }$|    keys = ( { kid = "k2"; file = \1 } ); }|' "$CONF"
if "$CTL" check-config --config "$CONF" >/dev/null 2>&1 && ! grep -q 'kid = "k1"' "$CONF"; then
    ok "config edit: corp's key k1 removed, k2 kept"
else
    not_ok "config edit: corp's key k1 removed, k2 kept"
    diag "$(grep -n -A3 'id = "corp"' "$CONF")"
fi
expect_end "key k1 no longer configured" e2e-auth-k1 21 unknown_key
check "issuer key: the k2 session still runs" running 8220 8221
check "issuer key: no session_end for the k2 session" audit_lacks event=session_end jti=e2e-auth-k2
base_config
"$CTL" revoke --ticket e2e-auth-k2 --terminate --config "$CONF" >/dev/null 2>&1
check "issuer key: cleanup of the k2 session" wait_for "$WAIT" none_running 8220 8221
e2e_write_revoked

# ---- key_binding = "required": an unbound session ends, a bound one goes on --------
check "key required: an unbound session started" start u1 "$(ticket e2e-auth-u1)" 31
check "key required: a bound session (key a) started" \
    start b1 "$(ticket e2e-auth-b1 --bind-key "$NS/client/id_a.pub")" 32 "$NS/client/id_a"
check "key required: both sessions run" wait_for 20 running 8310 8311 8320 8321
audit_mark
sed -i 's/max_lifetime = 900; approvals = 0; }/max_lifetime = 900; approvals = 0; key_binding = "required"; }/' "$CONF"
grep -q 'key_binding = "required"' "$CONF" || not_ok "config edit: key_binding required"
expect_end "key_binding required, unbound ticket" e2e-auth-u1 31 key_required
check "key required: the bound session still runs" running 8320 8321
check "key required: no session_end for the bound session" audit_lacks event=session_end jti=e2e-auth-b1
base_config
"$CTL" revoke --ticket e2e-auth-b1 --terminate --config "$CONF" >/dev/null 2>&1
check "key required: cleanup of the bound session" wait_for "$WAIT" none_running 8320 8321

kill "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID" 2>/dev/null
check "no record is left" wait_for 15 bash -c '[ -z "$(ls -A /run/delegate/sessions)" ]'
diag "watch log (tail):" "$(tail -n 6 "$NS/watch.log")"

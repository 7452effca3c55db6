#!/bin/bash
# `make demo`: the delegate story end to end, narrated, against the built
# artifacts, with a real sshd, ssh client and sudo, inside a private mount
# namespace (the host's /etc, lib dir, /run and /var are left as they were).
# Exits 0 and ends with "demo: OK" only if every step behaved as expected.
. "$(dirname "$0")/lib.sh"

STEPS=13
E2E_NO_PLAN=1
# narrated expectations instead of TAP lines
ok()     { T_N=$((T_N + 1)); echo "   [ok] $*"; e2e_count; }
not_ok() { T_N=$((T_N + 1)); T_FAILED=1; echo "   [UNEXPECTED] $*"; e2e_count; }
diag()   { printf '%s\n' "$@" | sed 's/^/        /'; }

e2e_after_host() {   # on the host, after the namespace and everything in it is gone
    echo
    if [ "$1" -eq 0 ] && [ "$T_FAILED" -eq 0 ]; then
        echo "demo: OK"
    else
        echo "demo: FAILED (see the [UNEXPECTED] lines above)"
        return 1
    fi
}

if [ "${DLG_E2E_INSIDE:-}" != 1 ]; then
    echo "delegate demo: built artifacts from $B"
    echo "Everything below runs in a private mount namespace: overlays on /etc,"
    echo "$LIBDIR, /var/lib and /var/log, and a tmpfs on /run."
fi
e2e_enter "$@"

step_no=0
step() {
    step_no=$((step_no + 1))
    echo
    echo "==> [$step_no/$STEPS] $*"
}
show() { printf '   $ %s\n' "$*"; }     # the command a person would type
indent() { sed 's/^/     /'; }

e2e_setup_system
e2e_write_revoked

# ---------------------------------------------------------------------------
step "Generate an issuer key pair (the private key stays with the issuer, off the host)"
show "delegatectl keygen --out corp-k1"
(cd "$NS/issuer" && "$CTL" keygen --out corp-k1) 2>&1 | indent
ls -l "$NS/issuer" | tail -n +2 | awk '{ print $1, $3, $NF }' | indent
check "private key corp-k1.key is mode 0600" test "$(stat -c %a "$NS/issuer/corp-k1.key")" = 600
install -m 0644 "$NS/issuer/corp-k1.pub" /etc/delegate/keys/corp-k1.pub
echo "   only the public key goes to the host: /etc/delegate/keys/corp-k1.pub (0644),"
echo "   named by the key id \"k1\" in the config below"

# ---------------------------------------------------------------------------
step "The host's config, /etc/delegate/delegate.conf"
e2e_write_config
indent <"$CONF"
show "delegatectl check-config"
"$CTL" check-config --config "$CONF" 2>&1 | indent
check "check-config accepts it" "$CTL" check-config --config "$CONF" >/dev/null 2>&1
echo "   sshd here is a renamed copy of /usr/sbin/sshd, so its PAM service is '$SSHD_SVC':"
grep pam_delegate "/etc/pam.d/$SSHD_SVC" | indent

e2e_start_sshd
T_EXP=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
              --ttl 2s --jti demo-short-lived)
exp_issued=$(date +%s)

# ---------------------------------------------------------------------------
step "Issue a ticket: ci-deploy may act for alice on $HOSTNAME_DLG through $SSHD_SVC, for 10 minutes"
show "T=\$(delegatectl issue --key corp-k1.key --issuer corp --kid k1 --actor ci-deploy --for alice \\"
show "      --host $HOSTNAME_DLG --service $SSHD_SVC --ttl 10m --jti demo-deploy-1)"
T=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
          --ttl 10m --jti demo-deploy-1)
echo "   T = ${T:0:48}...  (${#T} bytes: a JWT, a bearer secret)"
check "ticket issued, under sudo's 512-byte limit" test -n "$T" -a "${#T}" -lt 512

# ---------------------------------------------------------------------------
step "Inspect the ticket (decoded only: inspect does NOT verify)"
show "delegatectl inspect \"\$T\""
out=$("$CTL" inspect "$T" 2>&1)
indent <<<"$out"
check "inspect shows the actor and the principal" \
    bash -c 'grep -q ci-deploy <<<"$1" && grep -q alice <<<"$1"' _ "$out"

# ---------------------------------------------------------------------------
step "Verify: the host's own decision, the very code the PAM module runs"
show "delegatectl verify --user ci-deploy --service $SSHD_SVC --rhost 127.0.0.1 \"\$T\""
out=$("$CTL" verify --user ci-deploy --service "$SSHD_SVC" --rhost 127.0.0.1 --config "$CONF" "$T" 2>&1)
rc=$?
indent <<<"$out"
check "verify admits it (exit 0)" test "$rc" -eq 0
show "delegatectl verify --user ci-deploy --service $SSHD_SVC --rhost 192.0.2.7 \"\$T\""
out=$("$CTL" verify --user ci-deploy --service "$SSHD_SVC" --rhost 192.0.2.7 --config "$CONF" "$T" 2>&1)
rc=$?
indent <<<"$out"
check "from outside the actor's sources it says deny: source_not_allowed (exit 1)" \
    bash -c '[ "$1" -eq 1 ] && grep -q "deny: source_not_allowed" <<<"$2"' _ "$rc" "$out"

# ---------------------------------------------------------------------------
step "Log in by ssh as ci-deploy, the ticket answered by SSH_ASKPASS"
show "SSH_ASKPASS=askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=\"\$T\" \\"
show "    ssh -p $PORT ci-deploy@127.0.0.1 'id; env | grep DELEGATE_'"
echo "   (askpass is a two-line script: exec delegatectl askpass)"
out=$(ssh_kbd "$T" ci-deploy 'id; env | grep ^DELEGATE_ | sort')
rc=$?
indent <<<"$out"
check "admitted, as the NSS-made account with its constrained groups" \
    grep -qx 'uid=62001(ci-deploy) gid=62000(delegated) groups=62000(delegated),62100(deployers)' <<<"$out"
check "the session knows for whom it acts (DELEGATE_PRINCIPAL=alice)" \
    grep -qx DELEGATE_PRINCIPAL=alice <<<"$out"

# ---------------------------------------------------------------------------
step "sudo on behalf of alice, as the actor support-bot (approved by carol)"
Ts=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo \
           --approver carol --ttl 10m --jti demo-support-1)
show "Ts=\$(delegatectl issue ... --actor support-bot --for alice --service sudo --approver carol ...)"
show "printf '%s\\n' \"\$Ts\" | sudo -S -u alice sh -c 'id -un; env | grep DELEGATE_'    # as support-bot"
out=$(sudo_as support-bot "$Ts" -u alice sh -c 'id -un; env | grep ^DELEGATE_ | sort')
indent <<<"$out"
check "the command ran as alice, with DELEGATE_ACTOR=support-bot" \
    bash -c '[ "$(head -n 1 <<<"$1")" = alice ] && grep -qx DELEGATE_ACTOR=support-bot <<<"$1"' _ "$out"
show "printf '%s\\n' \"\$Ts\" | sudo -S -u bob touch /tmp/bob-was-here    # bob is not in the ticket's runas"
out=$(sudo_as support-bot "$Ts" -u bob touch "$NS/scratch/bob-was-here" 2>&1; tail -n 1 "$NS/sudo.err")
indent <<<"$out"
check "refused for bob, and the command never ran" test ! -e "$NS/scratch/bob-was-here"

# ---------------------------------------------------------------------------
step "An expired ticket is refused"
while [ "$(date +%s)" -lt $((exp_issued + 4)) ]; do sleep 0.2; done
echo "   (a ticket issued at the start with --ttl 2s; the config allows 1 s of clock skew)"
show "delegatectl verify --user ci-deploy --service $SSHD_SVC --rhost 127.0.0.1 \"\$T_OLD\""
"$CTL" verify --user ci-deploy --service "$SSHD_SVC" --rhost 127.0.0.1 --config "$CONF" "$T_EXP" 2>&1 | indent
show "ssh ci-deploy@127.0.0.1 ...   # with \$T_OLD"
out=$(ssh_kbd "$T_EXP" ci-deploy 'echo ADMITTED'; echo "exit $?")
tail -n 1 "$NS/ssh-client.err" | indent
indent <<<"$out"
check "ssh refused it" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"

# ---------------------------------------------------------------------------
step "Revoke the first ticket on the host: the next login is refused (no restart)"
show "delegatectl revoke --ticket demo-deploy-1"
"$CTL" revoke --ticket demo-deploy-1 --config "$CONF" 2>&1 | indent
grep -v '^#' "$REVOKED" | indent
show "ssh ci-deploy@127.0.0.1 ...   # with \$T again"
out=$(ssh_kbd "$T" ci-deploy 'echo ADMITTED'; echo "exit $?")
tail -n 1 "$NS/ssh-client.err" | indent
indent <<<"$out"
check "the same ticket that worked in step 6 is now refused" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
check "sshd kept running" kill -0 "$SSHD_PID"

# ---------------------------------------------------------------------------
step "Bind a ticket to the CI job's own ssh key: a stolen ticket opens nothing"
echo "   sshd asks actors for a key first (publickey), then the ticket (keyboard-interactive);"
echo "   delegatectl authorized-keys, run by sshd as nobody, accepts the key the client offers:"
AKC_DIR=$LIBDIR/delegate-demo
install -d -m 0755 "$AKC_DIR" && install -m 0755 "$CTL" "$AKC_DIR/delegatectl"
E2E_SSHD_EXTRA=$(printf '%s\n' 'Match Group delegated' \
    '    AuthenticationMethods publickey,keyboard-interactive keyboard-interactive' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody')
e2e_stop_sshd
e2e_start_sshd
indent <<<"$E2E_SSHD_EXTRA"
show "ssh-keygen -t ed25519 -N '' -f ci-job-key          # in the CI job; never leaves it"
ssh-keygen -q -t ed25519 -N '' -C ci-job -f "$NS/client/ci-job-key"
ssh-keygen -q -t ed25519 -N '' -C thief -f "$NS/scratch/thief-key"
fp=$(ssh-keygen -lf "$NS/client/ci-job-key.pub" | awk '{print $2}')
show "TB=\$(delegatectl issue ... --jti demo-bound-1 --bind-key ci-job-key.pub)"
TB=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
           --ttl 10m --jti demo-bound-1 --bind-key "$NS/client/ci-job-key.pub")
"$CTL" inspect "$TB" 2>&1 | grep -A2 '"cnf"' | indent
echo "   (${#TB} bytes; cnf.ssh is the key's fingerprint, as ssh-keygen -lf prints it: $fp)"
ssh_bound() {   # KEY TICKET CMD...: publickey with KEY, then the ticket
    local k=$1 t=$2; shift 2
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 20 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
        -i "$k" -o PreferredAuthentications=publickey,keyboard-interactive \
        -p "$PORT" ci-deploy@127.0.0.1 "$@" 2>>"$NS/ssh-client.err"
}
show "ssh -i ci-job-key ci-deploy@127.0.0.1 'echo deployed'     # the CI job, ticket by askpass"
out=$(ssh_bound "$NS/client/ci-job-key" "$TB" 'echo deployed')
indent <<<"$out"
check "the CI job, holding the key, is admitted" grep -qx deployed <<<"$out"
echo "   the ticket leaks into a build log; a thief replays it from elsewhere:"
audit_mark
show "ssh -i thief-key ci-deploy@127.0.0.1 ...    # the thief's own key + the stolen ticket"
out=$(ssh_bound "$NS/scratch/thief-key" "$TB" 'echo ADMITTED'; echo "exit $?")
tail -n 1 "$NS/ssh-client.err" | indent
indent <<<"$out"
check "refused: the ticket is bound to another key" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
show "ssh ci-deploy@127.0.0.1 ...                 # no key at all, only the stolen ticket"
out=$(ssh_kbd "$TB" ci-deploy 'echo ADMITTED'; echo "exit $?")
indent <<<"$out"
check "refused without a key as well" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
echo "   the audit trail says why, and names the key the ticket demands:"
audit_new | grep -F '"jti":"demo-bound-1"' | indent
check "audit: deny reason=key_mismatch with key $fp" \
    bash -c '[ "$(audit_new() { tail -n +"$(($1 + 1))" "$2"; }; audit_new "$1" "$2" |
                 grep -F "\"key\":\"$3\"" | grep -cF "\"reason\":\"key_mismatch\"")" -eq 2 ]' \
    _ "$AUDIT_MARK" "$AUDIT" "$fp"

# ---------------------------------------------------------------------------
step "Open delegated sessions"
T3=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
           --ttl 10m --jti demo-deploy-2)
show "ssh ci-deploy@127.0.0.1 'sleep 30' &    # with a fresh ticket demo-deploy-2"
ssh_kbd "$T3" ci-deploy 'echo STARTED; sleep 30; echo FINISHED' >"$NS/long.out" &
client=$!
wait_for 60 grep -qx STARTED "$NS/long.out"
listed() { "$CTL" sessions 2>/dev/null | grep -q demo-deploy-2; }
wait_for 60 listed
show "delegatectl sessions"
"$CTL" sessions 2>&1 | indent
check "the running session is listed" listed
show "delegatectl revoke --ticket demo-deploy-2 --terminate"
"$CTL" revoke --ticket demo-deploy-2 --terminate --config "$CONF" 2>&1 | indent
gone() { ! kill -0 "$client" 2>/dev/null; }
check "the session was ended at once" wait_for 60 gone
wait "$client" 2>/dev/null
show "delegatectl sessions"
"$CTL" sessions 2>&1 | indent

# ---------------------------------------------------------------------------
step "Sessions end when their authority ends: delegatectl watch (delegate-watch.service)"
show "delegatectl watch &      # root daemon; shipped as delegate-watch.service"
"$CTL" watch --config "$CONF" >"$NS/watch.log" 2>&1 &
watch_pid=$!
wait_for 10 grep -sq watching "$NS/watch.log"
T4=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
           --ttl 15s --jti demo-expiring)
show "ssh ci-deploy@127.0.0.1 'setsid sleep 6001 & sleep 600'    # ticket demo-expiring: 15 s"
ssh_bg() {   # TICKET MARKER: a session with a setsid child that tries to outlive it
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$1 \
        timeout 120 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no \
        -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
        -p "$PORT" ci-deploy@127.0.0.1 \
        "setsid sleep $2 </dev/null >/dev/null 2>&1 & echo STARTED; exec sleep 600" \
        >"$NS/bg-$2.out" 2>>"$NS/ssh-client.err" &
    wait_for 30 grep -sqx STARTED "$NS/bg-$2.out"
}
# only this demo's processes (the pid namespace is the host's)
mine() { local p c; for p in "$@"; do
    c=$(sed -n 's/^0:://p' "/proc/$p/cgroup" 2>/dev/null)
    [ -n "$c" ] && [[ $c != /..* ]] && echo "$p"; done; }
# shellcheck disable=SC2046
child_gone() { [ -z "$(mine $(pgrep -fx "sleep $1"))" ]; }
ssh_bg "$T4" 6001
# shellcheck disable=SC2046
grp=$(sed -n 's/^0:://p' "/proc/$(mine $(pgrep -fx 'sleep 6001') | head -n 1)/cgroup" 2>/dev/null)
echo "   the setsid child runs in the session's cgroup: $grp"
show "delegatectl sessions"
"$CTL" sessions 2>&1 | indent
check "the setsid child is contained in the session's cgroup" \
    bash -c '[[ $1 == /delegate/* ]]' _ "$grp"
echo "   ... waiting for the ticket's exp (no revocation, no --terminate) ..."
check "at exp, watch ends the session and its setsid child does not escape" wait_for 60 child_gone 6001
check "audit: session_end reason=expired" wait_for 30 \
    grep -qE '"event": ?"session_end".*"jti": ?"demo-expiring".*"reason": ?"expired"' "$AUDIT"
grep -E "ending|ended" "$NS/watch.log" | sed 's/^[^ ]* //' | indent

T5=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
           --ttl 10m --jti demo-revoked-live)
show "ssh ci-deploy@127.0.0.1 'setsid sleep 6002 & sleep 600'    # ticket demo-revoked-live: 10 min"
ssh_bg "$T5" 6002
still_runs() { ! child_gone "$1"; }
check "the second session runs, its setsid child too" still_runs 6002
show "delegatectl revoke --principal alice      # no --terminate: watch sees revoked.conf change"
"$CTL" revoke --principal alice --config "$CONF" 2>&1 | indent
check "watch ends the live session, setsid child included" wait_for 30 child_gone 6002
check "audit: session_end reason=revoked_principal" wait_for 30 \
    grep -qE '"event": ?"session_end".*"jti": ?"demo-revoked-live".*"reason": ?"revoked_principal"' "$AUDIT"
grep -E "ending|ended" "$NS/watch.log" | tail -n 2 | sed 's/^[^ ]* //' | indent
check "no session cgroup left behind" \
    wait_for 70 bash -c '[ -z "$(find /sys/fs/cgroup/delegate -mindepth 1 -type d 2>/dev/null)" ]'
kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null

# ---------------------------------------------------------------------------
step "The audit trail, $AUDIT"
indent <"$AUDIT"
check "admits, denies and session events are all there" \
    bash -c 'for e in admit deny session_open session_close; do
                 grep -qE "\"event\": ?\"$e\"" "$1" || exit 1; done' _ "$AUDIT"
check "every deny says why (expired, revoked_ticket, runas_not_allowed)" \
    bash -c 'for r in expired revoked_ticket runas_not_allowed; do
                 grep -qE "\"reason\": ?\"$r\"" "$1" || exit 1; done' _ "$AUDIT"
all_secret_absent() {
    local t
    for t in "$T" "$Ts" "$T_EXP" "$T3" "$T4" "$T5" "$TB"; do secret_absent "$t" "$AUDIT" "$NS/sshd.log" || return 1; done
}
check "no ticket text in the audit trail or the sshd log" all_secret_absent

echo
echo "==> Tearing down: sshd (pid $SSHD_PID) stopped, the namespace and its overlays discarded"

#!/bin/bash
# Key-bound sudo tickets (issue 12, DESIGN.md §3 rule 10): a sudo ticket with
# cnf is admitted only when the sudo runs inside a delegated session that
# was admitted with the same key (found through session containment); the
# real sshd, ssh client and sudo.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup

# support-bot may also log in by ssh, so that its sudo can run in a session
sed -i 's/services = \["sudo"\];/services = ["sudo", "'"$SSHD_SVC"'"];/' "$CONF"
check "config: support-bot takes sshd and sudo" "$CTL" check-config --config "$CONF"
AKC_DIR=$LIBDIR/delegate-e2e
install -d -m 0755 "$AKC_DIR"
install -m 0755 "$CTL" "$AKC_DIR/delegatectl"
E2E_SSHD_EXTRA=$(printf '%s\n' 'Match Group delegated' \
    '    AuthenticationMethods publickey,keyboard-interactive keyboard-interactive' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody')
e2e_start_sshd

ssh-keygen -q -t ed25519 -N '' -C e2e-a -f "$NS/client/id_a"
ssh-keygen -q -t ecdsa -N '' -C e2e-b -f "$NS/client/id_b"
fp() { ssh-keygen -lf "$NS/client/id_$1.pub" | awk '{print $2}'; }
HOME_BOT=/var/lib/delegate/support-bot

ssh_ticket() {   # KEY|-: an ssh ticket for support-bot (bound to KEY, or not)
    issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
        --approver carol --ttl 10m ${1:+--bind-key "$NS/client/id_$1.pub"}
}
sudo_ticket() {  # JTI [KEY]: a sudo ticket for support-bot to alice
    issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo --runas alice \
        --approver carol --ttl 10m --jti "$1" ${2:+--bind-key "$NS/client/id_$2.pub"}
}
put_ticket() {   # NAME TICKET: a file the actor can read in its home
    printf '%s\n' "$2" >"$HOME_BOT/$1"
    chown 62002:62000 "$HOME_BOT/$1"
    chmod 0600 "$HOME_BOT/$1"
}
# in_session KEY|- SSH-TICKET SUDO-FILE: ssh in as support-bot (publickey with
# KEY then the ticket, or the ticket alone), then sudo with the ticket file
in_session() {
    local k=$1 t=$2 f=$3 keyopt=(-o PubkeyAuthentication=no -o PreferredAuthentications=keyboard-interactive)
    [ "$k" != - ] && keyopt=(-o IdentitiesOnly=yes -i "$NS/client/id_$k"
                             -o PreferredAuthentications=publickey,keyboard-interactive)
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 30 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no "${keyopt[@]}" \
        -p "$PORT" support-bot@127.0.0.1 \
        "echo IN-SESSION; sudo -S -u alice sh -c 'echo RAN-AS=\$(id -un)' <$f 2>&1" \
        2>>"$NS/ssh-client.err"
}
audit_key() {   # FP KEY=VALUE...: a line since audit_mark with "key":FP and the fields
    local f=$1 lines kv; shift
    lines=$(audit_new | grep -F "\"key\":\"$f\"")
    for kv in "$@"; do
        lines=$(printf '%s\n' "$lines" | grep -E "\"${kv%%=*}\": ?\"${kv#*=}\"")
    done
    [ -n "$lines" ]
}

SA=$(sudo_ticket e2e-sudo-bound-a a)
SB=$(sudo_ticket e2e-sudo-bound-b b)
SU=$(sudo_ticket e2e-sudo-unbound)
put_ticket sa "$SA"
put_ticket sb "$SB"
put_ticket su "$SU"

# ---- outside any delegated session --------------------------------------------
audit_mark
out=$(sudo_as support-bot "$SA" -u alice sh -c 'echo RAN-AS=$(id -un)')
check "bound sudo ticket outside any session: refused" bash -c '! grep -q RAN-AS <<<"$1"' _ "$out"
check "outside: audit deny reason=key_mismatch with the ticket's key" \
    audit_key "$(fp a)" event=deny service=sudo reason=key_mismatch jti=e2e-sudo-bound-a
audit_mark
out=$(sudo_as support-bot "$SU" -u alice sh -c 'echo RAN-AS=$(id -un)')
check "control: an unbound sudo ticket outside a session is admitted" grep -q "RAN-AS=alice$" <<<"$out"

# ---- inside a session admitted with key a ----------------------------------------
audit_mark
out=$(in_session a "$(ssh_ticket a)" sa)
check "ssh session admitted with key a" grep -qx IN-SESSION <<<"$out"
check "bound sudo ticket inside a session of the same key: admitted" grep -q "RAN-AS=alice$" <<<"$out"
check "inside: audit admit for sudo with the key" \
    audit_key "$(fp a)" event=admit service=sudo jti=e2e-sudo-bound-a
check "inside: audit session_open for sudo with the key" \
    audit_key "$(fp a)" event=session_open service=sudo jti=e2e-sudo-bound-a

audit_mark
out=$(in_session a "$(ssh_ticket a)" sb)
check "session of key a" grep -qx IN-SESSION <<<"$out"
check "sudo ticket bound to key b inside a session of key a: refused" \
    bash -c '! grep -q RAN-AS <<<"$1"' _ "$out"
check "other key: audit deny key_mismatch" \
    audit_key "$(fp b)" event=deny service=sudo reason=key_mismatch jti=e2e-sudo-bound-b

# ---- inside a session admitted with an unbound ticket ------------------------------
audit_mark
out=$(in_session - "$(ssh_ticket)" sa)
check "session admitted by keyboard-interactive with an unbound ticket" grep -qx IN-SESSION <<<"$out"
check "bound sudo ticket inside an unbound session: refused" bash -c '! grep -q RAN-AS <<<"$1"' _ "$out"
check "unbound session: audit deny key_mismatch" \
    audit_key "$(fp a)" event=deny service=sudo reason=key_mismatch jti=e2e-sudo-bound-a
out=$(in_session - "$(ssh_ticket)" su)
check "control: unbound sudo ticket inside that session admitted" grep -q "RAN-AS=alice$" <<<"$out"

# ---- a session that proved key a with an unbound ticket (issue 18 item 10) ------------
# the record keeps the key the session proved, not its ticket's cnf
audit_mark
out=$(in_session a "$(ssh_ticket)" sa)
check "unbound ssh ticket after a publickey step with key a: session admitted" grep -qx IN-SESSION <<<"$out"
check "bound sudo ticket (key a) inside it: admitted (the session proved key a)" \
    grep -q "RAN-AS=alice$" <<<"$out"
check "audit: admit for sudo with key a" audit_key "$(fp a)" event=admit service=sudo jti=e2e-sudo-bound-a
audit_mark
out=$(in_session a "$(ssh_ticket)" sb)
check "bound sudo ticket (key b) inside that session: refused" bash -c '! grep -q RAN-AS <<<"$1"' _ "$out"

# ---- su finds its caller's session the same way; the caller must be the actor ----------
e2e_pam_stack su
sed -i 's/services = \["sudo", "'"$SSHD_SVC"'"\];/services = ["sudo", "'"$SSHD_SVC"'", "su"];/' "$CONF"
check "config: support-bot takes su too" "$CTL" check-config --config "$CONF"
SUA=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service su --approver carol \
      --ttl 10m --jti e2e-su-bound-a --bind-key "$NS/client/id_a.pub")
put_ticket sua "$SUA"
in_session_su() {   # KEY SSH-TICKET: su to the actor itself, with the bound su ticket
    local k=$1 t=$2
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 30 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
        -i "$NS/client/id_$k" -o PreferredAuthentications=publickey,keyboard-interactive \
        -p "$PORT" support-bot@127.0.0.1 \
        "echo IN-SESSION; su support-bot -c 'echo SU-AS=\$(id -un)' <sua 2>&1" 2>>"$NS/ssh-client.err"
}
audit_mark
out=$(in_session_su a "$(ssh_ticket a)")
check "su by the actor inside a session of key a, bound su ticket: admitted" \
    grep -q "SU-AS=support-bot$" <<<"$out"
check "su: audit admit with key a" audit_key "$(fp a)" event=admit service=su jti=e2e-su-bound-a
audit_mark
out=$(su support-bot -c 'echo SU-AS=$(id -un)' <"$HOME_BOT/sua" 2>&1)
check "su by root outside any session, same ticket: refused" bash -c '! grep -q SU-AS <<<"$1"' _ "$out"
check "su by root: audit deny key_mismatch" \
    audit_key "$(fp a)" event=deny service=su reason=key_mismatch jti=e2e-su-bound-a

# ---- same-uid sessions are not isolated (issue 18 item 11) ------------------------------
# A second session of the actor, without key a, attaches to a process of a
# session that proved key a (gdb -p: this kernel has no Yama, or
# ptrace_scope 0) and makes it run a bound sudo there, inside that session's
# cgroup.  pam_delegate refuses it: the first session no longer vouches for
# key a once a session of the same actor without it was live at the same
# time, and that lasts after the second session is gone.
printf '%s\n' '#!/bin/sh' \
    '# run by the injected process, inside the first session' \
    "echo \"CGROUP=\$(sed -n 's/^0:://p' /proc/self/cgroup)\" >$HOME_BOT/payload.out" \
    "sudo -S -u alice sh -c 'echo RAN-AS=\$(id -un)' <$HOME_BOT/sa >>$HOME_BOT/payload.out 2>&1" \
    >"$HOME_BOT/payload.sh"
chmod 0755 "$HOME_BOT/payload.sh"
yama=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo absent)
S1T=$(ssh_ticket a)
SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$S1T \
    timeout 300 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
    -i "$NS/client/id_a" -o PreferredAuthentications=publickey,keyboard-interactive \
    -p "$PORT" support-bot@127.0.0.1 'echo $$ >s1.pid; echo STARTED; exec sleep 611' \
    >"$NS/s1.out" 2>>"$NS/ssh-client.err" &
S1_CLIENT=$!
check "first session (key a, bound ssh ticket) started" wait_for 30 grep -sqx STARTED "$NS/s1.out"
s1pid=$(cat "$HOME_BOT/s1.pid" 2>/dev/null)
s1grp=$(sed -n 's/^0:://p' "/proc/$s1pid/cgroup" 2>/dev/null)
check "its process runs in a session group" bash -c '[[ $1 == /delegate/* ]]' _ "$s1grp"
# run_in_s1: the payload run by a process moved into the first session's
# group by root (the effect of the injection, when the kernel forbids it)
run_in_s1() {
    sh -c 'echo $$ >"$1" && exec runuser -u support-bot -- "$2"' _ \
        "/sys/fs/cgroup$s1grp/cgroup.procs" "$HOME_BOT/payload.sh"
}
# gdb_calls_work: can gdb make a call inside a process here?  Probed on a
# throwaway process of this test's own: gdb 13 cannot restore the register
# state on CPUs with AMX ("Couldn't write extended state status"), and the
# process it attached to dies.
gdb_calls_work() {
    local p out
    sleep 120 & p=$!
    out=$(timeout 60 gdb -q -nx -p "$p" -batch -ex 'call (int)getpid()' 2>&1)
    kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
    grep -qx "\$1 = $p" <<<"$out" && return 0
    gdb_failure=$(grep -m1 -iE "couldn't|cannot|error" <<<"$out")
    gdb_failure=${gdb_failure:-no answer to the call}
    return 1
}
simulated="root moves the payload into the first session's group once the second session has been live"
if [ "$yama" != absent ] && [ "$yama" != 0 ]; then
    inject="true"
    how="simulated: kernel.yama.ptrace_scope $yama forbids the attach; $simulated"
elif ! gdb_calls_work; then
    inject="true"
    how="simulated: gdb cannot call into a process on this machine ($gdb_failure); $simulated"
else
    inject="gdb -q -nx -p $s1pid -batch -ex 'call (int)system(\"$HOME_BOT/payload.sh\")' >gdb.out 2>&1"
    how="gdb -p from the second session (ptrace; kernel.yama.ptrace_scope: $yama)"
fi
diag "injection: $how"
audit_mark
SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$(ssh_ticket) \
    timeout 120 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o PubkeyAuthentication=no \
    -o PreferredAuthentications=keyboard-interactive -p "$PORT" support-bot@127.0.0.1 \
    "echo IN-SECOND; $inject; echo INJECTED" >"$NS/second.out" 2>>"$NS/ssh-client.err"
check "second session (unbound, no key) of the same actor admitted" grep -qx IN-SECOND "$NS/second.out"
[ "$inject" = true ] && run_in_s1
check "the injected payload ran inside the first session's cgroup" \
    wait_for 30 grep -qx "CGROUP=$s1grp" "$HOME_BOT/payload.out"
[ -s "$HOME_BOT/gdb.out" ] && diag "gdb: $(tail -n 3 "$HOME_BOT/gdb.out")"
check "the bound sudo run there is refused" bash -c '! grep -q RAN-AS "$1"' _ "$HOME_BOT/payload.out"
check "audit: deny key_mismatch for that sudo" \
    audit_key "$(fp a)" event=deny service=sudo reason=key_mismatch jti=e2e-sudo-bound-a
check "audit: no admit for it" audit_lacks event=admit service=sudo
# the second session is gone now; what it left in the first may still run
: >"$HOME_BOT/payload.out"
audit_mark
run_in_s1 2>/dev/null
check "after the second session ended, the first still refuses the bound sudo" \
    bash -c 'grep -q "CGROUP=$2" "$1" && ! grep -q RAN-AS "$1"' _ "$HOME_BOT/payload.out" "$s1grp"
# end the first session: its command, then its record
kill "$s1pid" 2>/dev/null
wait "$S1_CLIENT" 2>/dev/null
check "the first session ended (no record left)" \
    wait_for 30 bash -c '[ -z "$(ls -A /run/delegate/sessions)" ]'
# a fresh session of key a, alone: its bound sudo is admitted again
out=$(in_session a "$(ssh_ticket a)" sa)
check "a fresh session of key a, alone: bound sudo admitted" grep -q "RAN-AS=alice$" <<<"$out"

check "no ticket text in the audit trail or the sshd log" \
    secret_absent "$SA" "$AUDIT" "$NS/sshd.log" "$NS/sudo.err"

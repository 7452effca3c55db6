#!/bin/bash
# delegate on a Debian 12 host with systemd 252 as PID 1 (issue 17), in a
# booted container (tests/systemd/lib.sh): the .debs installed and
# configured exactly as README's install section says, then real ssh and
# sudo.  Covers: ticket ssh login plain and key-bound, sudo and sudo -i
# (each in a transient scope of its own, bound to the ssh session it runs
# in), expiry, revoke --terminate, revocation by editing revoked.conf, a
# revoked actor, the watch killed (restarted by systemd) and stopped, the
# task limit against a fork bomb, a reboot, a package upgrade with a session
# open, and purge.  Timing is never asserted: every wait polls with a cap.
. "$(dirname "$0")/lib.sh"
sd_enter "$@"
sd_boot
ok "systemd 252 booted in the container: $(sd_run systemctl --version | head -n 1)"

C=/etc/delegate/delegate.conf
AUDIT=/var/log/delegate/audit.jsonl
GRACE=3
TASKS=64

# ---- install and configure, the README way --------------------------------
sd_sh 'cd /etc && sha256sum nsswitch.conf pam.d/*' >"$SD_TMP/auth.before"
out=$(sd_sh 'dpkg -i /root/debs/libpam-delegate_*.deb /root/debs/libnss-delegate_*.deb /root/debs/delegate-tools_*.deb' 2>&1)
check "dpkg -i the three packages" sd_sh 'dpkg-query -W -f="\${Status}\n" libpam-delegate libnss-delegate delegate-tools | grep -c "install ok installed" | grep -qx 3' || diag "$out"
# the issuer's key pair, made where the issuer is (here: /root/issuer)
sd_sh 'install -d -m 0700 /root/issuer && cd /root/issuer && delegatectl keygen --out corp-2026-11 >/dev/null'
sd_sh 'install -d -m 0755 /etc/delegate/keys && install -m 0644 /root/issuer/corp-2026-11.pub /etc/delegate/keys/'
sd_sh 'install -m 0644 /usr/share/doc/delegate-tools/examples/delegate.conf /etc/delegate/delegate.conf &&
       install -m 0644 /usr/share/doc/delegate-tools/examples/revoked.conf /etc/delegate/revoked.conf'
# edit it: this host's name, no personal issuer, an actor that logs in by ssh
# and uses sudo inside, a short grace and a small task limit for the test
sd_sh "sed -i -e 's/name = \"web01\";/name = \"$SD_HOST\";/' -e 's/web01.example.com/$SD_HOST.example.test/' \
  -e '/id = \"alice\"; algorithms/,+1d' -e 's|corp-2026-11.pub\"; } ); },|corp-2026-11.pub\"; } ); }|' -e 's/^  { name = \"ci-deploy\"/  { name = \"ops-bot\"; uid = 62003; shell = \"\\/bin\\/bash\"; principals = [\"alice\"]; services = [\"sshd\", \"sudo\"]; runas = [\"alice\"]; },\n  { name = \"ci-deploy\"/' \
  -e 's/^sessions = .*/sessions = { grace = $GRACE; tasks_max = $TASKS; };/' $C"
sd_sh 'sed -i "s/^  tickets = (.*/  tickets = ();/; s/^  issued_before = .*//" /etc/delegate/revoked.conf'
sd_sh 'useradd -m -s /bin/bash alice && useradd -m -s /bin/bash bob'
out=$(sd_run delegatectl check-config 2>&1)
check "delegatectl check-config accepts the edited example" test $? -eq 0 || diag "$out"
check "delegatectl compile" sd_run delegatectl compile
check "pam-auth-update --enable delegate" sd_run pam-auth-update --enable delegate
sd_sh 'install -m 0644 /usr/share/doc/delegate-tools/examples/sshd_config.d/delegate.conf /etc/ssh/sshd_config.d/ &&
       install -m 0440 /usr/share/doc/delegate-tools/examples/sudoers.d/delegate /etc/sudoers.d/delegate &&
       printf "%s\n" "support-bot ALL=(alice,bob) ALL" "ops-bot ALL=(alice) ALL" >/etc/sudoers.d/actors &&
       chmod 0440 /etc/sudoers.d/actors && systemctl reload ssh'
check "delegate-watch.service is active (enabled by the package)" sd_run systemctl is-active -q delegate-watch
props=$(sd_run systemctl show delegate-watch -p Restart -p StartLimitIntervalUSec -p Before)
check "delegate-watch: Restart=always, no start limit, before ssh.service" \
    bash -c 'grep -qx Restart=always <<<"$1" && grep -qx StartLimitIntervalUSec=0 <<<"$1" && grep -q "Before=.*ssh.service" <<<"$1"' _ "$props"

# ---- helpers ----------------------------------------------------------------
issue() {   # ARGS...: a ticket of issuer corp
    sd_run delegatectl issue --key /root/issuer/corp-2026-11.key --issuer corp --kid 2026-11 \
        --host "$SD_HOST" "$@"
}
SSH_OPTS="-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=no"
# ssh_t TICKET USER CMD: keyboard-interactive, the ticket through askpass
ssh_t() {
    sd_run env SSH_ASKPASS=/usr/sbin/delegatectl-askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET="$1" \
        timeout 120 setsid -w ssh $SSH_OPTS -n -o PreferredAuthentications=keyboard-interactive \
        -o PubkeyAuthentication=no "$2@127.0.0.1" "$3"
}
# ssh_bg NAME TICKET USER CMD: in the background, output in $SD_TMP/NAME.out
ssh_bg() {
    ssh_t "$2" "$3" "$4" >"$SD_TMP/$1.out" 2>&1 &
    wait_for 60 grep -sqx STARTED "$SD_TMP/$1.out"
}
running() { sd_run pgrep -fx "$1" >/dev/null; }
gone() { ! running "$1"; }
audited() {   # EVENT JTI [REASON]
    sd_sh "grep -F '\"jti\":\"$2\"' $AUDIT | grep -F '\"event\":\"$1\"' | grep -qF '${3:+\"reason\":\"$3\"}'"
}
record() {   # JTI FIELD: a field of the session record of that ticket
    sd_run delegatectl sessions --json | JTI=$1 F=$2 python3 -c '
import json, os, sys
for r in json.load(sys.stdin):
    if r["jti"] == os.environ["JTI"]:
        v = r.get(os.environ["F"]); print("" if v is None else v); break'
}
has_record() { [ -n "$(record "$1" jti)" ]; }
# keep the session going, with the ways a process tries to outlive it
OUTLIVE='setsid sleep 6${M}1 </dev/null >/dev/null 2>&1 & ( ( sleep 6${M}2 </dev/null >/dev/null 2>&1 & ) & ) ; nohup sleep 6${M}3 </dev/null >/dev/null 2>&1 & echo STARTED; exec sleep 6${M}0'
outlive() { M=$1; eval "echo \"$OUTLIVE\""; }
all_gone() { local k; for k in 0 1 2 3; do gone "sleep 6$1$k" || return 1; done; }
has_logind() { [ -n "$(record "$1" logind)" ]; }
# checks run some of these in `bash -c`
export -f sd_run sd_sh wait_for ssh_t running gone audited record has_record
export AUDIT SSH_OPTS SD_TMP

# ---- ssh login: logind's session scope is the cell ----------------------------
T=$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-plain)
out=$(ssh_t "$T" ci-deploy 'id -un; echo DP=$DELEGATE_PRINCIPAL; cat /proc/self/cgroup; pwd; stat -c "%a %U" .')
check "ssh login with a ticket: admitted as ci-deploy for alice" \
    bash -c 'grep -qx ci-deploy <<<"$1" && grep -qx DP=alice <<<"$1"' _ "$out" || diag "$out"
check "the session runs in logind's session scope" grep -qE '^0::/user.slice/user-62001.slice/session-[0-9]+.scope$' <<<"$out"
check "the actor has a home from its first login: /var/lib/delegate/ci-deploy, 0700, its own" \
    bash -c 'grep -qx /var/lib/delegate/ci-deploy <<<"$1" && grep -qx "700 ci-deploy" <<<"$1"' _ "$out"
check "a clean login leaves no deny in the audit trail" sd_sh "! grep -q '\"event\":\"deny\"' $AUDIT"
check "the actor's user manager was skipped, not failed" \
    bash -c '! sd_run systemctl is-failed -q user@62001.service && sd_run journalctl -q -u user@62001.service | grep -q "ExecCondition\|condition"' || \
    diag "$(sd_run systemctl status user@62001.service 2>&1 | head -5)"

ssh_bg plain "$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-live)" ci-deploy "$(outlive 1)"
wait_for 30 has_logind sd-live
sid=$(record sd-live logind); unit=$(record sd-live unit)
check "the record names the logind session and its scope ($sid, $unit)" \
    test -n "$sid" -a "$unit" = "session-$sid.scope" -a "$(record sd-live cell)" = logind
rt=$(sd_run systemctl show "$unit" -p RuntimeMaxUSec --value)
check "pam_systemd bounded the scope by the ticket (RuntimeMaxUSec=$rt)" grep -qE '^(9|10)min' <<<"$rt"
check "and by the task limit (TasksMax=$TASKS)" test "$(sd_run systemctl show "$unit" -p TasksMax --value)" = "$TASKS"
sd_run delegatectl revoke --ticket sd-live --terminate >"$SD_TMP/term.out" 2>&1
check "revoke --terminate ends the logind session: every process gone" wait_for 30 all_gone 1
check "session_end revoked_ticket audited, the record removed" \
    bash -c 'audited session_end sd-live revoked_ticket && ! has_record sd-live'
check "logind forgot the session" wait_for 30 bash -c '! sd_run loginctl show-session "$1" >/dev/null 2>&1' _ "$sid"

# ---- key-bound ---------------------------------------------------------------
sd_sh 'ssh-keygen -q -t ed25519 -N "" -f /root/ci-key && ssh-keygen -q -t ed25519 -N "" -f /root/thief-key'
TB=$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-bound --bind-key /root/ci-key.pub)
ssh_key() {
    sd_run env SSH_ASKPASS=/usr/sbin/delegatectl-askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET="$2" \
        timeout 120 setsid -w ssh $SSH_OPTS -n -o IdentitiesOnly=yes -i "$1" \
        -o PreferredAuthentications=publickey,keyboard-interactive ci-deploy@127.0.0.1 'echo BOUND-OK'
}
export -f ssh_key
check "key-bound ticket with its key: admitted" bash -c 'ssh_key /root/ci-key "$1" 2>/dev/null | grep -qx BOUND-OK' _ "$TB"
check "with another key: refused (key_mismatch)" \
    bash -c '! ssh_key /root/thief-key "$1" 2>/dev/null | grep -q BOUND-OK && audited deny sd-bound key_mismatch' _ "$TB"

# ---- sudo and sudo -i inside a delegated ssh session ------------------------------
TS=$(issue --actor ops-bot --for alice --service sshd --ttl 10m --jti sd-ops)
TU=$(issue --actor ops-bot --for alice --service sudo --ttl 10m --jti sd-sudo)
TI=$(issue --actor ops-bot --for alice --service sudo --ttl 10m --jti sd-sudo-i)
TX=$(issue --actor ops-bot --for alice --service sudo --ttl 15s --jti sd-sudo-short)
sd_sh "printf '%s\n' '$TU' >/tmp/tu; printf '%s\n' '$TI' >/tmp/ti; printf '%s\n' '$TX' >/tmp/tx; chmod 0644 /tmp/tu /tmp/ti /tmp/tx"
ssh_bg ops "$TS" ops-bot "sudo -S -u alice sh -c 'setsid sleep 6251 </dev/null >/dev/null 2>&1 & exec sleep 6250' </tmp/tu >/tmp/su.out 2>&1 &
 sudo -S -i -u alice sh -c 'exec sleep 6260' </tmp/ti >/tmp/si.out 2>&1 &
 sudo -S -u alice sh -c 'exec sleep 6270' </tmp/tx >/tmp/sx.out 2>&1 &
 echo STARTED; exec sleep 6200"
wait_for 30 has_record sd-sudo; wait_for 30 has_logind sd-ops
ou=$(record sd-ops unit); su=$(record sd-sudo unit)
check "sudo in the session: a transient scope of its own, not the caller's ($su)" \
    bash -c '[[ $1 == delegate-sudo-*.scope ]] && [ "$(record sd-sudo cell)" = scope ]' _ "$su"
wait_for 30 has_logind sd-sudo-i; si=$(record sd-sudo-i unit)
diag "sudo -i cell: $(record sd-sudo-i cell) $si; ssh session $ou"
check "sudo -i in the session: a logind session of its own that pam_systemd registered ($si)" \
    bash -c '[ "$(record sd-sudo-i cell)" = logind ] && [[ $1 == session-*.scope ]] && [ "$1" != "$2" ]' _ "$si" "$ou"
check "... bounded by its ticket (RuntimeMaxUSec) and the task limit" \
    bash -c 'sd_run systemctl show "$1" -p RuntimeMaxUSec --value | grep -qE "^(9|10)min" &&
             [ "$(sd_run systemctl show "$1" -p TasksMax --value)" = "$2" ]' _ "$si" "$TASKS"
check "sudo: bound to the ssh session's scope (BindsTo=$ou)" \
    bash -c 'sd_run systemctl show "$1" -p BindsTo --value | grep -qx "$2"' _ "$su" "$ou"
check "both record the ssh session as the one they run in" \
    bash -c '[ -n "$(record sd-sudo outer)" ] && [ "$(record sd-sudo outer)" = "$(record sd-sudo-i outer)" ]'
check "the sudo scope is bounded by its ticket and the task limit" \
    bash -c 'sd_run systemctl show "$1" -p RuntimeMaxUSec --value | grep -qE "^(9|10)min" &&
             [ "$(sd_run systemctl show "$1" -p TasksMax --value)" = "$2" ]' _ "$su" "$TASKS"
check "the short sudo ticket ends its own scope at exp" wait_for 60 gone "sleep 6270"
check "... and only that: the ssh session and the other sudo still run" \
    bash -c 'running "sleep 6200" && running "sleep 6250" && running "sleep 6260"'
check "session_end expired for the short sudo" wait_for 30 audited session_end sd-sudo-short expired
sd_run delegatectl revoke --ticket sd-ops --terminate >/dev/null 2>&1
check "revoking the ssh session ends the sudo and sudo -i inside it" \
    wait_for 30 bash -c 'gone "sleep 6200" && gone "sleep 6250" && gone "sleep 6251" && gone "sleep 6260"'
if wait_for 30 bash -c 'audited session_end sd-ops && audited session_end sd-sudo && audited session_end sd-sudo-i'; then
    ok "session_end for the ssh session and both sudo sessions"
else
    not_ok "session_end for the ssh session and both sudo sessions"
    diag "$(sd_run grep -E '"jti":"sd-(ops|sudo|sudo-i)"' $AUDIT | grep -oE '"event":"[a-z_]+"|"jti":"[^"]+"' | paste - - )"
    diag "$(sd_run journalctl -q -o short-precise | grep -E 'delegatectl|delegate:' | grep -E 'sd-ops|sd-sudo"?|pid (2[0-9][0-9])' | tail -25)"
fi

# ---- expiry, revoked.conf edited, revoked actor: watch ends them -------------------
ssh_bg exp "$(issue --actor ci-deploy --for alice --service sshd --ttl 20s --jti sd-exp)" ci-deploy "$(outlive 3)"
ssh_bg edit "$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-edit)" ci-deploy "$(outlive 4)"
ssh_bg actor "$(issue --actor ops-bot --for alice --service sshd --ttl 10m --jti sd-actor)" ops-bot "$(outlive 5)"
# an administrator's own edit of revoked.conf (no delegatectl)
sd_sh 'printf "%s\n" "# edited by hand" "revoke = {" "  tickets = ( { id = \"sd-edit\"; } );" \
         "  actors = []; principals = []; issuers = []; keys = [];" "};" >/etc/delegate/revoked.conf.new &&
       chmod 0644 /etc/delegate/revoked.conf.new && mv /etc/delegate/revoked.conf.new /etc/delegate/revoked.conf'
check "revocation by editing revoked.conf ends the live session" wait_for 30 all_gone 4
check "... session_end revoked_ticket" wait_for 20 audited session_end sd-edit revoked_ticket
sd_run delegatectl revoke --actor ops-bot >/dev/null 2>&1
check "a revoked actor: its live session ends" wait_for 30 all_gone 5
check "... session_end revoked_actor, and the account is gone" \
    bash -c 'wait_for 20 audited session_end sd-actor revoked_actor && ! sd_run getent passwd ops-bot >/dev/null'
check "at exp watch ends the session, setsid, double-fork and nohup children included" wait_for 60 all_gone 3
check "... session_end expired" wait_for 20 audited session_end sd-exp expired
sd_sh 'sed -i "s/\"ops-bot\"//" /etc/delegate/revoked.conf'

# ---- the task limit against a fork bomb ---------------------------------------------
BOMB="perl -e 'my \$n = 0; for (1..$((TASKS * 4))) { my \$p = fork; last unless defined \$p; if (!\$p) { sleep 60; exit } \$n++ } print \"forked \$n\\n\"; exit 0'"
out=$(ssh_t "$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-bomb)" ci-deploy \
      "$BOMB; pkill -u ci-deploy -x perl; true" 2>&1)
n=$(sed -n 's/^forked //p' <<<"$out")
mech=$([ -n "$(sd_run sh -c 'grep -w pids /sys/fs/cgroup/cgroup.controllers')" ] && echo TasksMax || echo RLIMIT_NPROC)
check "a fork bomb stays within tasks_max=$TASKS ($mech): $n forks" test -n "$n" -a "${n:-999}" -lt "$TASKS"
check "the host goes on: a new login works" bash -c 'ssh_t "$1" ci-deploy "echo ALIVE" | grep -qx ALIVE' _ \
    "$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-after-bomb)"

# ---- no bus, or no answer: refused, and the log says why ------------------------------
TN=$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-nobus)
sd_run mount --bind /dev/null /run/dbus/system_bus_socket
out=$(ssh_t "$TN" ci-deploy 'echo ADMITTED' 2>&1)
sd_run umount /run/dbus/system_bus_socket
check "no system bus: the login is refused" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
check "... and the log says why" wait_for 20 \
    bash -c 'sd_run journalctl -q -o cat -u ssh | grep -q "the session cannot be contained (no system bus"'
dbus=$(sd_run systemctl show -p MainPID --value dbus)
sd_run kill -STOP "$dbus"
out=$(ssh_t "$TN" ci-deploy 'echo ADMITTED' 2>&1)
sd_run kill -CONT "$dbus"
check "a bus that does not answer: refused after the bounded timeout" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
check "... and the log says why" wait_for 20 \
    bash -c 'sd_run journalctl -q -o cat -u ssh | grep -q "the session cannot be contained (the system bus .* did not answer within 5 s)"'
check "the bus back: the same ticket admits again" bash -c 'ssh_t "$1" ci-deploy "echo ADMITTED" | grep -qx ADMITTED' _ "$TN"

# ---- the watch killed and stopped ---------------------------------------------------
restarts=0
for i in 1 2 3 4 5 6 7; do
    pid=$(sd_run systemctl show -p MainPID --value delegate-watch)
    sd_run systemctl kill -s KILL delegate-watch
    wait_for 30 bash -c 'p=$(sd_run systemctl show -p MainPID --value delegate-watch); [ "$p" != 0 ] && [ "$p" != "$1" ]' _ "$pid" &&
        restarts=$((restarts + 1))
done
check "watch killed 7 times in a row: restarted by systemd every time" test "$restarts" -eq 7
sd_run systemctl stop delegate-watch
ssh_bg down "$(issue --actor ci-deploy --for alice --service sshd --ttl 15s --jti sd-down)" ci-deploy "$(outlive 7)"
check "with the watch stopped, expiry still holds: systemd ends the scope at exp" wait_for 60 all_gone 7
sd_run systemctl start delegate-watch
check "watch started again: it drops the record of the session systemd ended" wait_for 30 bash -c '! has_record sd-down'

# ---- reboot ----------------------------------------------------------------------
ssh_bg reboot "$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-reboot)" ci-deploy "$(outlive 8)"
sd_reboot || sd_die "the container boots again"
check "after a reboot /run/delegate comes back from tmpfiles" \
    sd_sh '[ "$(stat -c "%a %U" /run/delegate/sessions)" = "700 root" ]'
check "... with no stale record" sd_sh '[ -z "$(ls /run/delegate/sessions)" ]'
check "... the watch runs and a login works" \
    bash -c 'sd_run systemctl is-active -q delegate-watch && ssh_t "$1" ci-deploy "echo UP" | grep -qx UP' _ \
    "$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti sd-after-reboot)"

# ---- upgrade with a session open ----------------------------------------------------
sd_sh 'set -e; mkdir -p /root/up; for d in /root/debs/*.deb; do x=/root/up/$(basename $d .deb);
       dpkg-deb -R $d $x; sed -i "s/^Version: .*/Version: 0.1.0+sdtest1/" $x/DEBIAN/control;
       dpkg-deb --root-owner-group -b $x /root/up/ >/dev/null; rm -rf $x; done'
ssh_bg up "$(issue --actor ci-deploy --for alice --service sshd --ttl 30s --jti sd-upgrade)" ci-deploy "$(outlive 9)"
out=$(sd_sh 'dpkg -i /root/up/*.deb' 2>&1)
check "dpkg -i upgrades the three packages with a session open" \
    sd_sh '[ "$(dpkg-query -W -f="\${Version}" delegate-tools)" = 0.1.0+sdtest1 ]' || diag "$out"
check "the session is still contained and running after the upgrade" \
    bash -c 'running "sleep 690" && [ "$(record sd-upgrade cell)" = logind ]'
check "... and still ends at its exp" wait_for 60 all_gone 9
check "... session_end expired" wait_for 20 audited session_end sd-upgrade expired

# ---- no ticket text anywhere, then purge -------------------------------------------
check "no ticket text in the audit trail or the journal" \
    bash -c 'for t in "$@"; do s=${t##*.}; sd_sh "grep -qF -- $s '"$AUDIT"' || journalctl -q | grep -qF -- $s" && exit 1; done; exit 0' \
    _ "$T" "$TB" "$TS" "$TU"
out=$(sd_sh 'dpkg --purge libpam-delegate libnss-delegate delegate-tools' 2>&1); rc=$?
check "dpkg --purge the three packages" test $rc -eq 0
[ $rc -eq 0 ] || diag "$out"
sd_sh 'rm -f /etc/ssh/sshd_config.d/delegate.conf /etc/sudoers.d/delegate /etc/sudoers.d/actors'
sd_sh 'cd /etc && sha256sum nsswitch.conf pam.d/*' >"$SD_TMP/auth.after"
check "purge leaves /etc/pam.d/* and nsswitch.conf as before the install" \
    cmp -s "$SD_TMP/auth.before" "$SD_TMP/auth.after"
diag "$(diff "$SD_TMP/auth.before" "$SD_TMP/auth.after")"

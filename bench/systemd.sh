#!/bin/bash
# The sd_* measurements of `make bench` (issue 17 D): on a Debian 12 booted
# with systemd 252 as PID 1 (tests/systemd/lib.sh), the packages installed the
# README way.  Appends "KEY MEDIAN MIN MAX" lines to $BENCH_OUT/results:
#   sd.ssh.cert / sd.ssh.ticket / sd.ssh.ratio   ssh true: a user certificate
#       login vs a ticket login (keyboard-interactive), same sshd, alternating
#   sd.sudo.permit / sd.sudo.ticket / sd.sudo.ratio   sudo -S -u alice true:
#       a local user with a pam_permit-only sudo stack vs an actor with a
#       ticket through the full stack (alternating)
#   sd.scope / sd.noscope   systemd-run --scope true vs true (one transient
#       scope: the bus round trip and the job wait that sudo's cell costs)
#   sd.exp_to_gone_50       ms from exp to the last process of each of 50
#       concurrent ssh sessions gone, watch running, grace 5 s (max in col 4)
#   sd.exp_to_gone_nowatch  the same with the watch stopped: 4 sessions whose
#       processes honour SIGTERM, 1 whose process ignores SIGTERM and SIGHUP
. "$(dirname "$0")/../tests/systemd/lib.sh"
SD_NO_PLAN=1
sd_enter "$@"
export -f sd_run sd_sh
RES=${BENCH_OUT:?BENCH_OUT must be set (run bench/run.sh)}/results
W=$SD_TMP/w
log() { echo "# $*" >&2; }
record() { echo "$*" >>"$RES"; }
stats() {
    sort -g "$1" | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan nan nan"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        printf "%.6g %.6g %.6g\n", m, v[1], v[NR] }'
}
if [ "${BENCH_QUICK:-0}" = 1 ]; then PAIRS=4 SUDO_PAIRS=4 NSESS=10; else PAIRS=30 SUDO_PAIRS=40 NSESS=50; fi

sd_boot
mkdir -p "$W"
SD_SESSIONS='sessions = { grace = 5; };' sd_setup_host || sd_die "the packages installed and configured"
issue() { sd_run delegatectl issue --key /root/issuer/corp-2026-11.key --issuer corp --kid 2026-11 --host "$SD_HOST" "$@"; }
SSH_OPTS="-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
ms() { date +%s%3N; }

# ---- ssh: certificate vs ticket ------------------------------------------------
log "ssh: $PAIRS pairs, certificate vs ticket"
sd_sh 'useradd -m -s /bin/bash carol && ssh-keygen -q -t ed25519 -N "" -f /root/ca && ssh-keygen -q -t ed25519 -N "" -f /root/carol &&
       ssh-keygen -q -s /root/ca -I carol -n carol /root/carol.pub && cp /root/ca.pub /etc/ssh/ca.pub &&
       echo "TrustedUserCAKeys /etc/ssh/ca.pub" >/etc/ssh/sshd_config.d/ca.conf && systemctl reload ssh'
T=$(issue --actor ci-deploy --for alice --service sshd --ttl 14m --jti bench-ssh)
# a script inside, timing both kinds back to back (no nsenter in the timed part)
sd_sh "cat >/root/sshpair <<'EOS'
#!/bin/bash
o='$SSH_OPTS'
for i in \$(seq 1 \$1); do
  a=\$(date +%s%N); ssh \$o -n -o BatchMode=yes -i /root/carol -o CertificateFile=/root/carol-cert.pub carol@127.0.0.1 true || echo FAIL >&2; b=\$(date +%s%N)
  SSH_ASKPASS=/usr/sbin/delegatectl-askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=\$2 setsid -w ssh \$o -n -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no ci-deploy@127.0.0.1 true || echo FAIL >&2; c=\$(date +%s%N)
  echo \$(( (b - a) / 1000 )) \$(( (c - b) / 1000 ))
done
EOS
chmod 0755 /root/sshpair"
sd_run /root/sshpair 2 "$T" >/dev/null 2>&1    # warm up
sd_run /root/sshpair "$PAIRS" "$T" >"$W/ssh" 2>"$W/ssh.err"
grep -q FAIL "$W/ssh.err" && sd_die "ssh logins in the bench ($(head -n 2 "$W/ssh.err"))"
awk '{ print $1 / 1000 }' "$W/ssh" >"$W/ssh.cert"; awk '{ print $2 / 1000 }' "$W/ssh" >"$W/ssh.ticket"
awk '{ print $2 / $1 }' "$W/ssh" >"$W/ssh.ratio"
record "sd.ssh.cert $(stats "$W/ssh.cert")"; record "sd.ssh.ticket $(stats "$W/ssh.ticket")"
record "sd.ssh.ratio $(stats "$W/ssh.ratio")"

# ---- sudo: pam_permit vs ticket --------------------------------------------------------
log "sudo: $SUDO_PAIRS pairs, pam_permit stack vs ticket"
Ts=$(issue --actor support-bot --for alice --service sudo --approver carol --ttl 30m --jti bench-sudo)
sd_sh "printf '%s\n' '$Ts' >/root/ts; chmod 0644 /root/ts; echo 'carol ALL=(alice) ALL' >/etc/sudoers.d/carol; chmod 0440 /etc/sudoers.d/carol
printf '%s\n' 'auth sufficient pam_permit.so' 'account sufficient pam_permit.so' 'session sufficient pam_permit.so' >/etc/pam.d/sudo-permit
cat >/root/sudopair <<'EOS'
#!/bin/bash
for i in \$(seq 1 \$1); do
  cp /etc/pam.d/sudo-permit /etc/pam.d/sudo
  a=\$(date +%s%N); echo x | setpriv --reuid carol --regid carol --init-groups sudo -S -u alice true 2>/dev/null || echo FAIL >&2; b=\$(date +%s%N)
  cp /root/sudo.orig /etc/pam.d/sudo
  c=\$(date +%s%N); setpriv --reuid support-bot --regid 62000 --init-groups sudo -S -u alice true </root/ts 2>/dev/null || echo FAIL >&2; d=\$(date +%s%N)
  echo \$(( (b - a) / 1000 )) \$(( (d - c) / 1000 ))
done
EOS
cp /etc/pam.d/sudo /root/sudo.orig; chmod 0755 /root/sudopair"
# sudo must run in the container's own cgroup tree (its scope is made there)
sd_unit /root/sudopair 2 >/dev/null 2>&1
sd_unit /root/sudopair "$SUDO_PAIRS" >"$W/sudo" 2>"$W/sudo.err"
grep -q FAIL "$W/sudo.err" && sd_die "sudo in the bench ($(head -n 2 "$W/sudo.err"))"
awk '{ print $1 / 1000 }' "$W/sudo" >"$W/sudo.permit"; awk '{ print $2 / 1000 }' "$W/sudo" >"$W/sudo.ticket"
awk '{ print $2 / $1 }' "$W/sudo" >"$W/sudo.ratio"
record "sd.sudo.permit $(stats "$W/sudo.permit")"; record "sd.sudo.ticket $(stats "$W/sudo.ticket")"
record "sd.sudo.ratio $(stats "$W/sudo.ratio")"
sd_sh 'cat >/root/scopepair <<'"'"'EOS'"'"'
#!/bin/bash
for i in $(seq 1 $1); do a=$(date +%s%N); systemd-run --quiet --scope true; b=$(date +%s%N); true; c=$(date +%s%N)
  echo $(( (b - a) / 1000 )) $(( (c - b) / 1000 )); done
EOS
chmod 0755 /root/scopepair'
sd_unit /root/scopepair 20 >"$W/scope"
awk '{ print $1 / 1000 }' "$W/scope" >"$W/scope.s"; awk '{ print $2 / 1000 }' "$W/scope" >"$W/scope.n"
record "sd.scope $(stats "$W/scope.s")"; record "sd.noscope $(stats "$W/scope.n")"

# ---- exp to gone: NSESS sessions expiring in the same second --------------------------
# watch_gone OUT MARK...: ms from exp ($EXP) until each "sleep MARK" is gone
watch_gone() {
    local out=$1; shift
    local left=" $* " now m
    : >"$out"
    while [ -n "${left// /}" ]; do
        now=$(ms)
        cur=" $(sd_run ps -eo args= | sed -n 's/^sleep \(7[0-9]*\)$/\1/p' | tr '\n' ' ') "
        for m in $left; do
            [[ $cur == *" $m "* ]] && continue
            echo "$((now - EXP * 1000))" >>"$out"
            left=${left/ $m / }
        done
        [ $(( now / 1000 - EXP )) -gt 200 ] && break
        sleep 0.05
    done
}
open_sessions() {   # N TTL-FROM-NOW BASE CMD-SUFFIX
    local n=$1 i t marks=""
    EXP=$(( $(date +%s) + $2 ))
    for i in $(seq 1 "$n"); do
        t=$(issue --actor ci-deploy --for alice --service sshd --ttl "$(( EXP - $(date +%s) ))s" --jti "bench-exp-$3-$i")
        sd_run env SSH_ASKPASS=/usr/sbin/delegatectl-askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET="$t" \
            setsid -w ssh $SSH_OPTS -n -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
            ci-deploy@127.0.0.1 "setsid sleep $(( $3 + i )) </dev/null >/dev/null 2>&1 $4 & exec sleep 600" >/dev/null 2>&1 &
        marks="$marks $(( $3 + i ))"
    done
    MARKS=$marks
}
log "exp to gone: $NSESS sessions, watch running"
open_sessions "$NSESS" $((NSESS / 2 + 25)) 7000 ""
wait_for 120 bash -c '[ "$(sd_run pgrep -fc "^sleep 70[0-9]*$")" -ge "$1" ]' _ "$NSESS" || log "not all sessions started"
while [ "$(date +%s)" -lt "$EXP" ]; do sleep 0.05; done
watch_gone "$W/gone" $MARKS
record "sd.exp_to_gone_50 $(stats "$W/gone")"

log "exp to gone: watch stopped, 4 sessions honouring SIGTERM and 1 ignoring SIGTERM and SIGHUP"
sd_run systemctl stop delegate-watch
open_sessions 4 20 7100 ""
open_sessions 1 $(( EXP - $(date +%s) )) 7200 ""
T=$(issue --actor ci-deploy --for alice --service sshd --ttl "$(( EXP - $(date +%s) ))s" --jti bench-exp-stubborn)
sd_run env SSH_ASKPASS=/usr/sbin/delegatectl-askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET="$T" \
    setsid -w ssh $SSH_OPTS -n -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
    ci-deploy@127.0.0.1 "setsid perl -e '\$SIG{TERM} = \$SIG{HUP} = q(IGNORE); \$0 = q(sleep 7300); sleep 600' </dev/null >/dev/null 2>&1 & exec sleep 600" >/dev/null 2>&1 &
sleep 3
while [ "$(date +%s)" -lt "$EXP" ]; do sleep 0.05; done
watch_gone "$W/gone.term" 7101 7102 7103 7104 7201
watch_gone "$W/gone.stubborn" 7300
record "sd.exp_to_gone_nowatch $(stats "$W/gone.term")"
record "sd.exp_to_gone_nowatch_ignores_term $(stats "$W/gone.stubborn")"
sd_run systemctl show -p TimeoutStopUSec "$(sd_run loginctl list-sessions --no-legend | awk 'NR == 1 { print "session-" $1 ".scope" }')" >&2 2>/dev/null
sd_run systemctl start delegate-watch
ok "sd measurements recorded"

#!/bin/bash
# `make demo`: the delegate story, narrated, on the kind of host it is for: a
# Debian 12 booted with systemd 252 as PID 1 (logind, D-Bus, ssh.service) in
# a container (tests/systemd/lib.sh), the project's .debs installed and
# configured the README way, real ssh and sudo inside.  The host is left as
# it was.  Ends with "demo: OK" only if every step behaved as expected.
. "$(dirname "$0")/../systemd/lib.sh"

STEPS=9
SD_NO_PLAN=1
# narrated expectations instead of TAP lines
ok()     { SD_N=$((SD_N + 1)); echo "   [ok] $*"; sd_count; }
not_ok() { SD_N=$((SD_N + 1)); SD_FAILED=1; echo "   [UNEXPECTED] $*"; sd_count; }
diag()   { printf '%s\n' "$@" | sed 's/^/        /'; }
sd_after_host() {
    echo
    if [ "$1" -eq 0 ] && [ "$SD_FAILED" -eq 0 ]; then echo "demo: OK"; else
        echo "demo: FAILED (see the [UNEXPECTED] lines above)"; return 1; fi
}
if [ "${DLG_SD_INSIDE:-}" != 1 ]; then
    echo "delegate demo: a Debian 12 container booted with systemd as PID 1 (systemd-nspawn),"
    echo "the .debs built from this tree installed in it; the host is untouched."
    DEMO_T0=$(date +%s); export DEMO_T0
fi
sd_enter "$@"
export -f sd_run sd_sh

step_no=0
step() { step_no=$((step_no + 1)); echo; echo "==> [$step_no/$STEPS] $*"; }
show() { printf '   # %s\n' "$*"; }
indent() { sed 's/^/     /'; }
run() { show "$*"; sd_sh "$*" 2>&1 | grep -v '^debconf' | indent; return "${PIPESTATUS[0]}"; }

sd_boot
echo "   booted: $(sd_run systemctl --version | head -n 1), $(sd_run systemctl is-system-running)"

# ---------------------------------------------------------------------------
step "Install the packages and configure the host (README, \"Install as Debian packages\")"
run 'dpkg -i /root/debs/libpam-delegate_*.deb /root/debs/libnss-delegate_*.deb /root/debs/delegate-tools_*.deb >/dev/null && dpkg-query -W libpam-delegate libnss-delegate delegate-tools'
sd_sh 'install -d -m 0700 /root/issuer && cd /root/issuer && delegatectl keygen --out corp-2026-11 >/dev/null'
run 'install -d -m 0755 /etc/delegate/keys && install -m 0644 /root/issuer/corp-2026-11.pub /etc/delegate/keys/'
run 'install -m 0644 /usr/share/doc/delegate-tools/examples/delegate.conf /etc/delegate/delegate.conf'
run 'install -m 0644 /usr/share/doc/delegate-tools/examples/revoked.conf /etc/delegate/revoked.conf'
echo "   (the issuer's private key stays with the issuer: here /root/issuer, never /etc)"
sd_sh "sed -i -e 's/name = \"web01\";/name = \"$SD_HOST\";/' -e 's/web01.example.com/$SD_HOST.example.test/' \
  -e '/id = \"alice\"; algorithms/,+1d' -e 's|corp-2026-11.pub\"; } ); },|corp-2026-11.pub\"; } ); }|' \
  -e 's/clock_skew = 60;/clock_skew = 5;/' /etc/delegate/delegate.conf; sed -i 's/^  tickets = (.*/  tickets = ();/; s/^  issued_before = .*//' /etc/delegate/revoked.conf"
sd_sh 'useradd -m -s /bin/bash alice; useradd -m -s /bin/bash bob; printf "%s\n" "support-bot ALL=(alice,bob) ALL" >/etc/sudoers.d/actors; chmod 0440 /etc/sudoers.d/actors'
echo "   edited: host.name = \"$SD_HOST\", clock_skew = 5 (for the demo's 2 s ticket), the personal"
echo "   issuer alice removed; the actors as shipped:"
sd_sh "sed -n '/^actors = (/,/^);/p' /etc/delegate/delegate.conf" | grep -v '^\s*#' | indent
run 'delegatectl check-config && delegatectl compile'
check "check-config accepts it, the snapshot is compiled" sd_run delegatectl compile --check
run 'pam-auth-update --enable delegate'
run 'install -m 0644 /usr/share/doc/delegate-tools/examples/sshd_config.d/delegate.conf /etc/ssh/sshd_config.d/ && install -m 0440 /usr/share/doc/delegate-tools/examples/sudoers.d/delegate /etc/sudoers.d/delegate && systemctl reload ssh'
run 'systemctl is-active delegate-watch ssh systemd-logind'
check "pam_delegate is in common-auth, -account, -session; delegate-watch runs" \
    bash -c 'sd_run grep -q pam_delegate /etc/pam.d/common-session && sd_run systemctl is-active -q delegate-watch'

issue() { sd_run delegatectl issue --key /root/issuer/corp-2026-11.key --issuer corp --kid 2026-11 --host "$SD_HOST" "$@"; }
SSH_OPTS="-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=no"
ssh_t() {
    sd_run env SSH_ASKPASS=/usr/sbin/delegatectl-askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET="$1" \
        timeout 120 setsid -w ssh $SSH_OPTS -n -o PreferredAuthentications=keyboard-interactive \
        -o PubkeyAuthentication=no ci-deploy@127.0.0.1 "$2"
}
T_EXP=$(issue --actor ci-deploy --for alice --service sshd --ttl 2s --jti demo-short-lived)
t_exp=$(date +%s)

# ---------------------------------------------------------------------------
step "Issue a ticket: ci-deploy may act for alice on $SD_HOST through sshd, for 10 minutes"
show "T=\$(delegatectl issue --key corp-2026-11.key --issuer corp --kid 2026-11 --actor ci-deploy --for alice --host $SD_HOST --service sshd --ttl 10m --jti demo-deploy-1)"
T=$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti demo-deploy-1)
echo "   T = ${T:0:48}...  (${#T} bytes: a JWT, a bearer secret)"
check "ticket issued, under sudo's 512-byte limit" test -n "$T" -a "${#T}" -lt 512
show "delegatectl inspect \"\$T\"      # decoded, marked UNVERIFIED"
sd_run delegatectl inspect "$T" 2>&1 | grep -E '"(sub|act|aud|svc|exp|jti)"|UNVERIFIED' | indent
out=$(sd_run delegatectl verify --user ci-deploy --service sshd --rhost 127.0.0.1 "$T" 2>&1)
show "delegatectl verify --user ci-deploy --service sshd --rhost 127.0.0.1 \"\$T\""; indent <<<"$out"
check "the host's own decision: admit" grep -q '^admit' <<<"$out"
out=$(sd_run delegatectl verify --user ci-deploy --service sshd --rhost 192.0.2.7 "$T" 2>&1)
show "delegatectl verify ... --rhost 192.0.2.7 \"\$T\""; indent <<<"$out"
check "from outside the actor's sources: deny: source_not_allowed" grep -q 'deny: source_not_allowed' <<<"$out"

# ---------------------------------------------------------------------------
step "Log in by ssh as ci-deploy; the ticket answered by SSH_ASKPASS"
show "SSH_ASKPASS=/usr/sbin/delegatectl-askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=\"\$T\" ssh ci-deploy@127.0.0.1 '...'"
out=$(ssh_t "$T" 'id; env | grep ^DELEGATE_ | sort; echo "cgroup: $(sed -n "s/^0:://p" /proc/self/cgroup)"; echo "home: $PWD"')
indent <<<"$out"
check "admitted as the NSS-made account, for alice" \
    bash -c 'grep -q "uid=62001(ci-deploy) gid=62000(delegated)" <<<"$1" && grep -qx DELEGATE_PRINCIPAL=alice <<<"$1"' _ "$out"
check "contained in logind's session scope; a home made at the first login" \
    bash -c 'grep -qE "^cgroup: /user.slice/user-62001.slice/session-[0-9c]+.scope$" <<<"$1" && grep -qx "home: /var/lib/delegate/ci-deploy" <<<"$1"' _ "$out"

# ---------------------------------------------------------------------------
step "sudo on behalf of alice, as the actor support-bot (approved by carol)"
Ts=$(issue --actor support-bot --for alice --service sudo --approver carol --ttl 10m --jti demo-support-1)
sd_sh "printf '%s\n' '$Ts' >/tmp/ts; chmod 0644 /tmp/ts"
show "printf '%s\\n' \"\$Ts\" | sudo -S -u alice sh -c 'id -un; env | grep ^DELEGATE_ACTOR; sed -n s/^0:://p /proc/self/cgroup'   # as support-bot"
out=$(sd_unit --uid=support-bot sh -c "sudo -S -u alice sh -c 'id -un; env | grep ^DELEGATE_ACTOR; sed -n s/^0:://p /proc/self/cgroup' </tmp/ts 2>/dev/null")
indent <<<"$out"
check "ran as alice, DELEGATE_ACTOR=support-bot, in a transient scope of its own" \
    bash -c '[ "$(head -n 1 <<<"$1")" = alice ] && grep -qx DELEGATE_ACTOR=support-bot <<<"$1" && grep -q "/delegate-sudo-.*\.scope$" <<<"$1"' _ "$out"
show "printf '%s\\n' \"\$Ts\" | sudo -S -u bob touch /tmp/bob-was-here    # bob is not in the ticket's runas"
sd_unit --uid=support-bot sh -c 'sudo -S -u bob touch /tmp/bob-was-here </tmp/ts' 2>&1 | tail -n 1 | indent
check "refused for bob, the command never ran" sd_sh '[ ! -e /tmp/bob-was-here ]'

# ---------------------------------------------------------------------------
step "An expired ticket is refused"
while [ "$(date +%s)" -lt $((t_exp + 9)) ]; do sleep 0.2; done
echo "   (a ticket issued at the start with --ttl 2s; the config allows 5 s of clock skew)"
out=$(sd_run delegatectl verify --user ci-deploy --service sshd --rhost 127.0.0.1 "$T_EXP" 2>&1)
show "delegatectl verify --user ci-deploy --service sshd --rhost 127.0.0.1 \"\$T_OLD\""; indent <<<"$out"
out=$(ssh_t "$T_EXP" 'echo ADMITTED' 2>&1; echo "exit $?")
show "ssh ci-deploy@127.0.0.1 ...   # with \$T_OLD"; indent <<<"$out"
check "ssh refused it (deny: expired)" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"

# ---------------------------------------------------------------------------
step "Revoke the first ticket: the next login is refused, no restart"
run 'delegatectl revoke --ticket demo-deploy-1'
out=$(ssh_t "$T" 'echo ADMITTED' 2>&1; echo "exit $?")
show "ssh ci-deploy@127.0.0.1 ...   # with \$T again"; indent <<<"$out"
check "the ticket that worked in step 3 is now refused" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"

# ---------------------------------------------------------------------------
step "Sessions end when their authority ends: at exp, and at a revocation (delegate-watch)"
bg() {   # TICKET MARK: a session with a setsid child that tries to outlive it
    ssh_t "$1" "setsid sleep $2 </dev/null >/dev/null 2>&1 & echo STARTED; exec sleep 600" >"$SD_TMP/bg-$2.out" 2>&1 &
    wait_for 60 grep -sqx STARTED "$SD_TMP/bg-$2.out"
}
gone() { ! sd_run pgrep -fx "sleep $1" >/dev/null; }
T4=$(issue --actor ci-deploy --for alice --service sshd --ttl 15s --jti demo-expiring)
T5=$(issue --actor ci-deploy --for alice --service sshd --ttl 10m --jti demo-revoked-live)
show "ssh ci-deploy@127.0.0.1 'setsid sleep 6001 & sleep 600'    # ticket demo-expiring: 15 s"
bg "$T4" 6001
show "ssh ci-deploy@127.0.0.1 'setsid sleep 6002 & sleep 600'    # ticket demo-revoked-live: 10 min"
bg "$T5" 6002
run 'delegatectl sessions'
show "delegatectl revoke --ticket demo-revoked-live      # delegate-watch sees revoked.conf change"
sd_run delegatectl revoke --ticket demo-revoked-live 2>&1 | indent
check "the revoked session ended at once, its setsid child too" wait_for 30 gone 6002
echo "   ... waiting for demo-expiring's exp (no revocation, no --terminate) ..."
check "at exp the session ends, its setsid child does not escape" wait_for 60 gone 6001
sd_run journalctl -q -o cat -u delegate-watch | grep -E "ending|ended" | tail -n 2 | indent

# ---------------------------------------------------------------------------
step "The audit trail, /var/log/delegate/audit.jsonl"
sd_run cut -c1-200 /var/log/delegate/audit.jsonl | indent
check "admit, deny, session_open, session_close and session_end events, every deny with its reason" \
    sd_sh 'for e in admit deny session_open session_close session_end; do grep -q "\"event\":\"$e\"" /var/log/delegate/audit.jsonl || exit 1; done;
           for r in expired revoked_ticket runas_not_allowed; do grep -q "\"reason\":\"$r\"" /var/log/delegate/audit.jsonl || exit 1; done'
check "no ticket text in the audit trail or the journal" \
    bash -c 'for t in "$@"; do s=${t##*.}; sd_sh "grep -qF -- $s /var/log/delegate/audit.jsonl || journalctl -q | grep -qF -- $s" && exit 1; done; exit 0' _ "$T" "$Ts" "$T4" "$T5"

# ---------------------------------------------------------------------------
step "Power off (the container and everything in it goes; the host is untouched)"
echo "   took $(( $(date +%s) - DEMO_T0 )) s"

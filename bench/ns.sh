#!/bin/bash
# The measurements of `make bench`, run inside a private mount namespace set
# up by the e2e harness (tests/e2e/lib.sh: overlays on /etc, the lib dir,
# /var/lib and /var/log, a tmpfs on /run, a renamed sshd copy).  Writes raw
# results as "KEY MEDIAN MIN MAX" lines (ns, or ms for ssh/sudo, or a plain
# number for ratios) to $BENCH_OUT/results; bench/run.sh makes the table.
#
# The machines this runs on are noisy, so every comparison is paired: the
# two sides run back to back (batches in one process, alternating commands,
# or rounds of short processes) and the ratio is taken per pair; the target
# uses the median of those ratios.
#
# BENCH_QUICK=1 shortens every part (for trying the driver, not for numbers).

. "$(dirname "$0")/../tests/e2e/lib.sh"
e2e_enter "$@"

BENCH_DIR=$E2E_ROOT/bench
BB=$B/bench
OUT=${BENCH_OUT:?BENCH_OUT must be set (run bench/run.sh)}
RES=$OUT/results
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    PAM_REPEATS=5 CFG_REPEATS=3 NSS_REPEATS=3 NSS_ROUNDS=1 FIRST_RUNS=10 SSH_PAIRS=4 SUDO_PAIRS=5
else
    PAM_REPEATS=31 CFG_REPEATS=7 NSS_REPEATS=5 NSS_ROUNDS=5 FIRST_RUNS=101 SSH_PAIRS=40 SUDO_PAIRS=100
fi

log() { echo "# $*" >&2; }
record() { echo "$*" >>"$RES"; }

# stats FILE: "MEDIAN MIN MAX" of one number per line
stats() {
    sort -g "$1" | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan nan nan"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        printf "%.6g %.6g %.6g\n", m, v[1], v[NR] }'
}

e2e_setup
# As after a package install (dpkg's ldconfig trigger): the module in
# ld.so.cache, so glibc's dlopen by bare name opens it at once instead of
# probing the hwcaps and tls subdirectories first (only /etc of the
# namespace's overlay is written).
ldconfig || e2e_die "ldconfig"
W=$NS/bench
mkdir -m 0755 "$W" "$W/keys"
"$CTL" keygen --out "$W/keys/corp-k1" >/dev/null || e2e_die "keygen"
chmod 0644 "$W/keys/corp-k1.pub"
ok "bench namespace set up"

# ---- 1, 2: one PAM transaction vs one bare Ed25519 verify -------------------

pam_confdir() {   # DIR CONF [COMPILED]: a PAM confdir whose "sshd" stack is the DESIGN.md one
    local a="config=$2${3:+ compiled=$3}"
    mkdir -p -m 0755 "$1"
    {
        echo "auth     [success=done ignore=ignore default=die]  pam_delegate.so $a"
        echo "account  [success=ok   ignore=ignore default=die]  pam_delegate.so $a"
        echo "session  required                                  pam_delegate.so $a"
    } >"$1/sshd"
    chmod 0644 "$1/sshd"
}

bash "$BENCH_DIR/gen_config.sh" "$W/c10.conf" "$W/r10.conf" 10 0 sshd \
    "$W/keys/corp-k1.pub" "$W/audit.jsonl"
bash "$BENCH_DIR/gen_config.sh" "$W/c1k.conf" "$W/r1k.conf" 1000 10000 sshd \
    "$W/keys/corp-k1.pub" "$W/audit.jsonl"
# The compiled policy snapshot (issue 13), as the product keeps it: written
# by `delegatectl compile` (the PAM module would also write it after its
# first text load), used by every transaction while it matches the text.
for c in 10 1k; do
    "$CTL" compile --config "$W/c$c.conf" --out "$W/c$c.bin" >/dev/null || e2e_die "compile c$c"
done
pam_confdir "$W/pam10" "$W/c10.conf" "$W/c10.bin"
pam_confdir "$W/pam1k" "$W/c1k.conf" "$W/c1k.bin"
"$CTL" issue --key "$W/keys/corp-k1.key" --issuer corp --kid k1 --actor ci-deploy \
    --for alice --host bench-host --service sshd --ttl 50m >"$W/ticket" || e2e_die "issue"
verify_ok() { "$CTL" verify --config "$1" --user ci-deploy --service sshd --rhost 127.0.0.1 - <"$W/ticket" >/dev/null; }
check "the ticket is admitted by delegatectl verify (10 actors)" verify_ok "$W/c10.conf"
check "the ticket is admitted by delegatectl verify (1000 actors, 10000 revoked)" verify_ok "$W/c1k.conf"
cpl_fresh() { "$CTL" compile --check --config "$1" --out "$2" >/dev/null; }
check "the compiled forms are fresh (10 actors)" cpl_fresh "$W/c10.conf" "$W/c10.bin"
check "the compiled forms are fresh (1000 actors, 10000 revoked)" cpl_fresh "$W/c1k.conf" "$W/c1k.bin"

log "pam: 10 actors and 1000 actors + 10000 revoked, against the bare verify"
if "$BB/bench_pam" --confdir "$W/pam10" --confdir2 "$W/pam1k" --service sshd --user ci-deploy \
        --rhost 127.0.0.1 --ticket "$W/ticket" --pub "$W/keys/corp-k1.pub" \
        --repeats "$PAM_REPEATS" >"$W/pam.out" 2>"$W/pam.err"; then
    while read -r k m lo hi _; do record "pam.$k $m $lo $hi"; done <"$W/pam.out"
else
    not_ok "bench_pam"; cat "$W/pam.err" >&2
fi
check "audit trail written by the PAM transactions" grep -q '"event": *"session_close"' "$W/audit.jsonl"
rm -f "$W/audit.jsonl"

for cfg in 10 1k; do
    log "config load: $cfg"
    "$BB/bench_config" "$W/c$cfg.conf" "$CFG_REPEATS" "$W/c$cfg.bin" >"$W/cfg$cfg" 2>&1 ||
        not_ok "bench_config $cfg"
    while read -r k m lo hi _; do record "cfg$cfg.$k $m $lo $hi"; done <"$W/cfg$cfg"
done

# ---- 4: NSS vs nss_files -------------------------------------------------------

cp -a /etc/passwd "$W/passwd.orig"
cp -a /etc/nsswitch.conf "$W/nsswitch.orig"
cp -a "$CONF" "$W/delegate.conf.orig"

nss_use() {   # files|delegate
    printf 'passwd: %s\ngroup: files\nshadow: files\nhosts: files\n' "$1" >/etc/nsswitch.conf
}

nss_prepare() {   # N: /etc/passwd and /etc/delegate/delegate.conf with N entries, compiled
    install -m 0644 "$W/nss$1.conf" "$CONF"
    install -m 0644 "$W/nss$1.conf.passwd" /etc/passwd
    "$CTL" compile >/dev/null || e2e_die "compile nss$1"
}

for n in 10 100 1000 10000; do
    bash "$BENCH_DIR/gen_config.sh" "$W/nss$n.conf" "$W/nss$n-revoked.conf" "$n" 0 sshd \
        "$W/keys/corp-k1.pub" "$W/nss-audit.jsonl"
done
# 100 actors and 10,000 revoked ticket ids (first lookup)
bash "$BENCH_DIR/gen_config.sh" "$W/nss100r.conf" "$W/nss100r-revoked.conf" 100 10000 sshd \
    "$W/keys/corp-k1.pub" "$W/nss-audit.jsonl"
cp "$W/nss100.conf.passwd" "$W/nss100r.conf.passwd"

# Rounds: in each, every size with files and delegate back to back, so that
# each ratio comes from runs a second apart.
for round in $(seq 1 "$NSS_ROUNDS"); do
    for n in 10 1000 10000; do
        nss_prepare "$n"
        idx=$((n / 2)); [ "$idx" -lt 2 ] && idx=2
        hit=$(printf 'bench-%05d' "$idx") hituid=$((62000 + idx)) missuid=$((62000 + n + 500))
        for be in files delegate; do
            log "nss: $be, $n entries, round $round"
            nss_use "$be"
            if ! "$BB/bench_nss" warm "$hit" "$hituid" no-such-user "$missuid" "$NSS_REPEATS" 10 \
                    >"$W/nss.$be.$n.$round" 2>"$W/nss.err"; then
                not_ok "bench_nss warm $be $n"; cat "$W/nss.err" >&2
                continue
            fi
            while read -r k m lo hi _; do
                echo "$m" >>"$W/nss.$be.$n.$k.med"
                printf '%s\n%s\n' "$lo" "$hi" >>"$W/nss.$be.$n.$k.ext"
                echo "$m" >"$W/nss.$be.$n.$k.r$round"
            done <"$W/nss.$be.$n.$round"
        done
    done
    for k in name_hit uid_hit; do
        awk -v a="$(cat "$W/nss.delegate.1000.$k.r$round")" -v b="$(cat "$W/nss.files.1000.$k.r$round")" \
            'BEGIN { printf "%.5f\n", a / b }' >>"$W/nss.ratio_files_1000.$k"
        awk -v a="$(cat "$W/nss.delegate.10000.$k.r$round")" -v b="$(cat "$W/nss.delegate.10.$k.r$round")" \
            'BEGIN { printf "%.5f\n", a / b }' >>"$W/nss.ratio_flat.$k"
    done
done
for n in 10 1000 10000; do
    for be in files delegate; do
        for k in name_hit name_miss uid_hit uid_miss; do
            [ -s "$W/nss.$be.$n.$k.med" ] || continue
            read -r m _ _ < <(stats "$W/nss.$be.$n.$k.med")
            read -r _ lo hi < <(stats "$W/nss.$be.$n.$k.ext")
            record "nss.$be.$n.$k $m $lo $hi"
        done
    done
done
for k in name_hit uid_hit; do
    record "nss.ratio_files_1000.$k $(stats "$W/nss.ratio_files_1000.$k")"
    record "nss.ratio_flat.$k $(stats "$W/nss.ratio_flat.$k")"
done

# The first lookup in a fresh process, 100 entries, files and delegate
# alternating process by process (the ratio per pair); then the same with
# 10,000 revoked ticket ids in the delegate config.
for variant in 100 100r; do
    nss_prepare "$variant"
    check "compiled form fresh for nss$variant" "$CTL" compile --check
    log "nss: first lookup in fresh processes, $variant"
    : >"$W/first.files"
    : >"$W/first.delegate"
    for i in $(seq 1 "$FIRST_RUNS"); do
        for be in files delegate; do
            nss_use "$be"
            "$BB/bench_nss" first bench-00050 | awk '{ print $2 }' >>"$W/first.$be"
        done
    done
    for be in files delegate; do record "nss.first.$be.$variant $(stats "$W/first.$be")"; done
    paste "$W/first.delegate" "$W/first.files" | awk '$2 > 0 { printf "%.5f\n", $1 / $2 }' \
        >"$W/first.ratio"
    record "nss.first.ratio.$variant $(stats "$W/first.ratio")"
done

install -m 0644 "$W/passwd.orig" /etc/passwd
install -m 0644 "$W/nsswitch.orig" /etc/nsswitch.conf
install -m 0644 "$W/delegate.conf.orig" "$CONF"
is "$(getent passwd ci-deploy | cut -d: -f3)" 62001 "the e2e config is back after the NSS part"

# ---- 3: ssh with a CA certificate vs ssh with a ticket --------------------------

# Today's way: the automation has a plain local account and logs in with an
# OpenSSH user certificate signed by a CA in TrustedUserCAKeys.
echo "ci-legacy:x:2950:2950:legacy automation:/var/lib/e2e-home/ci-legacy:/bin/bash" >>/etc/passwd
echo "ci-legacy:x:2950:" >>/etc/group
echo "ci-legacy:!:19000:0:99999:7:::" >>/etc/shadow
install -d -m 0755 -o 2950 -g 2950 /var/lib/e2e-home/ci-legacy
mkdir -m 0700 "$NS/ca"
ssh-keygen -q -t ed25519 -N '' -C bench-ca -f "$NS/ca/user_ca" || e2e_die "CA key"
ssh-keygen -q -t ed25519 -N '' -C ci-legacy -f "$NS/client/ci_legacy" || e2e_die "user key"
ssh-keygen -q -s "$NS/ca/user_ca" -I ci-legacy -n ci-legacy -V -5m:+1h \
    "$NS/client/ci_legacy.pub" || e2e_die "certificate"

# Key-bound tickets (issue 12): actors prove a key first; the key is accepted
# by `delegatectl authorized-keys` (run as nobody, from a root-owned path as
# sshd demands) and the ticket's cnf names it.  The unbound measurement
# above still logs in by keyboard-interactive alone (the alternative list).
AKC_DIR=$LIBDIR/delegate-bench
install -d -m 0755 "$AKC_DIR" && install -m 0755 "$CTL" "$AKC_DIR/delegatectl"
E2E_SSHD_EXTRA=$(printf '%s\n' "TrustedUserCAKeys $NS/ca/user_ca.pub" 'Match Group delegated' \
    '    AuthenticationMethods publickey,keyboard-interactive keyboard-interactive' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody')
e2e_start_sshd             # TrustedUserCAKeys before the Match block: global

T_SSH=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" --ttl 15m) ||
    e2e_die "issue (ssh)"
printf '%s\n' "$T_SSH" >"$W/ticket.ssh"
SSHO="-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
SSHO="$SSHO -o ConnectTimeout=10 -n -p $PORT"
{
    echo "#!/bin/sh"
    echo "exec setsid -w ssh $SSHO -o BatchMode=yes -o IdentitiesOnly=yes -i $NS/client/ci_legacy" \
         "-o CertificateFile=$NS/client/ci_legacy-cert.pub -o PreferredAuthentications=publickey" \
         "ci-legacy@127.0.0.1 true"
} >"$NS/bin/ssh-cert"
{
    echo "#!/bin/sh"
    echo "SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=\$(cat $W/ticket.ssh)"
    echo "export SSH_ASKPASS SSH_ASKPASS_REQUIRE DELEGATE_TICKET"
    echo "exec setsid -w ssh $SSHO -o BatchMode=no -o NumberOfPasswordPrompts=1" \
         "-o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no" \
         "ci-deploy@127.0.0.1 true"
} >"$NS/bin/ssh-ticket"
ssh-keygen -q -t ed25519 -N '' -C ci-job -f "$NS/client/ci_job" || e2e_die "job key"
T_BOUND=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" --ttl 15m \
                --bind-key "$NS/client/ci_job.pub") || e2e_die "issue (ssh, bound)"
printf '%s\n' "$T_BOUND" >"$W/ticket.bound"
{
    echo "#!/bin/sh"
    echo "SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=\$(cat $W/ticket.bound)"
    echo "export SSH_ASKPASS SSH_ASKPASS_REQUIRE DELEGATE_TICKET"
    echo "exec setsid -w ssh $SSHO -o BatchMode=no -o NumberOfPasswordPrompts=1 -o IdentitiesOnly=yes" \
         "-i $NS/client/ci_job -o PreferredAuthentications=publickey,keyboard-interactive" \
         "ci-deploy@127.0.0.1 true"
} >"$NS/bin/ssh-bound"
chmod 0755 "$NS/bin/ssh-cert" "$NS/bin/ssh-ticket" "$NS/bin/ssh-bound"
check "ssh with the CA certificate logs in" timeout 20 "$NS/bin/ssh-cert"
check "ssh with the delegation ticket logs in" timeout 20 "$NS/bin/ssh-ticket"
audit_mark
check "ssh with a key-bound ticket and its key logs in" timeout 20 "$NS/bin/ssh-bound"
check "ssh with a key-bound ticket: audit admit with the key" \
    bash -c 'tail -n +"$(($1 + 1))" "$2" | grep -F "\"event\":\"admit\"" | grep -qF "\"key\":\"SHA256:"' \
    _ "$AUDIT_MARK" "$AUDIT"

log "ssh: ticket vs certificate, alternating"
if "$BB/bench_exec" "$SSH_PAIRS" 2 "$NS/bin/ssh-ticket" "$NS/bin/ssh-cert" >"$W/ssh.out" 2>"$W/ssh.err"; then
    while read -r k m lo hi; do
        case $k in a) k=ticket ;; b) k=cert ;; esac
        record "ssh.$k $m $lo $hi"
    done <"$W/ssh.out"
else
    not_ok "bench_exec ssh"; cat "$W/ssh.err" >&2
fi

log "ssh: key-bound ticket (publickey + ticket) vs certificate, alternating"
if "$BB/bench_exec" "$SSH_PAIRS" 2 "$NS/bin/ssh-bound" "$NS/bin/ssh-cert" >"$W/sshb.out" 2>"$W/sshb.err"; then
    while read -r k m lo hi; do
        case $k in a) k=bound ;; b) k=cert2 ;; ratio) k=bound_ratio ;; esac
        record "ssh.$k $m $lo $hi"
    done <"$W/sshb.out"
else
    not_ok "bench_exec ssh (bound)"; cat "$W/sshb.err" >&2
fi

# ---- 5: sudo with a ticket vs sudo with pam_permit only -------------------------

# The same `sudo -S -u alice true` by two actors that differ only in their
# PAM service: support-bot through "sudo" (pam_delegate, each phase followed
# by pam_permit) with its ticket, ci-deploy through "sudo-permit" (pam_permit
# only, chosen with a sudoers `Defaults:ci-deploy pam_service`), so that the
# two alternate run by run with no file changed in between.
{
    echo "auth     [success=done ignore=ignore default=die]  pam_delegate.so config=$CONF"
    echo "auth     required                                  pam_permit.so"
    echo "account  [success=ok   ignore=ignore default=die]  pam_delegate.so config=$CONF"
    echo "account  required                                  pam_permit.so"
    echo "session  required                                  pam_delegate.so config=$CONF"
    echo "session  required                                  pam_permit.so"
} >/etc/pam.d/sudo
printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required pam_permit.so\n' \
    >/etc/pam.d/sudo-permit
chmod 0644 /etc/pam.d/sudo /etc/pam.d/sudo-permit
printf 'Defaults:ci-deploy pam_service=sudo-permit\nci-deploy ALL=(alice) ALL\n' >/etc/sudoers.d/bench
chmod 0440 /etc/sudoers.d/bench
visudo -cq || e2e_die "sudoers with the bench lines"
"$CTL" compile >/dev/null || e2e_die "compile for sudo"

T_SUDO=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo \
         --runas alice --approver carol --ttl 15m) || e2e_die "issue (sudo)"
printf '%s\n' "$T_SUDO" >"$W/ticket.sudo"
for v in ticket:62002 permit:62001; do
    {
        echo "#!/bin/sh"
        echo "exec setpriv --reuid=${v#*:} --regid=62000 --clear-groups sudo -S -u alice true <$W/ticket.sudo"
    } >"$NS/bin/sudo-${v%%:*}"
    chmod 0755 "$NS/bin/sudo-${v%%:*}"
done
audit_mark
check "sudo with the ticket runs the command" "$NS/bin/sudo-ticket"
check "sudo with the ticket: audit session_open" audit_has event=session_open user=alice actor=support-bot
audit_mark
check "sudo with the pam_permit stack runs the command" "$NS/bin/sudo-permit"
check "sudo with the pam_permit stack: pam_delegate not involved" audit_lacks actor=ci-deploy

log "sudo: ticket vs pam_permit, alternating"
if "$BB/bench_exec" "$SUDO_PAIRS" 2 "$NS/bin/sudo-ticket" "$NS/bin/sudo-permit" >"$W/sudo.out" 2>"$W/sudo.err"; then
    while read -r k m lo hi; do
        case $k in a) k=delegate ;; b) k=permit ;; esac
        record "sudo.$k $m $lo $hi"
    done <"$W/sudo.out"
else
    not_ok "bench_exec sudo"; cat "$W/sudo.err" >&2
fi
log "containment step alone: one cgroup move, spaced as logins and back to back"
if [ "${BENCH_QUICK:-0}" = 1 ]; then MOVES=10; else MOVES=101; fi
if /usr/bin/python3 "$BENCH_DIR/cgroup_move.py" "$MOVES" 20 >"$W/cgmove.out" 2>"$W/cgmove.err"; then
    cat "$W/cgmove.out" >>"$RES"
else
    not_ok "cgroup move benchmark"; cat "$W/cgmove.err" >&2
fi
check "the cgroup move benchmark removed its groups" \
    bash -c '[ -z "$(find /sys/fs/cgroup -maxdepth 1 -name "bench-move-*")" ]'
log "session end: exp -> empty group over 100 sessions; watch idle CPU"
if [ "${BENCH_QUICK:-0}" = 1 ]; then IDLE_S=5; else IDLE_S=60; fi
if /usr/bin/python3 "$BENCH_DIR/session_end.py" "$CTL" "$CONF" 100 "$IDLE_S" "$SSHD_SVC" >"$W/send.out" 2>"$W/send.err"; then
    cat "$W/send.out" >>"$RES"
    check "session end: all 100 groups emptied" bash -c '! grep -q session_end.missing "$1"' _ "$W/send.out"
else
    not_ok "session end benchmark"; cat "$W/send.err" >&2
fi
ok "measurements done"

#!/bin/bash
# Every route gated (issue 10, items 4 and 6), with the documented install:
# the real `pam-auth-update --enable delegate` applies conf/pam-configs/
# delegate to Debian's own /etc/pam.d (all inside the namespace overlays).
# Then, through the real service files of sudo, sudo-i, su, su-l, login,
# cron, atd and systemd-user (pamtester), an actor without a ticket verified
# in that transaction gets nothing, while root and ordinary users are not
# blocked; real `sudo -i -u alice` as the actor: refused with a NOPASSWD rule
# and no ticket, admitted as alice with a ticket for "sudo"; real `su -l`
# into the actor refused; the real cron daemon skips the actor's crontab;
# real sshd with Debian's own sshd file: ticket needed, key alone refused.
# With an unusable config, a user of another NSS
# source (libnss-extrausers) is not an actor and passes.
. "$(dirname "$0")/lib.sh"

ROUTES_SERVICES="sudo sudo-i su su-l login cron atd systemd-user"
PAMCONFIGS=/usr/share/pam-configs

e2e_after_host() {   # on the host: pam-auth-update's profile dir is as it was
    local now
    now=$(ls -la --time-style=+%s "$PAMCONFIGS" 2>&1; sha256sum "$PAMCONFIGS"/* 2>&1)
    if [ "$now" = "$ROUTES_HOST_PAMCONFIGS" ]; then
        T_N=$((T_N + 1)); echo "ok $T_N - host $PAMCONFIGS unchanged"
    else
        T_N=$((T_N + 1)); echo "not ok $T_N - host $PAMCONFIGS unchanged"; return 1
    fi
}
[ "${DLG_E2E_INSIDE:-}" = 1 ] ||
    ROUTES_HOST_PAMCONFIGS=$(ls -la --time-style=+%s "$PAMCONFIGS" 2>&1; sha256sum "$PAMCONFIGS"/* 2>&1)

e2e_enter "$@"

# Debian's own sudo service file, before e2e_setup puts its test stack there.
mkdir -p "$E2E_TMP/stock"
cp -p /etc/pam.d/sudo "$E2E_TMP/stock/sudo"
cp -p /etc/pam.d/sshd "$E2E_TMP/stock/sshd"
e2e_setup
cp -p "$E2E_TMP/stock/sudo" /etc/pam.d/sudo
# the sshd copy's service gets Debian's own sshd file: only the profile's lines
cp -p "$E2E_TMP/stock/sshd" "/etc/pam.d/$SSHD_SVC"

for svc in $ROUTES_SERVICES; do
    [ -e "/etc/pam.d/$svc" ] || [ -e "/usr/lib/pam.d/$svc" ] ||
        e2e_die "PAM service file $svc present (packages sudo, util-linux, login, cron, at, systemd)"
done
command -v pamtester >/dev/null || e2e_die "pamtester installed"

# ---- the documented install: pam-auth-update --enable delegate ----------------
# Its profile dir and debconf's database are private overlays too.
e2e_overlay "$PAMCONFIGS" pamconfigs && e2e_overlay /var/cache varcache ||
    e2e_die "overlays over $PAMCONFIGS and /var/cache"
for d in "$PAMCONFIGS:overlay" /var/cache:overlay; do
    [ "$(findmnt -n -o FSTYPE --mountpoint "${d%:*}" | tail -n 1)" = overlay ] ||
        e2e_die "${d%:*} is an overlay of this namespace"
done
install -m 0644 "$E2E_ROOT/conf/pam-configs/delegate" "$PAMCONFIGS/delegate"
out=$(DEBIAN_FRONTEND=noninteractive pam-auth-update --enable delegate 2>&1)
check "pam-auth-update --enable delegate" test $? -eq 0
[ -n "$out" ] && diag "$out"
for f in common-auth common-account common-session common-session-noninteractive; do
    check "$f has pam_delegate.so" grep -q 'pam_delegate\.so' "/etc/pam.d/$f"
done
# The account line is not in the Primary block: nothing can jump over it.
check "common-account: pam_delegate after pam_unix and after the pam_permit that ends the Primary block" \
    awk '/^account/ && /pam_unix/{u=NR} /^account/ && /pam_permit/{p=NR}
         /^account/ && /pam_delegate/{d=NR} END{exit !(u && p && d && u < p && p < d)}' \
    /etc/pam.d/common-account
check "common-auth: pam_delegate before pam_unix (it prompts for the ticket)" \
    awk '/^auth/ && /pam_delegate/{d=NR} /^auth/ && /pam_unix/{if(!u)u=NR} END{exit !(d && u && d < u)}' \
    /etc/pam.d/common-auth
diag "common-account as pam-auth-update wrote it:" "$(grep -v '^#' /etc/pam.d/common-account | grep .)"

# pt SERVICE USER OPS...: pamtester with an empty line on stdin (no ticket)
pt() {
    local svc=$1 user=$2; shift 2
    printf '\n' | timeout 120 pamtester "$svc" "$user" "$@" >>"$NS/pamtester.out" 2>&1
}

# ---- an actor without a ticket gets nothing, on every route ----------------
for svc in $ROUTES_SERVICES; do
    for actor in ci-deploy support-bot; do
        # cron, atd, a lingering user manager: no auth phase, account only
        audit_mark
        pt "$svc" "$actor" acct_mgmt
        check "$svc: $actor without a ticket refused in account (no auth phase, as cron/atd/systemd-user)" \
            test $? -ne 0
        check "$svc: audit deny no_ticket for $actor" \
            audit_has event=deny service="$svc" user="$actor" reason=no_ticket
        # with an auth phase: the ticket prompt gets an empty reply
        pt "$svc" "$actor" authenticate acct_mgmt
        check "$svc: $actor with an empty ticket refused (auth, account)" test $? -ne 0
        check "$svc: no admit for $actor" audit_lacks event=admit
    done
done

# ---- root and ordinary users are not blocked --------------------------------
audit_mark
for svc in $ROUTES_SERVICES; do
    pt "$svc" root acct_mgmt
    check "$svc: root's account phase passes" test $? -eq 0
    pt "$svc" carol acct_mgmt
    check "$svc: carol's (ordinary local user) account phase passes" test $? -eq 0
done
for svc in login sudo sudo-i; do
    printf '%s\n' "$CAROL_PASSWORD" | timeout 120 pamtester "$svc" carol authenticate acct_mgmt \
        >>"$NS/pamtester.out" 2>&1
    check "$svc: carol authenticates with her password as before" test $? -eq 0
done
check "no audit event for root or carol" test -z "$(audit_new)"

# ---- a ticket for "sudo" covers the service sudo-i ---------------------------
T_SUDO=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo \
               --approver carol --ttl 10m --jti e2e-routes-sudo)
out=$(printf '%s\n' "$T_SUDO" | "$CTL" verify --user support-bot --service sudo-i --config "$CONF" - 2>&1)
check "delegatectl verify --service sudo-i admits a ticket for sudo" grep -qx admit <<<"$out"
out=$(printf '%s\n' "$T_SUDO" | "$CTL" verify --user support-bot --service su-l --config "$CONF" - 2>&1)
check "delegatectl verify --service su-l denies it (service_not_allowed)" \
    grep -qx 'deny: service_not_allowed' <<<"$out"
audit_mark
printf '%s\n' "$T_SUDO" | timeout 120 pamtester sudo-i support-bot authenticate acct_mgmt \
    >>"$NS/pamtester.out" 2>&1
check "pamtester sudo-i: support-bot with a ticket for sudo admitted (auth, account)" test $? -eq 0
check "audit: admit via sudo-i" audit_has event=admit service=sudo-i actor=support-bot

# ---- real sudo -i ---------------------------------------------------------------
printf 'support-bot ALL=(alice) NOPASSWD: ALL\n' >/etc/sudoers.d/e2e-nopasswd
chmod 0440 /etc/sudoers.d/e2e-nopasswd
audit_mark
out=$(timeout 120 runuser -u support-bot -- sudo -n -i -u alice id -un </dev/null 2>"$NS/sudo-i.err")
rc=$?
check "sudo -i -u alice, NOPASSWD rule, no ticket: refused" \
    bash -c '[ "$1" -ne 0 ] && [ -z "$2" ]' _ "$rc" "$out"
check "sudo -i without a ticket: refused by the PAM account phase" \
    grep -q "account management error" "$NS/sudo-i.err"
check "sudo -i without a ticket: audit deny no_ticket (service sudo-i)" \
    audit_has event=deny service=sudo-i user=support-bot reason=no_ticket
rm -f /etc/sudoers.d/e2e-nopasswd

audit_mark
out=$(printf '%s\n' "$T_SUDO" | timeout 120 runuser -u support-bot -- sudo -S -i -u alice id -un \
          2>>"$NS/sudo-i.err")
rc=$?
is "$rc:$out" "0:alice" "sudo -S -i -u alice with a ticket for sudo: a login shell as alice"
check "sudo -i with a ticket: audit admit (service sudo-i)" \
    audit_has event=admit service=sudo-i actor=support-bot jti=e2e-routes-sudo
check "sudo -i with a ticket: audit session_open as alice (service sudo-i)" \
    audit_has event=session_open service=sudo-i user=alice jti=e2e-routes-sudo
audit_mark
out=$(printf '\n' | timeout 120 runuser -u support-bot -- sudo -S -i -u alice id -un \
          2>>"$NS/sudo-i.err")
rc=$?
check "sudo -S -i -u alice with an empty ticket: refused" \
    bash -c '[ "$1" -ne 0 ] && [ -z "$2" ]' _ "$rc" "$out"
check "sudo -i with an empty ticket: audit deny no_ticket" \
    audit_has event=deny service=sudo-i reason=no_ticket

# ---- real su -l into the actor ---------------------------------------------------
audit_mark
out=$(timeout 120 su -l ci-deploy -s /bin/sh -c 'echo INSIDE' </dev/null 2>>"$NS/su.err")
check "su -l ci-deploy (pam_rootok passes auth): refused in account, nothing runs" \
    bash -c '[ -z "$1" ]' _ "$out"
check "su -l: audit deny no_ticket (service su-l)" \
    audit_has event=deny service=su-l user=ci-deploy reason=no_ticket
out=$(timeout 120 su -l carol -s /bin/sh -c 'echo INSIDE' </dev/null 2>>"$NS/su.err")
is "$out" INSIDE "control: su -l carol runs as before"

secrets_ok() { secret_absent "$T_SUDO" "$AUDIT" "$NS/sudo-i.err" "$NS/pamtester.out"; }

check "no ticket text in the audit file or the programs' output" secrets_ok

# ---- sshd through Debian's own pam.d file and the profile -------------------------
e2e_start_sshd
T_SSH=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
              --ttl 10m --jti e2e-routes-ssh)
expect_ssh_admitted "sshd, profile only: actor with a ticket (keyboard-interactive prompt)" "$T_SSH"
expect_ssh_refused "sshd, profile only: actor with an empty ticket" no_ticket ""
ssh-keygen -q -t ed25519 -N '' -C e2e-routes -f "$NS/client/id_routes"
for who in ci-deploy:62001:62000:/var/lib/delegate/ci-deploy \
           carol:2903:2903:/var/lib/e2e-home/carol; do
    IFS=: read -r _ uid gid home <<<"$who"
    install -d -m 0700 -o "$uid" -g "$gid" "$home/.ssh"
    install -m 0600 -o "$uid" -g "$gid" "$NS/client/id_routes.pub" "$home/.ssh/authorized_keys"
done
out=$(ssh_key "$NS/client/id_routes" carol 'echo ADMITTED')
check "sshd, profile only: carol logs in with her key as before" grep -qx ADMITTED <<<"$out"
audit_mark
out=$(ssh_key "$NS/client/id_routes" ci-deploy 'echo ADMITTED')
check "sshd, profile only: actor with an ssh key and no ticket refused" \
    bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
check "sshd, profile only: audit deny no_ticket for the key-only actor" \
    audit_has event=deny user=ci-deploy reason=no_ticket
out=$(ssh_pass "$CAROL_PASSWORD" carol 'echo ADMITTED')
check "sshd, profile only: carol logs in with her password as before" grep -qx ADMITTED <<<"$out"
e2e_stop_sshd

# ---- item 6: an unusable config never blocks users of other NSS sources --------
mkdir -p -m 0755 /var/lib/extrausers
echo "ldapdan:x:3101:3101:e2e other NSS source:/var/lib/e2e-home/ldapdan:/bin/sh" \
    >/var/lib/extrausers/passwd
echo "ldapdan:x:3101:" >/var/lib/extrausers/group
echo "ldapdan:!:19000:0:99999:7:::" >/var/lib/extrausers/shadow
chmod 0644 /var/lib/extrausers/passwd /var/lib/extrausers/group
chmod 0640 /var/lib/extrausers/shadow
sed -i -E 's/^(passwd|group|shadow):.*/\1:         files extrausers delegate/' /etc/nsswitch.conf
[ -e /usr/lib/libnss_extrausers.so.2 ] || [ -e "$LIBDIR/libnss_extrausers.so.2" ] ||
    e2e_die "libnss-extrausers installed (tests/deps.sh)"
check "ldapdan resolves through extrausers, not /etc/passwd" \
    bash -c '! grep -q "^ldapdan:" /etc/passwd && getent passwd ldapdan | grep -q "^ldapdan:x:3101:"'
check "actor ci-deploy resolves through nss_delegate" \
    bash -c 'getent passwd ci-deploy | grep -q "^ci-deploy:x:62001:"'

cp -p "$CONF" "$NS/delegate.conf.good"
chmod 0666 "$CONF"           # unsafe: unusable for the PAM and the NSS module
check "unsafe config: nss_delegate answers nobody (getent passwd ci-deploy fails)" \
    bash -c '! getent passwd ci-deploy >/dev/null'
audit_mark
for svc in cron atd login systemd-user; do
    pt "$svc" ldapdan acct_mgmt
    check "unusable config, $svc: ldapdan (extrausers) not blocked" test $? -eq 0
    pt "$svc" carol acct_mgmt
    check "unusable config, $svc: carol (/etc/passwd) not blocked" test $? -eq 0
    pt "$svc" ci-deploy acct_mgmt
    check "unusable config, $svc: actor ci-deploy refused" test $? -ne 0
done
# The same with nothing after the module but pam_permit, so that a refusal
# can only be pam_delegate's own (pam_unix refuses unknown users anyway).
printf '%s\n' 'account  [success=ok ignore=ignore default=die]  pam_delegate.so' \
    'account  required  pam_permit.so' >/etc/pam.d/dlg-routes-default
chmod 0644 /etc/pam.d/dlg-routes-default
pt dlg-routes-default ldapdan acct_mgmt
check "unusable config, module then pam_permit: ldapdan not blocked" test $? -eq 0
pt dlg-routes-default carol acct_mgmt
check "unusable config, module then pam_permit: carol not blocked" test $? -eq 0
pt dlg-routes-default ci-deploy acct_mgmt
check "unusable config, module then pam_permit: actor ci-deploy refused by the module" test $? -ne 0
pt dlg-routes-default unknown-nobody acct_mgmt
check "unusable config, module then pam_permit: a name nobody resolves refused" test $? -ne 0
chmod 0644 "$CONF"

# The PAM module's own config unusable (config= a missing file) while
# nss_delegate's is fine: the actor still resolves through nss_delegate, so
# it is ours and refused; ldapdan is not.
cat >/etc/pam.d/dlg-routes-other <<'EOF'
auth     [success=done ignore=ignore default=die]  pam_delegate.so config=/etc/delegate/missing.conf
auth     required  pam_permit.so
account  [success=ok   ignore=ignore default=die]  pam_delegate.so config=/etc/delegate/missing.conf
account  required  pam_permit.so
EOF
chmod 0644 /etc/pam.d/dlg-routes-other
pt dlg-routes-other ci-deploy acct_mgmt
check "PAM config missing, NSS config fine: actor ci-deploy refused" test $? -ne 0
pt dlg-routes-other ldapdan acct_mgmt
check "PAM config missing: ldapdan (extrausers) not blocked" test $? -eq 0
pt dlg-routes-other root acct_mgmt
check "PAM config missing: root not blocked" test $? -eq 0
pt dlg-routes-other ldapdan authenticate
check "PAM config missing: ldapdan's auth goes on past the module (not refused by it)" test $? -eq 0
pt dlg-routes-other ci-deploy authenticate
check "PAM config missing: actor ci-deploy's auth refused" test $? -ne 0


# ---- the real cron daemon: an actor's crontab never runs -------------------------
# cron runs each job through the PAM service "cron" (account, then session):
# the actor's job is refused, carol's runs.  Both are due in the same minute;
# we wait until carol's has run and the actor's refusal is audited.
if command -v cron >/dev/null; then
    e2e_overlay /var/spool varspool || e2e_die "overlay over /var/spool"
    mkdir -p -m 1730 /var/spool/cron/crontabs
    chgrp crontab /var/spool/cron/crontabs 2>/dev/null
    for u in carol ci-deploy; do
        printf '* * * * * touch %s/cron-ran-%s\n' "$NS/scratch" "$u" >"/var/spool/cron/crontabs/$u"
        chown "$u" "/var/spool/cron/crontabs/$u" && chmod 0600 "/var/spool/cron/crontabs/$u"
    done
    audit_mark
    cron -f -L 15 >"$NS/cron.log" 2>&1 &
    CRON_PID=$!
    cron_done() {
        [ -e "$NS/scratch/cron-ran-carol" ] &&
            audit_has event=deny service=cron user=ci-deploy reason=no_ticket
    }
    wait_for 150 cron_done
    check "real cron: carol's job ran" test -e "$NS/scratch/cron-ran-carol"
    check "real cron: the actor's job was refused (audit deny no_ticket, service cron)" \
        audit_has event=deny service=cron user=ci-deploy reason=no_ticket
    check "real cron: the actor's job never ran" test ! -e "$NS/scratch/cron-ran-ci-deploy"
    kill "$CRON_PID" 2>/dev/null
    wait "$CRON_PID" 2>/dev/null
    check "real cron: the actor's job never ran (after cron stopped)" \
        test ! -e "$NS/scratch/cron-ran-ci-deploy"
fi

check "no ssh ticket text in the audit file, sshd's log or the programs' output" \
    secret_absent "$T_SSH" "$AUDIT" "$NS/sshd.log" "$NS/ssh-client.err" "$NS/pamtester.out"

#!/bin/bash
# Real sudo: the actor support-bot runs commands on behalf of a principal
# only with a ticket whose scope covers the target user; the session phase
# refuses other targets (PAM_PERM_DENIED, the command never runs), and
# sudo's cached credentials do not replace a ticket.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup

sudo_ticket() {  # extra issue options...: support-bot for alice via sudo
    issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo "$@"
}

# expect_sudo_refused DESC REASON TICKET [TARGET]: the command (which would
# create a file) does not run and the audit trail says why.
expect_sudo_refused() {
    local desc=$1 reason=$2 t=$3 target=${4:-alice} marker rc
    marker=$NS/scratch/ran-$T_N
    audit_mark
    sudo_as support-bot "$t" -u "$target" touch "$marker" >/dev/null
    rc=$?
    if [ "$rc" -ne 0 ] && [ ! -e "$marker" ]; then
        ok "$desc: sudo refused, command did not run"
    else
        not_ok "$desc: sudo refused, command did not run"
        diag "sudo exit $rc; marker $(ls "$marker" 2>&1)" "$(tail -n 2 "$NS/sudo.err")"
    fi
    check "$desc: audit deny reason=$reason" audit_has event=deny service=sudo reason="$reason"
}

# Issued first, used last: lifetime 2 s, clock_skew 1 s in the test config.
T_EXP=$(sudo_ticket --approver carol --ttl 2s --jti e2e-sudo-expired)
exp_issued=$(date +%s)

# ---- admitted -------------------------------------------------------------
check "support-bot resolves only through the NSS module" \
    bash -c '! grep -q "^support-bot:" /etc/passwd && getent passwd support-bot >/dev/null'
T=$(sudo_ticket --approver carol --ttl 10m --jti e2e-sudo-ok)
audit_mark
out=$(sudo_as support-bot "$T" -u alice sh -c 'id -un; env | grep "^DELEGATE_" | sort')
rc=$?
is "$rc" 0 "sudo -S -u alice with a valid ticket: exit 0"
is "$(sed -n 1p <<<"$out")" alice "the command ran as alice"
check "command env: DELEGATE_ACTOR=support-bot" grep -qx DELEGATE_ACTOR=support-bot <<<"$out"
check "command env: DELEGATE_PRINCIPAL=alice" grep -qx DELEGATE_PRINCIPAL=alice <<<"$out"
check "command env: DELEGATE_TICKET_ID=e2e-sudo-ok" grep -qx DELEGATE_TICKET_ID=e2e-sudo-ok <<<"$out"
check "command env: DELEGATE_EXPIRES set" grep -qE '^DELEGATE_EXPIRES=.+' <<<"$out"
check "audit: admit for support-bot/alice via sudo" \
    audit_has event=admit service=sudo actor=support-bot principal=alice jti=e2e-sudo-ok
check "audit: session_open as alice" \
    audit_has event=session_open service=sudo user=alice actor=support-bot jti=e2e-sudo-ok
check "audit: session_close" audit_has event=session_close service=sudo jti=e2e-sudo-ok
check "audit: no deny" audit_lacks event=deny

# ---- target user outside runas: refused at session open --------------------
expect_sudo_refused "-u bob with a ticket for alice (runas default [sub])" runas_not_allowed "$T" bob
check "the bob attempt never opened a session" audit_lacks event=session_open

T_BOB=$(sudo_ticket --approver carol --runas alice,bob --ttl 10m --jti e2e-sudo-runas)
rm -f "$NS/scratch/bob-ran"
sudo_as support-bot "$T_BOB" -u bob touch "$NS/scratch/bob-ran" >/dev/null
check "control: -u bob with --runas alice,bob runs the command" test -e "$NS/scratch/bob-ran"
check "control: the file was made by bob" test "$(stat -c %U "$NS/scratch/bob-ran")" = bob

# ---- other refusals ----------------------------------------------------------
expect_sudo_refused "empty reply" no_ticket ""
expect_sudo_refused "ticket without the required approval (approvals = 1)" approval_required \
    "$(sudo_ticket --ttl 10m --jti e2e-sudo-noapv)"
expect_sudo_refused "approved only by the principal itself (two-person rule)" approval_required \
    "$(sudo_ticket --approver alice --ttl 10m --jti e2e-sudo-selfapv 2>/dev/null)"
expect_sudo_refused "ticket for another service" service_not_allowed \
    "$(sudo_ticket --service "$SSHD_SVC" --approver carol --ttl 10m --jti e2e-sudo-svc)"
expect_sudo_refused "ticket with a src restriction (sudo has no remote host)" source_not_allowed \
    "$(sudo_ticket --approver carol --source 127.0.0.0/8 --ttl 10m --jti e2e-sudo-src)"

# ---- cached credentials do not replace a ticket ------------------------------
printf 'Defaults:support-bot timestamp_timeout=5\n' >/etc/sudoers.d/e2e-cache
chmod 0440 /etc/sudoers.d/e2e-cache
T_C=$(sudo_ticket --approver carol --ttl 10m --jti e2e-sudo-cache)
audit_mark
out=$(DLG_T=$T_C DLG_M=$NS/scratch/cached-ran timeout 120 runuser -u support-bot -- sh -c '
        printf "%s\n" "$DLG_T" | sudo -S -u alice sh -c "echo FIRST"; echo "first=$?"
        unset DLG_T
        sudo -n -u alice sh -c "touch $DLG_M; echo SECOND"; echo "second=$?"
      ' 2>"$NS/sudo-cache.err")
check "cached: first sudo with the ticket ran" grep -qx FIRST <<<"$out"
check "cached: sudo stored a timestamp for support-bot" test -e /run/sudo/ts/support-bot
check "cached: second sudo (timestamp, no ticket) refused" \
    bash -c '! grep -qx SECOND <<<"$1" && ! grep -qx second=0 <<<"$1"' _ "$out"
check "cached: its command did not run" test ! -e "$NS/scratch/cached-ran"
check "cached: refused by the PAM account phase (authentication was skipped)" \
    grep -q "PAM account management error" "$NS/sudo-cache.err"
check "cached: audit deny for support-bot without a ticket" \
    audit_has event=deny service=sudo user=support-bot
rm -f /etc/sudoers.d/e2e-cache

# ---- expiry ---------------------------------------------------------------
while [ "$(date +%s)" -lt $((exp_issued + 4)) ]; do sleep 0.2; done
expect_sudo_refused "expired ticket (ttl 2 s, skew 1 s)" expired "$T_EXP"

all_secret_absent() {
    local t
    for t in "$T" "$T_BOB" "$T_C" "$T_EXP"; do
        secret_absent "$t" "$AUDIT" "$NS/sudo.err" "$NS/sudo-cache.err" || return 1
    done
}
check "no ticket text in the audit file or sudo's output" all_secret_absent

#!/bin/bash
# Fail closed, never lock out: with the config broken (garbage, unsafe mode,
# missing, an unsafe key file) through the very same PAM stacks, ordinary
# local users still log in by ssh and sudo with their passwords and root's
# sudo still works, while every actor is refused.  Fixing the config heals
# everything with no restart.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup
e2e_start_sshd

T_SSH=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
              --ttl 10m --jti e2e-lock-ssh)
T_SUDO=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo \
               --approver carol --ttl 10m --jti e2e-lock-sudo)
cp -p "$CONF" "$NS/delegate.conf.good"

# all_paths STATE: the whole matrix for one state of the config
all_paths() {
    local state=$1 actors=$2 out rc
    out=$(ssh_pass "$CAROL_PASSWORD" carol 'echo ADMITTED')
    check "$state: carol (local, password) logs in by ssh" grep -qx ADMITTED <<<"$out"
    if [ "$actors" = admitted ] || [ "$state" = "garbage in delegate.conf" ]; then
        out=$(ssh_pass "wrong-$CAROL_PASSWORD" carol 'echo ADMITTED')
        check "$state: carol with a wrong password is refused" \
            bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
    fi
    out=$(sudo_as carol "$CAROL_PASSWORD" -u alice id -un)
    is "$out" alice "$state: carol (local, password) runs sudo -S -u alice"
    out=$(timeout 120 sudo -u alice id -un </dev/null 2>>"$NS/sudo.err")
    is "$out" alice "$state: root runs sudo -u alice"
    out=$(ssh_kbd "$T_SSH" ci-deploy 'echo ADMITTED')
    rc=$?
    if [ "$actors" = admitted ]; then
        check "$state: actor ci-deploy with its ticket admitted by ssh" grep -qx ADMITTED <<<"$out"
    else
        check "$state: actor ci-deploy with a valid ticket refused by ssh" \
            bash -c '[ "$1" -ne 0 ] && ! grep -q ADMITTED <<<"$2"' _ "$rc" "$out"
    fi
    rm -f "$NS/scratch/actor-ran"
    sudo_as support-bot "$T_SUDO" -u alice touch "$NS/scratch/actor-ran" >/dev/null
    if [ "$actors" = admitted ]; then
        check "$state: actor support-bot with its ticket admitted by sudo" test -e "$NS/scratch/actor-ran"
    else
        check "$state: actor support-bot with a valid ticket refused by sudo" \
            test ! -e "$NS/scratch/actor-ran"
    fi
}

all_paths "good config" admitted

printf '\nthis is { not valid libconfig\n' >>"$CONF"
check "garbage: delegatectl check-config reports it" bash -c '! "$1" check-config --config "$2" >/dev/null 2>&1' _ "$CTL" "$CONF"
audit_mark
all_paths "garbage in delegate.conf" refused
check "garbage: no admit written" audit_lacks event=admit

cp -p "$NS/delegate.conf.good" "$CONF"
chmod 0666 "$CONF"
audit_mark
all_paths "delegate.conf mode 0666" refused
check "mode 0666: no admit written" audit_lacks event=admit
chmod 0644 "$CONF"

mv "$CONF" "$NS/delegate.conf.away"
all_paths "delegate.conf missing" refused
mv "$NS/delegate.conf.away" "$CONF"

chmod 0666 /etc/delegate/keys/corp-k1.pub
audit_mark
all_paths "issuer key file mode 0666" refused
check "unsafe key: no admit written" audit_lacks event=admit
chmod 0644 /etc/delegate/keys/corp-k1.pub

chown carol /etc/delegate
all_paths "/etc/delegate owned by a user" refused
chown root /etc/delegate

all_paths "config repaired (no restart)" admitted
check "sshd was never restarted" kill -0 "$SSHD_PID"
check "no ticket text in the audit file or the sshd log" \
    secret_absent "$T_SSH" "$AUDIT" "$NS/sshd.log"

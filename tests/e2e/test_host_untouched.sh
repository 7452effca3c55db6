#!/bin/bash
# The e2e harness itself: inside the mount namespace the overlays carry the
# module, the NSS config, /etc/delegate, sudoers and the runtime dirs; on the
# host, after a run that wrote to all of them, nothing has changed.
. "$(dirname "$0")/lib.sh"

e2e_after_host() {   # runs on the host, after the namespace is gone
    check "host: nsswitch.conf does not name delegate" \
        bash -c '! grep -q delegate /etc/nsswitch.conf'
    check "host: no /etc/delegate, /run/delegate, /var/lib/delegate, /var/log/delegate" \
        bash -c '! ls -d /etc/delegate /run/delegate /var/lib/delegate /var/log/delegate 2>/dev/null | grep -q .'
    check "host: no pam.d/$SSHD_SVC" test ! -e "/etc/pam.d/$SSHD_SVC"
    check "host: no pam_delegate.so or libnss_delegate.so.2 in $LIBDIR" \
        bash -c '! ls "$1"/security/pam_delegate.so "$1"/libnss_delegate.so.2 2>/dev/null | grep -q .' _ "$LIBDIR"
    check "host: ci-deploy does not resolve" bash -c '! getent passwd ci-deploy >/dev/null'
    check "host: the test's sshd (pid ${E2E_SSHD_PID:-?}) is gone" \
        bash -c '[ -n "$1" ] && ! kill -0 "$1" 2>/dev/null' _ "${E2E_SSHD_PID:-}"
    # the overlays and tmpfs mounts (sources dlg-e2e*) stayed in the private
    # namespace: none propagated to the host and outlived it
    check "host: no dlg-e2e mount in the host's mount table" \
        bash -c '! grep -qE " - [a-z0-9]+ dlg-e2e" /proc/self/mountinfo'
}

e2e_enter "$@"
e2e_setup
e2e_start_sshd

check "inside: pam_delegate.so in the PAM module dir" test -e "$PAMDIR/pam_delegate.so"
check "inside: libnss_delegate.so.2 in the lib dir" test -e "$LIBDIR/libnss_delegate.so.2"
check "inside: nsswitch.conf says 'passwd: files delegate'" \
    grep -qE '^passwd:[[:space:]]+files delegate$' /etc/nsswitch.conf
check "inside: ci-deploy resolves" bash -c 'getent passwd ci-deploy >/dev/null'
check "inside: sshd copy runs as PAM service $SSHD_SVC" test -e "/etc/pam.d/$SSHD_SVC"
check "inside: delegatectl check-config accepts the test config" \
    bash -c '"$1" check-config --config "$2" >/dev/null' _ "$CTL" "$CONF"

# a workload that writes to every overlay and tmpfs
T=$(issue --actor ci-deploy --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
          --ttl 10m --single-use --jti e2e-host-1)
expect_ssh_admitted "workload: ssh login" "$T"
Ts=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo \
           --approver carol --ttl 10m --jti e2e-host-2)
is "$(sudo_as support-bot "$Ts" -u alice id -un)" alice "workload: sudo as alice"
"$CTL" revoke --ticket e2e-host-2 --config "$CONF" >/dev/null
check "workload: revoked.conf rewritten" grep -q e2e-host-2 "$REVOKED"
check "workload: audit file written" test -s "$AUDIT"
check "workload: /run/delegate written" test -d /run/delegate
# the host's mount table, read from in here through the outer shell (which
# stayed in the host's namespace), while all of this namespace's mounts exist
check "inside: this namespace has its dlg-e2e mounts" \
    grep -qE " - [a-z0-9]+ dlg-e2e" /proc/self/mountinfo
check "inside: the host's mount table (pid $E2E_OUTER_PID) has none of them" \
    bash -c '! grep -qE " - [a-z0-9]+ dlg-e2e" "/proc/$1/mountinfo"' _ "$E2E_OUTER_PID"

#!/bin/bash
# The shipped PAM-side files: module exports, sudoers and sshd_config
# snippets, the pam-auth-update profile, the man page.  Nothing on the host
# is changed: sshd and pam-auth-update run in a private mount namespace.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
n=0 fail=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@" >/tmp/.h5conf.$$ 2>&1; then ok "$name"; else bad "$name"; sed 's/^/# /' /tmp/.h5conf.$$; fi; }
tmp=$(mktemp -d /tmp/dlgconf.XXXXXX)
trap 'rm -rf "$tmp" /tmp/.h5conf.$$' EXIT

exports=$(nm -D --defined-only "$B/pam_delegate.so" | awk '{print $3}' | sort | tr '\n' ' ')
check "pam_delegate.so exports only pam_sm_* entry points" \
    test "$exports" = "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_close_session pam_sm_open_session pam_sm_setcred "

check "sudoers snippet parses (visudo -c)" visudo -cf conf/sudoers.d/delegate
sed 's/^# support-bot/support-bot/' conf/sudoers.d/delegate >"$tmp/sudoers"
check "sudoers snippet with its example rule parses" visudo -cf "$tmp/sudoers"
check "sudoers: actors get timestamp_timeout=0" \
    grep -Eq '^Defaults:%delegated .*timestamp_timeout=0' conf/sudoers.d/delegate

ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey" >/dev/null
printf 'Include %s/conf/sshd_config.d/delegate.conf\nHostKey %s/hostkey\n' "$PWD" "$tmp" >"$tmp/sshd_config"
sshd_t() {
    unshare --mount --propagation private sh -c '
        mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd &&
        /usr/sbin/sshd -t -f "$1" &&
        /usr/sbin/sshd -T -f "$1" -C user=root,host=h,addr=127.0.0.1 | grep -qx "kbdinteractiveauthentication yes" &&
        /usr/sbin/sshd -T -f "$1" -C user=root,host=h,addr=127.0.0.1 | grep -qx "usepam yes"' _ "$1"
}
check "sshd_config snippet parses; UsePAM and keyboard-interactive on" sshd_t "$tmp/sshd_config"

pau() {
    cp -a /etc/pam.d "$tmp/pamd" && cp -a /usr/share/pam-configs "$tmp/configs" &&
    cp -a /var/lib/pam "$tmp/varlib" && cp conf/pam-configs/delegate "$tmp/configs/" &&
    cp -a /var/cache/debconf "$tmp/debconf" &&
    unshare --mount --propagation private sh -c '
        t=$1
        mount --bind "$t/pamd" /etc/pam.d && mount --bind "$t/configs" /usr/share/pam-configs &&
        mount --bind "$t/varlib" /var/lib/pam && mount --bind "$t/debconf" /var/cache/debconf &&
        DEBIAN_FRONTEND=noninteractive pam-auth-update --enable delegate &&
        grep -Eq "^auth[[:space:]]+\[success=[0-9]+ ignore=ignore default=die\][[:space:]]+pam_delegate.so" /etc/pam.d/common-auth &&
        grep -Eq "^account[[:space:]]+\[success=ok ignore=ignore default=die\][[:space:]]+pam_delegate.so" /etc/pam.d/common-account &&
        grep -Eq "^session[[:space:]]+required[[:space:]]+pam_delegate.so" /etc/pam.d/common-session &&
        grep -Eq "^session[[:space:]]+required[[:space:]]+pam_delegate.so" /etc/pam.d/common-session-noninteractive &&
        awk "/pam_delegate/{d=NR} /pam_unix/{u=NR} END{exit !(d && u && d < u)}" /etc/pam.d/common-auth &&
        cp /etc/pam.d/common-account "$t/common-account.out"' _ "$tmp"
}
check "pam-auth-update profile: auth before pam_unix, account, both session files" pau
check "pam-auth-update profile is off by default" grep -qx "Default: no" conf/pam-configs/delegate
# The account line is Additional: after the Primary block (pam_unix's
# success=N jumps to the pam_permit line), so no Primary module's
# success=end can jump over it.
check "pam-auth-update profile: account line after the Primary block (after pam_permit)" \
    awk '/^account/ && /pam_permit/{p=NR} /^account/ && /pam_delegate/{d=NR}
         /^account/ && /pam_unix/{u=NR} END{exit !(p && d && u && u < p && p < d)}' \
    "$tmp/common-account.out"
check "pam-auth-update profile: Account-Type Additional, Auth-Type Primary" \
    bash -c 'grep -qx "Account-Type: Additional" conf/pam-configs/delegate &&
             grep -qx "Auth-Type: Primary" conf/pam-configs/delegate'

for f in conf/pam.d/sshd-delegate.snippet conf/pam.d/sudo-delegate.snippet \
         conf/pam.d/sudo-i-delegate.snippet; do
    check "$(basename "$f"): the three lines of DESIGN.md section 4" bash -c '
        grep -v "^#" "$1" | grep . | tr -s " " >"$2/lines" &&
        printf "%s\n" "auth [success=done ignore=ignore default=die] pam_delegate.so" \
            "account [success=ok ignore=ignore default=die] pam_delegate.so" \
            "session required pam_delegate.so" | diff - "$2/lines"' _ "$f" "$tmp"
done

check "man page pam_delegate.8 renders without warnings" \
    bash -c 'out=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 man/pam_delegate.8 2>&1); [ -z "$out" ] || { echo "$out"; false; }'

# issue 18 item 16: the documented boundary of containment, each route with
# what closes it
for word in crontab 'at' 'systemd\-run \-\-user' tmux forward 'runas' 'root'; do
    check "pam_delegate(8) BOUNDARIES names: $word" \
        bash -c 'sed -n "/^\.SH BOUNDARIES/,/^\.SH NOTES/p" man/pam_delegate.8 | grep -qwF -- "$1"' _ "$word"
done
check "README: the boundary table (crontab, at, systemd-run --user, tmux, root, .forward, home)" \
    bash -c 'sed -n "/^### What a session can leave behind/,/^\`make demo\`/p" README.md >"$1" &&
             for w in crontab "\`at\`" "systemd-run --user" tmux "\`root\`" forward "~/.bashrc"; do
                 grep -qF -- "$w" "$1" || { echo "missing: $w"; exit 1; }; done' _ "$tmp/boundary"

echo "1..$n"
exit $fail

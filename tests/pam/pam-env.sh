#!/bin/bash
# Runs one PAM test program (cmocka + libpamtest) under pam_wrapper:
#   tests/pam/pam-env.sh BUILD/tests/test_X
# - PAM service files in a temp dir, each naming the module by its absolute
#   path ($B/pam_delegate.so, next to the tests dir of the binary), all with
#   config=$PD_TEST_DIR/delegate.conf, which the test writes;
# - a private mount namespace with fresh tmpfs on /run and /var/lib, because
#   the module's state dirs (/run/delegate, /var/lib/delegate/.once) are
#   fixed paths by design (no env override a setuid sudo could honour);
# - a private /tmp (tmpfs) in that namespace, with only the test's own
#   directory of the host's /tmp bound into it (and the build tree, when it
#   lives in /tmp: tests/mutation/run.sh builds there): pam_wrapper 1.1.4 copies
#   libpam and the service files into /tmp/pam.X (a fixed place, X one
#   character) and removes it only in its destructor, so a process that
#   ends without running it (a forked child that leaves with _exit after
#   its own pam_start, a crash, a timeout's SIGKILL) used to leave one on
#   the host; each left directory is also reported (TAP 902);
# - afterwards the log (pam_syslog lines via pam_wrapper) is searched for
#   every ticket the test minted: one more TAP line.
# PD_VALGRIND=1 runs the program under valgrind (leaks are errors); SAN=asan
# (make check-asan) is honoured too.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 TEST_BINARY" >&2; exit 2; }
bin=$(readlink -f "$1")
module=$(readlink -f "$(dirname "$bin")/../pam_delegate.so")
[ -f "$module" ] || { echo "not ok 1 - no module at $module"; exit 1; }
prewrap=/usr/lib/x86_64-linux-gnu/libpam_wrapper.so
helpers=/usr/lib/x86_64-linux-gnu/pam_wrapper

dir=$(mktemp -d /tmp/dlgpam.XXXXXX)
chmod 0755 "$dir"
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/services"

# service NAME MODULE-ARGS [ACCOUNT-PREFIX-LINE]
# Each phase: pam_set_items (PAM_RHOST/PAM_TTY/PAM_RUSER/PAM_AUTHTOK from the
# test's environment), then our module, then a pam_debug marker that
# returns PAM_MODULE_UNKNOWN: so the application sees exactly our code
# (success ends the stack, a failure dies), or PAM_MODULE_UNKNOWN when our
# module answered PAM_IGNORE.
service() {
    local name=$1 args=$2 acct_prefix=${3:-}
    {
        echo "auth     optional  $helpers/pam_set_items.so"
        echo "auth     [success=done ignore=ignore default=die]  $module $args"
        echo "auth     requisite pam_debug.so auth=module_unknown cred=module_unknown"
        [ -n "$acct_prefix" ] && echo "$acct_prefix"
        echo "account  optional  $helpers/pam_set_items.so"
        echo "account  [success=done ignore=ignore default=die]  $module $args"
        echo "account  requisite pam_debug.so acct=module_unknown"
        echo "session  optional  $helpers/pam_set_items.so"
        echo "session  [success=done ignore=ignore default=die]  $module $args"
        echo "session  requisite pam_debug.so open_session=module_unknown close_session=module_unknown"
    } >"$dir/services/$name"
}
cfg="config=$dir/delegate.conf debug"
service sshd   "$cfg"
service sudo   "$cfg"
service other  "$cfg"
service ufp    "$cfg use_first_pass"
service tfp    "$cfg try_first_pass"
service items  "$cfg" "account  optional  $helpers/pam_get_items.so"
service relcfg "config=relative/delegate.conf debug"
service badarg "$cfg no_such_option"
service cpl    "$cfg compiled=$dir/policy.bin"    # issue 13: the compiled form
service sshd-x "$cfg"                              # a renamed sshd (its own PAM service)
service su     "$cfg"
service login  "$cfg"                              # a console login: no ssh keys

# The shipped stacks (conf/pam.d/*.snippet), after pam_set_items, with
# stand-ins for Debian's
# common-* includes: common-auth ends in a pam_debug marker (so the
# application sees PAM_MODULE_UNKNOWN when the stack went past our module),
# common-account and common-session succeed.
snippet() {
    local name=$1 file=$2
    {
        for type in auth account session; do
            echo "$type optional $helpers/pam_set_items.so"
        done
        grep -v '^#' "$file" | grep . | sed "s|pam_delegate.so|$module $cfg|"
        echo "auth     requisite pam_debug.so auth=module_unknown cred=module_unknown"
        echo "account  required  pam_permit.so"
        echo "session  required  pam_permit.so"
    } >"$dir/services/$name"
}
conf=$(cd "$(dirname "$0")/../../conf/pam.d" && pwd)
snippet snip-sshd "$conf/sshd-delegate.snippet"
snippet snip-sudo "$conf/sudo-delegate.snippet"

log="$dir/stderr.log"
: >"$dir/tickets.txt"
set +e
if [ "${PD_VALGRIND:-0}" = 1 ]; then
    run=(valgrind -q --child-silent-after-fork=yes --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
         --error-exitcode=99 --track-fds=yes "$bin")
    export PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1
else
    run=("$bin")
fi
case ${SAN:-} in
asan|tsan)
    # libpam_wrapper is preloaded ahead of the sanitizer runtime, and its
    # RTLD_DEEPBIND loading does not mix with the sanitizers (pam_wrapper
    # 1.1.4 reads the uid_wrapper name of the switch).
    export PAM_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ;;
esac
# what of the host's /tmp the test needs in its private /tmp: its own
# directory, and the tree of the binary and the module if they are there
tops=
for p in "$dir" "$bin" "$module" "$(cd "$(dirname "$0")" && pwd)"; do
    case $p in
    /tmp/?*) t=${p#/tmp/}; t=${t%%/*}
             case " $tops " in *" $t "*) ;; *) tops="$tops $t" ;; esac ;;
    esac
done
# the session phase contains each session in a cgroup: the test runs in a
# group and a cgroup namespace of its own (tests/lib/cgroup-ns.sh)
. "$(dirname "$0")/../lib/cgroup-ns.sh"
cg=$(dlgcg_create) || { echo "not ok 1 - a cgroup2 group for the test"; exit 1; }
trap 'dlgcg_destroy "$cg"; rm -rf "$dir"' EXIT
PD_TEST_DIR=$dir PD_MODULE=$module PAM_WRAPPER_DEBUGLEVEL=${PAM_WRAPPER_DEBUGLEVEL:-2} \
/bin/sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" \
unshare --cgroup --mount --propagation private -- /bin/sh -c '
    dir=$1; tops=$2; shift 2
    mount -t tmpfs -o mode=0755 tmpfs /run &&
    mount -t tmpfs -o mode=0755 tmpfs /var/lib &&
    mount -t cgroup2 dlg-test-cgroup2 /sys/fs/cgroup &&
    mkdir /run/.pdt-tmp && mount --bind /tmp /run/.pdt-tmp &&
    mount -t tmpfs -o mode=1777 dlg-test-tmp /tmp || exit 1
    for top in $tops; do
        mkdir -m 0755 "/tmp/$top" && mount --bind "/run/.pdt-tmp/$top" "/tmp/$top" || exit 1
    done
    umount /run/.pdt-tmp && rmdir /run/.pdt-tmp || exit 1
    services=$1; shift
    env LD_PRELOAD="$0" PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$services" "$@"
    rc=$?
    left=$(for d in /tmp/pam.*; do [ -e "$d" ] && echo "$d (pid $(cat "$d/pid" 2>/dev/null))"; done)
    if [ -z "$left" ]; then
        echo "ok 902 - pam_wrapper left no /tmp/pam.X directory (in the private /tmp)"
    else
        echo "not ok 902 - pam_wrapper left no /tmp/pam.X directory (in the private /tmp):" $left
        rc=1
    fi
    exit $rc
' "$prewrap" "$dir" "$tops" "$dir/services" "${run[@]}" 2>"$log"
rc=$?
if ! dlgcg_destroy "$cg"; then
    echo "not ok 901 - the test's cgroup removed"
    rc=1
fi
set -e
cat "$log" >&2

leaked=0
while IFS= read -r t; do
    [ -n "$t" ] || continue
    sig=${t##*.}
    if grep -qF -e "$t" "$log" || { [ ${#sig} -ge 16 ] && grep -qF -e "$sig" "$log"; }; then
        leaked=1
    fi
done <"$dir/tickets.txt"
if [ "$leaked" = 0 ] && [ -s "$dir/tickets.txt" ]; then
    echo "ok 900 - no ticket text or signature in the module's log"
else
    echo "not ok 900 - ticket text in the log (or no ticket minted)"
    rc=1
fi
exit $rc

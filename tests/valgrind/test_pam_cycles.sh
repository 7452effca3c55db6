#!/bin/bash
# 10,000 PAM transactions (admit, bad ticket, root, empty reply) in one
# process under valgrind: no error, no definite or indirect leak, and the
# same open descriptors after as before.  Runs in a private mount namespace
# with tmpfs on /run and /var/lib (the module's fixed state dirs).
# VALGRIND_CYCLES overrides the count.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
N=${VALGRIND_CYCLES:-10000}
for f in "$B/pam_delegate.so" "$B/delegatectl" "$B/libdelegate-common.a"; do
    [ -e "$f" ] || { echo "not ok 1 - $f missing (make B=$B tests)"; exit 1; }
done
mkdir -p "$B/tests"
cc -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -o "$B/tests/pam_cycles" \
    tests/valgrind/pam_cycles.c -Wl,--no-as-needed -lpam -ldl -lcrypto -ljansson -lconfig || { echo "not ok 1 - pam_cycles does not build"; exit 1; }

dir=$(mktemp -d /tmp/dlgvg.XXXXXX)
chmod 0755 "$dir"
trap 'rm -rf "$dir"' EXIT
module=$(readlink -f "$B/pam_delegate.so")
"$B/delegatectl" keygen --out "$dir/corp" >/dev/null || { echo "not ok 1 - keygen"; exit 1; }
cat >"$dir/delegate.conf" <<CONF
version = 1;
host = { name = "web01"; };
issuers = ( { id = "corp"; algorithms = ["EdDSA"]; principals = ["*"];
  keys = ( { kid = "k1"; file = "$dir/corp.pub"; } ); } );
accounts = { group = "delegated"; gid = 62000; uid_min = 62001; uid_max = 62999; };
actors = ( { name = "ci-deploy"; uid = 62001; principals = ["alice"]; services = ["sshd"];
             sources = ["10.0.0.0/8"]; } );
audit = { syslog = false; file = "$dir/audit.jsonl"; };
CONF
"$B/delegatectl" issue --key "$dir/corp.key" --issuer corp --kid k1 --actor ci-deploy --for alice \
    --host web01 --service sshd --ttl 1h >"$dir/ticket" || { echo "not ok 1 - issue"; exit 1; }
mkdir "$dir/pam.d"
cat >"$dir/pam.d/sshd" <<PAMD
auth     [success=done ignore=ignore default=die] $module config=$dir/delegate.conf
auth     requisite pam_debug.so auth=module_unknown cred=module_unknown
account  [success=done ignore=ignore default=die] $module config=$dir/delegate.conf
account  requisite pam_debug.so acct=module_unknown
session  [success=done ignore=ignore default=die] $module config=$dir/delegate.conf
session  requisite pam_debug.so open_session=module_unknown close_session=module_unknown
PAMD

# sessions are contained in cgroups: a group and a cgroup namespace of the
# test's own (tests/lib/cgroup-ns.sh), removed afterwards
. tests/lib/cgroup-ns.sh
cg=$(dlgcg_create) || { echo "not ok 1 - a cgroup2 group for the test"; exit 1; }
trap 'dlgcg_destroy "$cg"; rm -rf "$dir"' EXIT
start=$(date +%s)
/bin/sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" \
unshare --cgroup --mount --propagation private -- /bin/sh -c '
    mount -t tmpfs -o mode=0755 tmpfs /run && mount -t tmpfs -o mode=0755 tmpfs /var/lib &&
    mount -t cgroup2 dlg-test-cgroup2 /sys/fs/cgroup && exec "$@"
' sh valgrind --log-file="$dir/vg.log" --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
    "$B/tests/pam_cycles" "$dir/pam.d" "$dir/ticket" "$N" "$module" >"$dir/out" 2>"$dir/err"
rc=$?
cat "$dir/out"
lines=$(wc -l <"$dir/audit.jsonl" 2>/dev/null || echo 0)
. tests/lib/valgrind.sh
vg_verdict "$rc" "$dir/vg.log" "$dir/err" || exit 1
echo "ok 3 - valgrind (exit 0, ERROR SUMMARY 0): no errors, no definite/indirect leaks in $N cycles ($(( $(date +%s) - start )) s, $lines audit lines)"

#!/bin/bash
# 10,000 NSS lookups across 100 config reloads in one process under
# valgrind: no error, no definite or indirect leak, descriptors unchanged.
# VALGRIND_LOOKUPS overrides the count.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
N=${VALGRIND_LOOKUPS:-10000}
objs=$(ls nss_delegate/*.c | sed "s|^\(.*\)\.c$|$B/obj/\1.o|")
for f in $objs "$B/libdelegate-nsscommon.a"; do
    [ -e "$f" ] || { echo "not ok 1 - $f missing (make B=$B tests)"; exit 1; }
done
mkdir -p "$B/tests"
cc -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Icommon -Inss_delegate \
    -o "$B/tests/nss_cycles" tests/valgrind/nss_cycles.c $objs "$B/libdelegate-nsscommon.a" \
    -lconfig -lpthread || { echo "not ok 1 - nss_cycles does not build"; exit 1; }
dir=$(mktemp -d /tmp/dlgvg.XXXXXX)
chmod 0755 "$dir"
trap 'rm -rf "$dir"' EXIT
start=$(date +%s)
valgrind --log-file="$dir/vg.log" --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    "$B/tests/nss_cycles" "$dir" "$N" >"$dir/out" 2>"$dir/err"
rc=$?
cat "$dir/out"
. tests/lib/valgrind.sh
vg_verdict "$rc" "$dir/vg.log" "$dir/err" || exit 1
echo "ok 3 - valgrind (exit 0, ERROR SUMMARY 0): no errors, no definite/indirect leaks in $N lookups ($(( $(date +%s) - start )) s)"

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
valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    "$B/tests/nss_cycles" "$dir" "$N" >"$dir/out" 2>"$dir/err"
rc=$?
cat "$dir/out"
if [ "$rc" -eq 99 ] || grep -q '^==[0-9]*== ' "$dir/err"; then
    echo "not ok 3 - valgrind reported errors or leaks (rc $rc):"
    grep '^==' "$dir/err" | head -40 | sed 's/^/# /'
    exit 1
fi
echo "ok 3 - valgrind: no errors, no definite/indirect leaks in $N lookups ($(( $(date +%s) - start )) s)"
[ "$rc" -eq 0 ]

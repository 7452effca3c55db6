#!/bin/bash
# Runs the test tiers and prints TAP lines of every test, then "N passed, M failed".
# Each test program speaks TAP ("ok N - name" / "not ok N - name"); cmocka
# binaries do so with CMOCKA_MESSAGE_OUTPUT=TAP.  A program that exits
# non-zero without a "not ok" line, or that runs no test, counts as one failure;
# so does a tier that runs no test program (an unknown or misspelt tier name).
# After each tier: "# tier NAME: P passed, F failed" (.ci/run checks these).
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
TIERS=${TIERS:-"unit nss pam cli e2e"}
export B CMOCKA_MESSAGE_OUTPUT=TAP
LOGDIR=$B/test-logs
mkdir -p "$LOGDIR"
KNOWN_TIERS="unit nss pam cli adversarial e2e exchange feed pkg systemd valgrind asan tsan lint fuzz"
passed=0 failed=0
failures=()

run_one() {   # tier, name, command...
    local tier=$1 name=$2; shift 2
    local log="$LOGDIR/$tier-$name.log" rc p f
    # TESTS_EXCLUDE="tier/name ...": programs a caller runs elsewhere (the
    # asan tier leaves out the exchange's ssh test: the e2e harness's real
    # sshd cannot load ASan-built modules; it runs in the exchange tier)
    case " ${TESTS_EXCLUDE:-} " in *" $tier/$name "*) echo "# $tier/$name left out (TESTS_EXCLUDE)"; return 0 ;; esac
    # a hang guard, not a speed check: no test program comes near it
    timeout --kill-after=30 "${TEST_PROGRAM_TIMEOUT:-2400}" "$@" >"$log" 2>&1 </dev/null
    rc=$?
    [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] &&
        echo "not ok - $tier/$name exited $rc: stopped by the ${TEST_PROGRAM_TIMEOUT:-2400} s hang guard, or killed" >>"$log"
    p=$(grep -cE '^ok [0-9]+' "$log")
    f=$(grep -cE '^not ok [0-9]+' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $tier/$name exited $rc" >>"$log"; fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $tier/$name ran no test" >>"$log"; fi
    grep -E '^(not )?ok ' "$log" | sed "s|^|[$tier/$name] |"
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" -gt 0 ] && failures+=("$log")
}

for tier in $TIERS; do
    tier_p0=$passed tier_f0=$failed
    case " $KNOWN_TIERS " in
    *" $tier "*) ;;
    *)  echo "not ok - unknown tier '$tier' (tiers: $KNOWN_TIERS)"
        failed=$((failed + 1))
        echo "# tier $tier: 0 passed, 1 failed"
        continue ;;
    esac
    case $tier in
    unit|nss|pam|adversarial)
        for src in tests/$tier/test_*.c; do
            [ -e "$src" ] || continue
            n=$(basename "$src" .c)
            if [ -x "tests/$tier/run-$n.sh" ]; then
                run_one "$tier" "$n" "tests/$tier/run-$n.sh" "$B/tests/$n"
            else
                run_one "$tier" "$n" "$B/tests/$n"
            fi
        done
        for sh in tests/$tier/test_*.sh; do
            [ -e "$sh" ] || continue
            run_one "$tier" "$(basename "$sh" .sh)" bash "$sh"
        done ;;
    *)
        for sh in tests/$tier/test_*.sh; do
            [ -e "$sh" ] || continue
            run_one "$tier" "$(basename "$sh" .sh)" bash "$sh"
        done ;;
    esac
    if [ "$passed" -eq "$tier_p0" ] && [ "$failed" -eq "$tier_f0" ]; then
        echo "not ok - tier $tier ran no test"
        failed=$((failed + 1))
    fi
    echo "# tier $tier: $((passed - tier_p0)) passed, $((failed - tier_f0)) failed"
done

for log in "${failures[@]}"; do
    echo "---- $log (last 40 lines)"
    tail -n 40 "$log"
done
# the failures once more, last, where a truncated CI excerpt still shows them
if [ "${#failures[@]}" -gt 0 ]; then
    echo "---- failed checks"
    for log in "${failures[@]}"; do
        grep -E '^not ok' "$log" | sed "s|^|[$(basename "$log" .log)] |"
    done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

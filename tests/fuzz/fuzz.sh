#!/bin/bash
# Build and run the libFuzzer harnesses of tests/fuzz/ with clang
# (-fsanitize=fuzzer,address,undefined) into build-fuzz/.
#   tests/fuzz/fuzz.sh build
#   tests/fuzz/fuzz.sh run [SECONDS] [HARNESS...]     (default 60 s each, all)
#   tests/fuzz/fuzz.sh seeds                           (regenerate catalogue seeds)
#   tests/fuzz/fuzz.sh long SECONDS HARNESS...         (parallel, niced; logs in build-fuzz/logs/*-long.*)
#   tests/fuzz/fuzz.sh regress                         (every seed and regression input once)
# New corpus entries go to build-fuzz/corpus/<harness>/ (the committed seeds
# in tests/fuzz/corpus/<harness>/ are read, never written); a crash leaves
# its input in build-fuzz/artifacts/<harness>/ and fails the run.
# Output is TAP, one line per harness.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
FB=${FB:-build-fuzz}
CLANG=${CLANG:-clang}
HARNESSES=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//' | grep -v '^fuzz_env$')
CFLAGS="-std=c11 -D_GNU_SOURCE -DDLG_VERSION=\"fuzz\" -O1 -g -fno-omit-frame-pointer \
 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
 -Wall -Wextra -Icommon -Itests/fuzz -Itests/adversarial -DDLG_FUZZ_KEYS=\"$ROOT/tests/fuzz/keys\""
LIBS="-lconfig -lcrypto -ljansson -lsystemd"

build() {
    local src obj objs=() h
    mkdir -p "$FB/obj"
    for src in common/*/*.c common/*/*/*.c tests/fuzz/fuzz_env.c; do
        obj=$FB/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
        if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find common tests/fuzz -name '*.h' -newer "$obj")" ]; then
            $CLANG $CFLAGS -c -o "$obj" "$src" || return 1
        fi
        objs+=("$obj")
    done
    for h in $HARNESSES; do
        $CLANG $CFLAGS -fsanitize=fuzzer,address,undefined -o "$FB/$h" "tests/fuzz/$h.c" \
            "${objs[@]}" $LIBS || return 1
    done
}

run() {
    local secs=$1; shift
    local list=${*:-$HARNESSES} n=0 h log rc execs cov failed=0
    echo "1..$(echo $list | wc -w)"
    for h in $list; do
        n=$((n + 1))
        mkdir -p "$FB/corpus/$h" "$FB/artifacts/$h" "$FB/logs"
        log=$FB/logs/$h${FUZZ_LOG_SUFFIX:-}.log
        DLG_FUZZ_TMPDIR=$(mktemp -d /tmp/dlgfuzz-run.XXXXXX)
        chmod 0755 "$DLG_FUZZ_TMPDIR"
        export DLG_FUZZ_TMPDIR
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$ROOT/tests/fuzz/lsan.supp \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$FB/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=9000 \
            -print_final_stats=1 -artifact_prefix="$FB/artifacts/$h/" \
            "$FB/corpus/$h" "tests/fuzz/corpus/$h" >"$log" 2>&1
        rc=$?
        rm -rf "$DLG_FUZZ_TMPDIR"
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
        cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1)
        if [ "$rc" -eq 0 ]; then
            echo "ok $n - $h ${secs}s: ${execs:-?} execs, ${cov:-no cov line}, 0 crashes"
        else
            failed=1
            echo "not ok $n - $h exited $rc (input in $FB/artifacts/$h/, log $log)"
            grep -E 'ERROR|ORACLE|runtime error|SUMMARY' "$log" | head -n 5 | sed 's/^/# /'
        fi
    done
    return $failed
}

# Regenerate the catalogue-derived seeds (tests/fuzz/corpus/fuzz_ticket and
# fuzz_decide) from tests/adversarial/catalogue.h and the fixed keys.
seeds() {
    mkdir -p "$FB"
    gcc -std=c11 -D_GNU_SOURCE -O1 -g -Icommon -Itests/lib -Itests/adversarial \
        -o "$FB/gen_seeds" tests/fuzz/gen_seeds.c tests/lib/testlib.c common/*/*.c common/*/*/*.c \
        $LIBS -lpthread || return 1
    mkdir -p tests/fuzz/corpus/fuzz_ticket tests/fuzz/corpus/fuzz_decide
    rm -f tests/fuzz/corpus/fuzz_ticket/* tests/fuzz/corpus/fuzz_decide/*
    "$FB/gen_seeds" tests/fuzz/keys tests/fuzz/corpus
}

regress() {
    local n=0 h rc list failed=0
    echo "1..$(echo $HARNESSES | wc -w)"
    for h in $HARNESSES; do
        n=$((n + 1))
        list=$(ls -d tests/fuzz/corpus/$h tests/fuzz/regress/$h 2>/dev/null)
        mkdir -p "$FB/logs"
        DLG_FUZZ_TMPDIR=$(mktemp -d /tmp/dlgfuzz-run.XXXXXX)
        chmod 0755 "$DLG_FUZZ_TMPDIR"
        export DLG_FUZZ_TMPDIR
        ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$ROOT/tests/fuzz/lsan.supp UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            "$FB/$h" -runs=0 $list >"$FB/logs/$h-regress.log" 2>&1
        rc=$?
        rm -rf "$DLG_FUZZ_TMPDIR"
        if [ "$rc" -eq 0 ]; then
            echo "ok $n - $h replays its $(find $list -type f | wc -l) seed and regression inputs cleanly"
        else
            failed=1
            echo "not ok $n - $h regression replay exited $rc (log $FB/logs/$h-regress.log)"
        fi
    done
    return $failed
}

case ${1:-run} in
build) build ;;
run) shift; build || { echo "not ok 1 - fuzz build failed"; exit 1; }
     run "${1:-${FUZZ_SECONDS:-60}}" "${@:2}" ;;
seeds) seeds ;;
long) # the recorded long run: every harness at once, niced, in the background
     shift; build || exit 1
     mkdir -p "$FB/logs"
     for h in ${*:2}; do
         FUZZ_LOG_SUFFIX=-long nice -n 19 "$0" run-built "${1:-1800}" "$h" >"$FB/logs/$h-long.tap" 2>&1 &
     done
     wait ;;
run-built) shift; run "$@" ;;
regress) build || { echo "not ok 1 - fuzz build failed"; exit 1; }; regress ;;
*) echo "usage: $0 build | seeds | run [SECONDS] [HARNESS...] | regress" >&2; exit 2 ;;
esac

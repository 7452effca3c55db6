#!/bin/bash
# The NSS thread test (tests/nss/test_nss_threads.c) under ThreadSanitizer:
# 16 readers and an enumerator while the config is replaced 100 times, and
# forks while other threads are busy in the module.  Run three times; a run
# passes when every answer was right and TSan reported nothing.  Uses
# $B/tests/test_nss_threads when it is a TSan build (make check-tsan builds
# build-tsan), else builds one in $B-tsan.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build-tsan}
BIN=$B/tests/test_nss_threads
RUNS=${DLG_TSAN_RUNS:-3}

is_tsan() { [ -x "$1" ] && nm "$1" 2>/dev/null | grep -q '__tsan_init'; }

if ! is_tsan "$BIN"; then
    TB=$B-tsan
    [ "$B" = build-tsan ] && TB=build-tsan
    echo "# $BIN is not a ThreadSanitizer build; building $TB/tests/test_nss_threads"
    if ! make -s B="$TB" SAN=tsan "$TB/tests/test_nss_threads" >"/tmp/dlg-tsan-build.$$" 2>&1; then
        sed 's/^/# /' "/tmp/dlg-tsan-build.$$" | tail -20
        rm -f "/tmp/dlg-tsan-build.$$"
        echo "not ok 1 - build the ThreadSanitizer thread test"
        exit 1
    fi
    rm -f "/tmp/dlg-tsan-build.$$"
    BIN=$TB/tests/test_nss_threads
fi

export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export CMOCKA_MESSAGE_OUTPUT=TAP
export DLG_NSS_FORKS=${DLG_NSS_FORKS:-25}     # a fork of a TSan process is slow
rc=0
for i in $(seq 1 "$RUNS"); do
    out=$("$BIN" 2>&1)
    st=$?
    summary=$(grep -m1 '^# [0-9]* answers' <<<"$out")
    if [ "$st" -eq 0 ] && ! grep -q 'WARNING: ThreadSanitizer' <<<"$out" &&
       grep -q '^ok 1 ' <<<"$out"; then
        echo "ok $i - nss threads under TSan, run $i ${summary:+(${summary#\# })}"
    else
        echo "not ok $i - nss threads under TSan, run $i (exit $st)"
        sed 's/^/# /' <<<"$out" | head -60
        rc=1
    fi
done
exit "$rc"

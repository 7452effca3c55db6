#!/bin/bash
# CI fuzz smoke: every seed and regression input replayed once, then each
# harness fuzzed FUZZ_SECONDS (default 60) seconds.  TAP from fuzz.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
rc=0
tests/fuzz/fuzz.sh regress | sed -E 's/^(ok|not ok) ([0-9]+)/\1 \2/' || rc=1
tests/fuzz/fuzz.sh run-built "${FUZZ_SECONDS:-60}" | sed -E 's/^(ok|not ok) ([0-9]+)/\1 1\2/' || rc=1
exit $rc

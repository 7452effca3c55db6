#!/bin/bash
# Static checks (`make lint`): cppcheck and clang-tidy over every C source
# of the product and of the tests.  Check sets: tests/lint/cppcheck.supp and
# /.clang-tidy (why each check is on or off); known false positives in
# tests/lint/tidy.supp.  TAP: one line per tool.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
mkdir -p "$B"
SRCS=$(ls common/*/*.c common/*/*/*.c pam_delegate/*.c nss_delegate/*.c delegatectl/*.c exchange/*.c tests/lib/*.c \
          tests/unit/*.c tests/nss/*.c tests/pam/*.c tests/adversarial/*.c tests/fuzz/*.c \
          tests/valgrind/*.c bench/*.c bench/exchange/*.c 2>/dev/null)
INC="-Icommon -Inss_delegate -Ipam_delegate -Idelegatectl -Iexchange -Itests/lib -Itests/pam -Itests/nss \
     -Itests/adversarial -Itests/fuzz -Ibench"
DEFS="-D_GNU_SOURCE -DDLG_VERSION=\"lint\" -DDLG_FUZZ_KEYS=\"/x\" -DDLG_LIBCONFIG_SO=\"/lint/libconfig.so.9\""
echo "1..2"

# A missing tool is a failure (tests/deps.sh installs both), never "clean".
for tool in cppcheck clang-tidy; do
    command -v "$tool" >/dev/null || missing_tools="${missing_tools:-} $tool"
done
if [ -n "${missing_tools:-}" ]; then
    echo "not ok 1 - lint tools missing:$missing_tools (run tests/deps.sh)"
    echo "not ok 2 - clang-tidy not run"
    exit 1
fi

log=$B/lint-cppcheck.log
if cppcheck --quiet --std=c11 --enable=warning,portability,performance --inline-suppr \
        --suppressions-list=tests/lint/cppcheck.supp --error-exitcode=1 -j2 \
        $DEFS -D__GNUC__ $INC $SRCS >"$log" 2>&1; then
    echo "ok 1 - cppcheck (warning,portability,performance): clean over $(echo $SRCS | wc -w) files"
else
    echo "not ok 1 - cppcheck findings ($log):"
    sed 's/^/# /' "$log" | head -n 40
fi

log=$B/lint-clang-tidy.log
# Product sources only for clang-tidy (tests are cmocka-heavy; cppcheck covers them).
TIDY_SRCS=$(ls common/*/*.c common/*/*/*.c pam_delegate/*.c nss_delegate/*.c delegatectl/*.c exchange/*.c)
errlog=$B/lint-clang-tidy.err
printf '%s\n' $TIDY_SRCS | xargs -P2 -I{} clang-tidy --quiet {} -- -std=c11 $DEFS $INC \
    >"$log" 2>"$errlog"
tidy_rc=$?
# clang-tidy's stderr may only say how many (filtered) warnings it saw;
# anything else (a compile error, a crash, a missing header) is a failure.
tidy_err=$(grep -vE '^[0-9]+ warnings? generated\.$' "$errlog")
if [ "$tidy_rc" -ne 0 ] || [ -n "$tidy_err" ]; then
    echo "not ok 2 - clang-tidy failed (exit $tidy_rc, $errlog):"
    { echo "$tidy_err"; grep -E ': error: ' "$log"; } | sed 's/^/# /' | head -n 40
    exit 1
fi
findings=$(grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): .*\[[A-Za-z0-9.,-]+\]$' "$log" | sort -u |
    while IFS= read -r l; do
        file=${l%%:*}; file=${file#$PWD/}
        check=$(echo "$l" | sed -E 's/.*\[([A-Za-z0-9.-]+)(,[^]]*)?\]$/\1/')
        grep -qxF "$file:$check" tests/lint/tidy.supp || echo "$l"
    done)
if [ -z "$findings" ]; then
    echo "ok 2 - clang-tidy (.clang-tidy check set): clean over $(echo $TIDY_SRCS | wc -w) files"
else
    echo "not ok 2 - clang-tidy findings ($log):"
    echo "$findings" | sed 's/^/# /' | head -n 40
    exit 1
fi

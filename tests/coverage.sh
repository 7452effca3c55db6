#!/bin/bash
# Line and branch coverage (`make coverage`): builds with --coverage into
# build-cov/, runs the unit, NSS, PAM, CLI and adversarial tiers, and
# reports (lcov) common/, pam_delegate/ and nss_delegate/, plus whether
# every denial in the decision code (common/decision/policy.c) ran at least once.
# HTML report: build-cov/coverage/index.html.
set -u
cd "$(dirname "$0")/.."
CB=${COV_B:-build-cov}
TIERS=${COV_TIERS:-"unit nss pam cli adversarial"}
mkdir -p "$CB"
make -s B="$CB" SAN=coverage tests >"$CB/build.log" 2>&1 || { echo "coverage build failed: $CB/build.log"; exit 2; }
find "$CB" -name '*.gcda' -delete
B="$CB" TIERS="$TIERS" ./tests/run.sh | tail -n 1
info=$CB/coverage.info
lcov -q --capture --rc lcov_branch_coverage=1 --directory "$CB/obj" --base-directory . \
    --output-file "$info.all" 2>/dev/null || { echo "lcov capture failed"; exit 2; }
lcov -q --rc lcov_branch_coverage=1 --extract "$info.all" "$PWD/common/*" "$PWD/pam_delegate/*" \
    "$PWD/nss_delegate/*" --output-file "$info" 2>/dev/null
genhtml -q --branch-coverage --output-directory "$CB/coverage" "$info" >/dev/null 2>&1 || true

# per directory: lines hit/found, branches hit/found
awk -v root="$PWD/" '
    /^SF:/ { f = substr($0, 4); sub(root, "", f); split(f, p, "/"); d = p[1] }
    /^LF:/ { lf[d] += substr($0, 4) } /^LH:/ { lh[d] += substr($0, 4) }
    /^BRF:/ { bf[d] += substr($0, 5) } /^BRH:/ { bh[d] += substr($0, 5) }
    END {
        for (d in lf) {
            printf "%-14s %6.1f%% (%5d/%5d) %6.1f%% (%5d/%5d)\n", d,
                lf[d] ? 100 * lh[d] / lf[d] : 0, lh[d], lf[d],
                bf[d] ? 100 * bh[d] / bf[d] : 0, bh[d], bf[d]
        }
    }' "$info" | sort | sed '1i directory                 lines                branches'

# Every denial reason of the decision (common/decision/policy.c) given at least once:
# for each reason, at least one of its `deny(out, DLG_...)` lines ran.
# (Out-of-memory denials, which only allocation failure reaches, are listed
# apart.)
awk -v root="$PWD/" '
    /^SF:/ { in_policy = ($0 ~ /common\/decision\/policy\.c$/) }
    in_policy && /^DA:/ { split(substr($0, 4), a, ","); hit[a[1]] = a[2] }
    END { for (l in hit) print l, hit[l] }' "$info" | sort -n >"$CB/policy.hits"
declare -A reason_hit=()
oom_missed=0
while IFS=: read -r line text; do
    reason=$(echo "$text" | grep -oE 'DLG_[A-Z_]+' | head -n1)
    count=$(awk -v l="$line" '$1 == l { print $2 }' "$CB/policy.hits")
    [ -n "${reason_hit[$reason]:-}" ] || reason_hit[$reason]=0
    if [ -n "$count" ] && [ "$count" != 0 ]; then
        reason_hit[$reason]=1
    elif sed -n "${line},$((line + 1))p" common/decision/policy.c | grep -q 'out of memory'; then
        oom_missed=$((oom_missed + 1))
    else
        echo "denial line never run: common/decision/policy.c:$line $reason"
    fi
done < <(grep -nE 'deny\(out, DLG_[A-Z_]+' common/decision/policy.c)
total=${#reason_hit[@]} covered=0
for r in "${!reason_hit[@]}"; do
    if [ "${reason_hit[$r]}" = 1 ]; then covered=$((covered + 1)); else echo "denial reason never given: $r"; fi
done
echo "denial reasons given by dlg_decide_lazy in the tests: $covered/$total (out-of-memory-only lines not run: $oom_missed)"
echo "per-file details: lcov --list $info; HTML: $CB/coverage/index.html"

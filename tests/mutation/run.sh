#!/bin/bash
# Mutation check: does a test fail when a security rule is broken?
#
#   tests/mutation/run.sh [--list FILE] [--only ID[,ID...]] [--check] [--keep]
#
# Copies the working tree (uncommitted changes included, no build dirs, no
# .git) to a scratch directory, builds it once and runs every test the list
# names there (the baseline: it must pass, or nothing can be judged).  Then,
# for each mutant of the list (tests/mutation/mutants.list by default): puts
# the one-line slip into the scratch copy, rebuilds (incrementally), runs
# the tests named for it, and puts the original file back.  A mutant is
#   killed    when one of its tests fails,
#   SURVIVED  when all of them pass (a rule no test guards),
#   invalid   when its text is not found exactly as given or it does not
#             build (fix the list).
# One TAP line per mutant; the last line is "N mutants: K killed,
# S survived, I invalid"; the exit status is 0 only with no survivor and no
# invalid mutant.  --check only verifies that every mutant applies (no
# build, no tests).  --only runs the named mutants.  --keep leaves the
# scratch directory (its path is printed).
#
# Run by hand, as root (the pam and e2e tiers need it), not in `make check`:
# it builds and runs tests once per mutant.  Tests are named in the list as
# a tier ("unit", "pam": every test of tests/TIER) or one test
# ("pam:test_pam_account", "e2e:test_session_authority"), run the way
# tests/run.sh runs them.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
LIST=$ROOT/tests/mutation/mutants.list
ONLY= CHECK=0 KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
    --list) LIST=$(readlink -f "$2"); shift 2 ;;
    --only) ONLY=",$2,"; shift 2 ;;
    --check) CHECK=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//; /^set -u/d'; exit 0 ;;
    *) echo "usage: $0 [--list FILE] [--only ID[,ID...]] [--check] [--keep]" >&2; exit 2 ;;
    esac
done
[ -r "$LIST" ] || { echo "$0: cannot read $LIST" >&2; exit 2; }
command -v python3 >/dev/null || { echo "$0: python3 is needed" >&2; exit 2; }

# ---- the list ------------------------------------------------------------------
# Records, separated by blank lines or comments:
#   [ID]
#   file  = PATH (relative to the repository)
#   from  = TEXT   (exact; \n is a newline, \t a tab, \\ a backslash)
#   to    = TEXT
#   nth   = N      (optional: the Nth occurrence when TEXT occurs more than once)
#   tests = TIER or TIER:TEST, space separated
#   why   = what the slip breaks (one line, for the report)
declare -a IDS=()
declare -A FILE FROM TO NTH TESTS WHY
parse_list() {
    local line id="" key val
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        ''|'#'*) continue ;;
        '['*']') id=${line#[}; id=${id%]}; IDS+=("$id"); NTH[$id]=0 ;;
        *=*)
            [ -n "$id" ] || { echo "$LIST: '$line' outside a record" >&2; exit 2; }
            key=${line%%=*}; key=${key// /}
            val=${line#*=}; val=${val# }
            case $key in
            file) FILE[$id]=$val ;; from) FROM[$id]=$val ;; to) TO[$id]=$val ;;
            nth) NTH[$id]=$val ;; tests) TESTS[$id]=$val ;; why) WHY[$id]=$val ;;
            *) echo "$LIST: unknown key '$key' in [$id]" >&2; exit 2 ;;
            esac ;;
        *) echo "$LIST: cannot read '$line'" >&2; exit 2 ;;
        esac
    done <"$LIST"
}
parse_list
for id in "${IDS[@]}"; do
    for k in FILE FROM TESTS; do
        eval "v=\${$k[\$id]-}"
        [ -n "$v" ] || { echo "$LIST: [$id] has no ${k,,}" >&2; exit 2; }
    done
    [ -n "${TO[$id]+x}" ] || { echo "$LIST: [$id] has no to" >&2; exit 2; }
done
selected() { [ -z "$ONLY" ] || [[ $ONLY == *",$1,"* ]]; }

# apply DIR ID: the mutation in DIR's copy of the file; 0, or 1 when the text
# is not there exactly once (or at its nth place)
apply() {
    python3 - "$1/${FILE[$2]}" "${FROM[$2]}" "${TO[$2]}" "${NTH[$2]}" <<'EOF'
import sys
path, frm, to, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[s[i + 1]]); i += 2
        else:
            out.append(s[i]); i += 1
    return "".join(out)
frm, to = unescape(frm), unescape(to)
try:
    text = open(path).read()
except OSError as e:
    sys.exit("cannot read %s: %s" % (path, e))
count = text.count(frm)
if count == 0 or (nth == 0 and count != 1) or nth > count:
    sys.exit("found %d times%s" % (count, "" if nth == 0 else ", wanted occurrence %d" % nth))
at = -1
for _ in range(max(nth, 1)):
    at = text.index(frm, at + 1)
open(path, "w").write(text[:at] + to + text[at + len(frm):])
EOF
}

if [ "$CHECK" = 1 ]; then
    tmp=$(mktemp -d /tmp/dlg-mutation-check.XXXXXX)
    trap 'rm -rf "$tmp"' EXIT
    n=0 bad=0
    for id in "${IDS[@]}"; do
        selected "$id" || continue
        n=$((n + 1))
        mkdir -p "$tmp/$(dirname "${FILE[$id]}")"
        cp "$ROOT/${FILE[$id]}" "$tmp/${FILE[$id]}" 2>/dev/null
        if err=$(apply "$tmp" "$id" 2>&1); then
            echo "ok $n - $id applies to ${FILE[$id]}"
        else
            echo "not ok $n - $id does not apply to ${FILE[$id]}: $err"
            bad=$((bad + 1))
        fi
        cp "$ROOT/${FILE[$id]}" "$tmp/${FILE[$id]}" 2>/dev/null
    done
    echo "$n mutants: $((n - bad)) apply, $bad do not"
    [ "$bad" -eq 0 ]
    exit
fi

[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (the pam and e2e tests need it)" >&2; exit 2; }

# ---- the scratch tree -----------------------------------------------------------
SCRATCH=$(mktemp -d /tmp/dlg-mutation.XXXXXX)
chmod 0755 "$SCRATCH"
cleanup() { [ "$KEEP" = 1 ] && echo "# scratch tree kept: $SCRATCH" || rm -rf "$SCRATCH"; }
trap cleanup EXIT
TREE=$SCRATCH/tree
mkdir "$TREE"
tar -C "$ROOT" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$TREE" -xf - ||
    { echo "$0: cannot copy the tree" >&2; exit 2; }
LOGS=$SCRATCH/logs
mkdir "$LOGS"
echo "# scratch tree $TREE (copied from $ROOT)"

build() {   # LOG: an incremental build of everything the tests use
    make -C "$TREE" -j2 B="$TREE/build" tests >"$1" 2>&1
}

# run_test SPEC LOG: one tier or one test, as tests/run.sh runs it; 0 = passed
run_test() {
    local spec=$1 log=$2 tier name rc
    tier=${spec%%:*}
    name=
    [[ $spec == *:* ]] && name=${spec#*:}
    if [ -z "$name" ]; then
        (cd "$TREE" && B="$TREE/build" TIERS="$tier" ./tests/run.sh) >"$log" 2>&1
        return
    fi
    (
        cd "$TREE" || exit 2
        export B=$TREE/build CMOCKA_MESSAGE_OUTPUT=TAP
        if [ -x "tests/$tier/run-$name.sh" ]; then
            "tests/$tier/run-$name.sh" "$B/tests/$name"
        elif [ -e "tests/$tier/$name.c" ]; then
            "$B/tests/$name"
        elif [ -e "tests/$tier/$name.sh" ]; then
            bash "tests/$tier/$name.sh"
        else
            echo "not ok - no test $spec"
            exit 2
        fi
    ) >"$log" 2>&1 </dev/null
    rc=$?
    [ "$rc" -eq 0 ] && ! grep -qE '^not ok' "$log" && grep -qE '^ok ' "$log"
}

# ---- baseline: every test the selected mutants name passes unmutated --------------------
echo "# building the unmutated tree"
build "$LOGS/build-baseline.log" || { echo "not ok - the unmutated tree builds (see $LOGS/build-baseline.log)"; KEEP=1; exit 1; }
declare -A SPECS=()
for id in "${IDS[@]}"; do
    selected "$id" || continue
    for s in ${TESTS[$id]}; do SPECS[$s]=1; done
done
base_fail=0
for s in $(printf '%s\n' "${!SPECS[@]}" | sort); do
    if run_test "$s" "$LOGS/baseline-${s//[:\/]/_}.log"; then
        echo "# baseline: $s passes"
    else
        echo "not ok - baseline: $s fails unmutated (see $LOGS/baseline-${s//[:\/]/_}.log)"
        base_fail=1
    fi
done
[ "$base_fail" -eq 0 ] || { KEEP=1; echo "# fix the baseline first: no mutant can be judged"; exit 1; }

# ---- the mutants --------------------------------------------------------------------------
n=0 killed=0 survived=0 invalid=0
survivors=()
for id in "${IDS[@]}"; do
    selected "$id" || continue
    n=$((n + 1))
    f=${FILE[$id]}
    cp -p "$TREE/$f" "$SCRATCH/original"
    if ! err=$(apply "$TREE" "$id" 2>&1); then
        echo "not ok $n - invalid: $id ($f: $err)"
        invalid=$((invalid + 1))
        continue
    fi
    if ! build "$LOGS/build-$id.log"; then
        echo "not ok $n - invalid: $id does not build (see $LOGS/build-$id.log)"
        invalid=$((invalid + 1))
        KEEP=1
    else
        by=
        for s in ${TESTS[$id]}; do
            if ! run_test "$s" "$LOGS/$id-${s//[:\/]/_}.log"; then
                by=$s
                break
            fi
        done
        if [ -n "$by" ]; then
            echo "ok $n - killed: $id (by $by)"
            killed=$((killed + 1))
        else
            echo "not ok $n - SURVIVED: $id: ${WHY[$id]:-} (tests: ${TESTS[$id]})"
            survived=$((survived + 1))
            survivors+=("$id")
        fi
    fi
    cp -p "$SCRATCH/original" "$TREE/$f"
    touch "$TREE/$f"
done
build "$LOGS/build-restored.log" >/dev/null 2>&1
echo "1..$n"
[ "${#survivors[@]}" -gt 0 ] && echo "# survivors: ${survivors[*]}"
echo "$n mutants: $killed killed, $survived survived, $invalid invalid"
[ "$survived" -eq 0 ] && [ "$invalid" -eq 0 ]

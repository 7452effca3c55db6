#!/bin/bash
# The repository documents itself: every relative link of its Markdown files
# (README.md, DESIGN.md, BENCHMARKS.md, tests/**/README.md) names a file of
# the repository, never one outside it (a clone has nothing else), and every
# man page README.md names is in man/.  TAP.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
n=0 failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }

docs=$(ls README.md DESIGN.md BENCHMARKS.md 2>/dev/null; find tests bench -name README.md 2>/dev/null)
[ -f DESIGN.md ] && ok "DESIGN.md, the contract, is in the repository" || not_ok "DESIGN.md missing"
for d in $docs; do
    bad=""
    links=0
    while IFS= read -r target; do
        links=$((links + 1))
        t=${target%%#*}
        [ -z "$t" ] && continue
        case $t in http://*|https://*|mailto:*) continue ;; esac
        abs=$(realpath -m "$(dirname "$d")/$t")
        case $abs in "$ROOT"/*) ;; *) bad="$bad $target(outside)"; continue ;; esac
        [ -e "$abs" ] || bad="$bad $target(missing)"
    done < <(grep -oE '\]\([^) ]+\)' "$d" | sed -E 's/^\]\(//; s/\)$//')
    if [ -z "$bad" ]; then
        ok "$d: its $links links name files of the repository"
    else
        not_ok "$d: links that a clone cannot follow:$bad"
    fi
done
missing=""
for m in $(grep -oE '`[a-z_-]+\([58]\)`' README.md | tr -d '`' | sort -u); do
    page=man/${m%(*}.${m//[^0-9]/}
    [ -f "$page" ] || missing="$missing $m"
done
[ -z "$missing" ] && ok "every man page README.md names is in man/" || not_ok "man pages README.md names but man/ lacks:$missing"
echo "1..$n"
exit $failed

#!/bin/bash
# revoke rewrites revoked.conf atomically: killed with SIGKILL at random
# points while a reader keeps loading the config, the file is always a
# complete valid version (old or new); concurrent writers lose no update.
. "$(dirname "$0")/lib.sh"

ITER=${ATOMIC_ITERATIONS:-200}
setup_fixture || { not_ok "fixture"; finish; }
chmod 640 "$REVOKED"
"$DELEGATECTL" revoke --config "$CONF" --ticket seed >/dev/null || { not_ok "seed revoke"; finish; }

# The reader copies revoked.conf (one open, by the shell's redirection: it
# gets whichever version the name pointed to; not cp, which refuses a file
# "replaced while being copied") and validates the copy through a config that includes
# it; it also loads the real config.  Every version must be complete and
# valid, and the number of revoked ids never goes down (writers only add).
grep -v '^@include' "$CONF" >"$T/snap.conf"
printf '@include "%s"\n' "$T/snap" >>"$T/snap.conf"
chmod 644 "$T/snap.conf"
# the loader refuses a file renamed while it was reading it (a retry helps)
load_real() {
    local _try
    for _try in 1 2 3 4 5; do
        "$DELEGATECTL" check-config --config "$CONF" >"$T/r.out" 2>"$T/r.err" && return 0
        grep -q 'changed while the configuration was being read' "$T/r.err" || return 1
        echo x >>"$T/reader.retries"
    done
    return 1
}
reader() {
    local last=0 cnt loads=0
    while [ ! -e "$T/stop" ]; do
        if ! load_real; then
            { echo "check-config failed:"; cat "$T/r.out" "$T/r.err"; } >>"$T/reader.fail"
        fi
        cat <"$REVOKED" >"$T/snap" 2>>"$T/reader.fail"
        chmod 644 "$T/snap"
        if ! "$DELEGATECTL" check-config --config "$T/snap.conf" >"$T/s.out" 2>"$T/s.err"; then
            { echo "snapshot invalid:"; cat "$T/s.err" "$T/snap"; } >>"$T/reader.fail"
        fi
        if ! grep -q '^};$' "$T/snap"; then
            { echo "incomplete file:"; cat "$T/snap"; } >>"$T/reader.fail"
        fi
        cnt=$(grep -c 'id = ' "$T/snap")
        if [ "$cnt" -lt "$last" ]; then
            echo "ids went from $last to $cnt" >>"$T/reader.fail"
        fi
        last=$cnt
        loads=$((loads + 1))
        echo "$loads" >"$T/reader.loads.new" && mv -f "$T/reader.loads.new" "$T/reader.loads"
    done
}
reader & rpid=$!
# shellcheck disable=SC2034  # read by cleanup() in lib.sh
CLEANUP_PIDS=$rpid

# Where the kills land must not depend on the machine's speed: the delay
# before each SIGKILL is drawn from [0, 2*scale], and scale follows the
# writers' real duration on this machine right now (a stochastic
# approximation of its median): longer after a writer was killed, shorter
# after one completed.  So on a fast or a loaded machine alike about half
# the writers die mid-way and half complete.  It starts from the measured
# duration of uninterrupted revokes.
usec() { local s; s=$(date +%s%N); echo $((s / 1000)); }
scale=0
for i in 1 2 3; do
    t0=$(usec)
    "$DELEGATECTL" revoke --config "$CONF" --ticket "calibrate-$i" >/dev/null || { not_ok "calibration revoke"; finish; }
    scale=$((scale + $(usec) - t0))
done
scale=$((scale / 3 + 1))
echo "# an uninterrupted revoke takes ~$scale us here"
completed=()
killed=0
i=0
# at least ITER writers, and on until the reader has loaded the config 20
# times (however slow it is), with a cap
while [ "$i" -lt "$ITER" ] || { [ "$(cat "$T/reader.loads" 2>/dev/null || echo 0)" -lt 20 ] && [ "$i" -lt $((ITER * 20)) ]; }; do
    i=$((i + 1))
    d=$(( (RANDOM * 32768 + RANDOM) % (2 * scale + 1) ))
    "$DELEGATECTL" revoke --config "$CONF" --ticket "atomic-$i" >/dev/null 2>"$T/w.err" &
    w=$!
    sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
    kill -9 "$w" 2>/dev/null
    wait "$w" 2>/dev/null
    case $? in
    0) completed+=("$i"); scale=$((scale * 4 / 5 + 1)) ;;
    137) killed=$((killed + 1)); scale=$((scale * 5 / 4 + 1)) ;;
    *) echo "# writer $i failed: $(cat "$T/w.err")" ;;
    esac
done
ITER=$i
touch "$T/stop"
wait "$rpid"

echo "# $ITER writers: ${#completed[@]} completed, $killed killed (final scale $scale us); reader loads: $(cat "$T/reader.loads" 2>/dev/null), retries: $(cat "$T/reader.retries" 2>/dev/null | wc -l)"
check "writers were killed at some points ($killed) and completed at others (${#completed[@]})" \
    test "$killed" -gt 0 -a "${#completed[@]}" -gt 0
if [ -s "$T/reader.fail" ]; then
    not_ok "the reader always saw a complete, valid revoked.conf"
    head -n 40 "$T/reader.fail" | sed 's/^/# /'
else
    ok "the reader always saw a complete, valid revoked.conf"
fi
check "the reader loaded the config many times during the writes" test "$(cat "$T/reader.loads")" -ge 20
missing=0
for i in "${completed[@]}"; do
    grep -q "\"atomic-$i\"" "$REVOKED" || missing=$((missing + 1))
done
check "every revoke that exited 0 is in the final file (missing: $missing)" test "$missing" -eq 0
check "the seed entry from before survives" grep -q '"seed"' "$REVOKED"
check "the mode 0640 was kept through every rewrite" test "$(stat -c %a "$REVOKED")" = 640
run_ctl check-config --config "$CONF"
expect 0 "the final config is valid"
run_ctl revoke --config "$CONF" --ticket after-the-storm
expect 0 "the next revoke works"
check "it cleaned up temp files left by killed writers" \
    test -z "$(find "$T" -maxdepth 1 -name '.revoked.conf.*')"

# concurrent writers: the directory lock serialises them, no update is lost
pids=()
for i in $(seq 1 20); do
    "$DELEGATECTL" revoke --config "$CONF" --ticket "parallel-$i" >/dev/null 2>&1 &
    pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check "20 concurrent revokes all exit 0" test "$fails" -eq 0
check "all 20 concurrent revocations are in the file" test "$(grep -c '"parallel-' "$REVOKED")" -eq 20
run_ctl check-config --config "$CONF"
expect 0 "the config is valid after the concurrent writers"

finish

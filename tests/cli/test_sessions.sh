#!/bin/bash
# delegatectl sessions and revoke --terminate, on fake session records in a
# temp DELEGATE_SESSIONS_DIR and on processes this test starts itself.
. "$(dirname "$0")/lib.sh"

setup_fixture || { not_ok "fixture"; finish; }
S=$T/sessions
mkdir -m 700 "$S"
export DELEGATE_SESSIONS_DIR=$S DELEGATE_TERMINATE_GRACE=5

# record SERVICE PID JTI ACTOR PRINCIPAL START [ISS KID]
record() {
    local exp=$(( $6 + 900 ))
    printf '{"jti":"%s","actor":"%s","principal":"%s","service":"%s","user":"%s","tty":"pts/3","rhost":"10.1.2.3","iss":"%s","kid":"%s","pid":%d,"start":%d,"expires":%d}\n' \
        "$3" "$4" "$5" "$1" "$4" "${7:-corp}" "${8:-k1}" "$2" "$6" "$exp" >"$S/$1-$2.json"
    chmod 600 "$S/$1-$2.json"
}

# ---- sessions -----------------------------------------------------------
run_ctl sessions
expect_out 0 '^0 sessions listed\.$' "no records: 0 sessions listed"
DELEGATE_SESSIONS_DIR=$T/does-not-exist run_ctl sessions
expect_out 0 '^0 sessions listed\.$' "a missing sessions directory is an empty list"

n=$(now)
record sshd 4242 jti-one ci-deploy alice $(( n - 120 ))
record sudo 4343 jti-two support-bot bob $(( n - 60 ))
printf 'not json' >"$S/sshd-999.json"; chmod 600 "$S/sshd-999.json"
run_ctl sessions
expect_out 0 '^2 sessions listed\.$' "two records listed (an unreadable one skipped)"
check "the table has the documented columns" \
    grep -Eq '^ACTOR +PRINCIPAL +SERVICE +USER +PID +TTY +RHOST +START +EXPIRES +JTI +KEY$' "$T/out"
check "a row shows actor, principal, service, pid, tty, rhost and jti" \
    grep -Eq '^ci-deploy +alice +sshd +ci-deploy +4242 +pts/3 +10\.1\.2\.3 +[0-9T:-]+Z +[0-9T:-]+Z +jti-one +-$' "$T/out"
check "rows are sorted by start" \
    test "$(grep -n jti-one "$T/out" | cut -d: -f1)" -lt "$(grep -n jti-two "$T/out" | cut -d: -f1)"

run_ctl sessions --json
expect 0 "sessions --json"
check "sessions --json is a JSON array with both records and every field" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 2
keys = {"actor","principal","service","user","pid","tty","rhost","start","expires","jti","iss","kid","key","cgroup"}
assert all(keys <= set(o) for o in a)
assert a[0]["jti"] == "jti-one" and a[0]["pid"] == 4242 and isinstance(a[0]["start"], int)
assert a[1]["actor"] == "support-bot" and a[1]["service"] == "sudo"
' "$T/out"
# a session of a key-bound ticket shows its key (issue 12)
sed -i 's/"kid":"k1",/"kid":"k1","key":"SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw",/' "$S/sshd-4242.json"
run_ctl sessions
check "a bound session shows its key fingerprint in the KEY column" \
    grep -Eq ' +jti-one +SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw$' "$T/out"
run_ctl sessions --json
check "sessions --json: key is the fingerprint, or null when unbound" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert a[0]["key"] == "SHA256:QU7pbg9d6c6WD8wCfCj6KW6SmfZ4lARafTStH426Mxw", a[0]
assert a[1]["key"] is None
' "$T/out"
rm -f "$S"/*.json
run_ctl sessions --json
check "sessions --json with no records is []" python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == []' "$T/out"

chmod 777 "$S"
run_ctl sessions
expect 2 "a world-writable sessions directory is refused (exit 2)"
chmod 700 "$S"
run_ctl sessions --bogus
expect_out 2 "unknown option '--bogus'" "sessions with an unknown option: usage error"
run_ctl sessions extra
expect_out 2 "unexpected argument 'extra'" "sessions with an argument: usage error"

# ---- revoke --terminate -------------------------------------------------
# The sessions are sleeps with SIGHUP at its default action whatever this
# script inherited (a runner under nohup ignores it, and an ignored signal
# stays ignored across fork and exec); the stubborn one ignores it on
# purpose.  exec_done waits (however long it takes) until each pid has
# exec'd sleep, so that each disposition is in place.
exec_done() {
    local p _
    for p; do
        for _ in $(seq 1 600); do
            [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && break
            sleep 0.1
        done
    done
}
env --default-signal=HUP sleep 300 & victim=$!
env --default-signal=HUP sleep 300 & bystander=$!
bash -c 'trap "" HUP; exec sleep 300' & stubborn=$!
env --default-signal=HUP sleep 300 & reused=$!
CLEANUP_PIDS="$victim $bystander $stubborn $reused"
exec_done "$victim" "$bystander" "$stubborn" "$reused"
n=$(now)
record sshd "$victim" kill-me ci-deploy alice "$n"
record sshd "$bystander" keep-me ci-deploy alice "$n" other-iss other-kid
record sudo "$stubborn" stubborn-1 support-bot alice "$n"
record sudo 1 kill-me ci-deploy alice "$n"
record sshd 999999 kill-me ci-deploy alice "$n"
# a record older than the process now holding its pid: the pid was reused
record sshd "$reused" kill-me ci-deploy alice $(( n - 600 ))

run_ctl revoke --config "$CONF" --ticket kill-me --terminate
expect_out 0 "terminated session sshd pid $victim actor ci-deploy jti kill-me" \
    "revoke --ticket --terminate ends the matching session and says so"
wait "$victim"; st=$?
check "the matching process got SIGHUP (wait status $st)" test "$st" -eq $((128 + 1))
check "the ended session's record is removed" test ! -e "$S/sshd-$victim.json"
check "a session of another ticket is left alive" kill -0 "$bystander"
check "its record is kept" test -e "$S/sshd-$bystander.json"
check "pid 1 is never signalled (a warning instead)" grep -q "sudo-1 has an invalid pid" "$T/err"
check "a record whose process is gone is reported, not signalled" \
    grep -q "pid 999999 .* has already ended" "$T/out"
check "a reused pid is not signalled" kill -0 "$reused"
check "a reused pid is reported" grep -q "pid $reused .* now belongs to another process" "$T/err"
check "the revocation was written before terminating" grep -q '"kill-me"' "$REVOKED"

start=$(date +%s.%N)
run_ctl revoke --config "$CONF" --actor support-bot --terminate
end=$(date +%s.%N)
expect_out 0 "terminated session sudo pid $stubborn actor support-bot .*SIGKILL" \
    "a process ignoring SIGHUP is killed after the grace period"
wait "$stubborn"; st=$?
check "it died of SIGKILL (wait status $st)" test "$st" -eq $((128 + 9))
check "the grace period (5 s) was waited" python3 -c "import sys; sys.exit(0 if $end - $start >= 4.9 else 1)"

env --default-signal=HUP sleep 300 & p1=$!
env --default-signal=HUP sleep 300 & p2=$!
env --default-signal=HUP sleep 300 & p3=$!
env --default-signal=HUP sleep 300 & p4=$!
CLEANUP_PIDS="$CLEANUP_PIDS $p1 $p2 $p3 $p4"
exec_done "$p1" "$p2" "$p3" "$p4"
n=$(now)
record sshd "$p1" j-p1 ci-deploy release "$n"
record sshd "$p2" j-p2 ci-deploy alice "$n" ec e1
record sshd "$p3" j-p3 ci-deploy alice "$n" corp k1
record sshd "$p4" j-p4 ci-deploy alice "$n" corp k1
run_ctl revoke --config "$CONF" --principal release --terminate
check "--principal --terminate ends that principal's session" grep -q "pid $p1 " "$T/out"
run_ctl revoke --config "$CONF" --key e1 --terminate
check "--key --terminate ends the session of that key" grep -q "pid $p2 " "$T/out"
check "... and not the others" bash -c "kill -0 $p3 && kill -0 $p4"
run_ctl revoke --config "$CONF" --issuer corp --terminate
check "--issuer --terminate ends the sessions of that issuer" \
    bash -c "grep -q 'pid $p3 ' '$T/out' && grep -q 'pid $p4 ' '$T/out'"
wait "$p1" "$p2" "$p3" "$p4" 2>/dev/null

check "the bystander survived the other revocations" kill -0 "$bystander"
check "the process holding a reused pid survived them" kill -0 "$reused"
# both would match the issued-before cutoff below
rm -f "$S/sshd-$bystander.json" "$S/sshd-$reused.json"

env --default-signal=HUP sleep 300 & p5=$!
env --default-signal=HUP sleep 300 & p6=$!
CLEANUP_PIDS="$CLEANUP_PIDS $p5 $p6"
exec_done "$p5" "$p6"
n=$(now)
record sshd "$p5" j-p5 ci-deploy alice $(( n - 1 ))
record sshd "$p6" j-p6 ci-deploy alice $(( n + 100 ))
run_ctl revoke --config "$CONF" --issued-before "@$n" --terminate
check "--issued-before --terminate ends sessions that began before the cutoff" grep -q "pid $p5 " "$T/out"
check "... and keeps later ones" kill -0 "$p6"

run_ctl revoke --config "$CONF" --ticket nobody-has-this --terminate
expect_out 0 "no open session to terminate" "--terminate with no matching session"

finish

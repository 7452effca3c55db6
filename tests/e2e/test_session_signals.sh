#!/bin/bash
# How sessions end on the cgroup2 path, checked on synthetic sessions (a
# group /delegate/SERVICE-PID-TICKS with processes, and its record), so that
# each rule is seen alone:
#  - issue 21 item 3: a session whose processes all honour SIGHUP, with a long
#    grace, ends by SIGHUP alone: every process gone long before the grace,
#    no SIGKILL (fails if the walk over cgroup.procs signals only the first
#    process of a group);
#  - the SIGKILL sweep of kernels without cgroup.kill (test seam
#    DELEGATE_TEST_NO_CGROUP_KILL=1): the group frozen and swept, every
#    process gone, including one that ignores SIGHUP and one that forks;
#  - issue 18 item 14: a record naming a group the module did not make, or a
#    record file not written 0600, is never acted on;
#  - issue 18 item 15: a fork bomb through sudo stays within sessions.tasks_max.
# Timing is never asserted beyond "before the grace" with a grace of 60 s.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup

GRACE=60
TASKS=40
printf 'sessions = { grace = %d; tasks_max = %d; };\n' "$GRACE" "$TASKS" >>"$CONF"
"$CTL" check-config --config "$CONF" >/dev/null 2>&1 || e2e_die "test config valid"
CG=/sys/fs/cgroup
SESS=/run/delegate/sessions
mkdir -p -m 0700 "$SESS"
mkdir -p "$CG/delegate"

ticks() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[20] }' "/proc/$1/stat"; }

# session JTI EXP CMD...: a group holding N copies of CMD (each its own
# process), the first one the leader; prints the group path
session() {
    local jti=$1 exp=$2 n=$3 i pid lead="" ticks group; shift 3
    for i in $(seq 1 "$n"); do
        setsid "$@" </dev/null >/dev/null 2>&1 &
        pid=$!
        [ -z "$lead" ] && { lead=$pid; ticks=$(ticks "$pid"); group=/delegate/$SSHD_SVC-$pid-$ticks; mkdir "$CG$group"; }
        echo "$pid" >"$CG$group/cgroup.procs"
    done
    write_record "$jti" "$exp" "$lead" "$ticks" "$group" 0600
    echo "$group"
}
write_record() {   # JTI EXP PID TICKS GROUP MODE
    local f=$SESS/$SSHD_SVC-$3.json now
    now=$(date +%s)
    printf '{"jti":"%s","actor":"ci-deploy","principal":"alice","service":"%s","user":"ci-deploy","tty":null,"rhost":"127.0.0.1","iss":"corp","kid":"k1","pid":%d,"start":%d,"expires":%d,"cgroup":"%s","start_ticks":%s,"key":null,"iat":%d,"cell":"cgroup"}\n' \
        "$1" "$SSHD_SVC" "$3" "$now" "$2" "$5" "$4" "$now" >"$f.tmp"
    chmod "$6" "$f.tmp"
    mv "$f.tmp" "$f"
}
procs() { find "$CG$1" -name cgroup.procs -exec cat {} + 2>/dev/null | wc -l; }
empty() { [ ! -d "$CG$1" ] || [ "$(procs "$1")" -eq 0 ]; }

# ---- SIGHUP alone ends a session whose processes honour it --------------------
g=$(session sig-hup $(( $(date +%s) + 3600 )) 5 sleep 7001)
check "5 processes in the session's group" test "$(procs "$g")" -eq 5
start=$(date +%s)
out=$("$CTL" revoke --ticket sig-hup --terminate --config "$CONF" 2>&1)
took=$(( $(date +%s) - start ))
diag "$out" "took ${took}s (grace ${GRACE}s)"
check "revoke --terminate: every process gone" empty "$g"
check "by SIGHUP alone: no SIGKILL after the grace" bash -c '! grep -q SIGKILL <<<"$1" && grep -q "^terminated session" <<<"$1"' _ "$out"
check "ended before the grace ran out" test "$took" -lt "$GRACE"
check "the group and the record are removed" bash -c '[ ! -d "$1" ] && [ -z "$(ls "$2")" ]' _ "$CG$g" "$SESS"

# the same through watch, at exp
"$CTL" watch --config "$CONF" >"$NS/watch.log" 2>&1 &
WATCH_PID=$!
wait_for 10 grep -q watching "$NS/watch.log"
g=$(session sig-hup-exp $(( $(date +%s) + 2 )) 4 sleep 7002)
check "watch at exp: every process gone" wait_for 30 empty "$g"
check "watch: ended by SIGHUP alone" \
    wait_for 10 bash -c 'grep -q "ended session.*sig-hup-exp: expired$" "$1"' _ "$NS/watch.log"
kill "$WATCH_PID"; wait "$WATCH_PID" 2>/dev/null

# ---- the SIGKILL sweep where cgroup.kill is missing (test seam) ---------------
sed -i "s/grace = $GRACE;/grace = 1;/" "$CONF"
g=$(session sig-sweep $(( $(date +%s) + 3600 )) 3 sh -c 'trap "" HUP; while :; do sleep 0.05; done')
out=$(DELEGATE_TEST_NO_CGROUP_KILL=1 "$CTL" revoke --ticket sig-sweep --terminate --config "$CONF" 2>&1)
diag "$out"
check "without cgroup.kill: the freeze-and-sweep ends every process (SIGHUP ignored, forking)" empty "$g"
check "... reported as SIGKILL after the grace" grep -q "SIGKILL after the grace period" <<<"$out"
check "... and the group is removed (thawed first)" test ! -d "$CG$g"

# ---- only cells the module made (issue 18 item 14) ---------------------------
mkdir "$CG/victim-grp"
setsid sleep 7003 </dev/null >/dev/null 2>&1 &
victim=$!
echo "$victim" >"$CG/victim-grp/cgroup.procs"
write_record sig-foreign $(( $(date +%s) - 10 )) "$victim" "$(ticks "$victim")" /victim-grp 0600
out=$("$CTL" revoke --ticket sig-foreign --terminate --config "$CONF" 2>&1)
diag "$out"
check "a record naming a group the module did not make: refused with a warning" \
    grep -q "names a cell this module did not make" <<<"$out"
g=$(session sig-mode $(( $(date +%s) - 10 )) 1 sleep 7004)
chmod 0644 "$SESS/$SSHD_SVC-$(head -n 1 "$CG$g/cgroup.procs").json"
"$CTL" watch --config "$CONF" >"$NS/watch2.log" 2>&1 &
WATCH_PID=$!
wait_for 10 grep -q watching "$NS/watch2.log"
sleep 2
check "watch leaves the foreign group's (expired) process alone" kill -0 "$victim"
check "... and the session of a record file with mode 0644" test "$(procs "$g")" -eq 1
check "watch logs why" grep -q "victim-grp.*did not make\|did not make.*victim-grp" "$NS/watch2.log"
kill "$WATCH_PID"; wait "$WATCH_PID" 2>/dev/null
kill "$victim" $(cat "$CG$g/cgroup.procs") 2>/dev/null
rm -f "$SESS"/*.json

# ---- a fork bomb through sudo stays within tasks_max (issue 18 item 15) -------------
T=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo --approver carol --ttl 10m)
out=$(sudo_as support-bot "$T" -u alice perl -e \
    'my $n = 0; for (1..200) { my $p = fork; last unless defined $p; if (!$p) { sleep 30; exit } $n++ } print "forked $n\n"; kill 9, map { $_ } (); exit 0' 2>&1)
n=$(sed -n 's/^forked //p' <<<"$out")
pkill -u alice -x perl 2>/dev/null
mech=$(grep -qw pids "$CG/cgroup.controllers" && echo pids.max || echo RLIMIT_NPROC)
check "a fork bomb in a sudo session stays within tasks_max=$TASKS ($mech): $n forks" \
    test -n "$n" -a "${n:-999}" -lt "$TASKS"

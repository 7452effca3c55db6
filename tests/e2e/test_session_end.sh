#!/bin/bash
# Sessions end when their authority ends (issue 10): each admitted ssh
# session and sudo command is contained in a cgroup of its own, and
# `delegatectl watch` ends it at exp and at every kind of revocation: every
# process of the session (setsid, double fork, nohup, a SIGHUP-ignoring
# child, a command run through sudo from inside the session) is gone, the
# group and the record are removed, and session_end is audited with its
# reason.  Other sessions and processes outside any session are untouched.
# Also: a ControlPersist master cannot run a new command after exp; kill -9
# of watch and a restart ends what expired meanwhile; with the session
# record directory unusable an ssh login is refused.
#
# Timing: never asserted.  Every wait polls with a generous timeout; the
# measured delays are printed as diagnostics only.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
e2e_setup

GRACE=3
CG=/sys/fs/cgroup
WAIT=$((GRACE + 30))     # generous: a loaded machine must not fail the test

# The actor of this test, ops-bot, logs in over ssh and may use sudo (to
# alice) from inside its session: no `sources` (sudo has no remote host).
ACTOR=ops-bot
test_config() {
    e2e_write_config
    sed -i "s|^actors = (|actors = (\n  { name = \"$ACTOR\"; uid = 62003; shell = \"/bin/bash\"; principals = [\"alice\", \"release\"]; services = [\"$SSHD_SVC\", \"sudo\"]; },|" "$CONF"
    printf 'sessions = { grace = %d; };\n' "$GRACE" >>"$CONF"
}
test_config
grep -q "name = \"$ACTOR\"" "$CONF" || e2e_die "config: actor $ACTOR"
install -d -m 0755 -o 62003 -g 62000 /var/lib/delegate/$ACTOR
echo "$ACTOR	ALL=(alice) ALL" >/etc/sudoers.d/$ACTOR
chmod 0440 /etc/sudoers.d/$ACTOR
"$CTL" check-config --config "$CONF" >/dev/null 2>&1 || e2e_die "test config valid"
e2e_start_sshd

ssh_ticket() {   # JTI TTL [issue options...]
    local j=$1 ttl=$2; shift 2
    issue --actor "$ACTOR" --for alice --host "$HOSTNAME_DLG" --service "$SSHD_SVC" \
        --ttl "$ttl" --jti "$j" "$@"
}
sudo_ticket() {  # JTI TTL
    issue --actor "$ACTOR" --for alice --host "$HOSTNAME_DLG" --service sudo --ttl "$2" --jti "$1"
}

# The remote command of a session with marker M (a 3-digit number): every
# way a process can try to outlive its session, then the leader's sleep.
# With a sudo ticket file, a command through sudo as well (its own setsid
# child and a SIGHUP-ignoring process).
remote_cmd() {   # M [SUDO-TICKET-FILE]
    local m=$1 tf=${2:-}
    printf '%s\n' \
        "setsid sleep 7${m}1 </dev/null >/dev/null 2>&1 &" \
        "( ( sleep 7${m}2 </dev/null >/dev/null 2>&1 & ) & )" \
        "nohup sleep 7${m}3 </dev/null >/dev/null 2>&1 &" \
        "( trap '' HUP; exec sleep 7${m}4 ) </dev/null >/dev/null 2>&1 &"
    if [ -n "$tf" ]; then
        printf '%s\n' \
            "sudo -S -u alice sh -c 'setsid sleep 7${m}5 </dev/null >/dev/null 2>&1 & trap \"\" HUP; exec sleep 7${m}6' <$tf >$tf.out 2>&1 &"
    fi
    printf '%s\n' "echo STARTED" "exec sleep 7${m}0"
}
markers() {      # M [with-sudo]: the sleep arguments of a session
    local m=$1 n=4
    [ -n "${2:-}" ] && n=6
    seq -f "7${m}%g" 0 "$n"
}
# pids of "sleep N" exactly (not the ssh client whose command line holds
# the text), only those of this test: the pid namespace is the host's, and
# a process outside this test's cgroup namespace shows a "/.." path
mine() { local p c; for p in "$@"; do
    c=$(sed -n 's/^0:://p' "/proc/$p/cgroup" 2>/dev/null)
    [ -n "$c" ] && [[ $c != /..* ]] && echo "$p"; done; }
# shellcheck disable=SC2046
pgrep_mine() { mine $(pgrep -fx "$1"); }
sleep_pids() { local n; for n in "$@"; do pgrep_mine "sleep $n"; done; }
all_running() { local n; for n in "$@"; do [ -n "$(pgrep_mine "sleep $n")" ] || return 1; done; }
none_running() { [ -z "$(sleep_pids "$@")" ]; }

# ssh_start NAME TICKET CMD: a session in the background (client pid in
# CLIENT_<NAME>), its output in $NS/NAME.out; waits for STARTED
ssh_start() {
    local name=$1 t=$2 cmd=$3
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 300 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no \
        -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
        -p "$PORT" "$ACTOR@127.0.0.1" "$cmd" >"$NS/$name.out" 2>>"$NS/ssh-client.err" &
    printf -v "CLIENT_$name" %s "$!"
    wait_for 30 grep -sqx STARTED "$NS/$name.out"
}

# record_field JTI FIELD: a field of the session record of that ticket
record_field() {
    /usr/bin/python3 - "$1" "$2" <<'EOF'
import glob, json, sys
for f in glob.glob("/run/delegate/sessions/*.json"):
    r = json.load(open(f))
    if r.get("jti") == sys.argv[1]:
        v = r.get(sys.argv[2])
        print("" if v is None else v)
        break
EOF
}
record_gone() { [ -z "$(record_field "$1" jti)" ]; }
group_gone() { [ ! -d "$CG$1" ]; }

start_watch() {
    "$CTL" watch --config "$CONF" >>"$NS/watch.log" 2>&1 &
    WATCH_PID=$!
    wait_for 10 grep -q "watching" "$NS/watch.log"
}
stop_watch() {
    [ -n "${WATCH_PID:-}" ] || return 0
    kill "$WATCH_PID" 2>/dev/null
    wait "$WATCH_PID" 2>/dev/null
    WATCH_PID=
}

# expect_ended DESC JTI CGROUP REASON M [with-sudo]: the session ended for
# REASON: its processes, group and record gone, session_end audited.
expect_ended() {
    local desc=$1 jti=$2 group=$3 reason=$4 m=$5 sudo=${6:-} t0=$SECONDS
    # shellcheck disable=SC2046
    if wait_for "$WAIT" none_running $(markers "$m" $sudo); then
        ok "$desc: every process of the session is gone"
        diag "($desc: gone after about $((SECONDS - t0)) s of polling)"
    else
        not_ok "$desc: every process of the session is gone"
        # shellcheck disable=SC2046
        diag "left: $(ps -o pid=,args= -p "$(sleep_pids $(markers "$m" $sudo) | paste -sd,)" 2>&1)"
    fi
    check "$desc: its cgroup $group is removed" wait_for 10 group_gone "$group"
    check "$desc: its record is removed" wait_for 10 record_gone "$jti"
    check "$desc: audit session_end reason=$reason" \
        wait_for 10 audit_has event=session_end jti="$jti" reason="$reason"
}

OUTSIDE_ROOT= OUTSIDE_ALICE=
sleep 7990 </dev/null >/dev/null 2>&1 &
OUTSIDE_ROOT=$!
runuser -u alice -- setsid sleep 7991 </dev/null >/dev/null 2>&1 &
OUTSIDE_ALICE=$!
touch "$NS/watch.log"
start_watch || e2e_die "delegatectl watch started"

# ---- containment -----------------------------------------------------------------
install -m 0644 /dev/null "$NS/scratch/t10.sudo"
install -m 0666 /dev/null "$NS/scratch/t10.sudo.out"
sudo_ticket e2e-end-exp-sudo 10m >"$NS/scratch/t10.sudo"
T=$(ssh_ticket e2e-end-exp 30s)
audit_mark
check "expiry: session with setsid, double-fork, nohup, HUP-ignoring and sudo children started" \
    ssh_start s10 "$T" "$(remote_cmd 10 "$NS/scratch/t10.sudo")"
if wait_for 20 all_running $(markers 10 sudo); then
    ok "expiry: every child runs (sudo's too)"
else
    not_ok "expiry: every child runs (sudo's too)"
    diag "sudo said: $(cat "$NS/scratch/t10.sudo.out")" "$(tail -n 2 "$AUDIT")"
fi
grp=$(record_field e2e-end-exp cgroup)
check "the record names the session's cgroup under /delegate/" \
    bash -c '[[ $1 == /delegate/'"$SSHD_SVC"'-* ]] && [ -d "/sys/fs/cgroup$1" ]' _ "$grp"
ticks=$(record_field e2e-end-exp start_ticks)
leader=$(record_field e2e-end-exp pid)
check "the record has the leader's start time in clock ticks" \
    bash -c '[ "$(cut -d")" -f2- /proc/$1/stat | cut -d" " -f21)" = "$2" ]' _ "$leader" "$ticks"
check "the record has the ticket's iat" test -n "$(record_field e2e-end-exp iat)"
in_group() {   # PID GROUP: pid runs in GROUP or below
    local c
    c=$(sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null)
    [ "$c" = "$2" ] || [[ $c == "$2"/* ]]
}
all_in_group() { local p; for p in "$@"; do in_group "$p" "$grp" || return 1; done; }
# shellcheck disable=SC2046
check "every process of the session (setsid ones too) is inside that group" \
    all_in_group $(sleep_pids $(markers 10 sudo))
check "the sshd monitor (the session leader) is inside it" in_group "$leader" "$grp"
sudo_grp=$(record_field e2e-end-exp-sudo cgroup)
check "the sudo run from the session has its own group, nested in the session's" \
    bash -c '[[ $1 == "$2"/sudo-* ]] && [ -d "/sys/fs/cgroup$1" ]' _ "$sudo_grp" "$grp"
check "the sudo command runs in the nested group" in_group "$(pgrep_mine 'sleep 7106')" "$sudo_grp"
check "a session's process cannot leave its group (as the actor)" \
    bash -c '! runuser -u ops-bot -- sh -c "echo \$\$ >/sys/fs/cgroup/cgroup.procs" 2>/dev/null'
check "audit: session_open for the ssh session" audit_has event=session_open jti=e2e-end-exp
check "audit: session_open for the sudo command" audit_has event=session_open jti=e2e-end-exp-sudo
"$CTL" sessions --json >"$NS/sessions.json" 2>&1
check "delegatectl sessions --json shows cgroup and key" /usr/bin/python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
s = [o for o in a if o["jti"] == "e2e-end-exp"][0]
assert s["cgroup"] == sys.argv[2] and "key" in s and s["key"] is None
' "$NS/sessions.json" "$grp"

# ---- expiry ------------------------------------------------------------------------
expect_ended "expiry" e2e-end-exp "$grp" expired 10 sudo
check "expiry: the nested sudo session's record is removed too" wait_for 10 record_gone e2e-end-exp-sudo
check "expiry: the ssh client saw its session end" wait_for 20 bash -c "! kill -0 $CLIENT_s10 2>/dev/null"

# ---- every kind of revocation (no --terminate: watch sees the config change) ---------
revoke_case() {   # M KIND VALUE REASON [ticket options...]
    local m=$1 kind=$2 value=$3 reason=$4 jti=e2e-end-$1; shift 4
    local t g
    e2e_write_revoked
    t=$(ssh_ticket "$jti" 10m "$@")
    if ! ssh_start "s$m" "$t" "$(remote_cmd "$m")" || ! wait_for 20 all_running $(markers "$m"); then
        not_ok "$kind: session started"; return
    fi
    g=$(record_field "$jti" cgroup)
    audit_mark
    [ "$value" = NOW ] && { sleep 1.1; value=@$(date +%s); }
    "$CTL" revoke --"$kind" "$value" --config "$CONF" >/dev/null 2>>"$NS/revoke.err" ||
        not_ok "$kind: delegatectl revoke --$kind"
    expect_ended "revoke --$kind" "$jti" "$g" "$reason" "$m"
}
revoke_case 21 ticket e2e-end-21 revoked_ticket
revoke_case 22 actor "$ACTOR" revoked_actor
revoke_case 23 principal alice revoked_principal
revoke_case 24 issuer corp revoked_issuer
revoke_case 25 key k1 revoked_key
revoke_case 26 issued-before NOW revoked_before
e2e_write_revoked

# the principal no longer allowed: an edit of the config itself
T=$(ssh_ticket e2e-end-27 10m)
if ssh_start s27 "$T" "$(remote_cmd 27)" && wait_for 20 all_running $(markers 27); then
    g=$(record_field e2e-end-27 cgroup)
    audit_mark
    sed -i "/name = \"$ACTOR\"/s/principals = \\[\"alice\", \"release\"\\];/principals = [\"release\"];/" "$CONF"
    grep -q "name = \"$ACTOR\".*principals = \\[\"release\"\\]" "$CONF" || not_ok "config edit"
    expect_ended "alice no longer among $ACTOR's principals" e2e-end-27 "$g" principal_not_allowed 27
else
    not_ok "principal edit: session started"
fi
test_config

# ---- an unusable config ends nothing by itself -----------------------------------------
T=$(ssh_ticket e2e-end-31 10m)
check "unusable config: session started" ssh_start s31 "$T" "$(remote_cmd 31)"
check "unusable config: its processes run" wait_for 20 all_running $(markers 31)
T=$(ssh_ticket e2e-end-33 15s)
check "unusable config: a session with a short ticket started" ssh_start s33 "$T" "$(remote_cmd 33)"
g33=$(record_field e2e-end-33 cgroup)
cp -p "$CONF" "$NS/conf.good"
audit_mark
echo 'this is = not ( libconfig' >>"$CONF"
check "watch logs the unusable config" wait_for 10 grep -q "unusable" "$NS/watch.log"
expect_ended "unusable config: expiry still ends a session" e2e-end-33 "$g33" expired 33
check "unusable config: the other session still runs (nothing ended for it)" all_running $(markers 31)
cp -p "$NS/conf.good" "$CONF"

# ---- a second session of the same actor survives the first one's revocation ----------
T2=$(ssh_ticket e2e-end-32 10m)
check "second session (another ticket) started" ssh_start s32 "$T2" "$(remote_cmd 32)"
check "its processes run" wait_for 20 all_running $(markers 32)
g31=$(record_field e2e-end-31 cgroup)
g32=$(record_field e2e-end-32 cgroup)
audit_mark
"$CTL" revoke --ticket e2e-end-31 --config "$CONF" >/dev/null 2>>"$NS/revoke.err"
expect_ended "first session's ticket revoked" e2e-end-31 "$g31" revoked_ticket 31
check "the second session's processes still run" all_running $(markers 32)
check "the second session is still recorded" test -n "$(record_field e2e-end-32 jti)"
check "the second session's cgroup still exists" test -d "$CG$g32"

# ---- revoke --terminate: at once, "terminated" only with the group empty -------------
stop_watch
audit_mark
"$CTL" revoke --ticket e2e-end-32 --terminate --config "$CONF" >"$NS/term.out" 2>&1
is "$?" 0 "revoke --ticket --terminate: exit 0"
check "revoke --terminate says terminated" grep -q "terminated session $SSHD_SVC .*jti e2e-end-32" "$NS/term.out"
check "--terminate: every process is gone when it returns" none_running $(markers 32)
check "--terminate: the cgroup is gone when it returns" group_gone "$g32"
check "--terminate: the record is gone" record_gone e2e-end-32
check "--terminate: audit session_end reason=revoked_ticket" \
    audit_has event=session_end jti=e2e-end-32 reason=revoked_ticket
start_watch || not_ok "watch restarted"

# ---- kill -9 of watch, and a restart ends what expired meanwhile -----------------------
T=$(ssh_ticket e2e-end-41 20s)
check "short session for the crash case started" ssh_start s41 "$T" "$(remote_cmd 41)"
g41=$(record_field e2e-end-41 cgroup)
kill -9 "$WATCH_PID"; wait "$WATCH_PID" 2>/dev/null; WATCH_PID=
exp41=$(record_field e2e-end-41 expires)
check "the crash case's record has its exp" test -n "$exp41"
wait_for 40 bash -c "[ \$(date +%s) -gt ${exp41:-0} ]"
check "with no watch running, the expired session's processes are still there" \
    all_running $(markers 41)
audit_mark
start_watch || not_ok "watch restarted"
expect_ended "expired while watch was down, ended after its restart" e2e-end-41 "$g41" expired 41

# ---- a ControlPersist master cannot run a new command after exp -----------------------
T=$(ssh_ticket e2e-end-51 20s)
CM=$NS/client/cm-51
SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$T \
    timeout 60 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no \
    -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
    -o ControlMaster=yes -o ControlPath="$CM" -o ControlPersist=120 \
    -p "$PORT" "$ACTOR@127.0.0.1" 'echo FIRST' >"$NS/cm1.out" 2>>"$NS/ssh-client.err"
check "ControlPersist: the first command ran" grep -qx FIRST "$NS/cm1.out"
mux() {
    timeout 20 ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=yes -o ControlMaster=no \
        -o ControlPath="$CM" -p "$PORT" "$ACTOR@127.0.0.1" "$@" 2>>"$NS/ssh-client.err"
}
out=$(mux echo SECOND)
is "$out" SECOND "ControlPersist: a multiplexed command runs before exp"
check "ControlPersist: watch ends the master's session at exp" \
    wait_for "$WAIT" audit_has event=session_end jti=e2e-end-51 reason=expired
out=$(mux echo THIRD)
check "ControlPersist: no new command after exp" test "$out" != THIRD
ssh -o ControlPath="$CM" -O exit x >/dev/null 2>&1

# ---- /run/delegate/sessions unusable: the ssh login is refused ---------------------------
mv /run/delegate/sessions /run/delegate/sessions.saved
install -m 0644 /dev/null /run/delegate/sessions
T=$(ssh_ticket e2e-end-61 10m)
audit_mark
out=$(ssh_kbd "$T" "$ACTOR" 'echo ADMITTED')
check "records unusable: ssh login refused" bash -c '! grep -q ADMITTED <<<"$1"' _ "$out"
# sshd reports any failing account phase as "User account has expired"
check "records unusable: refused by the account phase (sshd: Failed keyboard-interactive)" \
    bash -c 'tail -n 5 "$1" | grep -q "Failed keyboard-interactive/pam for $2"' _ "$NS/sshd.log" "$ACTOR"
check "records unusable: no session was opened" audit_lacks event=session_open jti=e2e-end-61
rm -f /run/delegate/sessions
mv /run/delegate/sessions.saved /run/delegate/sessions
out=$(ssh_kbd "$T" "$ACTOR" 'echo ADMITTED')
check "records usable again: the same ticket logs in" grep -qx ADMITTED <<<"$out"

# ---- watch's sweep spares the group of a session being set up ---------------------------
# Between pam_delegate's mkdir of a new session's group (SERVICE-PID-TICKS)
# and the move of that process into it, the group is empty and no record
# names it yet: sweeping it then would refuse the login.
sleep 7992 </dev/null >/dev/null 2>&1 &
SETUP_PID=$!
setup_ticks=$(cut -d")" -f2- "/proc/$SETUP_PID/stat" | cut -d" " -f21)
g_setup=/delegate/$SSHD_SVC-$SETUP_PID-$setup_ticks
g_gone=/delegate/$SSHD_SVC-4194304-1      # no process can have that pid (pid_max <= 2^22)
mkdir "$CG$g_setup" "$CG$g_gone"
: >/run/delegate/sessions/.sweep-trigger   # a scan now, not at the 60 s safety re-check
rm -f /run/delegate/sessions/.sweep-trigger
check "sweep: an empty group no record names, whose process is gone, is removed" \
    wait_for "$WAIT" group_gone "$g_gone"
check "sweep: in the same scan, the empty group of a session being set up is kept" \
    test -d "$CG$g_setup"
kill "$SETUP_PID"; wait "$SETUP_PID" 2>/dev/null
check "sweep: once its process is gone, that group is removed too" \
    wait_for "$WAIT" group_gone "$g_setup"

# ---- nothing else touched, nothing left behind ------------------------------------------
check "a root process outside any session is untouched" kill -0 "$OUTSIDE_ROOT"
check "a process of a local user outside any session is untouched" \
    test -n "$(pgrep_mine 'sleep 7991')"
check "no session process is left" test -z "$(pgrep_mine 'sleep 7[1-6][0-9][0-9]')"
check "no record is left" wait_for 15 bash -c '[ -z "$(ls -A /run/delegate/sessions)" ]'
check "no session cgroup is left (watch swept the ended ones)" \
    wait_for 70 bash -c '[ -z "$(find /sys/fs/cgroup/delegate -mindepth 1 -type d 2>/dev/null)" ]'
check "watch logged each end" grep -q "ended session" "$NS/watch.log"
stop_watch
kill "$OUTSIDE_ROOT" 2>/dev/null
kill $(pgrep_mine 'sleep 7991') 2>/dev/null
diag "watch log (tail):" "$(tail -n 8 "$NS/watch.log")"

# End-to-end harness: real sshd, ssh, sudo, getent and id against the built
# pam_delegate.so, libnss_delegate.so.2 and delegatectl, all inside a private
# mount namespace so that the host's /etc, lib dir, /run and /var stay
# byte-for-byte unchanged.
#
# A test script does:
#     . "$(dirname "$0")/lib.sh"
#     e2e_enter "$@"        # re-runs the script inside the namespace
#     e2e_setup             # overlays, users, config, keys, pam.d, sudoers
#     e2e_start_sshd        # a renamed copy of sshd: PAM service "sshd-dlg"
#     ... ok / not_ok / check ...
#
# The outer half (on the host) snapshots the host state, runs the script again
# under `unshare --mount` and compares the snapshot afterwards; that comparison
# is the last TAP line of every test file.

set -u

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_LIB_DIR/../.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B=$E2E_ROOT/$B ;; esac
export B
CTL=$B/delegatectl
PAM_SO=$B/pam_delegate.so
NSS_SO=$B/libnss_delegate.so.2
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
LIBDIR=$(readlink -f "/lib/$MULTIARCH")
PAMDIR=$LIBDIR/security

SSHD_SVC=sshd-dlg                       # PAM service = the sshd copy's name
CONF=/etc/delegate/delegate.conf
REVOKED=/etc/delegate/revoked.conf
AUDIT=/var/log/delegate/audit.jsonl
HOSTNAME_DLG=e2e-host

# Local accounts written into the overlay /etc/passwd (principals and an
# ordinary user with a password); actors come from the NSS module only.
LOCAL_USERS="alice:2901 bob:2902 carol:2903"
CAROL_PASSWORD='carol-e2e-Pw.1'

T_N=0
T_FAILED=0

. "$E2E_ROOT/tests/lib/cgroup-ns.sh"

# ---- TAP -------------------------------------------------------------------

e2e_count() { [ -d "${E2E_TMP:-/nonexistent}" ] && echo "$T_N" >"$E2E_TMP/tap_count"; return 0; }
ok()     { T_N=$((T_N + 1)); echo "ok $T_N - $*"; e2e_count; }
not_ok() { T_N=$((T_N + 1)); T_FAILED=1; echo "not ok $T_N - $*"; e2e_count; }
diag()   { printf '%s\n' "$@" | sed 's/^/# /'; }
# check DESC CMD...: ok when CMD succeeds
check()  { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# is GOT WANT DESC
is() {
    if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; diag "got:  '$1'" "want: '$2'"; fi
}

# ---- host side -------------------------------------------------------------

e2e_host_snapshot() {
    local f p
    for f in /etc/pam.d/* /etc/nsswitch.conf /etc/sudoers /etc/sudoers.d/* /etc/passwd \
             /etc/group /etc/shadow /etc/gshadow /etc/ssh/sshd_config; do
        [ -e "$f" ] && sha256sum "$f"
    done
    # the files this project would install (not the whole dir: apt may run meanwhile)
    ls -lA --time-style=+%s "$PAMDIR"
    ls -la --time-style=+%s "$LIBDIR"/libnss_* "$LIBDIR"/*delegate* 2>&1
    for p in /etc/delegate /run/delegate /var/lib/delegate /var/log/delegate /run/sshd \
             /run/sudo/ts; do
        ls -la --time-style=+ "$p" 2>&1
    done
}

e2e_require_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "$0: the e2e tier needs root (mount namespaces, sshd, sudo)" >&2
        exit 2
    fi
}

# e2e_enter "$@": on the host, run this script again inside a private mount
# namespace, then check the host is untouched.  Inside, return at once.
e2e_enter() {
    e2e_require_root
    if [ "${DLG_E2E_INSIDE:-}" = 1 ]; then
        trap e2e_cleanup EXIT
        return 0
    fi
    local missing="" f rc n script
    for f in "$CTL" "$PAM_SO" "$NSS_SO"; do [ -e "$f" ] || missing="$missing $f"; done
    if [ -n "$missing" ]; then
        echo "not ok 1 - build artifacts present (missing:$missing; run make B=$B all)"
        exit 1
    fi
    script=$(readlink -f "$0")
    E2E_TMP=$(mktemp -d /tmp/dlg-e2e.XXXXXX) || exit 2
    chmod 0755 "$E2E_TMP"
    mkdir -m 0755 "$E2E_TMP/ns"
    trap 'rm -rf "$E2E_TMP"' EXIT
    e2e_host_snapshot >"$E2E_TMP/host.before" 2>&1
    # sessions are contained in cgroups: the test runs in a group and a
    # cgroup namespace of its own (tests/lib/cgroup-ns.sh)
    E2E_CG=$(dlgcg_create) || { echo "not ok 1 - a cgroup2 group for the test"; exit 1; }
    trap 'dlgcg_destroy "$E2E_CG"; rm -rf "$E2E_TMP"' EXIT
    DLG_E2E_INSIDE=1 E2E_TMP=$E2E_TMP E2E_OUTER_PID=$$ bash -c \
        'echo $$ >"$1/cgroup.procs" && shift && exec unshare --cgroup --mount --propagation private -- bash "$@"' \
        _ "$E2E_CG" "$script" "$@"
    rc=$?
    e2e_host_snapshot >"$E2E_TMP/host.after" 2>&1
    n=$(cat "$E2E_TMP/tap_count" 2>/dev/null || echo 0)
    T_N=$n
    local what="host unchanged after the run: the bytes (sha256) of /etc/pam.d/*, nsswitch.conf, sudoers, sudoers.d/*, passwd, group, shadow, gshadow, ssh/sshd_config; the listings of $PAMDIR, the NSS modules in $LIBDIR, /etc|/run|/var/lib|/var/log/delegate, /run/sshd, /run/sudo/ts"
    if cmp -s "$E2E_TMP/host.before" "$E2E_TMP/host.after"; then
        ok "$what"
    else
        not_ok "$what"
        diff "$E2E_TMP/host.before" "$E2E_TMP/host.after" | head -20 | sed 's/^/# /'
        rc=1
    fi
    E2E_SSHD_PID=$(cat "$E2E_TMP/sshd.pid" 2>/dev/null)
    if dlgcg_destroy "$E2E_CG"; then
        T_N=$((T_N + 1)); echo "ok $T_N - the test's cgroup removed with every child group"
    else
        T_N=$((T_N + 1)); T_FAILED=1; echo "not ok $T_N - the test's cgroup removed with every child group"
    fi
    rm -rf "$E2E_TMP"
    # a test may define e2e_after_host: more checks on the host side
    if declare -F e2e_after_host >/dev/null; then
        e2e_after_host "$rc" || rc=1
    fi
    [ "$T_FAILED" -ne 0 ] && rc=1
    [ -n "${E2E_NO_PLAN:-}" ] || echo "1..$T_N"
    exit "$rc"
}

# ---- inside the namespace ----------------------------------------------------

# True only in a mount namespace of our own: neither the host's (pid 1's)
# nor the one of the shell that started this test.
e2e_private_ns() {
    local me
    me=$(readlink /proc/$$/ns/mnt)
    [ -n "$me" ] && [ -n "${E2E_OUTER_PID:-}" ] &&
        [ "$me" != "$(readlink "/proc/$E2E_OUTER_PID/ns/mnt")" ] &&
        [ "$me" != "$(readlink /proc/1/ns/mnt)" ]
}

# Processes of this mount namespace other than this shell (and its pipelines).
e2e_ns_pids() {
    local me
    me=$(readlink /proc/$$/ns/mnt | tr -dc 0-9)
    ps -eo pid=,ppid=,mntns=,stat= | awk -v ns="$me" -v top=$$ -v cur="$BASHPID" \
        '$3 == ns && $4 !~ /^Z/ && $1 != top && $1 != cur && $2 != cur { print $1 }'
}

# Signals every process left in this namespace; returns 1 once none is left.
e2e_kill_namespace() {
    local pid pids i me
    e2e_private_ns || return 1
    me=$(readlink /proc/$$/ns/mnt | tr -dc 0-9)
    pids=$(e2e_ns_pids)
    [ -z "$pids" ] && return 1
    for pid in $pids; do
        [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null | tr -dc 0-9)" = "$me" ] &&
            kill -"$1" "$pid" 2>/dev/null
    done
    for i in $(seq 1 100); do
        [ -z "$(e2e_ns_pids)" ] && return 1
        sleep 0.1
    done
    return 0
}

# Ends every process still in this mount namespace (all of them were started
# by this test: sshd and what it forked), sshd first by its recorded PID.
e2e_cleanup() {
    local rc=$?
    trap - EXIT
    set +e
    if [ "$T_FAILED" -ne 0 ] && [ -n "${NS:-}" ]; then
        [ -s "$NS/sshd.log" ] && { echo "# ---- sshd log (tail)"; tail -n 40 "$NS/sshd.log" | sed 's/^/# /'; }
        [ -s "$AUDIT" ] && { echo "# ---- audit (tail)"; tail -n 20 "$AUDIT" | sed 's/^/# /'; }
    fi
    e2e_stop_sshd
    e2e_kill_namespace TERM && e2e_kill_namespace KILL
    [ "$T_N" -eq 0 ] && echo "not ok 1 - test ran no case" && rc=1
    [ "$T_FAILED" -ne 0 ] && rc=1
    exit "$rc"
}

e2e_overlay() {   # DIR NAME: writable overlay over DIR, upper layer in the tmpfs
    mkdir -p "$NS/ovl/$2/upper" "$NS/ovl/$2/work"
    mount -t overlay "dlg-e2e-$2" \
        -o "lowerdir=$1,upperdir=$NS/ovl/$2/upper,workdir=$NS/ovl/$2/work" "$1"
}

e2e_die() { not_ok "$*"; exit 1; }

# Everything a test needs: the system part, then the issuer key (corp/k1)
# and the config.
e2e_setup() {
    e2e_setup_system
    e2e_keygen corp k1
    e2e_write_revoked
    e2e_write_config
}

# Refuses to go on unless every place the test writes to is this
# namespace's own: a failed mount must never let a write reach the host.
e2e_assert_isolated() {
    local d want
    e2e_private_ns || e2e_die "running in a private mount namespace"
    for d in "$NS:tmpfs" /etc:overlay "$LIBDIR:overlay" /var/lib:overlay /var/log:overlay /run:tmpfs \
             /sys/fs/cgroup:cgroup2; do
        want=${d##*:}
        [ "$(findmnt -n -o FSTYPE --mountpoint "${d%:*}" | tail -n 1)" = "$want" ] ||
            e2e_die "${d%:*} is a $want mount of this namespace"
    done
}

# Mounts and files; everything lands in the tmpfs at $NS or in overlays.
e2e_setup_system() {
    NS=$E2E_TMP/ns
    e2e_private_ns || e2e_die "running in a private mount namespace"
    mount -t tmpfs -o mode=0755,size=256m dlg-e2e "$NS" || e2e_die "tmpfs for the test"
    mkdir -m 0755 "$NS/bin" "$NS/sshd" "$NS/client"
    mkdir -m 0700 "$NS/issuer"
    mkdir -m 1777 "$NS/scratch"
    e2e_overlay /etc etc && e2e_overlay "$LIBDIR" lib && e2e_overlay /var/lib varlib &&
        e2e_overlay /var/log varlog || e2e_die "overlay mounts"
    mount -t tmpfs -o mode=0755,size=64m dlg-e2e-run /run || e2e_die "tmpfs on /run"
    dlgcg_mount_inside || e2e_die "a cgroup2 of the test's own on /sys/fs/cgroup"
    e2e_assert_isolated
    mkdir -m 0755 /run/sshd

    install -m 0644 "$PAM_SO" "$PAMDIR/pam_delegate.so"
    install -m 0644 "$NSS_SO" "$LIBDIR/libnss_delegate.so.2"

    e2e_local_users
    # DESIGN.md §5; the host's other lines stay
    sed -i -E 's/^(passwd|group|shadow):.*/\1:         files delegate/' /etc/nsswitch.conf
    mkdir -p -m 0755 /var/lib/delegate
    mkdir -p -m 0700 /var/log/delegate
    rm -rf /etc/delegate
    mkdir -m 0755 /etc/delegate /etc/delegate/keys
    e2e_pam_stack "$SSHD_SVC"
    e2e_pam_stack sudo
    e2e_sudoers
    e2e_actor_homes
    printf '#!/bin/sh\nexec %s askpass\n' "$CTL" >"$NS/bin/askpass"
    chmod 0755 "$NS/bin/askpass"
}

e2e_local_users() {
    local u name uid hash owner
    hash=$(openssl passwd -6 "$CAROL_PASSWORD")
    mkdir -p -m 0755 /var/lib/e2e-home
    for u in $LOCAL_USERS; do
        name=${u%%:*} uid=${u##*:}
        owner=$(getent passwd "$uid" | cut -d: -f1)
        [ -z "$owner" ] || [ "$owner" = "$name" ] || e2e_die "uid $uid is free on this host"
        # a host account of that name is replaced in the overlay copy
        sed -i "/^$name:/d" /etc/passwd /etc/shadow /etc/group
        echo "$name:x:$uid:$uid:e2e $name:/var/lib/e2e-home/$name:/bin/bash" >>/etc/passwd
        echo "$name:x:$uid:" >>/etc/group
        if [ "$name" = carol ]; then
            echo "$name:$hash:19000:0:99999:7:::" >>/etc/shadow
        else
            echo "$name:!:19000:0:99999:7:::" >>/etc/shadow
        fi
        install -d -m 0755 -o "$uid" -g "$uid" "/var/lib/e2e-home/$name"
    done
}

e2e_actor_homes() {
    install -d -m 0755 -o 62001 -g 62000 /var/lib/delegate/ci-deploy
    install -d -m 0755 -o 62002 -g 62000 /var/lib/delegate/support-bot
}

# e2e_keygen ISSUER KID: private key in $NS/issuer, public key in /etc/delegate/keys
e2e_keygen() {
    "$CTL" keygen --out "$NS/issuer/$1-$2" >/dev/null || e2e_die "delegatectl keygen"
    install -m 0644 "$NS/issuer/$1-$2.pub" "/etc/delegate/keys/$1-$2.pub"
}

e2e_write_revoked() {
    cat >"$REVOKED" <<'EOF'
revoke = {
  tickets = ();
  actors = []; principals = []; issuers = []; keys = [];
};
EOF
    chmod 0644 "$REVOKED"
}

# The test config.  Short clock skew so that expiry can be tested in seconds.
e2e_write_config() {
    cat >"$CONF" <<EOF
version = 1;
host = { name = "$HOSTNAME_DLG"; aliases = ["$HOSTNAME_DLG.example.test"]; };
tickets = { clock_skew = 1; max_lifetime = 3600; prompt = "Delegation ticket: "; };
issuers = (
  { id = "corp"; algorithms = ["EdDSA"]; principals = ["*"];
    keys = ( { kid = "k1"; file = "/etc/delegate/keys/corp-k1.pub"; } ); }
);
accounts = { group = "delegated"; gid = 62000; uid_min = 62001; uid_max = 62999;
             home = "/var/lib/delegate/%u"; shell = "/usr/sbin/nologin"; };
actors = (
  { name = "ci-deploy"; uid = 62001; comment = "CI deploy pipeline"; shell = "/bin/bash";
    groups = ["deployers"]; principals = ["alice", "release"]; services = ["$SSHD_SVC"];
    sources = ["127.0.0.0/8"]; max_lifetime = 900; approvals = 0; },
  { name = "support-bot"; uid = 62002; shell = "/bin/sh"; principals = ["*"]; services = ["sudo"];
    runas = ["alice", "bob"]; approvals = 1; }
);
groups = ( { name = "deployers"; gid = 62100; } );
audit = { syslog = true; file = "$AUDIT"; };
@include "$REVOKED"
EOF
    chmod 0644 "$CONF"
}

# The DESIGN.md §4 stack in front of Debian's common-* files.
e2e_pam_stack() {
    local arg="config=$CONF"
    cat >"/etc/pam.d/$1" <<EOF
# e2e test stack ($1)
auth     [success=done ignore=ignore default=die]  pam_delegate.so $arg
@include common-auth
account  [success=ok   ignore=ignore default=die]  pam_delegate.so $arg
@include common-account
session  required                                  pam_delegate.so $arg
@include common-session-noninteractive
EOF
    chmod 0644 "/etc/pam.d/$1"
}

e2e_sudoers() {
    cat >/etc/sudoers <<'EOF'
Defaults	env_reset
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults	lecture=never
Defaults	passwd_tries=1
Defaults	timestamp_timeout=0
root		ALL=(ALL:ALL) ALL
support-bot	ALL=(alice,bob) ALL
carol		ALL=(alice) ALL
@includedir /etc/sudoers.d
EOF
    chmod 0440 /etc/sudoers
    find /etc/sudoers.d -mindepth 1 -delete
}

# ---- sshd ------------------------------------------------------------------

e2e_pick_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
    done
    return 1
}

# e2e_start_sshd: a copy of /usr/sbin/sshd named $SSHD_SVC on a free port of
# 127.0.0.1; extra sshd_config lines may come in E2E_SSHD_EXTRA.
e2e_start_sshd() {
    local try i
    [ -x "$NS/bin/$SSHD_SVC" ] || cp /usr/sbin/sshd "$NS/bin/$SSHD_SVC"
    [ -e "$NS/sshd/host_ed25519" ] ||
        ssh-keygen -q -t ed25519 -N '' -C e2e-host -f "$NS/sshd/host_ed25519" || e2e_die "ssh host key"
    for try in 1 2 3 4 5; do
        PORT=$(e2e_pick_port) || e2e_die "no free port"
        cat >"$NS/sshd/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $NS/sshd/host_ed25519
PidFile $NS/sshd/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication yes
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys
StrictModes yes
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 64
MaxAuthTries 6
LoginGraceTime 120
LogLevel VERBOSE
${E2E_SSHD_EXTRA:-}
EOF
        "$NS/bin/$SSHD_SVC" -t -f "$NS/sshd/sshd_config" || e2e_die "sshd -t"
        "$NS/bin/$SSHD_SVC" -D -f "$NS/sshd/sshd_config" -E "$NS/sshd.log" &
        SSHD_PID=$!
        # polled: a loaded machine may take long to start it
        for i in $(seq 1 600); do
            if ss -ltnpH "sport = :$PORT" 2>/dev/null | grep -q "pid=$SSHD_PID,"; then
                echo "$SSHD_PID" >"$E2E_TMP/sshd.pid"
                return 0
            fi
            kill -0 "$SSHD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$SSHD_PID" 2>/dev/null; wait "$SSHD_PID" 2>/dev/null
        SSHD_PID=
    done
    e2e_die "sshd listening on 127.0.0.1"
}

e2e_stop_sshd() {
    if [ -n "${SSHD_PID:-}" ]; then
        kill "$SSHD_PID" 2>/dev/null
        wait "$SSHD_PID" 2>/dev/null
        SSHD_PID=
    fi
}

E2E_SSH_OPTS=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
              -o LogLevel=ERROR -o ConnectTimeout=10 -o NumberOfPasswordPrompts=1)

# ssh_kbd TICKET USER CMD...: keyboard-interactive, the ticket via SSH_ASKPASS
ssh_kbd() {
    local t=$1 u=$2; shift 2
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 120 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no \
        -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
        -p "$PORT" "$u@127.0.0.1" "$@" 2>>"$NS/ssh-client.err"
}

# ssh_pass SECRET USER CMD...: password authentication through sshpass
ssh_pass() {
    local t=$1 u=$2; shift 2
    timeout 120 sshpass -p "$t" ssh "${E2E_SSH_OPTS[@]}" -n \
        -o PreferredAuthentications=password -o PubkeyAuthentication=no \
        -p "$PORT" "$u@127.0.0.1" "$@" 2>>"$NS/ssh-client.err"
}

# ssh_key KEYFILE USER CMD...: public key only
ssh_key() {
    local k=$1 u=$2; shift 2
    timeout 120 ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=yes -o IdentitiesOnly=yes -i "$k" \
        -o PreferredAuthentications=publickey -p "$PORT" "$u@127.0.0.1" "$@" \
        2>>"$NS/ssh-client.err"
}

# sudo_as USER REPLY SUDO-ARGS...: REPLY and a newline on sudo -S's stdin
sudo_as() {
    local who=$1 reply=$2; shift 2
    printf '%s\n' "$reply" | timeout 120 runuser -u "$who" -- sudo -S "$@" 2>>"$NS/sudo.err"
}

# ---- tickets -----------------------------------------------------------------

# issue ARGS...: a ticket from issuer corp (key k1); prints it
issue() {
    "$CTL" issue --key "$NS/issuer/corp-k1.key" --issuer corp --kid k1 "$@"
}

# ---- audit -----------------------------------------------------------------

audit_mark() { AUDIT_MARK=$( { wc -l <"$AUDIT"; } 2>/dev/null || echo 0); }
audit_new()  { tail -n +"$((AUDIT_MARK + 1))" "$AUDIT" 2>/dev/null; }
# audit_has KEY=VALUE...: a line written since audit_mark has all these fields
audit_has() {
    local lines kv
    lines=$(audit_new)
    for kv in "$@"; do
        lines=$(printf '%s\n' "$lines" | grep -E "\"${kv%%=*}\": ?\"${kv#*=}\"")
    done
    [ -n "$lines" ]
}
# audit_lacks KEY=VALUE...: no line since audit_mark has all these fields
audit_lacks() { ! audit_has "$@"; }

# The secret part of a ticket must never be written anywhere we can read.
secret_absent() {   # TICKET FILE...
    local t=$1 sig f; shift
    sig=${t##*.}
    for f in "$@"; do
        [ -e "$f" ] || continue
        grep -qF -e "$t" -e "$sig" "$f" && { diag "ticket text found in $f"; return 1; }
    done
    return 0
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s
wait_for() {
    local n=$(($1 * 10)); shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# ---- common assertions -------------------------------------------------------

# expect_ssh_refused DESC REASON TICKET [USER]: a keyboard-interactive login
# is refused, its command does not run, and the audit trail says why.
expect_ssh_refused() {
    local desc=$1 reason=$2 t=$3 u=${4:-ci-deploy} out rc
    audit_mark
    out=$(ssh_kbd "$t" "$u" 'echo ADMITTED')
    rc=$?
    if [ "$rc" -ne 0 ] && ! grep -q ADMITTED <<<"$out"; then
        ok "$desc: ssh login refused"
    else
        not_ok "$desc: ssh login refused"
        diag "ssh exit $rc, output: $out"
    fi
    check "$desc: audit deny reason=$reason" audit_has event=deny user="$u" reason="$reason"
    check "$desc: audit has no admit" audit_lacks event=admit
}

# expect_ssh_admitted DESC TICKET [USER]
expect_ssh_admitted() {
    local desc=$1 t=$2 u=${3:-ci-deploy} out rc
    audit_mark
    out=$(ssh_kbd "$t" "$u" 'echo ADMITTED')
    rc=$?
    if [ "$rc" -eq 0 ] && grep -qx ADMITTED <<<"$out"; then
        ok "$desc: ssh login admitted"
    else
        not_ok "$desc: ssh login admitted"
        diag "ssh exit $rc, output: $out" "$(tail -n 3 "$NS/ssh-client.err" 2>/dev/null)"
    fi
    check "$desc: audit admit" audit_has event=admit user="$u"
}

# shellcheck shell=bash
# shellcheck disable=SC2034  # RC, CLEANUP_PIDS, ... are read by the helpers
# Shared helpers of the CLI tests (sourced).  Each test prints TAP lines.
#   B            build dir (default build), relative to the repo root
#   DELEGATECTL  the binary (default $B/delegatectl)
# Every test works in its own temp dir under /tmp and never reads /etc/delegate.

set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
B=${B:-build}
DELEGATECTL=${DELEGATECTL:-$B/delegatectl}
case $DELEGATECTL in /*) ;; *) DELEGATECTL=$PWD/$DELEGATECTL ;; esac
if [ ! -x "$DELEGATECTL" ]; then
    echo "not ok 1 - $DELEGATECTL is not built"
    exit 1
fi

TAP_N=0
TAP_FAILED=0
T=$(mktemp -d /tmp/dlg-cli.XXXXXX) || exit 2
chmod 755 "$T"
CLEANUP_PIDS=""
cleanup() {
    local p
    for p in $CLEANUP_PIDS; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

ok()     { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
diag()   { sed 's/^/# /' "$@"; }

# check DESC COMMAND...: ok when the command succeeds.
check() {
    local desc=$1; shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# run_ctl ARGS...: runs delegatectl, output in $T/out and $T/err, status in RC.
run_ctl() {
    "$DELEGATECTL" "$@" >"$T/out" 2>"$T/err" </dev/null
    RC=$?
}
run_ctl_in() {  # run_ctl with stdin from the first argument (a string)
    local input=$1; shift
    printf '%s\n' "$input" | "$DELEGATECTL" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# expect RC DESC: checks $RC (of the last run_ctl), shows output on failure.
expect() {
    local want=$1 desc=$2
    if [ "$RC" -eq "$want" ]; then
        ok "$desc"
    else
        not_ok "$desc (exit $RC, want $want)"
        diag "$T/out" "$T/err"
    fi
}

# expect_out RC REGEX DESC: exit status and an extended regex on stdout+stderr.
expect_out() {
    local want=$1 re=$2 desc=$3
    if [ "$RC" -eq "$want" ] && cat "$T/out" "$T/err" | grep -Eq -- "$re"; then
        ok "$desc"
    else
        not_ok "$desc (exit $RC, want $want and /$re/)"
        diag "$T/out" "$T/err"
    fi
}

finish() {
    echo "1..$TAP_N"
    [ "$TAP_FAILED" -eq 0 ]
    exit $?
}

now() { date +%s; }

# ---- fixture: keys and a config in $T ----------------------------------
# setup_fixture: $T/corp.key (Ed25519, issuer corp, kid k1), $T/ec.key (P-256,
# issuer ec, kid e1), $T/delegate.conf including $T/revoked.conf.
CONF=$T/delegate.conf
REVOKED=$T/revoked.conf
HOST=web01

setup_fixture() {
    "$DELEGATECTL" keygen --out "$T/corp" >/dev/null || return 1
    "$DELEGATECTL" keygen --out "$T/ec" --type p256 >/dev/null || return 1
    printf 'revoke = { tickets = (); };\n' >"$REVOKED"
    chmod 644 "$REVOKED"
    write_config "$CONF"
}

# write_config FILE [EXTRA...]: the standard config, extra lines appended
# before the @include.
write_config() {
    local f=$1; shift
    {
        cat <<EOF
version = 1;
host = { name = "$HOST"; aliases = ["$HOST.example.com"]; };
tickets = { clock_skew = 60; max_lifetime = 3600; };
issuers = (
  { id = "corp"; algorithms = ["EdDSA"]; principals = ["*"];
    keys = ( { kid = "k1"; file = "$T/corp.pub"; } ); },
  { id = "ec"; algorithms = ["ES256"]; principals = ["alice"];
    keys = ( { kid = "e1"; file = "$T/ec.pub"; } ); }
);
accounts = { group = "delegated"; gid = 62000; uid_min = 62001; uid_max = 62999; };
actors = (
  { name = "ci-deploy"; uid = 62001; comment = "CI deploy"; groups = ["deployers"];
    principals = ["alice", "release"]; services = ["sshd"];
    sources = ["10.0.0.0/8", "127.0.0.1/32"]; max_lifetime = 900; approvals = 0; },
  { name = "support-bot"; uid = 62002; principals = ["*"]; services = ["sudo"];
    runas = ["alice", "bob"]; approvals = 1; }
);
groups = ( { name = "deployers"; gid = 62100; } );
audit = { syslog = false; };
EOF
        local l
        for l in "$@"; do printf '%s\n' "$l"; done
        printf '@include "%s"\n' "$REVOKED"
    } >"$f"
    chmod 644 "$f"
}

# issue ARGS...: a ticket of issuer corp (Ed25519) on stdout.
issue() {
    "$DELEGATECTL" issue --key "$T/corp.key" --issuer corp --kid k1 "$@"
}
# ci_ticket / bot_ticket: typical valid tickets for the two actors.
ci_ticket() {
    issue --actor ci-deploy --for alice --host "$HOST" --service sshd "$@"
}
bot_ticket() {
    issue --actor support-bot --for alice --host "$HOST" --service sudo --approver carol "$@"
}

# verify_ci TICKET [ARGS...] / verify_bot TICKET [ARGS...]: run verify with
# the request that fits each actor (sets RC, $T/out).
verify_ci() {
    local t=$1; shift
    run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3 "$@" -
}
verify_bot() {
    local t=$1; shift
    run_ctl_in "$t" verify --config "$CONF" --user support-bot --service sudo --runas alice "$@" -
}

# expect_deny REASON DESC: the last verify denied with REASON and exit 1.
expect_deny() {
    local reason=$1 desc=$2
    if [ "$RC" -eq 1 ] && [ "$(head -n1 "$T/out")" = "deny: $reason" ]; then
        ok "$desc"
    else
        not_ok "$desc (exit $RC, want 1 and 'deny: $reason')"
        diag "$T/out" "$T/err"
    fi
}
expect_admit() {
    local desc=$1
    if [ "$RC" -eq 0 ] && [ "$(head -n1 "$T/out")" = "admit" ]; then
        ok "$desc"
    else
        not_ok "$desc (exit $RC, want 0 and 'admit')"
        diag "$T/out" "$T/err"
    fi
}

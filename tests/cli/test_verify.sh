#!/bin/bash
# delegatectl verify: the host's decision, admit and each denial reason.
. "$(dirname "$0")/lib.sh"

setup_fixture || { not_ok "fixture"; finish; }

# ---- admit --------------------------------------------------------------
t=$(ci_ticket)
verify_ci "$t"
expect_admit "an sshd actor's ticket is admitted"
check "admit is followed by a one-line explanation" \
    test "$(wc -l <"$T/out")" -eq 2 -a -n "$(sed -n 2p "$T/out")"
check "the explanation names actor, principal and ticket id" \
    grep -q "actor ci-deploy may act for alice through sshd.*ticket " "$T/out"

t=$(bot_ticket --runas alice)
verify_bot "$t"
expect_admit "a sudo actor's ticket with an approver is admitted (runas alice)"
verify_bot "$t" --runas support-bot
expect_admit "runas equal to the user itself is not a target"

t=$("$DELEGATECTL" issue --key "$T/ec.key" --issuer ec --kid e1 --actor ci-deploy --for alice \
        --host web01 --service sshd)
verify_ci "$t"
expect_admit "an ES256 (P-256) ticket is admitted"

t=$(ci_ticket)
run_ctl verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3 "$t"
expect_admit "the ticket can be given as an argument"
printf '%s' "$t" | "$DELEGATECTL" verify --config "$CONF" --user ci-deploy --service sshd \
    --rhost 10.1.2.3 >"$T/out" 2>"$T/err"; RC=$?
expect_admit "the ticket can come from stdin without a newline"
printf '%s\n' "$t" | "$DELEGATECTL" verify --config "$CONF" --user ci-deploy --service sshd \
    --rhost 10.1.2.3 >"$T/out" 2>"$T/err"; RC=$?
expect_admit "stdin without '-' is read too (newline stripped)"
t=$(ci_ticket --host WEB01.Example.COM)
verify_ci "$t"
expect_admit "an alias in aud matches, case-insensitively"

# ---- single use: verify never consumes ----------------------------------
t=$(ci_ticket --single-use)
verify_ci "$t"
expect_admit "a single-use ticket is admitted by verify"
verify_ci "$t"
expect_admit "verify did not use it up: admitted a second time"

# ---- denials ------------------------------------------------------------
t=$(ci_ticket --ttl 10m)
verify_ci "$t" --now "@$(( $(now) + 3600 ))"
expect_deny expired "expired (verify --now an hour later)"
verify_ci "$t" --now "$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)"
expect_deny expired "expired (--now given as RFC 3339)"

t=$(ci_ticket --not-before "@$(( $(now) + 600 ))")
verify_ci "$t"
expect_deny not_yet_valid "nbf in the future: not_yet_valid"

t=$(ci_ticket --ttl 2h 2>/dev/null)
verify_ci "$t"
expect_deny lifetime_too_long "a lifetime over the actor's max_lifetime"

t=$(issue --actor ci-deploy --for alice --host "$HOST" --service sshd,sudo)
run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sudo -
expect_deny service_not_allowed "wrong service (sudo for an sshd-only actor)"
t=$(ci_ticket)
run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service login --rhost 10.1.2.3 -
expect_deny service_not_allowed "a service that is not in the ticket's svc"

t=$(issue --actor ci-deploy --for alice --host web02 --service sshd)
verify_ci "$t"
expect_deny wrong_audience "wrong host"

t=$(ci_ticket)
verify_ci "$t" --rhost 192.168.1.10
expect_deny source_not_allowed "a source outside the actor's sources"
t=$(ci_ticket --source 10.9.0.0/16)
verify_ci "$t"
expect_deny source_not_allowed "a source outside the ticket's src"
run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd -
expect_deny source_not_allowed "no remote host is an unknown source"

t=$(issue --actor ghost --for alice --host "$HOST" --service sshd)
run_ctl_in "$t" verify --config "$CONF" --user ghost --service sshd --rhost 10.1.2.3 -
expect_deny unknown_actor "unknown actor"
t=$(ci_ticket)
run_ctl_in "$t" verify --config "$CONF" --user support-bot --service sshd --rhost 10.1.2.3 -
expect_deny actor_mismatch "a ticket of another actor"

t=$(issue --actor ci-deploy --for mallory --host "$HOST" --service sshd)
verify_ci "$t"
expect_deny principal_not_allowed "a principal the actor may not act for"

t=$(bot_ticket --runas alice)
verify_bot "$t" --runas bob
expect_deny runas_not_allowed "runas outside the ticket's runas"
t=$(bot_ticket --runas carol)
verify_bot "$t" --runas carol
expect_deny runas_not_allowed "runas outside the actor's runas"
t=$(bot_ticket)
verify_bot "$t" --runas bob
expect_deny runas_not_allowed "runas defaults to the principal"

t=$(issue --actor support-bot --for alice --host "$HOST" --service sudo)
verify_bot "$t"
expect_deny approval_required "approval_required: no approver"
t=$(issue --actor support-bot --for alice --host "$HOST" --service sudo --approver alice 2>/dev/null)
verify_bot "$t"
expect_deny approval_required "approval_required: the principal cannot approve"

t=$(ci_ticket)
sig=${t##*.}
if [ "${sig:0:1}" = A ]; then c=B; else c=A; fi
verify_ci "${t%.*}.$c${sig:1}"
expect_deny bad_signature "a changed signature"
body=${t#*.}; body=${body%%.*}
if [ "${body:5:1}" = A ]; then c=B; else c=A; fi
verify_ci "${t%%.*}.${body:0:5}$c${body:6}.$sig"
case $(head -n1 "$T/out") in
"deny: bad_signature"|"deny: malformed") ok "changed claims are refused ($(head -n1 "$T/out"))" ;;
*) not_ok "changed claims are refused"; diag "$T/out" ;;
esac
t2=$("$DELEGATECTL" issue --key "$T/ec.key" --issuer corp --kid k1 --actor ci-deploy --for alice \
        --host web01 --service sshd)
verify_ci "$t2"
expect_deny unsupported_alg "ES256 for an EdDSA-only issuer"
t=$("$DELEGATECTL" issue --key "$T/corp.key" --issuer nobody --actor ci-deploy --for alice \
        --host web01 --service sshd)
verify_ci "$t"
expect_deny unknown_issuer "an unknown issuer"
t=$(issue --actor ci-deploy --for alice --host "$HOST" --service sshd --kid k9)
verify_ci "$t"
expect_deny unknown_key "an unknown kid"
verify_ci "not-a-ticket"
expect_deny malformed "garbage is malformed"
run_ctl verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3 ""
expect_deny no_ticket "an empty ticket is no_ticket"
head -c 9000 /dev/zero | tr '\0' 'A' >"$T/big"
"$DELEGATECTL" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3 \
    <"$T/big" >"$T/out" 2>"$T/err"
# shellcheck disable=SC2034  # RC is read by expect_deny
RC=$?
expect_deny malformed "an oversized ticket is malformed"

# ---- revocations --------------------------------------------------------
t=$(ci_ticket --jti rev-me-1)
verify_ci "$t"
expect_admit "before revoke --ticket: admitted"
run_ctl revoke --config "$CONF" --ticket rev-me-1
expect 0 "revoke --ticket"
verify_ci "$t"
expect_deny revoked_ticket "after revoke --ticket: revoked_ticket"

t=$(issue --actor ci-deploy --for release --host "$HOST" --service sshd)
run_ctl revoke --config "$CONF" --principal release
verify_ci "$t"
expect_deny revoked_principal "revoked principal"

t=$("$DELEGATECTL" issue --key "$T/ec.key" --issuer ec --kid e1 --actor ci-deploy --for alice \
        --host web01 --service sshd)
run_ctl revoke --config "$CONF" --key e1
verify_ci "$t"
expect_deny revoked_key "revoked key"
run_ctl revoke --config "$CONF" --issuer ec
verify_ci "$t"
case $(head -n1 "$T/out") in
"deny: revoked_issuer"|"deny: revoked_key") ok "revoked issuer (and key) still denied" ;;
*) not_ok "revoked issuer (and key) still denied"; diag "$T/out" ;;
esac
t=$("$DELEGATECTL" issue --key "$T/ec.key" --issuer ec --actor ci-deploy --for alice \
        --host web01 --service sshd)
verify_ci "$t"
expect_deny revoked_issuer "revoked issuer"

t=$(ci_ticket)
# issued before the cutoff is written, whatever time the commands take
t_bot=$(bot_ticket --runas alice)
run_ctl revoke --config "$CONF" --issued-before "@$(( $(now) + 5 ))"
expect 0 "revoke --issued-before"
verify_ci "$t"
expect_deny revoked_before "a ticket issued before revoke.issued_before"

t=$t_bot
verify_bot "$t" --now "@$(( $(now) + 10 ))"
expect_deny revoked_before "issued_before applies to every actor"
run_ctl revoke --config "$CONF" --actor support-bot
verify_bot "$t"
expect_deny revoked_actor "revoked actor"

# ---- config errors ------------------------------------------------------
t=$(ci_ticket)
run_ctl_in "$t" verify --config "$T/missing.conf" --user ci-deploy --service sshd -
expect_deny config_error "a missing config: deny: config_error, exit 1"
check "the config problem is explained on stderr" grep -q "missing.conf" "$T/err"
printf 'version = 1;\nbogus = 3;\n' >"$T/bad.conf"
run_ctl_in "$t" verify --config "$T/bad.conf" --user ci-deploy --service sshd -
expect_deny config_error "an invalid config: deny: config_error"
check "the FILE:LINE diagnostic is on stderr" grep -q "bad.conf:2:" "$T/err"
chmod 666 "$T/bad.conf"
run_ctl_in "$t" verify --config "$T/bad.conf" --user ci-deploy --service sshd -
expect_deny config_error "a world-writable config: deny: config_error"

# ---- usage --------------------------------------------------------------
run_ctl verify --config "$CONF" --service sshd x
expect_out 2 -- '--user is required' "verify without --user: usage error"
run_ctl verify --config "$CONF" --user ci-deploy x
expect_out 2 -- '--service is required' "verify without --service: usage error"
run_ctl verify --config "$CONF" --user ci-deploy --service sshd --now yesterday x
expect_out 2 "invalid time 'yesterday'" "verify --now with a bad time: usage error"
run_ctl verify --config "$CONF" --user ci-deploy --service sshd a b
expect_out 2 "too many arguments" "verify with two tickets: usage error"
check "usage errors print no verdict" test ! -s "$T/out"

finish

#!/bin/bash
# Issue 11 through the CLI: verify --runas follows §3 rule 7, one name
# grammar for issue/revoke, clock_skew bound, issue --typ, revoke/prune
# refusing a file that holds more than 'revoke', prune never dropping a
# live revocation, inspect escaping hostile bytes, check-config warning
# about names resolving through another NSS source.
. "$(dirname "$0")/lib.sh"

setup_fixture || { not_ok "fixture"; finish; }

# ---- 1. runas ----------------------------------------------------------
# a personal key of alice (issuer "ec", principals ["alice"]) for an actor
# without its own runas list
sed -i 's/^  { name = "support-bot"; uid = 62002; principals = \["\*"\]; services = \["sudo"\];$/  { name = "wide-bot"; uid = 62003; principals = ["*"]; services = ["sudo"]; },\n&/' "$CONF"
ec_issue() {
    "$DELEGATECTL" issue --key "$T/ec.key" --issuer ec --kid e1 "$@"
}
t=$(ec_issue --actor wide-bot --for alice --host "$HOST" --service sudo --runas root) || not_ok "issue ec"
run_ctl_in "$t" verify --config "$CONF" --user wide-bot --service sudo --runas root -
expect_deny runas_not_allowed "alice's personal key cannot make wide-bot root (actor without runas)"
run_ctl_in "$t" verify --config "$CONF" --user wide-bot --service sudo -
expect_admit "the same ticket without --runas is admitted (sudo checks runas at session)"
t=$(ec_issue --actor wide-bot --for alice --host "$HOST" --service sudo) || not_ok "issue ec"
run_ctl_in "$t" verify --config "$CONF" --user wide-bot --service sudo --runas alice -
expect_admit "runas defaults to the ticket's sub"
t=$(issue --actor wide-bot --for alice --host "$HOST" --service sudo --runas bob,alice) || not_ok "issue"
run_ctl_in "$t" verify --config "$CONF" --user wide-bot --service sudo --runas bob -
expect_deny runas_not_allowed "an actor without runas may only become the ticket's sub"
t=$(issue --actor support-bot --for alice --host "$HOST" --service sudo --approver carol --runas bob) || not_ok "issue"
run_ctl_in "$t" verify --config "$CONF" --user support-bot --service sudo --runas bob -
expect_admit "ticket runas, actor runas and issuer principals all allow bob"
t=$(ec_issue --actor support-bot --for alice --host "$HOST" --service sudo --approver carol --runas bob) || not_ok "issue"
run_ctl_in "$t" verify --config "$CONF" --user support-bot --service sudo --runas bob -
expect_deny runas_not_allowed "an issuer limited to alice cannot make anyone bob"

# ---- 2. names ----------------------------------------------------------
run_ctl issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for 'a:b' --host "$HOST" --service sshd
expect_out 2 "invalid principal 'a:b'" "issue --for refuses a name outside the grammar"
run_ctl issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for '-x' --host "$HOST" --service sshd
expect 2 "issue --for refuses a leading '-'"
run_ctl issue --key "$T/corp.key" --issuer corp --kid 'k@1' --actor ci-deploy --for alice --host "$HOST" --service sshd
expect_out 2 "invalid key id 'k@1'" "issue --kid follows the jti grammar"
run_ctl issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for alice --host "$HOST" --service sshd --approver 'c d'
expect 2 "issue --approver follows the name grammar"
run_ctl issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for alice --host "$HOST" --service sshd --runas 'a:b'
expect 2 "issue --runas follows the name grammar"
t=$(issue --actor ci-deploy --for 'alice@example.com' --host "$HOST" --service sshd) || not_ok "issue with an @ name"
run_ctl_in "$t" inspect -
expect_out 0 'alice@example.com' "issue accepts '@' in --for"
run_ctl revoke --config "$CONF" --principal 'a b'
expect 2 "revoke --principal refuses a name outside the grammar"
run_ctl revoke --config "$CONF" --principal 'x:y'
expect 2 "revoke --principal refuses ':'"
run_ctl revoke --config "$CONF" --principal 'alice@example.com'
expect_out 0 "revoked principal alice@example.com" "revoke --principal accepts a name the ticket can carry"
run_ctl revoke --config "$CONF" --key 'k@1'
expect 2 "revoke --key follows the jti grammar"
run_ctl check-config --config "$CONF"
expect 0 "the config still loads"

# ---- 3. clock_skew -------------------------------------------------------
mkdir -m 755 "$T/skew"
sed 's/clock_skew = 60;/clock_skew = 601;/' "$CONF" >"$T/skew/delegate.conf"
chmod 644 "$T/skew/delegate.conf"
run_ctl check-config --config "$T/skew/delegate.conf"
expect_out 1 "delegate.conf:3: .*clock_skew.*600" "clock_skew 601 is an error with FILE:LINE"

# ---- 4. issue --typ ------------------------------------------------------
mkdir -m 755 "$T/typ"
sed 's/{ id = "corp"; algorithms = \["EdDSA"\];/{ id = "corp"; typ = "JWT"; algorithms = ["EdDSA"];/' "$CONF" >"$T/typ/delegate.conf"
chmod 644 "$T/typ/delegate.conf"
t=$(issue --actor ci-deploy --for alice --host "$HOST" --service sshd --typ JWT) || not_ok "issue --typ JWT"
run_ctl_in "$t" verify --config "$T/typ/delegate.conf" --user ci-deploy --service sshd --rhost 10.1.2.3 -
expect_admit "issue --typ JWT mints for an issuer with typ = \"JWT\""
run_ctl_in "$t" inspect -
expect_out 0 '"typ": "JWT"' "the header says typ JWT"
t=$(issue --actor ci-deploy --for alice --host "$HOST" --service sshd --typ dlg+jwt) || not_ok "issue --typ dlg+jwt"
verify_ci "$t"
expect_admit "issue --typ dlg+jwt is the default typ"
run_ctl issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for alice --host "$HOST" --service sshd --typ at+jwt
expect 2 "issue --typ refuses other values"

# ---- 5. revoke refuses a file holding more than revoke --------------------
mkdir -m 755 "$T/mixed"
grep -v '^@include\|^tickets = ' "$CONF" >"$T/mixed/delegate.conf"
printf '@include "%s"\n' "$T/mixed/revoked.conf" >>"$T/mixed/delegate.conf"
printf 'tickets = { clock_skew = 60; max_lifetime = 300; };\nrevoke = { tickets = (); };\n' >"$T/mixed/revoked.conf"
chmod 644 "$T/mixed/delegate.conf" "$T/mixed/revoked.conf"
cp "$T/mixed/revoked.conf" "$T/mixed.before"
run_ctl check-config --config "$T/mixed/delegate.conf"
expect 0 "a revoke group next to other settings is a valid config"
run_ctl revoke --config "$T/mixed/delegate.conf" --ticket x1
expect_out 1 "holds settings other than 'revoke'" "revoke refuses to rewrite a file with other settings: exit 1"
check "the mixed file is unchanged" cmp -s "$T/mixed/revoked.conf" "$T/mixed.before"
run_ctl prune --config "$T/mixed/delegate.conf"
expect_out 1 "holds settings other than 'revoke'" "prune refuses it too"
# revoked.conf included without a revoke group but with other settings
printf 'audit = { syslog = false; };\n' >"$T/mixed/revoked.conf"
grep -v '^audit = ' "$T/mixed/delegate.conf" >"$T/mixed/d2" && mv "$T/mixed/d2" "$T/mixed/delegate.conf"
chmod 644 "$T/mixed/delegate.conf"
printf 'tickets = { clock_skew = 60; max_lifetime = 300; };\n' >>"$T/mixed/delegate.conf"
cp "$T/mixed/revoked.conf" "$T/mixed.before"
run_ctl revoke --config "$T/mixed/delegate.conf" --ticket x1
expect_out 1 "holds settings other than 'revoke'" "revoke refuses an included revoked.conf that holds other settings"
check "that file is unchanged" cmp -s "$T/mixed/revoked.conf" "$T/mixed.before"

# ---- 6. prune never drops a live revocation --------------------------------
run_ctl revoke --config "$CONF" --ticket noexp-1
expect 0 "revoke --ticket without --until"
check "no until is written when the ticket's exp is unknown" \
    bash -c "! grep -A1 'id = \"noexp-1\"' '$REVOKED' | grep -q 'until ='"
run_ctl revoke --config "$CONF" --ticket recent-1 --until "@$(( $(now) - 300 ))"
run_ctl revoke --config "$CONF" --ticket gone-1 --until "@$(( $(now) - 700 ))"
run_ctl prune --config "$CONF"
expect_out 0 "pruned 1 revoked ticket id" "prune drops only what no allowed clock_skew could admit"
check "an entry without until survives prune" grep -q '"noexp-1"' "$REVOKED"
check "an entry 300 s past its exp survives (clock_skew may be raised to 600)" grep -q '"recent-1"' "$REVOKED"
check "an entry 700 s past its exp is dropped" bash -c "! grep -q '\"gone-1\"' '$REVOKED'"
run_ctl revoke --config "$CONF" --ticket noexp-1 --until "@$(( $(now) - 700 ))"
expect_out 0 "now lasts until" "an entry without until can be given the ticket's exp"
run_ctl prune --config "$CONF"
check "then prune drops it" bash -c "! grep -q '\"noexp-1\"' '$REVOKED'"

# ---- 9. inspect escapes hostile bytes ---------------------------------------
b64() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
esc=$(printf '\033')
hdr=$(b64 '{"alg":"EdDSA","typ":"dlg+jwt"}')
cl=$(b64 "{\"iss\":\"x${esc}]0;owned\\u0007\",\"sub\":\"a\\u009b31m\",\"exp\":-9223372036854775808,\"iat\":9223372036854775807}")
run_ctl inspect "$hdr.$cl.c2ln"
check "inspect of a ticket with escapes in JSON strings writes no ESC/BEL/CSI byte" \
    bash -c "! LC_ALL=C grep -q \$'[\\x01-\\x08\\x0b-\\x1f\\x7f]\\|\\xc2\\x9b' '$T/out' '$T/err'"
cl=$(b64 "not json ${esc}[2J${esc}]0;x$(printf '\007') $(printf '\302\205')")
run_ctl inspect "$hdr.$cl.c2ln"
check "inspect of raw non-JSON claims writes no control byte" \
    bash -c "! LC_ALL=C grep -q \$'[\\x01-\\x08\\x0b-\\x1f\\x7f]\\|\\xc2\\x85' '$T/out' '$T/err'"
check "and shows them escaped" grep -q '\\x1b\[2J' "$T/out"

# ---- 11. check-config and other NSS sources ----------------------------------
NSSW=$(ls /usr/lib/*/libnss_wrapper.so 2>/dev/null | head -n1)
if [ -n "$NSSW" ]; then
    printf 'ci-deploy:x:5001:5001::/home/ci:/bin/sh\nother:x:62002:62002::/:/bin/sh\n' >"$T/nsspw"
    printf 'deployers:x:5100:\nshadowgrp:x:62000:\n' >"$T/nssgr"
    : >"$T/emptyfile"
    LD_PRELOAD=$NSSW NSS_WRAPPER_PASSWD=$T/nsspw NSS_WRAPPER_GROUP=$T/nssgr \
        DELEGATE_PASSWD_FILE=$T/emptyfile DELEGATE_GROUP_FILE=$T/emptyfile \
        "$DELEGATECTL" check-config --config "$CONF" >"$T/out" 2>"$T/err"
    RC=$?
    expect_out 0 "actor 'ci-deploy' .*resolves through NSS.*uid 5001" "check-config warns about an actor name another NSS source knows"
    expect_out 0 "uid 62002 of actor 'support-bot' .*'other'" "check-config warns about an actor uid another NSS source knows"
    expect_out 0 "group 'deployers' .*resolves through NSS.*gid 5100" "check-config warns about a group name another NSS source knows"
    expect_out 0 "gid 62000 of group 'delegated' .*'shadowgrp'" "check-config warns about a gid another NSS source knows"
else
    not_ok "libnss_wrapper.so not found (tests/deps.sh installs it)"
fi

finish

#!/bin/bash
# delegatectl keygen and issue: files, modes, refusal to overwrite, claims,
# sizes and input validation.
. "$(dirname "$0")/lib.sh"

mode_of() { stat -c %a "$1"; }

# ---- keygen -------------------------------------------------------------
run_ctl keygen --out "$T/k"
expect_out 0 'fingerprint: +SHA256:' "keygen writes a key pair and prints its fingerprint"
check "keygen: private key is mode 0600" test "$(mode_of "$T/k.key")" = 600
check "keygen: public key is mode 0644" test "$(mode_of "$T/k.pub")" = 644
check "keygen: public key is a PEM public key" grep -q '^-----BEGIN PUBLIC KEY-----$' "$T/k.pub"
check "keygen: private key is PKCS#8 PEM" grep -q '^-----BEGIN PRIVATE KEY-----$' "$T/k.key"
check "keygen: public key has no private part" bash -c "! grep -q PRIVATE '$T/k.pub'"
check "keygen: default type is Ed25519" \
    bash -c "openssl pkey -pubin -in '$T/k.pub' -noout -text 2>/dev/null | grep -q ED25519"

cp "$T/k.key" "$T/k.key.orig"
run_ctl keygen --out "$T/k"
expect_out 2 'refusing to overwrite' "keygen refuses to overwrite an existing key"
check "keygen: the existing key is unchanged" cmp -s "$T/k.key" "$T/k.key.orig"

touch "$T/half.pub"
run_ctl keygen --out "$T/half"
expect 2 "keygen refuses when only NAME.pub exists"
check "keygen: no NAME.key left behind after refusing" test ! -e "$T/half.key"

run_ctl keygen --out "$T/p256" --type p256
expect_out 0 'alg ES256' "keygen --type p256"
check "keygen p256: a P-256 key" \
    bash -c "openssl pkey -pubin -in '$T/p256.pub' -noout -text 2>/dev/null | grep -q 'P-256'"

run_ctl keygen --out "$T/x" --type rsa
expect_out 2 "invalid --type 'rsa'" "keygen refuses an unknown --type"
run_ctl keygen
expect_out 2 -- '--out is required' "keygen without --out is a usage error"

# ---- issue --------------------------------------------------------------
setup_fixture || { not_ok "fixture"; finish; }

t=$(ci_ticket)
RC=$?
check "issue exits 0" test "$RC" -eq 0
check "issue prints a compact JWS (three base64url parts)" \
    bash -c "[[ '$t' =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]"
check "issue prints the ticket followed by one newline" \
    test "$(ci_ticket | od -An -c | tr -d ' \n' | tail -c 2)" = '\n'

claims_of() {  # decode the claims of ticket $1 as JSON
    local p
    p=$(printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+')
    while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
    printf '%s' "$p" | base64 -d
}
header_of() {
    local p
    p=$(printf '%s' "$1" | cut -d. -f1 | tr '_-' '/+')
    while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
    printf '%s' "$p" | base64 -d
}
jq_py() {  # jq_py TICKET-JSON PYTHON-EXPR: evaluates with j = the object
    python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(0 if ($2) else 1)" <<<"$1"
}

h=$(header_of "$t")
c=$(claims_of "$t")
check "issue: header alg EdDSA, typ dlg+jwt, kid k1" \
    jq_py "$h" 'j == {"alg": "EdDSA", "typ": "dlg+jwt", "kid": "k1"}'
check "issue: iss, sub, act.sub" \
    jq_py "$c" 'j["iss"] == "corp" and j["sub"] == "alice" and j["act"] == {"sub": "ci-deploy"}'
check "issue: one host gives aud as a string" jq_py "$c" 'j["aud"] == "web01"'
check "issue: svc is an array" jq_py "$c" 'j["svc"] == ["sshd"]'
n=$(now)
check "issue: iat is now and exp = iat + 15m by default" \
    jq_py "$c" "abs(j['iat'] - $n) <= 5 and j['exp'] - j['iat'] == 900"
check "issue: default jti is 22 base64url characters" \
    jq_py "$c" '__import__("re").fullmatch(r"[A-Za-z0-9_-]{22}", j["jti"]) is not None'
check "issue: no optional claims unless asked" \
    jq_py "$c" 'not any(k in j for k in ("nbf", "runas", "src", "apv", "once"))'
j1=$(claims_of "$(ci_ticket)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jti"])')
j2=$(claims_of "$(ci_ticket)" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jti"])')
check "issue: random jti differs between tickets" test "$j1" != "$j2"

t=$(issue --actor ci-deploy --for alice --host web01,web02 --service sshd,sudo --ttl 2h \
          --not-before "@$(( $(now) + 60 ))" --runas alice,bob --source 10.0.0.0/8,::1/128 \
          --approver carol,dave --single-use --jti my-ticket.1 2>/dev/null)
c=$(claims_of "$t")
check "issue: several hosts give aud as an array" jq_py "$c" 'j["aud"] == ["web01", "web02"]'
check "issue: svc, runas, src, apv arrays" \
    jq_py "$c" 'j["svc"] == ["sshd","sudo"] and j["runas"] == ["alice","bob"] and j["src"] == ["10.0.0.0/8","::1/128"] and j["apv"] == ["carol","dave"]'
check "issue: --ttl 2h" jq_py "$c" 'j["exp"] - j["iat"] == 7200'
check "issue: --not-before gives nbf" jq_py "$c" 'j["nbf"] == j["iat"] + 60 or abs(j["nbf"] - j["iat"] - 60) <= 2'
check "issue: --single-use gives once: true" jq_py "$c" 'j["once"] is True'
check "issue: --jti is used as given" jq_py "$c" 'j["jti"] == "my-ticket.1"'

t=$(issue --actor ci-deploy --for alice --host web01 --service sshd --runas alice,alice)
check "issue: a repeated list item appears once" jq_py "$(claims_of "$t")" 'j["runas"] == ["alice"]'

t=$("$DELEGATECTL" issue --key "$T/ec.key" --issuer ec --kid e1 --actor ci-deploy --for alice \
        --host web01 --service sshd)
check "issue with a P-256 key: alg ES256" jq_py "$(header_of "$t")" 'j["alg"] == "ES256"'
t=$("$DELEGATECTL" issue --key "$T/corp.key" --issuer corp --actor ci-deploy --for alice \
        --host web01 --service sshd)
check "issue without --kid: no kid in the header" jq_py "$(header_of "$t")" '"kid" not in j'

# ---- sizes --------------------------------------------------------------
# the typical claim set: two hosts, two services, runas, one approver, one source
t=$(issue --actor support-bot --for release-team --host web01.example.com,web02.example.com \
          --service sshd,sudo --runas deploy --approver carol.smith --source 10.20.0.0/16 \
          --kid 2026-11 2>"$T/err")
check "a typical Ed25519 ticket is under 512 bytes (${#t})" test "${#t}" -lt 512
check "no size warning for a typical ticket" test ! -s "$T/err"
t=$(issue --actor support-bot --for release-team --host web01,web02 \
          --service sshd,sudo --runas deploy --approver carol.smith --source 10.20.0.0/16 \
          --single-use --not-before "@$(now)" --jti 01JDX3ABCDEFGHJKMNPQRSTVWX 2>"$T/err")
check "a typical ticket with nbf, once and a ULID jti is under 512 bytes (${#t})" test "${#t}" -lt 512
# issue 18 item 13: what issue mints fits through the services it names.
# sudo (and su, login: every local conversation) refuses a reply of 512
# bytes or more; the stock ssh client carries up to 1023.
hosts=$(printf 'host%02d.example.com,' $(seq 1 20)); hosts=${hosts%,}
t=$(issue --actor ci-deploy --for alice --host "$hosts" --service sshd 2>"$T/err")
RC=$?
check "an sshd-only ticket of 512 to 1023 bytes is issued (${#t}: ssh carries it)" \
    test "$RC" -eq 0 -a "${#t}" -ge 512 -a "${#t}" -le 1023
t=$(issue --actor ci-deploy --for alice --host "$hosts" --service sshd,sudo 2>"$T/err")
RC=$?
check "the same ticket naming sudo too: refused, exit 1" test "$RC" -eq 1
check "... and nothing printed" test -z "$t"
check "... the message names its size and sudo's limit" \
    grep -Eq 'the ticket would be [0-9]+ bytes; sudo takes at most 511' "$T/err"
hosts=$(printf 'host%02d.example.com,' $(seq 1 50)); hosts=${hosts%,}
t=$(issue --actor ci-deploy --for alice --host "$hosts" --service sshd 2>"$T/err")
RC=$?
check "an sshd-only ticket over 1023 bytes: refused, exit 1, nothing printed" test "$RC" -eq 1 -a -z "$t"
check "... the message names ssh's limit" grep -Eq 'bytes; sshd takes at most 1023' "$T/err"
# the fully scoped bound sudo ticket of issue 18 item 13
ssh-keygen -q -t ed25519 -N '' -f "$T/bind_k" >/dev/null
t=$(issue --actor support-bot --for alice --host web01.example.com --service sudo --kid 2026-11 \
          --bind-key "$T/bind_k.pub" --runas alice,bob --source 10.0.0.0/8 --approver carol,dave \
          --single-use 2>"$T/err")
RC=$?
if [ "$RC" -eq 0 ]; then
    check "fully scoped bound sudo ticket: issued only under 512 bytes (${#t})" test "${#t}" -lt 512
else
    check "fully scoped bound sudo ticket over the limit: refused (exit 1), nothing printed" \
        test "$RC" -eq 1 -a -z "$t"
    check "... and told how to shorten it" grep -q 'shorter' "$T/err"
fi
# the boundary, byte exact: jti lengths 1..64 walk the sudo ticket across 511/512
printed=0 refused=0 bad=0
for n in $(seq 1 64); do
    j=$(head -c "$n" /dev/zero | tr '\0' j)
    t=$(issue --actor support-bot --for alice --host web01.example.com --service sudo --kid 2026-11 \
              --bind-key "$T/bind_k.pub" --runas alice --approver carol,dave --jti "$j" 2>"$T/err")
    RC=$?
    if [ "$RC" -eq 0 ]; then
        [ "${#t}" -le 511 ] || bad=1
        [ "${#t}" -eq 511 ] && printed=1
    else
        size=$(sed -n 's/.*the ticket would be \([0-9]*\) bytes.*/\1/p' "$T/err")
        { [ "$RC" -eq 1 ] && [ -z "$t" ] && [ "${size:-0}" -ge 512 ]; } || bad=1
        [ "${size:-0}" -ge 512 ] && [ "${size:-0}" -le 514 ] && refused=1
    fi
done
check "sudo tickets: every one issued is at most 511 bytes, every longer one refused" test "$bad" = 0
check "sudo tickets: one of exactly 511 bytes is issued" test "$printed" = 1
check "sudo tickets: one of 512 to 514 bytes is refused" test "$refused" = 1

# ---- validation ---------------------------------------------------------
base=(--key "$T/corp.key" --issuer corp --actor ci-deploy --for alice --host web01 --service sshd)
for opt in --key --issuer --actor --for --host --service; do
    args=()
    skip=0
    for a in "${base[@]}"; do
        if [ "$skip" = 1 ]; then skip=0; continue; fi
        if [ "$a" = "$opt" ]; then skip=1; continue; fi
        args+=("$a")
    done
    run_ctl issue "${args[@]}"
    expect_out 2 "^delegatectl issue: $opt is required$" "issue without $opt: usage error naming it"
done
bad() {  # bad DESC REGEX ARGS...
    local desc=$1 re=$2; shift 2
    run_ctl issue "${base[@]}" "$@"
    expect_out 2 "$re" "issue refuses $desc"
    check "issue prints no ticket for $desc" test ! -s "$T/out"
}
bad "an invalid actor name" "invalid user name 'Bad Actor'" --actor 'Bad Actor'
bad "an invalid runas user" "invalid user name 'ro0t!'" --runas 'alice,ro0t!'
bad "a CIDR with host bits" "invalid CIDR '10.0.0.1/8'" --source 10.0.0.1/8
bad "a non-CIDR source" "invalid CIDR 'nowhere'" --source nowhere
bad "a jti with a slash" "invalid ticket id 'a/b'" --jti a/b
bad "a 65-character jti" "invalid ticket id" --jti "$(printf 'a%.0s' $(seq 1 65))"
bad "a bad duration" "invalid duration 'soon'" --ttl soon
bad "a zero duration" "invalid duration '0s'" --ttl 0s
bad "a bad time" "invalid time 'tomorrow'" --not-before tomorrow
bad "nbf after exp" "not before the expiry" --ttl 1m --not-before "@$(( $(now) + 3600 ))"
bad "an empty list item" "empty item" --host web01,,web02
bad "an invalid host name" "invalid host name" --host 'web 01'
bad "an invalid service name" "invalid service name" --service 'ss/hd'
bad "an approver with a quote" "invalid approver name" --approver 'a"b'
bad "an unknown option" "unknown option '--bogus'" --bogus
bad "an extra argument" "unexpected argument 'extra'" extra
run_ctl issue --key "$T/missing.key" --issuer corp --actor ci-deploy --for alice --host web01 --service sshd
expect_out 2 'missing.key' "issue with a missing key file fails with exit 2"
chmod 644 "$T/corp.key"
run_ctl issue "${base[@]}"
expect 2 "issue refuses a private key readable by others"
chmod 600 "$T/corp.key"
run_ctl issue --key "$T/corp.pub" --issuer corp --actor ci-deploy --for alice --host web01 --service sshd
expect 2 "issue refuses a public key as --key"

finish

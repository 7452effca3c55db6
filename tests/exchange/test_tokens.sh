#!/bin/bash
# CI token verification and rules of delegate-exchange (DESIGN.md §6b), with
# tokens from the independent minter (mint.py, python3-cryptography) and the
# providers' JWKS served by a real nginx over HTTPS with a test CA: every
# case with its exact HTTP status and reason, and one audit line each.
. "$(dirname "$0")/lib.sh"
x_setup
x_write_config
x_start

decode() {   # TICKET: its claims as JSON (python, not our parser)
    python3 -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))))' "$1"
}
# the ticket verifies with the issuer's public key, in python3-cryptography
ticket_signed() {
    python3 - "$1" "$X/issuer/ci-1.pub" <<'EOF'
import base64, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
t, pub = sys.argv[1], load_pem_public_key(open(sys.argv[2], "rb").read())
h, p, s = t.split(".")
pub.verify(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), (h + "." + p).encode())
EOF
}
sshfp() { ssh-keygen -lf "$1" | awk '{print $2}'; }

# ---- issued ----------------------------------------------------------------------
PUB=$(job_key)
expect 200 issued "GitHub push on main, environment production" "$(tok)" "$PUB"
T=$(jq -r .ticket <<<"$BODY")
C=$(decode "$T")
is "$(jq -r '[.iss, .sub, .act.sub, .aud, (.svc | join(",")), (.exp - .iat)] | join(" ")' <<<"$C")" \
   "ci octocat ci-deploy e2e-host sshd-dlg 600" \
   "ticket claims: iss ci, sub = the run's actor, act = the rule's actor, aud, svc, 600 s"
is "$(jq -r .cnf.ssh <<<"$C")" "$(sshfp "$PUB")" "ticket cnf.ssh is the job key's fingerprint (ssh-keygen -lf)"
is "$(jq -r '[.actor, .principal, (.exp == ('"$(jq .exp <<<"$C")"')), (.jti == "'"$(jq -r .jti <<<"$C")"'")] | join(" ")' <<<"$BODY")" \
   "ci-deploy octocat true true" "answer carries actor, principal, exp and jti of the ticket"
check "ticket signature verifies with the issuer's public key (python3-cryptography)" ticket_signed "$T"
check "Ed25519 ticket is under sudo's 512 bytes (${#T})" test "${#T}" -lt 512
is "$(printf '%s' "$T" | "$CTL" inspect - 2>/dev/null | grep -c '"alg": "EdDSA"')" 1 "delegatectl inspect reads it: alg EdDSA"
check "audit line: issued, the deciding claims, the key, never the token or ticket" \
    bash -c 'l=$(tail -n 1 "$1"); jq -e --arg fp "$2" ".claims.repository_id == \"74\" and .claims.environment == \"production\" and .key == \$fp and .actor == \"ci-deploy\" and .principal == \"octocat\" and .provider == \"github\"" <<<"$l" >/dev/null && ! grep -qF "${3##*.}" "$1"' \
    _ "$X/audit.jsonl" "$(sshfp "$PUB")" "$T"

expect 200 issued "ES256 token (EC P-256 key of the JWKS)" \
    "$($MINT token --shape github --key "$X/keys/gh-ec.pem" --kid gh-ec --aud "$AUD")"
expect 200 issued "aud as an array that contains the audience" "$(tok --json 'aud=["other", "delegate-test"]')"
expect 200 issued "exp 30 s ago (inside the 60 s skew)" "$(tok --exp-in -30 --iat-in -330 --nbf-in -335)"
expect 200 issued "reusable workflow pinned to a tag (rule 2, fixed principal)" \
    "$(tok --set environment=release --set job_workflow_ref=octo-org/shared/.github/workflows/deploy.yml@refs/tags/v1.2.0)"
C=$(decode "$(jq -r .ticket <<<"$BODY")")
is "$(jq -r '[.sub, (.exp - .iat)] | join(" ")' <<<"$C")" "release 300" "rule 2: principal \"release\", ttl 300"
expect 200 issued "GitLab protected main (project_id, namespace_id)" "$(gltok)"
C=$(decode "$(jq -r .ticket <<<"$BODY")")
is "$(jq -c '[.sub, .aud, .svc]' <<<"$C")" '["sample-user","e2e-host",["sshd-dlg"]]' \
   "GitLab ticket: sub = user_login, the rule's host and service"
expect 200 issued "GitLab environment ops (rule 4: fixed principal, runas)" "$(gltok --set environment=ops)"
C=$(decode "$(jq -r .ticket <<<"$BODY")")
is "$(jq -c '[.sub, .aud, .svc, .runas]' <<<"$C")" '["ops",["e2e-host","e2e-host.example.test"],["sshd-dlg","sudo"],["alice"]]' \
   "GitLab ticket: two hosts, two services, runas"
T=$(jq -r .ticket <<<"$BODY")
check "ticket with two hosts, two services and runas still under 512 bytes (${#T})" test "${#T}" -lt 512
LONG=$(printf 'u%.0s' $(seq 1 64))
expect 200 issued "GitLab user_login of 64 characters (the longest name)" "$(gltok --set user_login=$LONG)"
T=$(jq -r .ticket <<<"$BODY")
check "ticket with the longest principal under 512 bytes (${#T})" test "${#T}" -lt 512

# ---- every claim of the rule must match, exactly ------------------------------------
expect 403 no_rule "repository_id of another repository" "$(tok --set repository_id=75)"
expect 403 no_rule "renamed repository: the old name, a new repository_id" \
    "$(tok --set repository=octo-org/octo-repo --set repository_id=9999)"
expect 403 no_rule "owner re-registered under the old name (repository_owner_id differs)" \
    "$(tok --set repository_owner=octo-org --set repository_owner_id=66)"
expect 403 no_rule "repository_id as a JSON number, not a string" "$(tok --int repository_id=74)"
expect 403 no_rule "repository_id missing" "$(tok --del repository_id)"
expect 403 no_rule "ref of another branch" "$(tok --set ref=refs/heads/dev)"
expect 403 no_rule "ref differing only in case (exact compare)" "$(tok --set ref=refs/heads/Main)"
expect 403 no_rule "ref_type tag" "$(tok --set ref_type=tag)"
expect 403 no_rule "environment staging" "$(tok --set environment=staging)"
expect 403 no_rule "environment missing" "$(tok --del environment)"
expect 403 no_rule "reusable workflow not pinned (a branch)" \
    "$(tok --set environment=release --set job_workflow_ref=octo-org/shared/.github/workflows/deploy.yml@refs/heads/main)"
expect 403 no_rule "reusable workflow of the same name from another repository" \
    "$(tok --set environment=release --set job_workflow_ref=evil-org/shared/.github/workflows/deploy.yml@refs/tags/v1.2.0)"
expect 403 no_rule "GitLab project_id of another project" "$(gltok --set project_id=21)"
expect 403 no_rule "GitLab namespace_id of another group" "$(gltok --set namespace_id=73)"
expect 403 no_rule "GitLab ref of another branch" "$(gltok --set ref=dev --set ref_path=refs/heads/dev)"
expect 403 no_rule "GitLab project renamed: old path, new project_id" "$(gltok --set project_path=my-group/my-project --set project_id=99)"

# ---- events refused whatever a rule says ---------------------------------------------
for ev in pull_request pull_request_target workflow_run issue_comment; do
    expect 403 event_refused "event_name $ev (all else matching)" "$(tok --set event_name=$ev)"
done
expect 403 event_refused "fork pull request (head_ref from a fork, base repository's ids)" \
    "$(tok --set event_name=pull_request --set head_ref=attacker:main --set base_ref=main --set ref=refs/pull/7/merge)"
expect 403 event_refused "event_name that is not a string" "$(tok --int event_name=1)"
expect 403 event_refused "GitLab ref_protected \"false\"" "$(gltok --set ref_protected=false)"
expect 403 event_refused "GitLab token without ref_protected" "$(gltok --del ref_protected)"
expect 403 event_refused "GitLab fork merge request pipeline (unprotected)" \
    "$(gltok --set pipeline_source=merge_request_event --set ref_protected=false --set ref=refs/merge-requests/5/head)"

# ---- the token itself ------------------------------------------------------------------
expect 403 expired "expired 120 s ago" "$(tok --exp-in -120 --iat-in -420 --nbf-in -425)"
expect 403 expired "exp exactly now - 60 (the skew)" "$(tok --exp-in -60 --iat-in -360 --nbf-in -365)"
expect 403 not_yet_valid "nbf 5 minutes ahead" "$(tok --nbf-in 300)"
expect 403 not_yet_valid "iat 5 minutes ahead" "$(tok --iat-in 300 --nbf-in 0)"
expect 403 wrong_issuer "iss of no provider" "$(tok --iss https://token.actions.githubusercontent.com/evil)"
expect 403 wrong_issuer "iss with a trailing slash (exact compare)" "$(tok --iss "$GITHUB_ISS/")"
expect 403 wrong_issuer "no iss" "$(tok --del iss)"
expect 403 wrong_audience "aud of another deployment" "$(tok --aud delegate-staging)"
expect 403 wrong_audience "aud differing in case" "$(tok --aud Delegate-Test)"
expect 403 wrong_audience "aud missing" "$(tok --del aud)"
expect 403 wrong_audience "GitHub's default aud (the owner URL)" "$(tok --aud https://github.com/octo-org)"
expect 403 unsupported_alg "alg none, no signature" "$(tok --alg none)"
$MINT jwks "$X/keys/gh1.pem=gh-k1" >"$X/jwks-as-secret.json"
expect 403 unsupported_alg "HS256 keyed with the JWKS itself" "$(tok --alg HS256 --hs-secret "$X/jwks-as-secret.json")"
expect 403 unsupported_alg "HS256 keyed with the nginx-served JWKS bytes" "$(tok --alg HS256 --hs-secret "$X/nginx/www/github.json")"
expect 403 unsupported_alg "alg RS512" "$(tok --header alg=RS512)"
expect 403 unsupported_alg "ES256 claimed for the RSA key gh-k1" "$(tok --header alg=ES256)"
expect 403 bad_token "signed by a stranger's key under kid gh-k1" \
    "$($MINT token --shape github --key "$X/keys/stranger.pem" --kid gh-k1 --aud "$AUD")"
GOOD=$(tok)
P=$(cut -d. -f2 <<<"$GOOD"); FORGED=$(python3 -c 'import base64,json,sys; p=sys.argv[1]; c=json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4))); c["repository_id"]="74"; c["environment"]="production"; c["actor"]="mallory"; print(base64.urlsafe_b64encode(json.dumps(c).encode()).rstrip(b"=").decode())' "$P")
expect 403 bad_token "payload changed after signing (actor mallory)" "$(cut -d. -f1 <<<"$GOOD").$FORGED.$(cut -d. -f3 <<<"$GOOD")"
expect 403 bad_token "jku header (keys from a URL of the token's choice)" "$(tok --header jku=https://evil.example/jwks)"
expect 403 bad_token "x5u header" "$(tok --header x5u=https://evil.example/cert)"
expect 403 bad_token "exp as a string" "$(tok --set exp=9999999999)"
expect 403 bad_token "no jti" "$(tok --del jti)"
expect 403 bad_token "not a JWS" "not-a-token"
expect 403 bad_token "four parts" "$(tok).x"
expect 403 bad_token "principal claim (actor) is not a valid name" "$(tok --set 'actor=dependabot[bot]')"

# ---- unknown kid: one refetch, then refuse ---------------------------------------------
n0=$(jwks_fetches github)
expect 403 unknown_key "unknown kid" "$($MINT token --shape github --key "$X/keys/gh2.pem" --kid gh-k9 --aud "$AUD")"
n1=$(jwks_fetches github)
is "$((n1 - n0))" 1 "unknown kid: the JWKS was fetched again once (nginx access log)"
expect 403 unknown_key "another unknown kid within the minute" "$($MINT token --shape github --key "$X/keys/gh2.pem" --kid gh-k8 --aud "$AUD")"
is "$(( $(jwks_fetches github) - n1 ))" 0 "second unknown kid within a minute: no fetch"
expect 403 unknown_key "no kid at all" "$($MINT token --shape github --key "$X/keys/gh1.pem" --aud "$AUD")"
expect 200 issued "the known kid still works meanwhile" "$(tok)"

# ---- each token once, also under concurrency and across restarts -------------------------
ONCE=$(tok)
expect 200 issued "a token, first time" "$ONCE"
expect 403 replayed "the same token again" "$ONCE"
expect 403 replayed "the same token with another ssh key" "$ONCE" "$(job_key)"
RACE=$(tok)
jq -cn --arg t "$RACE" --rawfile k "$(default_pub)" '{token: $t, ssh_key: $k}' >"$X/race.json"
RACERS=()
for i in $(seq 1 10); do
    curl -s --cacert "$X/pki/ca.crt" -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
        --data-binary @"$X/race.json" "$URL/v1/ticket" >"$X/race.$i" &
    RACERS+=($!)
done
wait "${RACERS[@]}"
is "$(cat "$X"/race.[0-9]* | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')" "200:1 403:9 " \
   "10 concurrent exchanges of one token: exactly one 200, nine 403"
ls "$X/state"/jti-* >/dev/null 2>&1 && check "state: one 0600 record per exchanged token, no token text in it" \
    bash -c '[ "$(stat -c %a "$1"/jti-* | sort -u)" = 600 ] && ! grep -rqF "${2%%.*}" "$1"' _ "$X/state" "$ONCE"

x_stop
check "SIGTERM stops the exchange" test -z "${XPID:-}"
# rotation: the provider now publishes gh2 only
$MINT jwks "$X/keys/gh2.pem=gh-k2" "$X/keys/gh-ec.pem=gh-ec" >"$X/nginx/www/github.json.new" &&
    chmod 0644 "$X/nginx/www/github.json.new"
x_start
expect 403 replayed "after a restart: the token exchanged before is still refused" "$ONCE"
mv "$X/nginx/www/github.json.new" "$X/nginx/www/github.json"
n0=$(jwks_fetches github)
expect 200 issued "JWKS rotated: a token of the new kid gh-k2 (one refetch)" \
    "$($MINT token --shape github --key "$X/keys/gh2.pem" --kid gh-k2 --aud "$AUD")"
is "$(( $(jwks_fetches github) - n0 ))" 1 "rotation: exactly one fetch"
expect 403 unknown_key "JWKS rotated: the retired kid gh-k1 is refused" "$(tok)"

# ---- no usable JWKS: 503 unavailable ----------------------------------------------------
x_stop
x_stop_nginx
x_start
expect 503 unavailable "JWKS unreachable (nginx stopped) and nothing cached" "$(tok)"
check "the exchange says why on stderr" grep -q "provider github: .*127.0.0.1" "$X/exchange.err"

check "no token or ticket text on stderr" bash -c '! grep -qE "eyJ[A-Za-z0-9_-]{20,}" "$1"' _ "$X/exchange.err"
check "no token or ticket text in the audit trail" bash -c '! grep -qE "eyJ[A-Za-z0-9_-]{20,}" "$1"' _ "$X/audit.jsonl"
check "every audit line is one JSON object" bash -c 'jq -e . "$1" >/dev/null' _ "$X/audit.jsonl"

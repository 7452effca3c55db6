#!/bin/bash
# End to end: a CI job's token and ssh key go through delegate-exchange,
# and the bound ticket opens a REAL ssh login on the test host (the e2e
# harness: real sshd in a private mount namespace) only together with the
# job's private key.  Then the README's GitHub Actions and GitLab CI recipes
# run as printed, against a local stand-in of the CI's token endpoint.
. "$(dirname "$0")/../e2e/lib.sh"
e2e_enter "$@"
. "$E2E_ROOT/tests/exchange/lib.sh"
e2e_setup
AUD=delegate-prod           # the recipes' audience

# ---- the host: trusts issuer "ci" (the exchange's key) ------------------------------
X=$NS/xchg
mkdir -m 0755 "$X" "$X/pki" "$X/nginx" "$X/nginx/www" "$X/nginx/tmp" "$X/keys" "$X/client"
mkdir -m 0700 "$X/issuer"
trap 'x_stop; x_stop_nginx; e2e_cleanup' EXIT
"$CTL" keygen --out "$X/issuer/ci-1" >/dev/null || e2e_die "exchange issuer key"
install -m 0644 "$X/issuer/ci-1.pub" /etc/delegate/keys/ci-1.pub
sed -i 's|^issuers = ($|&\n  { id = "ci"; algorithms = ["EdDSA"]; principals = ["*"];\n    keys = ( { kid = "ci-1"; file = "/etc/delegate/keys/ci-1.pub"; } ); },|' "$CONF"
sed -i 's/principals = \["alice", "release"\]/principals = ["alice", "release", "octocat", "sample-user"]/' "$CONF"
check "host config trusts the exchange's key as issuer ci" bash -c '"$1" check-config --config "$2" >/dev/null' _ "$CTL" "$CONF"
AKC_DIR=$LIBDIR/delegate-e2e
install -d -m 0755 "$AKC_DIR"
install -m 0755 "$CTL" "$AKC_DIR/delegatectl"
E2E_SSHD_EXTRA=$(printf '%s\n' 'Match Group delegated' \
    '    AuthenticationMethods publickey,keyboard-interactive keyboard-interactive password' \
    '    AuthorizedKeysFile none' \
    "    AuthorizedKeysCommand $AKC_DIR/delegatectl authorized-keys --config $CONF %u %t %k" \
    '    AuthorizedKeysCommandUser nobody')
e2e_start_sshd

# ---- the exchange and the provider's JWKS behind nginx ----------------------------
x_make_pki || e2e_die "test CA"
$MINT key --type rsa --out "$X/keys/gh1.pem" && $MINT key --type rsa --out "$X/keys/gl1.pem" ||
    e2e_die "provider keys"
$MINT jwks "$X/keys/gh1.pem=gh-k1" >"$X/nginx/www/github.json" &&
    $MINT jwks "$X/keys/gl1.pem=gl-k1" >"$X/nginx/www/gitlab.json" || e2e_die "JWKS"
chmod 0644 "$X"/nginx/www/*.json
x_start_nginx
x_write_config
x_start
ok "delegate-exchange and nginx running in the test namespace"

ssh_bound() {   # KEY TICKET USER CMD...: publickey with KEY, then the ticket
    local k=$1 t=$2 u=$3; shift 3
    SSH_ASKPASS=$NS/bin/askpass SSH_ASKPASS_REQUIRE=force DELEGATE_TICKET=$t \
        timeout 60 setsid -w ssh "${E2E_SSH_OPTS[@]}" -n -o BatchMode=no -o IdentitiesOnly=yes \
        -i "$k" -o PreferredAuthentications=publickey,keyboard-interactive \
        -p "$PORT" "$u@127.0.0.1" "$@" 2>>"$NS/ssh-client.err"
}
admitted() { grep -qx ADMITTED <<<"$1"; }
refused()  { ! grep -q ADMITTED <<<"$1"; }
fp() { ssh-keygen -lf "$1" | awk '{print $2}'; }

# ---- exchange, then log in with the job's key and the ticket ---------------------------
ssh-keygen -q -t ed25519 -N '' -C ci-job -f "$X/client/job"
ssh-keygen -q -t ed25519 -N '' -C other -f "$X/client/other"
expect 200 issued "exchange: GitHub token + the job's ephemeral key" "$(tok)" "$X/client/job.pub"
T=$(jq -r .ticket <<<"$BODY")
JTI=$(jq -r .jti <<<"$BODY")
audit_mark() { AUDIT_MARK=$( { wc -l <"$AUDIT"; } 2>/dev/null || echo 0); }
audit_mark
out=$(ssh_bound "$X/client/job" "$T" ci-deploy 'echo ADMITTED; id -un')
check "real ssh login with the job's key and the exchanged ticket: admitted" admitted "$out"
check "the session runs as the actor ci-deploy" grep -qx ci-deploy <<<"$out"
check "host audit: admit, principal octocat, issuer ci, the job key" \
    bash -c 'tail -n +"$(($1 + 1))" "$2" | grep "\"event\":\"admit\"" | grep "\"jti\":\"$3\"" | grep "\"principal\":\"octocat\"" | grep "\"iss\":\"ci\"" | grep -qF "\"key\":\"$4\""' \
    _ "$AUDIT_MARK" "$AUDIT" "$JTI" "$(fp "$X/client/job.pub")"

audit_mark
out=$(ssh_bound "$X/client/other" "$T" ci-deploy 'echo ADMITTED')
check "the same ticket with another key: refused" refused "$out"
check "another key: host audit deny key_mismatch" \
    bash -c 'tail -n +"$(($1 + 1))" "$2" | grep "\"event\":\"deny\"" | grep -q "\"reason\":\"key_mismatch\""' _ "$AUDIT_MARK" "$AUDIT"
audit_mark
out=$(ssh_kbd "$T" ci-deploy 'echo ADMITTED')
check "the ticket alone (keyboard-interactive, no key): refused" refused "$out"
check "ticket alone: host audit deny key_mismatch" \
    bash -c 'tail -n +"$(($1 + 1))" "$2" | grep "\"event\":\"deny\"" | grep -q "\"reason\":\"key_mismatch\""' _ "$AUDIT_MARK" "$AUDIT"
out=$(ssh_pass "$T" ci-deploy 'echo ADMITTED')
check "the ticket alone as a password (sshpass): refused" refused "$out"
out=$(ssh_key "$X/client/job" ci-deploy 'echo ADMITTED')
check "the job key alone (publickey only): refused" refused "$out"
check "nothing admitted besides the one login" \
    bash -c '[ "$(grep -c "\"event\":\"admit\"" "$1")" -eq 1 ]' _ "$AUDIT"
out=$("$CTL" verify --config "$CONF" --user ci-deploy --service "$SSHD_SVC" --rhost 127.0.0.1 \
      --ssh-key "$X/client/other.pub" "$T" 2>&1)
is "${out%%$'\n'*}" "deny: key_mismatch" "delegatectl verify with another key: deny: key_mismatch"

# ---- the README recipes, as printed --------------------------------------------------
recipe() {   # NAME: the fenced block "```yaml NAME" of README.md
    awk -v tag="$1" '$0 == "```yaml " tag { on = 1; next } on && /^```/ { exit } on { print }' "$E2E_ROOT/README.md"
}
echo "127.0.0.1 exchange.example.com" >>/etc/hosts
# the job runs as an ordinary runner user (carol, a local account of the
# harness): ssh reads the config of the user's home, as on a runner
JOBHOME=/var/lib/e2e-home/carol
install -d -m 0700 -o carol -g carol "$JOBHOME/.ssh"
cat >"$JOBHOME/.ssh/config" <<EOF
Host web01
    HostName 127.0.0.1
    Port $PORT
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    LogLevel ERROR
EOF
chown carol: "$JOBHOME/.ssh/config"
printf '#!/bin/sh\necho "DEPLOYED as $(id -un) for $DELEGATE_PRINCIPAL"\n' >/var/lib/delegate/ci-deploy/deploy.sh
chmod 0755 /var/lib/delegate/ci-deploy/deploy.sh

GH=$(recipe github-actions-recipe)
check "README GitHub Actions recipe: under 15 lines" test "$(wc -l <<<"$GH")" -lt 15
check "README GitLab CI recipe: under 15 lines" test "$(recipe gitlab-ci-recipe | wc -l)" -lt 15
# GitHub gives a job ACTIONS_ID_TOKEN_REQUEST_* only with permissions id-token: write
GH_PERM=$(python3 -c 'import sys, yaml; j = yaml.safe_load(sys.stdin)["jobs"]["deploy"]; print(j.get("permissions", {}).get("id-token", ""))' <<<"$GH")
is "$GH_PERM" write "GitHub recipe asks for permissions id-token: write"
GH_RUN=$(python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["jobs"]["deploy"]["steps"][0]["run"])' <<<"$GH" |
         sed "s|exchange.example.com:8443|exchange.example.com:$XPORT|g")
BEARER=stand-in-$RANDOM$RANDOM
$MINT serve-github --key "$X/keys/gh1.pem" --kid gh-k1 --bearer "$BEARER" --port-file "$X/sp.port" &
SP_PID=$!
wait_for 30 test -s "$X/sp.port" || e2e_die "GitHub token endpoint stand-in"
RT=$(mktemp -d "$NS/runner.XXXXXX") && chown carol: "$RT"
audit_mark
out=$(cd "$RT" && runuser -u carol -- env -i PATH="$PATH" HOME="$JOBHOME" RUNNER_TEMP="$RT" CURL_CA_BUNDLE="$X/pki/ca.crt" \
      ACTIONS_ID_TOKEN_REQUEST_URL="http://127.0.0.1:$(cat "$X/sp.port")/token?api-version=2.0" \
      ACTIONS_ID_TOKEN_REQUEST_TOKEN="$BEARER" timeout 120 bash -eo pipefail -c "$GH_RUN" 2>"$X/gh.err")
is "$out" "DEPLOYED as ci-deploy for octocat" "GitHub Actions recipe: the job deployed as ci-deploy for the run's actor"
[ "$out" = "DEPLOYED as ci-deploy for octocat" ] || diag "$(tail -n 5 "$X/gh.err")"
check "GitHub recipe: the host admitted it with the job's key" \
    bash -c 'tail -n +"$(($1 + 1))" "$2" | grep "\"event\":\"admit\"" | grep -q "\"key\":\"SHA256:"' _ "$AUDIT_MARK" "$AUDIT"
kill "$SP_PID" 2>/dev/null; wait "$SP_PID" 2>/dev/null

GL=$(recipe gitlab-ci-recipe)
GL_AUD=$(python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["deploy"]["id_tokens"]["DELEGATE_ID_TOKEN"]["aud"])' <<<"$GL")
GL_ENV=$(python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["deploy"]["environment"])' <<<"$GL")
GL_SCRIPT=$(python3 -c 'import sys, yaml; print("\n".join(yaml.safe_load(sys.stdin)["deploy"]["script"]))' <<<"$GL" |
            sed "s|exchange.example.com:8443|exchange.example.com:$XPORT|g")
# GitLab's side: a token for the aud the job declares, of a protected ref
GLT=$($MINT token --shape gitlab --key "$X/keys/gl1.pem" --kid gl-k1 --aud "$GL_AUD" --iss "$GITLAB_ISS" \
      --set environment="$GL_ENV")
BD=$(mktemp -d "$NS/build.XXXXXX") && chown carol: "$BD"
audit_mark
out=$(cd "$BD" && runuser -u carol -- env -i PATH="$PATH" HOME="$JOBHOME" CURL_CA_BUNDLE="$X/pki/ca.crt" \
      DELEGATE_ID_TOKEN="$GLT" timeout 120 bash -eo pipefail -c "$GL_SCRIPT" 2>"$X/gl.err")
is "$out" "DEPLOYED as ci-deploy for sample-user" "GitLab CI recipe: the job deployed as ci-deploy for user_login"
[ "$out" = "DEPLOYED as ci-deploy for sample-user" ] || diag "$(tail -n 5 "$X/gl.err")"
rm -f "$BD/id" "$BD/id.pub" "$BD/askpass"
out=$(cd "$BD" && runuser -u carol -- env -i PATH="$PATH" HOME="$JOBHOME" CURL_CA_BUNDLE="$X/pki/ca.crt" \
      DELEGATE_ID_TOKEN="$GLT" timeout 120 bash -eo pipefail -c "$GL_SCRIPT" 2>&1)
check "GitLab recipe run again with the same CI token: the exchange refuses (replayed), no login" \
    bash -c '! grep -q DEPLOYED <<<"$1" && [ "$(tail -n 1 "$2" | jq -r .reason)" = replayed ]' _ "$out" "$X/audit.jsonl"

check "no ticket or token text in the host's audit trail or sshd log" secret_absent "$T" "$AUDIT" "$NS/sshd.log"
check "no CI token in the exchange's audit trail" bash -c '! grep -qF "${1##*.}" "$2"' _ "$GLT" "$X/audit.jsonl"

# Harness of the exchange tier: a test CA, a real nginx serving the
# providers' JWKS over HTTPS on 127.0.0.1 (its own config, prefix, pid
# file and free port; started and stopped by its PID, never the system's
# nginx service), the independent minter (mint.py), and delegate-exchange
# itself, started and stopped by PID.  Everything lives in one temporary
# directory, removed at the end; nothing on the host is written.
#
#     . "$(dirname "$0")/lib.sh"
#     x_setup                 # CA, keys, JWKS, nginx, issuer key
#     x_write_config; x_start # the exchange on a free port, native TLS
#     expect 403 no_rule "desc" "$(tok --set repository_id=1)"

set -u
X_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
X_ROOT=$(cd "$X_LIB_DIR/../.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B=$X_ROOT/$B ;; esac
XCHG=$B/delegate-exchange
CTL=$B/delegatectl
MINT="python3 $X_LIB_DIR/mint.py"
AUD=delegate-test
GITLAB_ISS=https://gitlab.example.test
GITHUB_ISS=https://token.actions.githubusercontent.com

# TAP helpers (the e2e harness has its own; a test that sources both keeps those)
if ! declare -F ok >/dev/null; then
T_N=0
T_FAILED=0
ok()     { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAILED=1; echo "not ok $T_N - $*"; }
diag()   { printf '%s\n' "$@" | sed 's/^/# /'; }
check()  { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
is()     { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; diag "got:  '$1'" "want: '$2'"; fi; }
fi
x_die()  { not_ok "$*"; exit 1; }

# wait_for SECONDS CMD...: poll CMD every 0.1 s (never a speed assertion)
wait_for() {
    local n=$(($1 * 10)); shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

x_pick_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
    done
    return 1
}

x_cleanup() {
    local rc=$?
    trap - EXIT
    set +e
    if [ "$T_FAILED" -ne 0 ] && [ -n "${X:-}" ]; then
        [ -s "$X/exchange.err" ] && { echo "# ---- exchange stderr (tail)"; tail -n 15 "$X/exchange.err" | sed 's/^/# /'; }
        [ -s "$X/audit.jsonl" ] && { echo "# ---- audit (tail)"; tail -n 5 "$X/audit.jsonl" | sed 's/^/# /'; }
    fi
    x_stop
    x_stop_nginx
    [ -n "${X:-}" ] && rm -rf "$X"
    [ "$T_N" -eq 0 ] && echo "not ok 1 - test ran no case" && rc=1
    [ "$T_FAILED" -ne 0 ] && rc=1
    echo "1..$T_N"
    exit "$rc"
}

x_require() {
    local t missing=""
    [ "$(id -u)" -eq 0 ] || { echo "not ok 1 - the exchange tier runs as root (trusted config files)"; exit 1; }
    for t in nginx openssl curl jq python3 ssh-keygen; do
        command -v "$t" >/dev/null || missing="$missing $t"
    done
    python3 -c 'import cryptography, yaml' 2>/dev/null || missing="$missing python3-cryptography/python3-yaml"
    [ -x "$XCHG" ] || missing="$missing $XCHG"
    [ -x "$CTL" ] || missing="$missing $CTL"
    if [ -n "$missing" ]; then
        echo "not ok 1 - tools and build present (missing:$missing; make deps && make)"
        exit 1
    fi
}

# ---- CA, keys, JWKS, nginx -------------------------------------------------

x_setup() {
    x_require
    X=$(mktemp -d /tmp/dlg-xchg.XXXXXX) || exit 2
    chmod 0755 "$X"
    trap x_cleanup EXIT
    mkdir -m 0755 "$X/pki" "$X/nginx" "$X/nginx/www" "$X/nginx/tmp" "$X/keys" "$X/client"
    mkdir -m 0700 "$X/issuer"
    x_make_pki || x_die "test CA and server certificate"
    # provider keys: GitHub signs RS256, GitLab RS256 too; an EC key for ES256
    $MINT key --type rsa --out "$X/keys/gh1.pem" && $MINT key --type rsa --out "$X/keys/gh2.pem" &&
        $MINT key --type ec --out "$X/keys/gh-ec.pem" && $MINT key --type rsa --out "$X/keys/gl1.pem" &&
        $MINT key --type rsa --out "$X/keys/stranger.pem" || x_die "provider keys (mint.py)"
    $MINT jwks "$X/keys/gh1.pem=gh-k1" "$X/keys/gh-ec.pem=gh-ec" >"$X/nginx/www/github.json" &&
        $MINT jwks "$X/keys/gl1.pem=gl-k1" >"$X/nginx/www/gitlab.json" || x_die "JWKS documents"
    chmod 0644 "$X"/nginx/www/*.json
    "$CTL" keygen --out "$X/issuer/ci-1" >/dev/null || x_die "issuer key (delegatectl keygen)"
    x_start_nginx
}

x_make_pki() {
    local p=$X/pki
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=delegate exchange test CA" -keyout "$p/ca.key" -out "$p/ca.crt" 2>/dev/null &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$p/server.key" -out "$p/server.csr" 2>/dev/null &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:exchange.example.com\nextendedKeyUsage=serverAuth\n' >"$p/ext" &&
    openssl x509 -req -in "$p/server.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
        -days 2 -extfile "$p/ext" -out "$p/server.crt" 2>/dev/null &&
    chmod 0644 "$p/ca.crt" "$p/server.crt" && chmod 0600 "$p/server.key" "$p/ca.key"
}

x_start_nginx() {
    local i
    NGX_PORT=$(x_pick_port) || x_die "no free port for nginx"
    cat >"$X/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $X/nginx/nginx.pid;
error_log $X/nginx/error.log;
events { worker_connections 64; }
http {
    access_log $X/nginx/access.log;
    client_body_temp_path $X/nginx/tmp/body;
    proxy_temp_path $X/nginx/tmp/proxy;
    fastcgi_temp_path $X/nginx/tmp/fastcgi;
    uwsgi_temp_path $X/nginx/tmp/uwsgi;
    scgi_temp_path $X/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NGX_PORT ssl;
        ssl_certificate $X/pki/server.crt;
        ssl_certificate_key $X/pki/server.key;
        location / { root $X/nginx/www; default_type application/json; }
    }
}
EOF
    nginx -e "$X/nginx/error.log" -p "$X/nginx" -c "$X/nginx/nginx.conf" -g 'daemon off;' \
        >"$X/nginx/stdout" 2>&1 &
    NGX_PID=$!
    for i in $(seq 1 300); do
        curl -sf --max-time 5 --cacert "$X/pki/ca.crt" "https://127.0.0.1:$NGX_PORT/github.json" \
            >/dev/null && return 0
        kill -0 "$NGX_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$X/nginx/error.log" "$X/nginx/stdout" 2>/dev/null | sed 's/^/# /'
    x_die "nginx serving the JWKS over HTTPS on 127.0.0.1:$NGX_PORT"
}

x_stop_nginx() {
    if [ -n "${NGX_PID:-}" ]; then
        kill -QUIT "$NGX_PID" 2>/dev/null
        wait "$NGX_PID" 2>/dev/null
        NGX_PID=
    fi
}

# JWKS fetches nginx answered so far
jwks_fetches() { grep -c "GET /${1:-github}.json" "$X/nginx/access.log" 2>/dev/null || echo 0; }

# ---- the exchange -------------------------------------------------------------

# x_write_config [EXTRA-RULES]: the test config; rules may be extended.
x_write_config() {
    XPORT=${XPORT:-$(x_pick_port)} || x_die "no free port for the exchange"
    local tls="tls = { cert = \"$X/pki/server.crt\"; key = \"$X/pki/server.key\"; };"
    [ "${X_TLS:-yes}" = no ] && tls=""
    cat >"$X/exchange.conf" <<EOF
version = 1;
listen = "${X_LISTEN:-127.0.0.1:$XPORT}";
$tls
issuer = { id = "ci"; kid = "ci-1"; key = "$X/issuer/ci-1.key"; };
state = "$X/state";
timeout = ${X_TIMEOUT:-3};
max_connections = ${X_MAXCONN:-16};
providers = (
  { id = "github"; issuer = "$GITHUB_ISS"; audience = "$AUD";
    jwks_url = "https://127.0.0.1:$NGX_PORT/github.json"; ca = "$X/pki/ca.crt"; max_age = 3600; },
  { id = "gitlab"; type = "gitlab"; issuer = "$GITLAB_ISS"; audience = "$AUD";
    jwks_url = "https://127.0.0.1:$NGX_PORT/gitlab.json"; ca = "$X/pki/ca.crt"; }
);
rules = (
  { provider = "github";
    match = { repository_id = "74"; repository_owner_id = "65"; ref = "refs/heads/main";
              ref_type = "branch"; environment = "production"; };
    actor = "ci-deploy"; principal_claim = "actor";
    hosts = ["e2e-host"]; services = ["sshd-dlg"]; ttl = 600; },
  { provider = "github";
    match = { repository_id = "74"; repository_owner_id = "65"; environment = "release";
              job_workflow_ref = "octo-org/shared/.github/workflows/deploy.yml@refs/tags/v1.2.0"; };
    actor = "ci-deploy"; principal = "release";
    hosts = ["e2e-host"]; services = ["sshd-dlg"]; ttl = 300; },
  { provider = "gitlab";
    match = { project_id = "20"; namespace_id = "72"; ref = "main"; ref_type = "branch";
              environment = "production"; };
    actor = "ci-deploy"; principal_claim = "user_login";
    hosts = ["e2e-host"]; services = ["sshd-dlg"]; },
  { provider = "gitlab";
    match = { project_id = "20"; namespace_id = "72"; ref = "main"; environment = "ops"; };
    actor = "ci-deploy"; principal = "ops";
    hosts = ["e2e-host", "e2e-host.example.test"]; services = ["sshd-dlg", "sudo"]; runas = ["alice"]; }
${1:-}
);
EOF
    chmod 0644 "$X/exchange.conf"
    URL=${X_URL:-https://127.0.0.1:$XPORT}
}

x_health() { curl -sf ${X_CURL_OPTS:-} --cacert "$X/pki/ca.crt" "$URL/v1/health" >/dev/null 2>&1; }

x_start() {
    ${X_WRAP:-} "$XCHG" --config "$X/exchange.conf" >>"$X/audit.jsonl" 2>>"$X/exchange.err" &
    XPID=$!
    wait_for 60 x_health || { tail -n 20 "$X/exchange.err" | sed 's/^/# /'; x_die "delegate-exchange answers /v1/health"; }
}

# Stops the exchange by its PID; it must exit 0 (under ASan: no error and
# no leak, whose reports land in exchange.err).
x_stop() {
    local rc
    if [ -n "${XPID:-}" ]; then
        kill -TERM "$XPID" 2>/dev/null
        wait "$XPID" 2>/dev/null
        rc=$?
        XPID=
        if [ "$rc" -eq 0 ] && ! grep -qE "Sanitizer|runtime error" "$X/exchange.err"; then
            ok "delegate-exchange stopped by SIGTERM: exit 0, no sanitizer report"
        else
            not_ok "delegate-exchange stopped by SIGTERM: exit 0, no sanitizer report (exit $rc)"
            grep -A12 -E "Sanitizer|runtime error" "$X/exchange.err" | head -30 | sed 's/^/# /'
        fi
    fi
}

# ---- requests -------------------------------------------------------------------

# A fresh ed25519 key pair for a job: prints the .pub path
job_key() {
    local f=$X/client/job-$RANDOM$RANDOM
    ssh-keygen -q -t ed25519 -N '' -C ci-job -f "$f" && echo "$f.pub"
}
DEFAULT_PUB=
default_pub() { [ -n "$DEFAULT_PUB" ] || DEFAULT_PUB=$(job_key); echo "$DEFAULT_PUB"; }

# tok ARGS...: a GitHub-shaped token from key gh1 (kid gh-k1) for our audience
tok()    { $MINT token --shape github --key "$X/keys/gh1.pem" --kid gh-k1 --aud "$AUD" "$@"; }
gltok()  { $MINT token --shape gitlab --key "$X/keys/gl1.pem" --kid gl-k1 --aud "$AUD" --iss "$GITLAB_ISS" "$@"; }

# post TOKEN [PUBFILE]: POST /v1/ticket; sets STATUS and BODY
post() {
    local pub=${2:-$(default_pub)}
    jq -cn --arg t "$1" --rawfile k "$pub" '{token: $t, ssh_key: $k}' >"$X/req.json"
    post_raw "$X/req.json"
}
post_raw() {   # FILE [CONTENT-TYPE]
    STATUS=$(curl -sS ${X_CURL_OPTS:-} --cacert "$X/pki/ca.crt" -o "$X/resp.json" -w '%{http_code}' \
        -H "Content-Type: ${2:-application/json}" --data-binary @"$1" "$URL/v1/ticket" 2>"$X/curl.err")
    BODY=$(cat "$X/resp.json" 2>/dev/null)
}
audit_mark() { AUDIT_MARK=$(wc -l <"$X/audit.jsonl" 2>/dev/null || echo 0); }
audit_new()  { tail -n +"$((AUDIT_MARK + 1))" "$X/audit.jsonl"; }

# expect STATUS REASON DESC TOKEN [PUBFILE]: the answer is exactly that,
# one audit line was written for it with the same reason, and no ticket.
expect() {
    local want_status=$1 want_reason=$2 desc=$3; shift 3
    local got lines
    audit_mark
    post "$@"
    got=$(jq -r '.error // "issued"' <<<"$BODY" 2>/dev/null)
    if [ "$STATUS" = "$want_status" ] && [ "$got" = "$want_reason" ]; then
        ok "$desc: $want_status $want_reason"
    else
        not_ok "$desc: $want_status $want_reason"
        diag "got: $STATUS $BODY" "$(cat "$X/curl.err")" "$(audit_new | tail -n 1)"
    fi
    lines=$(audit_new | wc -l)
    if [ "$want_reason" = issued ]; then
        check "$desc: one audit line, event issued" \
            test "$lines" -eq 1 -a "$(audit_new | jq -r .event)" = issued
    else
        check "$desc: one audit line, event refused, reason $want_reason" \
            test "$lines" -eq 1 -a "$(audit_new | jq -r '.event + " " + .reason')" = "refused $want_reason"
    fi
}

#!/bin/bash
# The HTTP side of delegate-exchange (libmicrohttpd): native TLS, paths and
# methods, the strict request body, bad ssh keys (and that they never burn a
# token), the 16 KiB body cap (413 too_large, also chunked), a slow client
# cut off by the timeout while others are served, the connection limit, a
# unix socket listener without TLS.
. "$(dirname "$0")/lib.sh"
x_setup
x_write_config
x_start

# ---- TLS, health, paths, methods -----------------------------------------------------
out=$(curl -sS --cacert "$X/pki/ca.crt" -D "$X/h" "$URL/v1/health")
is "$out" '{"status":"ok"}' "GET /v1/health: 200 {\"status\":\"ok\"} over TLS (the test CA)"
check "health answer is application/json, no-store" \
    bash -c 'grep -qi "^content-type: application/json" "$1" && grep -qi "^cache-control: no-store" "$1"' _ "$X/h"
is "$(curl -s -o /dev/null -w '%{http_code}' -I --cacert "$X/pki/ca.crt" "$URL/v1/health")" 200 "HEAD /v1/health: 200"
check "TLS: a client that does not trust the CA is refused" \
    bash -c '! curl -s --cacert /etc/ssl/certs/ca-certificates.crt "$1/v1/health" >/dev/null' _ "$URL"
check "plain HTTP on the TLS port gets no answer" \
    bash -c '! curl -s -m 10 "http://127.0.0.1:$1/v1/health" | grep -q status' _ "$XPORT"
audit_mark
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST --cacert "$X/pki/ca.crt" "$URL/v1/health")" 405 "POST /v1/health: 405"
st=$(curl -s -o "$X/r" -w '%{http_code}' -D "$X/h" --cacert "$X/pki/ca.crt" "$URL/v1/ticket")
is "$st $(cat "$X/r")" '405 {"error":"malformed"}' "GET /v1/ticket: 405 malformed"
check "405 names the allowed method" grep -qi '^allow: POST' "$X/h"
st=$(curl -s -o "$X/r" -w '%{http_code}' --cacert "$X/pki/ca.crt" "$URL/v1/tickets")
is "$st $(cat "$X/r")" '404 {"error":"not_found"}' "an unknown path: 404"
is "$(audit_new | jq -r '.status' | tr '\n' ' ')" "405 405 404 " "each refused request has its audit line, health none"

# ---- the request body -----------------------------------------------------------------
T=$(tok)
PUB=$(job_key)
jq -cn --arg t "$T" --rawfile k "$PUB" '{token: $t, ssh_key: $k}' >"$X/good.json"
post_raw "$X/good.json" text/plain
is "$STATUS $BODY" '400 {"error":"malformed"}' "Content-Type text/plain: 400 malformed"
printf 'not json' >"$X/b1"; post_raw "$X/b1"
is "$STATUS $BODY" '400 {"error":"malformed"}' "a body that is not JSON: 400 malformed"
jq -c '. + {extra: 1}' "$X/good.json" >"$X/b2"; post_raw "$X/b2"
is "$STATUS $BODY" '400 {"error":"malformed"}' "an unknown member: 400 malformed"
printf '{"token":"%s","token":"x","ssh_key":"%s"}' "$T" "$(cat "$PUB")" >"$X/b3"; post_raw "$X/b3"
is "$STATUS $BODY" '400 {"error":"malformed"}' "a duplicate member: 400 malformed"
jq -cn --rawfile k "$PUB" '{token: 1, ssh_key: $k}' >"$X/b4"; post_raw "$X/b4"
is "$STATUS $BODY" '400 {"error":"malformed"}' "token not a string: 400 malformed"
jq -cn --arg t "$T" '{token: $t}' >"$X/b5"; post_raw "$X/b5"
is "$STATUS $BODY" '400 {"error":"malformed"}' "no ssh_key: 400 malformed"
: >"$X/b6"; post_raw "$X/b6"
is "$STATUS $BODY" '400 {"error":"malformed"}' "an empty body: 400 malformed"

# ---- ssh keys --------------------------------------------------------------------------
read -r ktype kb64 _ <"$PUB"
for bad in "garbage" "ssh-ed25519" "ssh-ed25519 AAAA" "ssh-dss $kb64" "ssh-rsa $kb64" \
           "ssh-ed25519-cert-v01@openssh.com $kb64" "command=\"id\" $ktype $kb64" \
           "$ktype ${kb64%?}" "$ktype $kb64
$ktype $kb64"; do
    jq -cn --arg t "$T" --arg k "$bad" '{token: $t, ssh_key: $k}' >"$X/k.json"
    post_raw "$X/k.json"
    is "$STATUS $BODY" '400 {"error":"bad_ssh_key"}' "ssh key '$(printf '%.40s' "$bad" | tr '\n' ' ')': 400 bad_ssh_key"
done
post_raw "$X/good.json"
is "$STATUS $(jq -r '.actor' <<<"$BODY")" "200 ci-deploy" "the same token after those refusals: still issued (a bad key burns no token)"
for t in rsa ecdsa; do
    ssh-keygen -q -t $t -N '' -f "$X/client/id_$t"
    expect 200 issued "job key of type $t" "$(tok)" "$X/client/id_$t.pub"
    is "$(jq -r .ticket <<<"$BODY" | cut -d. -f2 | python3 -c 'import base64,json,sys; p=sys.stdin.read().strip(); print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["cnf"]["ssh"])')" \
       "$(ssh-keygen -lf "$X/client/id_$t.pub" | awk '{print $2}')" "$t key: cnf.ssh is its fingerprint"
done

# ---- size cap -----------------------------------------------------------------------------
python3 -c 'import json,sys; print(json.dumps({"token": "x" * 16400, "ssh_key": "k"}))' >"$X/big.json"
audit_mark
post_raw "$X/big.json"
is "$STATUS $BODY" '413 {"error":"too_large"}' "body of 16 KiB + 40 bytes (Content-Length): 413 too_large"
is "$(audit_new | jq -r '.event + " " + .reason')" "refused too_large" "too_large: one audit line"
STATUS=$(curl -sS --cacert "$X/pki/ca.crt" -o "$X/resp.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary @"$X/big.json" "$URL/v1/ticket" 2>"$X/curl.err")
is "$STATUS $(cat "$X/resp.json")" '413 {"error":"too_large"}' "the same body chunked (no Content-Length): 413 too_large"
python3 -c 'import json,sys; b=json.dumps({"token": "x", "ssh_key": "k"}); print(b[:-1] + " " * (16384 - len(b)) + "}", end="")' >"$X/edge.json"
post_raw "$X/edge.json"
is "$(stat -c %s "$X/edge.json") $STATUS $BODY" '16384 400 {"error":"bad_ssh_key"}' "a body of exactly 16384 bytes is read (400 bad_ssh_key, not 413)"

# ---- a slow client is cut off, others are served meanwhile -------------------------------
audit_mark
python3 - "$XPORT" "$X/pki/ca.crt" "$X/slow.out" <<'EOF' &
import socket, ssl, sys, time
port, ca, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
s.sendall(b"POST /v1/ticket HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"tok")
start = time.time()
s.settimeout(120)
try:
    data = s.recv(4096)
except (ConnectionError, ssl.SSLError, OSError):
    data = b""
open(out, "w").write("closed %d %r\n" % (time.time() - start, data[:40]))
EOF
SLOW=$!
sleep 1
is "$(curl -s --cacert "$X/pki/ca.crt" "$URL/v1/health")" '{"status":"ok"}' "while a slow client holds a request open, others are served"
wait "$SLOW"
check "the slow client's connection is closed by the server (timeout = 3 s), no answer" \
    grep -qE "^closed [0-9]+ b''" "$X/slow.out"
check "the slow request has its audit line: refused, reason timeout" \
    wait_for 10 bash -c 'tail -n +"$(($1 + 1))" "$2" | jq -e "select(.reason == \"timeout\" and .event == \"refused\")" >/dev/null' _ "$AUDIT_MARK" "$X/audit.jsonl"

# ---- unix socket, no TLS, connection limit ------------------------------------------------------
x_stop
SOCK=$X/run/exchange.sock
mkdir -m 0755 "$X/run"
X_LISTEN=$SOCK X_TLS=no X_MAXCONN=4 X_TIMEOUT=30 x_write_config
X_CURL_OPTS="--unix-socket $SOCK" URL=http://localhost
export X_CURL_OPTS
x_start
check "listening on a unix socket" test -S "$SOCK"
expect 200 issued "an exchange over the unix socket (plain HTTP, for a proxy in front)" "$(tok)"
is "$(audit_new | jq -r .remote)" unix "audit: remote is 'unix'"
python3 - "$SOCK" "$X/held" <<'EOF' &
import socket, sys, time, os
socks = []
for i in range(4):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
open(sys.argv[2], "w").write("held\n")
while os.path.exists(sys.argv[2]):
    time.sleep(0.1)
EOF
HOLD=$!
wait_for 30 test -s "$X/held"
sleep 1
check "max_connections = 4 held open: a fifth connection is not served" \
    bash -c '! curl -s -m 10 --unix-socket "$1" http://localhost/v1/health | grep -q ok' _ "$SOCK"
rm -f "$X/held"
wait "$HOLD"
check "after they close, the server serves again" wait_for 30 x_health
x_stop
check "the socket is removed at exit" test ! -e "$SOCK"
unset X_CURL_OPTS
check "no token text on stderr" bash -c '! grep -qE "eyJ[A-Za-z0-9_-]{20,}" "$1"' _ "$X/exchange.err"

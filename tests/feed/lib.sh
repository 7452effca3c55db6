# Feed tier harness (DESIGN.md §6a), on top of tests/e2e/lib.sh (a private
# mount namespace with overlays, the built modules installed there, real
# sudo, the host checked unchanged afterwards).  It adds:
#   - a test CA and a server certificate for 127.0.0.1 (and feeds.test);
#   - a real nginx from Debian serving HTTPS on 127.0.0.1: its own prefix,
#     config, pid file, logs and a free port, started and stopped by PID
#     (never the system's nginx service);
#   - a server that accepts connections and never answers;
#   - publishing: feeds from `delegatectl feed sign` and from an independent
#     signer (feedsign.py, python3-cryptography), put into the web root
#     atomically;
#   - simulated hosts: each in a mount and cgroup namespace of its own (a
#     child of the test's), with its own /etc/delegate, /var/lib/delegate,
#     /run/delegate and /var/log/delegate, its own `delegatectl watch` and a
#     live sudo session of the actor support-bot.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

FEED_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FEEDSIGN=$FEED_LIB_DIR/feedsign.py
NGINX=/usr/sbin/nginx
FEED_CA=/etc/delegate/feed-ca.pem
FEED_PUB=/etc/delegate/keys/feed-corp.pub

# ---- CA and keys -------------------------------------------------------------

# feed_keys: the feed's key pair (Ed25519) in $NS/publisher, the public key
# in /etc/delegate/keys; a second one (other), a P-256 one (p256).
feed_keys() {
    mkdir -p -m 0700 "$NS/publisher"
    "$CTL" keygen --out "$NS/publisher/feed" >/dev/null || e2e_die "feed keygen"
    "$CTL" keygen --out "$NS/publisher/other" >/dev/null || e2e_die "feed keygen other"
    "$CTL" keygen --type p256 --out "$NS/publisher/p256" >/dev/null || e2e_die "feed keygen p256"
    install -m 0644 "$NS/publisher/feed.pub" "$FEED_PUB"
    install -m 0644 "$NS/publisher/p256.pub" /etc/delegate/keys/feed-p256.pub
}

# feed_ca: a CA and a certificate for IP 127.0.0.1 and feeds.test (not
# localhost: a URL with that name is a wrong TLS name).
feed_ca() {
    local d=$NS/ca
    mkdir -p -m 0700 "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$d/ca.key" -out "$d/ca.pem" -subj "/CN=delegate feed test CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        >/dev/null 2>&1 || e2e_die "test CA"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/server.key" \
        -out "$d/server.csr" -subj "/CN=feeds.test" >/dev/null 2>&1 || e2e_die "server key"
    printf 'subjectAltName=IP:127.0.0.1,DNS:feeds.test\nextendedKeyUsage=serverAuth\n' >"$d/ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 2 -out "$d/server.pem" -extfile "$d/ext" >/dev/null 2>&1 || e2e_die "server cert"
    install -m 0644 "$d/ca.pem" "$FEED_CA"
}

# ---- nginx -------------------------------------------------------------------

# nginx_start: nginx on 127.0.0.1:$NGINX_PORT serving $NS/www; NGINX_PID.
# /redirect-other redirects to another host name (localhost), /redirect-same
# to the same origin, /slow/ sends 200 bytes a second.
nginx_start() {
    local n=$NS/nginx try i
    [ -x "$NGINX" ] || e2e_die "$NGINX is missing (tests/deps.sh installs nginx): a missing tool fails"
    mkdir -p "$n/logs" "$n/tmp" "$NS/www/slow"
    chmod 0755 "$NS/www" "$NS/www/slow"
    for try in 1 2 3 4 5; do
        NGINX_PORT=${NGINX_PORT:-$(e2e_pick_port)} || e2e_die "no free port"
        cat >"$n/nginx.conf" <<EOF
worker_processes 1;
pid $n/nginx.pid;
error_log $n/logs/error.log warn;
events { worker_connections 2048; }
http {
    log_format feed '\$status \$request_length \$bytes_sent \$request_uri "\$http_if_none_match"';
    access_log $n/logs/access.log feed;
    client_body_temp_path $n/tmp/body;
    proxy_temp_path $n/tmp/proxy;
    fastcgi_temp_path $n/tmp/fastcgi;
    uwsgi_temp_path $n/tmp/uwsgi;
    scgi_temp_path $n/tmp/scgi;
    types { application/jose jws; }
    default_type application/octet-stream;
    keepalive_timeout 75s;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $NS/ca/server.pem;
        ssl_certificate_key $NS/ca/server.key;
        root $NS/www;
        location = /redirect-other { return 302 https://localhost:$NGINX_PORT/corp.jws; }
        location = /redirect-same { return 302 https://127.0.0.1:$NGINX_PORT/corp.jws; }
        location /slow/ { limit_rate 200; }
    }
}
EOF
        "$NGINX" -t -q -e "$n/logs/stderr.log" -p "$n" -c "$n/nginx.conf" || e2e_die "nginx -t"
        "$NGINX" -e "$n/logs/stderr.log" -p "$n" -c "$n/nginx.conf" -g 'daemon off;' &
        NGINX_PID=$!
        for i in $(seq 1 300); do
            if ss -ltnpH "sport = :$NGINX_PORT" 2>/dev/null | grep -q "pid=$NGINX_PID,"; then
                return 0
            fi
            kill -0 "$NGINX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$NGINX_PID" 2>/dev/null
        wait "$NGINX_PID" 2>/dev/null
        NGINX_PID=
        NGINX_PORT=
    done
    e2e_die "nginx listening on 127.0.0.1"
}

nginx_stop() {
    if [ -n "${NGINX_PID:-}" ]; then
        kill "$NGINX_PID" 2>/dev/null
        wait "$NGINX_PID" 2>/dev/null
        NGINX_PID=
    fi
}

# hang_start PORT: accepts connections and never answers (HANG_PID).
hang_start() {
    python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])' "$1" &
    HANG_PID=$!
    wait_for 10 sh -c "ss -ltnH 'sport = :$1' | grep -q ." || e2e_die "the hanging server"
}

hang_stop() {
    if [ -n "${HANG_PID:-}" ]; then
        kill "$HANG_PID" 2>/dev/null
        wait "$HANG_PID" 2>/dev/null
        HANG_PID=
    fi
}

feed_cleanup() {
    hang_stop
    nginx_stop
    feed_hosts_stop 2>/dev/null
}

# ---- config and publishing ----------------------------------------------------

# feed_config_add URL_OR_FILE REFRESH ON_STALE [EXTRA]: the feed "corp" in $CONF
feed_config_add() {
    local src=$1 refresh=$2 on_stale=$3 extra=${4:-} where
    case $src in
    https://*) where="url = \"$src\"; ca = \"$FEED_CA\";" ;;
    *) where="file = \"$src\";" ;;
    esac
    sed -i '/^feeds = /,$d' "$CONF"
    cat >>"$CONF" <<EOF
feeds = ( { id = "corp"; key = "$FEED_PUB"; $where
            refresh = $refresh; on_stale = "$on_stale"; } $extra );
EOF
}

# publish NAME < TEXT: into the web root, atomically
publish() {
    cat >"$NS/www/.$1.tmp" && chmod 0644 "$NS/www/.$1.tmp" && mv -f "$NS/www/.$1.tmp" "$NS/www/$1"
}

# revocations FILE [--tickets a,b] [--actors a,b]: a revoked.conf for feed sign
revocations() {
    local f=$1 tickets="" actors=""; shift
    while [ $# -gt 0 ]; do
        case $1 in
        --tickets) tickets=$(printf '"%s",' ${2//,/ }); tickets=${tickets%,} ;;
        --actors) actors=$(printf '"%s",' ${2//,/ }); actors=${actors%,} ;;
        esac
        shift 2
    done
    printf 'revoke = { tickets = ( %s ); actors = [ %s ]; };\n' "$tickets" "$actors" >"$f"
    chmod 0644 "$f"
}

# sign VERSION TTL REVOKED.conf [KEY]: our signer, to stdout
sign() {
    "$CTL" feed sign --key "${4:-$NS/publisher/feed.key}" --id corp --from "$3" --version "$1" \
        --ttl "$2"
}

# state_ver: the version stored on this host (0: none)
state_ver() {
    "$CTL" feed status --config "$CONF" --json 2>/dev/null |
        python3 -c 'import json,sys; v=json.load(sys.stdin)[0]["ver"]; print(v if v is not None else 0)'
}

# status_field NAME: a field of feed corp in `feed status --json`
status_field() {
    "$CTL" feed status --config "$CONF" --json 2>/dev/null |
        python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0][sys.argv[1]]))' "$1"
}

# ---- simulated hosts ------------------------------------------------------------

FEED_HOSTS=()

# feed_host_start I TICKET: host I with its own config (a copy of $CONF),
# state, runtime and log dirs, a watch, and a sudo session of support-bot
# running `sleep` with TICKET.  Returns when the session is recorded.
feed_host_start() {
    local i=$1 t=$2 h=$NS/hosts/$1 cg=/sys/fs/cgroup/feedhost-$1
    mkdir -p "$h"
    mkdir -m 0755 "$h/etc" "$h/varlib" "$h/run"
    mkdir -m 0700 "$h/log" "$h/run/sessions"
    cp -a /etc/delegate/. "$h/etc/"
    install -d -m 0755 -o 62002 -g 62000 "$h/varlib/support-bot"
    install -d -m 0755 -o 62001 -g 62000 "$h/varlib/ci-deploy"
    mkdir "$cg" || e2e_die "cgroup of host $i"
    printf '%s\n' "$t" >"$h/ticket"
    chmod 0600 "$h/ticket"
    bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec unshare --cgroup --mount --propagation private -- bash "$@"' \
        _ "$cg" "$FEED_LIB_DIR/host.sh" "$h" "$CTL" >"$h/host.log" 2>&1 &
    echo $! >"$h/host.pid"
    FEED_HOSTS+=("$i")
}

# feed_host_ready I: the session of host I is open (or the host failed)
feed_host_ready() {
    [ -e "$NS/hosts/$1/ready" ] || [ -e "$NS/hosts/$1/failed" ]
}

# in_host I CMD...: run CMD in host I's mount and cgroup namespaces
in_host() {
    local i=$1; shift
    nsenter -t "$(cat "$NS/hosts/$i/watch.pid")" -m -C -- "$@"
}

feed_hosts_stop() {
    local i h pid
    for i in "${FEED_HOSTS[@]}"; do
        h=$NS/hosts/$i
        touch "$h/stop"
    done
    for i in "${FEED_HOSTS[@]}"; do
        pid=$(cat "$NS/hosts/$i/host.pid" 2>/dev/null)
        [ -n "$pid" ] && wait "$pid" 2>/dev/null
    done
    FEED_HOSTS=()
}

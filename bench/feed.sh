#!/bin/bash
# Revocation feeds in `make bench` (DESIGN.md §6a, issue 19), run by
# bench/run.sh in a private mount namespace of the feed tier's harness
# (tests/feed/lib.sh: overlays, a real nginx over HTTPS with a test CA):
#   1. verify + store + load + compile of a feed with 10,000 and 100,000
#      revoked ticket ids, each step against one ticket verify
#      (bench_feed);
#   2. a poll when nothing changed: `delegatectl watch` polling nginx once a
#      second for FEED_POLL_SECONDS with a 10,000-id feed: bytes on the wire
#      (the kept-alive TCP connection's counters, TLS included) and the CPU
#      time of watch per poll; nginx's CPU per conditional request, over
#      many requests on kept-alive connections and on new ones (TLS
#      handshake each);
#   3. the first download of that feed (a new host, or a new version).
# Appends "KEY VALUE..." lines to $BENCH_OUT/results.
. "$(dirname "$0")/../tests/feed/lib.sh"
e2e_enter "$@"
trap 'rc=$?; feed_cleanup; (exit $rc); e2e_cleanup' EXIT
RES=${BENCH_OUT:?BENCH_OUT must be set (run bench/run.sh)}/results
BB=$B/bench
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then SIZES="10000"; REPEATS=2; POLL_SECONDS=10; REQS=200; HANDSHAKES=50
else SIZES="10000 100000"; REPEATS=5; POLL_SECONDS=${FEED_POLL_SECONDS:-60}; REQS=5000; HANDSHAKES=500; fi
record() { echo "$*" >>"$RES"; }
log() { echo "# $*" >&2; }
TICK_MS=$(( 1000 / $(getconf CLK_TCK) ))

e2e_setup
feed_keys
feed_ca
P=$NS/publisher
W=$NS/feedbench
mkdir -m 0755 "$W"

# ---- 1. a new version: verify, store, load, compile ---------------------------------
cat >"$W/bench.conf" <<EOF
version = 1;
host = { name = "bench-host"; };
issuers = ( { id = "corp"; principals = ["*"];
              keys = ( { kid = "k1"; file = "$FEED_PUB"; } ); } );
actors = ( { name = "ci-deploy"; uid = 62001; principals = ["*"]; services = ["sshd"]; } );
feeds = ( { id = "bench"; key = "$FEED_PUB"; file = "$W/bench.jws"; } );
EOF
chmod 0644 "$W/bench.conf"
mkdir -p -m 0755 /var/lib/delegate/.feed-revocations
for n in $SIZES; do
    log "feed of $n revoked ids: verify, store, load, compile"
    "$BB/bench_feed" "$W/bench.conf" "$P/feed.key" "$FEED_PUB" "$n" "$REPEATS" >"$W/feed.$n" ||
        e2e_die "bench_feed $n"
    sed 's/^/feed./' "$W/feed.$n" | awk '{ k = $1 "." $2; $1 = ""; $2 = ""; print k $0 }' >>"$RES"
done
ok "feed verify and compile measured ($SIZES ids)"

# ---- 2, 3: polls against nginx ----------------------------------------------------------
nginx_start
python3 -c '
import sys
ids = ",".join("01JDX3%020d" % (i * 2654435761 % 100000000000) for i in range(10000))
print(ids)' >"$W/ids"
python3 "$FEEDSIGN" "$P/feed.key" corp 1 86400 --tickets "@$W/ids" | publish corp.jws
touch -d '-10 seconds' "$NS/www/corp.jws"
feed_config_add "https://127.0.0.1:$NGINX_PORT/corp.jws" 1 refuse
size=$(stat -c %s "$NS/www/corp.jws")
record "feedpoll.size $size"

# the first download, as a new host makes it (HTTP bytes; the TLS handshake
# is in the per-connection numbers below)
curl -s -o /dev/null --cacert "$FEED_CA" -w '%{size_download} %{size_header} %{size_request}\n' \
    "https://127.0.0.1:$NGINX_PORT/corp.jws" >"$W/full"
record "feedpoll.full_bytes $(awk '{ print $1 + $2 + $3 }' "$W/full")"

cpu_ms() {  # PID...: utime + stime in ms
    local p t=0
    for p in "$@"; do
        t=$(( t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0) ))
    done
    echo $(( t * TICK_MS ))
}
workers() { pgrep -P "$NGINX_PID"; }

"$CTL" watch --config "$CONF" >"$W/watch.log" 2>&1 &
WPID=$!
wait_for 60 grep -q "version 1 accepted" "$W/watch.log" || e2e_die "watch fetches the feed"
sleep 3
conn() {  # the watch's connection to nginx: "bytes_sent bytes_received"
    ss -tinHp state established "( dport = :$NGINX_PORT )" 2>/dev/null |
        awk -v pid="pid=$WPID," 'index($0, pid) { getline; print }' |
        sed -nE 's/.*bytes_sent:([0-9]+).*bytes_received:([0-9]+).*/\1 \2/p; s/.*bytes_acked:([0-9]+).*bytes_received:([0-9]+).*/\1 \2/p' |
        head -n 1
}
ss -tinHp state established "( dport = :$NGINX_PORT )" >"$W/ss.before" 2>&1
b0=$(conn)
polls0=$(grep -c '^304 ' "$NS/nginx/logs/access.log")
c0=$(cpu_ms "$WPID")
log "watch polling an unchanged 10,000-id feed for $POLL_SECONDS s"
sleep "$POLL_SECONDS"
c1=$(cpu_ms "$WPID")
polls1=$(grep -c '^304 ' "$NS/nginx/logs/access.log")
b1=$(conn)
polls=$((polls1 - polls0))
record "feedpoll.polls $polls"
record "feedpoll.watch_cpu_ms $((c1 - c0)) $POLL_SECONDS"
if [ -n "$b0" ] && [ -n "$b1" ]; then
    read -r s0 r0 <<<"$b0"
    read -r s1 r1 <<<"$b1"
    record "feedpoll.wire_sent $((s1 - s0))"
    record "feedpoll.wire_received $((r1 - r0))"
else
    log "no kept-alive connection seen (ss): $(cat "$W/ss.before" | head -3)"
fi
awk '$1 == 304 { q += $2; r += $3; n++ } END { if (n) printf "feedpoll.http_bytes %.0f %.0f\n", q / n, r / n }' \
    "$NS/nginx/logs/access.log" >>"$RES"
kill "$WPID"
wait "$WPID" 2>/dev/null
ok "polls of an unchanged feed measured ($polls polls)"

# nginx's CPU per conditional request: on kept-alive connections, and with a
# new connection (a full TLS handshake) each time
etag=$(curl -s -D - -o /dev/null --cacert "$FEED_CA" "https://127.0.0.1:$NGINX_PORT/corp.jws" |
       sed -n 's/^[Ee][Tt]ag: *//p' | tr -d '\r')
client() {  # REQUESTS NEW_CONNECTION_EACH
    python3 - "$NGINX_PORT" "$FEED_CA" "$etag" "$1" "$2" <<'EOF'
import http.client, ssl, sys
port, ca, etag, n, fresh = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
ctx = ssl.create_default_context(cafile=ca)
c = None
for i in range(n):
    if c is None or fresh:
        if c is not None:
            c.close()
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    c.request("GET", "/corp.jws", headers={"If-None-Match": etag})
    r = c.getresponse()
    r.read()
    assert r.status == 304, r.status
EOF
}
n0=$(cpu_ms $(workers))
client "$REQS" 0 || e2e_die "kept-alive client"
n1=$(cpu_ms $(workers))
record "feedpoll.nginx_keepalive_cpu_ms $((n1 - n0)) $REQS"
client "$HANDSHAKES" 1 || e2e_die "new-connection client"
n2=$(cpu_ms $(workers))
record "feedpoll.nginx_handshake_cpu_ms $((n2 - n1)) $HANDSHAKES"
ok "nginx CPU per conditional request measured"

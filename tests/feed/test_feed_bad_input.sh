#!/bin/bash
# Every bad input of issue 19 item 6 (and DESIGN.md §6a's rules), served by
# a real nginx over HTTPS or by a server that never answers: each is refused
# with a clear line (feed fetch: exit 1 refused, 2 nothing fetched; watch:
# its log), and the last good feed stays in force: the stored version, the
# revocation file every reader uses (byte for byte), a revoked ticket still
# refused, a good one still admitted, the feed not stale.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
trap 'rc=$?; feed_cleanup; (exit $rc); e2e_cleanup' EXIT
e2e_setup
feed_keys
feed_ca
nginx_start
BASE=https://127.0.0.1:$NGINX_PORT
P=$NS/publisher
feed_config_add "$BASE/corp.jws" 1 refuse

T_GOOD=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo --approver carol \
    --ttl 10m --jti bad-input-good)
T_REV=$(issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo --approver carol \
    --ttl 10m --jti bad-input-revoked)
verdict() {
    "$CTL" verify --config "$CONF" --user support-bot --service sudo "$1" 2>/dev/null | head -n 1
}
fetch() {
    "$CTL" feed fetch --config "$CONF" "$@" >"$NS/fetch.out" 2>&1
    FRC=$?
}
revfile_sum() { sha256sum /var/lib/delegate/.feed-revocations/corp.conf | cut -d' ' -f1; }

# the last good feed: version 5
revocations "$P/rev.conf" --tickets bad-input-revoked
sign 5 15m "$P/rev.conf" | publish corp.jws
fetch
[ "$FRC" = 0 ] || e2e_die "the first good feed: $(cat "$NS/fetch.out")"
GOOD_SUM=$(revfile_sum)
is "$(verdict "$T_REV")" "deny: revoked_ticket" "the good feed revokes a ticket"

# refused WHAT RC PATTERN: the last fetch gave RC with PATTERN in its line,
# and the last good feed is in force, unchanged
refused() {
    local what=$1 want=$2 pat=$3 err
    if [ "$FRC" = "$want" ] && grep -qE -- "$pat" "$NS/fetch.out"; then
        ok "$what: feed fetch exit $want, the line says /$pat/"
    else
        not_ok "$what: feed fetch exit $want, the line says /$pat/"
        diag "exit $FRC" "$(cat "$NS/fetch.out")"
    fi
    is "$(state_ver)" 5 "$what: the stored version stays 5"
    is "$(revfile_sum)" "$GOOD_SUM" "$what: the revocation file is unchanged"
    check "$what: the revoked ticket is still refused, the good one admitted, the feed not stale" \
        bash -c '[ "$1" = "deny: revoked_ticket" ] && [ "$2" = admit ]' _ \
        "$(verdict "$T_REV")" "$(verdict "$T_GOOD")"
    err=$(status_field error)
    check "$what: feed status shows the error" test "$err" != null
}

payload() {  # VER ISS IAT EXP
    printf '{"iss":"%s","ver":%s,"iat":%s,"exp":%s,"revoke":{"tickets":[{"id":"bad-input-revoked"}]}}' \
        "$2" "$1" "$3" "$4"
}
NOW=$(date +%s)

# ---- the file ----------------------------------------------------------------------
sign 4 15m "$P/rev.conf" | publish corp.jws
fetch
refused "rollback (an older version served)" 1 "rollback: version 4 is older than the stored version 5"

python3 "$FEEDSIGN" "$P/feed.key" corp 5 900 --tickets other-id | publish corp.jws
fetch
refused "replay or conflict (version 5 again, other content)" 1 "REPLAY OR CONFLICT"

good=$(sign 6 15m "$P/rev.conf")
h=${good%%.*} rest=${good#*.} pl=${rest%%.*} sig=${good##*.}
tampered=$(python3 -c 'import base64,sys; p=sys.argv[1]; d=base64.urlsafe_b64decode(p+"="*(-len(p)%4)).replace(b"bad-input-revoked", b"bad-input-REVOKED"); print(base64.urlsafe_b64encode(d).rstrip(b"=").decode())' "$pl")
printf '%s.%s.%s\n' "$h" "$tampered" "$sig" | publish corp.jws
fetch
refused "tampering (a revoked id changed in a signed version 6)" 1 "bad signature"

printf '%s\n' "${good:0:$(( ${#good} / 2 ))}" | publish corp.jws
fetch
refused "truncated (half of version 6)" 1 "truncated"

printf '%s.%s\n' "${good%.*}" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" | publish corp.jws
fetch
refused "wrong signature (64 bytes that are no signature)" 1 "bad signature"

sign 6 15m "$P/rev.conf" "$P/other.key" | publish corp.jws
fetch
refused "wrong key (version 6 signed by a key the feed does not name)" 1 "bad signature"

python3 "$FEEDSIGN" "$P/p256.key" corp 6 900 --tickets bad-input-revoked | publish corp.jws
fetch
refused "key mismatch (ES256 while the feed's key is Ed25519)" 1 "key mismatch"

python3 "$FEEDSIGN" "$P/feed.key" corp 6 900 --payload "$(payload 6 evil "$NOW" $((NOW + 900)))" |
    publish corp.jws
fetch
refused "unknown publisher (iss evil)" 1 "unknown publisher"

sign 1000 15m "$P/rev.conf" "$P/other.key" | publish corp.jws
fetch
refused "a future version (1000) from another key" 1 "bad signature"

python3 "$FEEDSIGN" "$P/feed.key" corp 6 60 --iat $((NOW - 120)) | publish corp.jws
fetch
refused "expired (version 6, exp a minute ago)" 1 "expired"

printf '<html><body>502 Bad Gateway</body></html>\n' | publish corp.jws
fetch
refused "an HTML page instead of a feed" 1 "malformed|truncated"

python3 -c 'import sys; sys.stdout.write("A" * (16 * 1024 * 1024 + 10))' | publish corp.jws
fetch
refused "oversized (16 MiB + 10 bytes)" 1 "oversized"

# after all that, the next good version is accepted: nothing advanced the counter
sign 6 15m "$P/rev.conf" >"$NS/v6.jws"
publish corp.jws <"$NS/v6.jws"
fetch
is "$FRC" 0 "the next good version (6) is accepted after every refusal"
is "$(state_ver)" 6 "the stored version is 6"
is "$(status_field error)" null "the good round clears the error"
publish corp.jws <"$NS/v6.jws"                   # the accepted version 6, served again
GOOD_SUM=$(revfile_sum)
state_v6() { [ "$(state_ver)" = 6 ]; }

# refused_net WHAT PATTERN: nothing could be fetched (exit 2)
refused_net() {
    local what=$1 pat=$2
    if [ "$FRC" = 2 ] && grep -qE -- "$pat" "$NS/fetch.out"; then
        ok "$what: feed fetch exit 2, the line says /$pat/"
    else
        not_ok "$what: feed fetch exit 2, the line says /$pat/"
        diag "exit $FRC" "$(cat "$NS/fetch.out")"
    fi
    check "$what: the stored version stays 6" state_v6
    is "$(revfile_sum)" "$GOOD_SUM" "$what: the revocation file is unchanged"
    check "$what: the revoked ticket is still refused, the good one admitted" \
        bash -c '[ "$1" = "deny: revoked_ticket" ] && [ "$2" = admit ]' _ \
        "$(verdict "$T_REV")" "$(verdict "$T_GOOD")"
}

# ---- the server ----------------------------------------------------------------------
feed_config_add "$BASE/redirect-other" 1 refuse
fetch
refused_net "a redirect to another host (localhost)" "redirect to another host refused"
feed_config_add "$BASE/redirect-same" 1 refuse
fetch
is "$FRC" 0 "a redirect within the same origin is followed: exit 0"
check "... to version 6, unchanged" grep -q "version 6 unchanged" "$NS/fetch.out"
feed_config_add "https://localhost:$NGINX_PORT/corp.jws" 1 refuse
fetch
refused_net "a wrong TLS name (localhost is not in the certificate)" "SSL|certificate"
sed -i "s| ca = \"$FEED_CA\";||" "$CONF"
sed -i "s|https://localhost:|https://127.0.0.1:|" "$CONF"
fetch
refused_net "a certificate of a CA the host does not trust (no ca, system CAs)" "SSL|certificate"
feed_config_add "$BASE/missing.jws" 1 refuse
fetch
refused_net "404" "HTTP status 404"
dd if=/dev/zero bs=1024 count=64 2>/dev/null | tr '\0' 'A' >"$NS/www/slow/corp.jws"
chmod 0644 "$NS/www/slow/corp.jws"
feed_config_add "$BASE/slow/corp.jws" 1 refuse
fetch
refused_net "a slow server (200 bytes a second)" "too slow|timed out|Timeout"
HANG_PORT=$(e2e_pick_port)
hang_start "$HANG_PORT"
feed_config_add "https://127.0.0.1:$HANG_PORT/corp.jws" 1 refuse
start=$(date +%s)
fetch
refused_net "a server that accepts and never answers" "timeout|timed out"
took=$(( $(date +%s) - start ))
diag "the hanging server cost $took s (connect timeout 10 s)"
hang_stop
feed_config_add "$BASE/corp.jws" 1 refuse
nginx_stop
fetch
refused_net "the server down" "connect"
nginx_start
fetch
is "$FRC" 0 "the server back: exit 0"

# ---- the same through watch: one log line per refusal, the good feed kept --------------
"$CTL" watch --config "$CONF" >"$NS/watch.log" 2>&1 &
WATCH_PID=$!
sign 3 15m "$P/rev.conf" | publish corp.jws
check "watch logs the refusal (rollback) within a few rounds" \
    wait_for 30 grep -q "feed corp: refused: rollback: version 3 is older than the stored version 6" "$NS/watch.log"
sleep 3
n=$(grep -c "refused: rollback" "$NS/watch.log")
is "$n" 1 "watch logs a refusal once, not at every round (refresh 1 s)"
check "watch: the last good feed is still in force" state_v6
sign 7 15m "$P/rev.conf" | publish corp.jws
check "watch accepts the next version and logs it" \
    wait_for 30 grep -q "feed corp: version 7 accepted" "$NS/watch.log"
check "watch: the stored version is 7" test "$(state_ver)" = 7
# idle means idle: with a feed of 10,000 ids accepted and polled once a
# second (304), watch must not reload the config over and over (it did:
# its own rearm's IN_IGNORED events were taken for changes)
python3 -c 'print(",".join("idle-%05d" % i for i in range(10000)))' >"$NS/ids"
python3 "$FEEDSIGN" "$P/feed.key" corp 8 900 --tickets "@$NS/ids" | publish corp.jws
touch -d '-10 seconds' "$NS/www/corp.jws"
check "watch accepts a feed of 10,000 ids" wait_for 30 grep -q "feed corp: version 8 accepted" "$NS/watch.log"
sleep 3
ticks() { awk '{ print $14 + $15 }' "/proc/$WATCH_PID/stat"; }
t0=$(ticks)
sleep 5
t1=$(ticks)
diag "watch CPU over 5 s of polls of an unchanged 10,000-id feed: $((t1 - t0)) ticks of $(getconf CLK_TCK)/s"
check "watch uses less than a fifth of a CPU second over 5 s of unchanged polls (CPU time)" \
    test $((t1 - t0)) -lt $(( $(getconf CLK_TCK) / 5 ))
kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
check "watch: stopped by SIGTERM with its fetch thread" grep -q "stopping" "$NS/watch.log"

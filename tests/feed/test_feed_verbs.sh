#!/bin/bash
# Revocation feeds on one host (DESIGN.md §6a, §7 feed verbs), with a real
# nginx serving HTTPS under a test CA, real sudo and the NSS module:
#   - never fetched: stale, actors refused feed_stale, a local user still
#     uses sudo; `feed status` says so (exit 1, the --json shape of §6a);
#   - `feed sign` | nginx | `feed fetch`: accepted, then 304 with the ETag;
#     an independent signer (python3-cryptography, EdDSA and ES256) too;
#   - a feed's revocations act exactly like revoked.conf's: sudo refused
#     revoked_ticket, `verify` (text and compiled form), NSS (a revoked actor
#     no longer resolves, for an unprivileged process too, which cannot read
#     the feed's state);
#   - anti-rollback across a "reboot" and a package upgrade; a key rotation
#     refused until `feed fetch --reset`; the restore of a lost revocation
#     file; the usage errors of the verbs.
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"
trap 'rc=$?; feed_cleanup; (exit $rc); e2e_cleanup' EXIT
e2e_setup
feed_keys
feed_ca
nginx_start
URL=https://127.0.0.1:$NGINX_PORT/corp.jws
feed_config_add "$URL" 2 refuse
P=$NS/publisher

sudo_ticket() {  # JTI
    issue --actor support-bot --for alice --host "$HOSTNAME_DLG" --service sudo --approver carol \
        --ttl 10m --jti "$1"
}
verdict() {  # TICKET: the first line of verify's answer for support-bot via sudo
    "$CTL" verify --config "$CONF" --user support-bot --service sudo "$1" 2>/dev/null | head -n 1
}
sudo_runs() {  # TICKET: support-bot runs `id -un` as alice
    [ "$(sudo_as support-bot "$1" -u alice id -un 2>/dev/null)" = alice ]
}
fetch() {  # [ARGS]: feed fetch, stdout+stderr in $NS/fetch.out, status in FRC
    "$CTL" feed fetch --config "$CONF" "$@" >"$NS/fetch.out" 2>&1
    FRC=$?
}
fetch_says() { grep -q -- "$1" "$NS/fetch.out"; }
fetch_is() {  # RC DESC: the last fetch's status, its output shown when it differs
    if [ "$FRC" = "$1" ]; then ok "$2"; else not_ok "$2"; diag "exit $FRC, want $1"; sed 's/^/# /' "$NS/fetch.out"; fi
}

T1=$(sudo_ticket feed-sudo-1)
T2=$(sudo_ticket feed-sudo-2)

# ---- never fetched ---------------------------------------------------------------
"$CTL" feed status --config "$CONF" --json >"$NS/status.json"
is "$?" 1 "feed status before the first fetch: exit 1 (a feed is stale)"
check "feed status --json: an array of {id, ver, iat, exp, stale, source, error}; ver, iat, exp null; stale; error null" \
    python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 1, a
o = a[0]
assert list(o) == ["id", "ver", "iat", "exp", "stale", "source", "error"], list(o)
assert o["id"] == "corp" and o["ver"] is None and o["iat"] is None and o["exp"] is None, o
assert o["stale"] is True and o["source"] == sys.argv[2] and o["error"] is None, o' "$NS/status.json" "$URL"
is "$(verdict "$T1")" "deny: feed_stale" "verify: never fetched, an actor's good ticket is feed_stale"
"$CTL" check-config --config "$CONF" >"$NS/cc.out" 2>&1
is "$?" 0 "check-config with a feed never fetched: valid (exit 0)"
check "... with a warning that actors are refused until a good version is stored" \
    grep -q "warning: .*feed 'corp' was never fetched: actors are refused (feed_stale)" "$NS/cc.out"
check "... and a summary naming the feed" grep -q '^config OK: .*, 1 feed$' "$NS/cc.out"
cp "$FEED_PUB" "$NS/feed-pub.save"
cp "$P/feed.key" "$FEED_PUB"
"$CTL" check-config --config "$CONF" >"$NS/cc.out" 2>&1
is "$?" 1 "check-config with a private key as the feed key: exit 1"
check "... says so" grep -q "feed 'corp': key $FEED_PUB holds a private key" "$NS/cc.out"
cp "$NS/feed-pub.save" "$FEED_PUB"
chmod 0666 "$FEED_PUB"
"$CTL" check-config --config "$CONF" >"$NS/cc.out" 2>&1
is "$?" 1 "check-config with a feed key writable by others: exit 1"
chmod 0644 "$FEED_PUB"
sed -i "s|ca = \"$FEED_CA\"|ca = \"/nonexistent/ca.pem\"|" "$CONF"
"$CTL" check-config --config "$CONF" >"$NS/cc.out" 2>&1
is "$?" 1 "check-config with a missing CA bundle: exit 1"
check "... names it" grep -q "feed 'corp': ca .*/nonexistent/ca.pem" "$NS/cc.out"
feed_config_add "$URL" 2 refuse
audit_mark
sudo_as support-bot "$T1" -u alice touch "$NS/scratch/stale-ran" >/dev/null
check "sudo: never fetched, the actor is refused and the command does not run" test ! -e "$NS/scratch/stale-ran"
check "audit: deny reason=feed_stale" audit_has event=deny service=sudo reason=feed_stale
out=$(printf '%s\n' "$CAROL_PASSWORD" | timeout 60 runuser -u carol -- sudo -S -u alice id -un 2>/dev/null)
is "$out" alice "a local user (carol, password) still uses sudo while the feed is stale"

# ---- the first feed, then 304 ------------------------------------------------------
revocations "$P/rev1.conf" --tickets feed-revoked-1
sign 1 15m "$P/rev1.conf" | publish corp.jws
# older than the second it is fetched in: its ETag can be kept (feed_http.c)
touch -d '-10 seconds' "$NS/www/corp.jws"
fetch
fetch_is 0 "feed fetch: a first good feed: exit 0"
check "feed fetch says version 1 accepted" fetch_says "version 1 accepted"
"$CTL" feed status --config "$CONF" >/dev/null
is "$?" 0 "feed status: exit 0 once no feed is stale"
is "$(status_field ver)" 1 "feed status --json: ver 1"
is "$(status_field stale)" false "feed status --json: not stale"
is "$(status_field error)" null "feed status --json: no error"
is "$(stat -c '%a %U' /var/lib/delegate/feeds)" "700 root" "state directory: root, 0700"
is "$(stat -c '%a %U' /var/lib/delegate/feeds/corp.jws /var/lib/delegate/feeds/corp.state | sort -u)" "600 root" \
    "corp.jws and corp.state: root, 0600"
is "$(stat -c '%a %U' /var/lib/delegate/.feed-revocations/corp.conf)" "644 root" \
    "the revocation file for every reader: root, 0644"
is "$(verdict "$T1")" admit "verify: admitted once a fresh feed is on the host"
check "sudo: the actor is admitted again" sudo_runs "$T1"
fetch
fetch_is 0 "feed fetch of the same file: exit 0"
check "feed fetch says unchanged" fetch_says "version 1 unchanged"
last=$(tail -n 1 "$NS/nginx/logs/access.log")
# (nginx writes the quotes of the ETag as \x22)
if grep -qE '^304 [0-9]+ [0-9]+ /corp\.jws "\\x22[0-9a-f]+-[0-9a-f]+\\x22"$' <<<"$last"; then
    ok "nginx answered the second request 304 to If-None-Match (the ETag kept)"
else
    not_ok "nginx answered the second request 304 to If-None-Match (the ETag kept)"
    diag "access log: $last"
fi

# ---- an independent signer; revocations like revoked.conf's --------------------
python3 "$FEEDSIGN" "$P/feed.key" corp 2 900 --tickets feed-revoked-1,feed-sudo-2 | publish corp.jws
fetch
fetch_is 0 "a feed signed by python3-cryptography (EdDSA): exit 0"
check "... accepted as version 2" fetch_says "version 2 accepted"
is "$(verdict "$T2")" "deny: revoked_ticket" "verify: a ticket id in the feed is revoked_ticket"
audit_mark
sudo_as support-bot "$T2" -u alice touch "$NS/scratch/revoked-ran" >/dev/null
check "sudo with a ticket the feed revokes: refused, the command does not run" test ! -e "$NS/scratch/revoked-ran"
check "audit: deny reason=revoked_ticket" audit_has event=deny service=sudo reason=revoked_ticket
check "sudo with another ticket: admitted" sudo_runs "$T1"
"$CTL" compile >/dev/null 2>&1
check "delegatectl compile --check: the compiled form is fresh (it holds the feed)" \
    "$CTL" compile --check
is "$(verdict "$T2")" "deny: revoked_ticket" "verify from the compiled form: revoked_ticket"
is "$(verdict "$T1")" admit "verify from the compiled form: the other ticket admitted"
check "getent passwd ci-deploy: resolves before the feed revokes the actor" getent passwd ci-deploy
python3 "$FEEDSIGN" "$P/feed.key" corp 3 900 --tickets feed-sudo-2 --actors ci-deploy | publish corp.jws
fetch
fetch_is 0 "a feed revoking the actor ci-deploy: exit 0"
check "getent passwd ci-deploy (root): the revoked actor does not resolve" bash -c '! getent passwd ci-deploy'
check "id ci-deploy as the unprivileged carol: does not resolve" \
    bash -c '! runuser -u carol -- id ci-deploy >/dev/null 2>&1'
check "carol cannot read the feed's state (root, 0700), yet resolves the other actor" \
    bash -c '! runuser -u carol -- cat /var/lib/delegate/feeds/corp.state >/dev/null 2>&1 &&
             runuser -u carol -- getent passwd support-bot >/dev/null'
check "getent group deployers: the revoked actor is no member" \
    bash -c '! getent group deployers | grep -q ci-deploy'
"$CTL" compile >/dev/null 2>&1
check "with the compiled form fresh, ci-deploy still does not resolve" \
    bash -c '"$1" compile --check >/dev/null && ! getent passwd ci-deploy' _ "$CTL"
st=$(runuser -u carol -- "$CTL" feed status --config "$CONF" --json 2>/dev/null)
check "feed status as carol: the version from the revocation file, the state's error unreadable" \
    python3 -c 'import json,sys; o=json.loads(sys.argv[1])[0]; assert o["ver"] == 3 and "ermission" in o["error"], o' "$st"

# ---- ES256, a second feed from a file --------------------------------------------
feed_config_add "$URL" 2 refuse ", { id = \"p256\"; key = \"/etc/delegate/keys/feed-p256.pub\"; file = \"$NS/p256.jws\"; }"
python3 "$FEEDSIGN" "$P/p256.key" p256 1 900 --tickets p256-1 >"$NS/p256.jws"
fetch p256
fetch_is 0 "an ES256 feed from python3-cryptography, read from a file: exit 0"
"$CTL" feed sign --key "$P/p256.key" --id p256 --from "$P/rev1.conf" --previous "$NS/p256.jws" >"$NS/p256.next"
is "$?" 0 "feed sign with a P-256 key, --previous: exit 0"
mv "$NS/p256.next" "$NS/p256.jws"
fetch p256
fetch_is 0 "our ES256 feed, version 2 from --previous: exit 0"
check "... accepted as version 2" fetch_says "version 2 accepted"
check "feed fetch ID: only that feed" bash -c "! grep -q '^corp:' '$NS/fetch.out'"
feed_config_add "$URL" 2 refuse
check "the config without the p256 feed again" "$CTL" check-config --config "$CONF"

# ---- rollback across a reboot and a package upgrade ------------------------------------
sign 1 15m "$P/rev1.conf" >"$NS/v1-again.jws"
publish corp.jws <"$NS/v1-again.jws"
fetch
fetch_is 1 "an older version served (rollback): exit 1"
check "... refused as a rollback" fetch_says "rollback: version 1 is older than the stored version 3"
is "$(state_ver)" 3 "the stored version stays 3"
sums_before=$(sha256sum /var/lib/delegate/feeds/corp.* /var/lib/delegate/.feed-revocations/corp.conf)
# a reboot: /run is a fresh tmpfs, the revocation file was lost too
umount -l /run/delegate 2>/dev/null
mount -t tmpfs -o mode=0755 dlg-feed-reboot /run/delegate
rm -f /var/lib/delegate/.feed-revocations/corp.conf
fetch
fetch_is 1 "after a reboot the older version is still refused: exit 1"
check "... the stored state survived: rollback against version 3" fetch_says "stored version 3"
check "... and the lost revocation file was restored from the stored feed" fetch_says "restored"
check "getent passwd ci-deploy: still revoked after the reboot" bash -c '! getent passwd ci-deploy'
repo=$(cd "$FEED_LIB_DIR/../.." && pwd)
sh "$repo/debian/delegate-tools.postrm" upgrade 0.1.0 >/dev/null 2>&1
sh "$repo/debian/delegate-tools.postinst" configure 0.1.0 >/dev/null 2>&1
is "$(sha256sum /var/lib/delegate/feeds/corp.* /var/lib/delegate/.feed-revocations/corp.conf)" \
    "$sums_before" "a package upgrade (postrm upgrade, postinst configure) leaves the state and revocations as they were"
fetch
fetch_is 1 "after the upgrade the older version is still refused: exit 1"

# ---- a key rotation ------------------------------------------------------------------
install -m 0644 "$P/other.pub" "$FEED_PUB"
sign 1 15m "$P/rev1.conf" "$P/other.key" | publish corp.jws
fetch
fetch_is 1 "a new key starting over at version 1: refused (exit 1)"
check "... with the way out in the message (sign above it, or --reset)" \
    bash -c "grep -q 'key rotation' '$NS/fetch.out' && grep -q -- '--reset' '$NS/fetch.out'"
fetch --reset
fetch_is 2 "feed fetch --reset without an ID: usage error, exit 2"
fetch --reset corp
fetch_is 0 "feed fetch --reset corp: the administrator starts over, exit 0"
check "... accepted by --reset" fetch_says "accepted by --reset"
is "$(state_ver)" 1 "the stored version is now 1"
check "getent passwd ci-deploy: the new feed no longer revokes the actor" getent passwd ci-deploy
sign 2 15m "$P/rev1.conf" "$P/other.key" | publish corp.jws
fetch
fetch_is 0 "the next version with the new key: exit 0"
sign 3 15m "$P/rev1.conf" "$P/feed.key" | publish corp.jws
fetch
fetch_is 1 "a feed from the old key after the rotation: refused (exit 1)"
check "... bad signature" fetch_says "bad signature"

# ---- the verbs' usage ----------------------------------------------------------------
"$CTL" feed >/dev/null 2>&1
is "$?" 2 "feed without a sub-command: exit 2"
"$CTL" feed frob >/dev/null 2>&1
is "$?" 2 "feed frob: exit 2"
"$CTL" feed sign --key "$P/feed.key" --id corp >/dev/null 2>&1
is "$?" 2 "feed sign without --from: exit 2"
"$CTL" feed sign --key "$P/feed.key" --id ../x --from "$P/rev1.conf" >/dev/null 2>&1
is "$?" 2 "feed sign --id ../x: exit 2"
sign 9 15m "$P/rev1.conf" >"$NS/v9.jws"
"$CTL" feed sign --key "$P/feed.key" --id corp --from "$P/rev1.conf" --previous "$NS/v9.jws" \
    --version 9 >/dev/null 2>&1
is "$?" 1 "feed sign --version not above --previous: exit 1"
v=$("$CTL" feed sign --key "$P/feed.key" --id corp --from "$P/rev1.conf" --previous "$NS/v9.jws" |
    python3 -c 'import base64,json,sys; p=sys.stdin.read().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["ver"])')
is "$v" 10 "feed sign --previous: the next version (10)"
cp "$P/rev1.conf" "$NS/scratch/open.conf"
chmod 0666 "$NS/scratch/open.conf"
"$CTL" feed sign --key "$P/feed.key" --id corp --from "$NS/scratch/open.conf" >/dev/null 2>&1
is "$?" 1 "feed sign --from a file writable by others: exit 1"
printf 'revoke = { tickets = ( "a/b" ); };\n' >"$NS/scratch/bad.conf"
chmod 0644 "$NS/scratch/bad.conf"
"$CTL" feed sign --key "$P/feed.key" --id corp --from "$NS/scratch/bad.conf" >/dev/null 2>&1
is "$?" 1 "feed sign --from an invalid revocation file: exit 1"
"$CTL" keygen --type rsa --out "$NS/scratch/rsa" >/dev/null 2>&1 ||
    openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$NS/scratch/rsa.key" 2>/dev/null
chmod 0600 "$NS/scratch/rsa.key"
"$CTL" feed sign --key "$NS/scratch/rsa.key" --id corp --from "$P/rev1.conf" >/dev/null 2>&1
is "$?" 1 "feed sign with an RSA key (a feed key is Ed25519 or P-256): exit 1"
runuser -u carol -- "$CTL" feed fetch --config "$CONF" >/dev/null 2>&1
is "$?" 2 "feed fetch as a user: exit 2 (root only)"
fetch nosuchfeed
fetch_is 2 "feed fetch of an unknown feed id: exit 2"
"$CTL" feed status --config /nonexistent/delegate.conf >/dev/null 2>&1
is "$?" 1 "feed status with an unusable config: exit 1"

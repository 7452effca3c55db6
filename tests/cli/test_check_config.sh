#!/bin/bash
# delegatectl check-config: a clean config passes; each kind of broken config
# fails with FILE:LINE; clashes with local accounts are warned about.
. "$(dirname "$0")/lib.sh"

setup_fixture || { not_ok "fixture"; finish; }
printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n' >"$T/passwd"
printf 'root:x:0:\nalice:x:1000:\n' >"$T/group"
export DELEGATE_PASSWD_FILE=$T/passwd DELEGATE_GROUP_FILE=$T/group

run_ctl check-config --config "$CONF"
expect_out 0 '^config OK: 2 issuers, 2 actors, 0 revoked tickets$' "a good config: exit 0 and a summary"
check "a good config prints nothing on stderr" test ! -s "$T/err"

# broken CFGNAME SED-EXPR MARKER DESC [FILE-THAT-MUST-BE-NAMED]
# Applies SED-EXPR to a copy of the good config; the error must name the file
# and the line holding MARKER.
broken() {
    local name=$1 expr=$2 marker=$3 desc=$4 file=${5:-}
    local f=$T/$name.conf line
    cp "$CONF" "$f"
    sed -i "$expr" "$f"
    [ -n "$file" ] || file=$f
    line=$(grep -n -- "$marker" "$file" | head -n1 | cut -d: -f1)
    run_ctl check-config --config "$f"
    if [ -z "$line" ]; then
        not_ok "$desc (test bug: marker '$marker' not found)"
    elif [ "$RC" -eq 1 ] && grep -q -- "^$file:$line: " "$T/err" && ! grep -q '^config OK' "$T/out"; then
        ok "$desc: exit 1 with $(basename "$file"):$line"
    else
        not_ok "$desc (exit $RC, want 1 and $file:$line:)"
        diag "$T/out" "$T/err"
    fi
}

broken typo 's/^audit = /audti = /' '^audti' "an unknown setting (typo)"
broken type 's/uid = 62002;/uid = "62002";/' 'uid = "62002"' "a wrong type"
broken range 's/uid = 62001;/uid = 63001;/' 'uid = 63001' "an actor uid outside uid_min..uid_max"
broken lowuid 's/gid = 62100;/gid = 100;/' 'gid = 100;' "a gid below 1000"
broken dupuid 's/uid = 62002;/uid = 62001;/' 'name = "support-bot"' "a duplicate uid"
broken badname 's/name = "support-bot"/name = "Support Bot"/' 'Support Bot' "an invalid user name"
broken relpath "s|file = \"$T/corp.pub\"|file = \"keys/corp.pub\"|" 'keys/corp.pub' "a relative key path"
broken alg 's/algorithms = \["EdDSA"\]/algorithms = ["HS256"]/' 'HS256' "an unknown algorithm"
broken nokeys "s|keys = ( { kid = \"e1\"; file = \"$T/ec.pub\"; } ); }|keys = ( ); }|" 'keys = ( ); }' "an issuer without keys"
broken nogroup 's/groups = \["deployers"\]/groups = ["nosuchgroup"]/' 'nosuchgroup' "an actor whose group is not defined"
broken negative 's/max_lifetime = 3600;/max_lifetime = -5;/' 'max_lifetime = -5' "a negative time"
broken wrapped 's/max_lifetime = 3600;/max_lifetime = 4294967296;/' 'max_lifetime = 4294967296' "an integer that wraps without L"
broken syntax 's/^accounts = {/accounts = {{/' '^accounts' "a syntax error"

cp "$REVOKED" "$T/revoked.good"
printf 'revoke = {\n  tickets = ( { id = "a/b"; } );\n};\n' >"$REVOKED"
broken revfile 's/^$//' 'id = "a/b"' "an invalid ticket id in the included revoked.conf" "$REVOKED"
printf 'revoke = {\n  actors = ["ci-deploy"];\n  keys = [;\n};\n' >"$REVOKED"
broken revsyntax 's/^$//' 'keys = \[;' "a syntax error in the included revoked.conf" "$REVOKED"
cp "$T/revoked.good" "$REVOKED"

cp "$CONF" "$T/unsafe.conf"
chmod 666 "$T/unsafe.conf"
run_ctl check-config --config "$T/unsafe.conf"
expect_out 1 "unsafe.conf" "a world-writable config: exit 1 naming the file"
run_ctl check-config --config "$T/nonexistent.conf"
expect_out 1 "nonexistent.conf" "a missing config: exit 1 naming the file"
mv "$T/ec.pub" "$T/ec.pub.away"
run_ctl check-config --config "$CONF"
expect_out 1 "ec.pub" "a missing key file: exit 1 naming it"
mv "$T/ec.pub.away" "$T/ec.pub"
cp "$T/corp.key" "$T/notpub.pub"
chmod 644 "$T/notpub.pub"
sed "s|$T/corp.pub|$T/notpub.pub|" "$CONF" >"$T/privkey.conf"
chmod 644 "$T/privkey.conf"
run_ctl check-config --config "$T/privkey.conf"
expect 1 "a private key where a public key belongs: exit 1"

# ---- clashes with local accounts ---------------------------------------
run_ctl check-config --config "$CONF"
check "no clash warnings when the local files do not clash" bash -c "! grep -q warning '$T/err'"
printf 'ci-deploy:x:1001:1001::/home/ci:/bin/sh\n' >>"$T/passwd"
run_ctl check-config --config "$CONF"
expect_out 0 "warning: actor 'ci-deploy' also exists in $T/passwd" \
    "an actor name in the passwd file: warning, still exit 0"
printf 'other:x:62002:100::/home/o:/bin/sh\n' >>"$T/passwd"
run_ctl check-config --config "$CONF"
expect_out 0 "uid 62002 of actor 'support-bot' is also used by local user 'other'" \
    "an actor uid in the passwd file: warning"
printf 'deployers:x:5000:\n' >>"$T/group"
run_ctl check-config --config "$CONF"
expect_out 0 "group 'deployers' also exists in $T/group" "a group name in the group file: warning"
printf 'staff2:x:62000:\n' >>"$T/group"
run_ctl check-config --config "$CONF"
expect_out 0 "gid 62000 of group 'delegated' is also used by local group 'staff2'" \
    "the accounts gid in the group file: warning"
check "the summary is still printed with warnings" grep -q '^config OK' "$T/out"
DELEGATE_PASSWD_FILE=$T/nope run_ctl check-config --config "$CONF"
expect_out 0 "$T/nope: warning: cannot read it" "an unreadable passwd file: a warning, not an error"

# ---- usage --------------------------------------------------------------
run_ctl check-config --config
expect_out 2 "option '--config' requires an argument" "check-config --config without a value"
run_ctl check-config extra
expect_out 2 "unexpected argument 'extra'" "check-config with an argument"

finish

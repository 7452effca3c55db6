#!/bin/bash
# delegatectl revoke and prune: the file they write, idempotence, owner and
# mode, where they write, pruning, usage errors.
. "$(dirname "$0")/lib.sh"

setup_fixture || { not_ok "fixture"; finish; }

count() { grep -c -- "$1" "$REVOKED"; }

run_ctl revoke --config "$CONF" --ticket tkt-1
expect_out 0 "revoked ticket tkt-1" "revoke --ticket"
check "revoked.conf holds the ticket id" grep -q 'id = "tkt-1";' "$REVOKED"
# without --until the ticket's exp is unknown: no until, never pruned (issue 11)
check "no until without --until" bash -c "! grep -q 'until = ' '$REVOKED'"
check "revoked.conf is written with '=' and semicolons" grep -q '^revoke = ' "$REVOKED"
check "revoked.conf says comments are not kept" grep -q '^# .*comments are not' "$REVOKED"
run_ctl check-config --config "$CONF"
expect_out 0 "1 revoked ticket" "the config still loads, with the revoked ticket"

cp "$REVOKED" "$T/before"
run_ctl revoke --config "$CONF" --ticket tkt-1
expect_out 0 "already revoked; nothing changed" "revoking the same ticket again: exit 0, nothing changed"
check "revoking twice does not duplicate the id" test "$(count 'id = "tkt-1"')" -eq 1
check "revoking twice leaves the file as it was" cmp -s "$REVOKED" "$T/before"
run_ctl revoke --config "$CONF" --ticket tkt-1 --until "@$(( $(now) + 86400 ))"
expect_out 0 "entry now lasts until" "a later --until extends the entry"
check "still one entry after extending" test "$(count 'id = "tkt-1"')" -eq 1

for kind in actor:ci-deploy principal:release issuer:ec key:e1; do
    opt=${kind%%:*} val=${kind#*:}
    run_ctl revoke --config "$CONF" --$opt "$val"
    expect_out 0 "revoked $opt $val" "revoke --$opt $val"
    run_ctl revoke --config "$CONF" --$opt "$val"
    expect_out 0 "already revoked" "revoke --$opt $val twice: exit 0"
    check "revoke --$opt twice: listed once" test "$(grep -o "\"$val\"" "$REVOKED" | wc -l)" -eq 1
done
run_ctl revoke --config "$CONF" --issued-before 2026-01-01T00:00:00Z
expect 0 "revoke --issued-before"
check "issued_before is written as RFC 3339" grep -q 'issued_before = "2026-01-01T00:00:00Z";' "$REVOKED"
run_ctl revoke --config "$CONF" --issued-before 2025-01-01T00:00:00Z
expect_out 0 "already revoked; nothing changed" "an earlier --issued-before does not weaken the cutoff"
check "the later cutoff stays" grep -q 'issued_before = "2026-01-01T00:00:00Z";' "$REVOKED"
run_ctl revoke --config "$CONF" --actor ghost-bot
expect_out 0 "actor 'ghost-bot' is not configured" "revoking an unknown actor warns but works"
run_ctl check-config --config "$CONF"
expect 0 "the config loads after all the revocations"
check "no temp or backup file left in the directory" \
    test -z "$(find "$T" -maxdepth 1 -name '.revoked.conf.*')"

# ---- owner and mode are kept --------------------------------------------
chgrp 4 "$REVOKED" 2>/dev/null || chgrp daemon "$REVOKED"
chmod 640 "$REVOKED"
grp=$(stat -c %g "$REVOKED")
ino=$(stat -c %i "$REVOKED")
run_ctl revoke --config "$CONF" --ticket tkt-2
expect 0 "revoke with a 0640 root:$grp revoked.conf"
check "the mode is kept (0640)" test "$(stat -c %a "$REVOKED")" = 640
check "the owner and group are kept" test "$(stat -c %u:%g "$REVOKED")" = "0:$grp"
check "the file was replaced (rename), not rewritten in place" test "$(stat -c %i "$REVOKED")" != "$ino"
chmod 644 "$REVOKED"; chgrp 0 "$REVOKED"

# ---- prune --------------------------------------------------------------
run_ctl revoke --config "$CONF" --ticket old-1 --until "@$(( $(now) - 3600 ))"
run_ctl revoke --config "$CONF" --ticket old-2 --until 2020-01-01T00:00:00Z
run_ctl revoke --config "$CONF" --ticket skew-1 --until "@$(( $(now) - 30 ))"
run_ctl revoke --config "$CONF" --ticket live-1 --until "@$(( $(now) + 600 ))"
check "four more tickets listed before prune" test "$(count 'id = ')" -eq 6
run_ctl prune --config "$CONF"
expect_out 0 "pruned 2 revoked ticket ids" "prune drops the two expired entries"
check "prune dropped old-1 and old-2" bash -c "! grep -q 'old-' '$REVOKED'"
check "prune keeps an entry still within clock_skew" grep -q '"skew-1"' "$REVOKED"
check "prune keeps live entries" grep -q '"live-1"' "$REVOKED"
check "prune keeps tkt-1 and tkt-2" test "$(grep -c '"tkt-' "$REVOKED")" -eq 2
check "prune keeps the other revocations" grep -q '"ci-deploy"' "$REVOKED"
cp "$REVOKED" "$T/before"
run_ctl prune --config "$CONF"
expect_out 0 "pruned 0 revoked ticket ids" "prune with nothing to drop"
check "prune with nothing to drop leaves the file alone" cmp -s "$REVOKED" "$T/before"
printf 'revoke = {\n  tickets = ( { id = "hand"; } );\n};\n' >"$REVOKED"
run_ctl prune --config "$CONF"
expect_out 0 "pruned 0" "an entry without until is never pruned"
check "a hand-written entry without until survives" grep -q '"hand"' "$REVOKED"

# ---- where it writes ----------------------------------------------------
mkdir -m 755 "$T/noinc"
grep -v '^@include' "$CONF" >"$T/noinc/delegate.conf"
chmod 644 "$T/noinc/delegate.conf"
run_ctl revoke --config "$T/noinc/delegate.conf" --ticket x1
expect_out 2 "@include \"$T/noinc/revoked.conf\"" \
    "no revoke group and no @include: exit 2 telling the admin what to add"
check "nothing was created" test ! -e "$T/noinc/revoked.conf"
run_ctl prune --config "$T/noinc/delegate.conf"
expect_out 0 "pruned 0" "prune without a revocation file: nothing to do"

mkdir -m 755 "$T/inline"
{ grep -v '^@include' "$CONF"; printf 'revoke = { actors = []; };\n'; } >"$T/inline/delegate.conf"
chmod 644 "$T/inline/delegate.conf"
cp "$T/inline/delegate.conf" "$T/inline.before"
run_ctl revoke --config "$T/inline/delegate.conf" --ticket x1
expect_out 2 "revoke group is in the main config" "a revoke group inside the main config: exit 2"
check "the main config is left alone" cmp -s "$T/inline/delegate.conf" "$T/inline.before"

mkdir -m 755 "$T/empty"
grep -v '^@include' "$CONF" >"$T/empty/delegate.conf"
printf '@include "%s"\n' "$T/empty/revoked.conf" >>"$T/empty/delegate.conf"
: >"$T/empty/revoked.conf"
chmod 644 "$T/empty/delegate.conf" "$T/empty/revoked.conf"
run_ctl revoke --config "$T/empty/delegate.conf" --actor ci-deploy
expect 0 "an empty included revoked.conf next to the config is filled"
check "the revoke group was written there" grep -q '"ci-deploy"' "$T/empty/revoked.conf"

mkdir -m 755 "$T/elsewhere" "$T/elsewhere/rev"
grep -v '^@include' "$CONF" >"$T/elsewhere/delegate.conf"
printf '@include "%s"\n' "$T/elsewhere/rev/list.conf" >>"$T/elsewhere/delegate.conf"
printf 'revoke = { principals = ["bob"]; };\n' >"$T/elsewhere/rev/list.conf"
chmod 644 "$T/elsewhere/delegate.conf" "$T/elsewhere/rev/list.conf"
run_ctl revoke --config "$T/elsewhere/delegate.conf" --principal carol
expect 0 "the revoke group's own file is rewritten wherever it is"
check "both principals are in that file" \
    bash -c "grep -q '\"bob\"' '$T/elsewhere/rev/list.conf' && grep -q '\"carol\"' '$T/elsewhere/rev/list.conf'"

cp "$CONF" "$T/bad-main.conf"
sed -i 's/^audit = /audti = /' "$T/bad-main.conf"
run_ctl revoke --config "$T/bad-main.conf" --ticket x2
expect_out 1 "bad-main.conf:[0-9]+:" "revoke with a broken config: exit 1 with the errors"

# ---- usage --------------------------------------------------------------
run_ctl revoke --config "$CONF"
expect_out 2 "give exactly one of" "revoke without a target: usage error"
run_ctl revoke --config "$CONF" --ticket a --actor b
expect_out 2 "give exactly one of" "revoke with two targets: usage error"
run_ctl revoke --config "$CONF" --actor ci-deploy --until 2030-01-01T00:00:00Z
expect_out 2 -- "--until applies only to --ticket" "--until without --ticket: usage error"
run_ctl revoke --config "$CONF" --ticket 'a b'
expect_out 2 "invalid ticket 'a b'" "an invalid ticket id: usage error"
run_ctl revoke --config "$CONF" --actor 'Not Valid'
expect_out 2 "invalid actor" "an invalid actor name: usage error"
run_ctl revoke --config "$CONF" --issued-before someday
expect_out 2 "invalid time 'someday'" "an invalid --issued-before: usage error"
run_ctl revoke --config "$CONF" --ticket a --until later
expect_out 2 "invalid time 'later'" "an invalid --until: usage error"
run_ctl prune --config "$CONF" extra
expect_out 2 "unexpected argument" "prune with an argument: usage error"

finish

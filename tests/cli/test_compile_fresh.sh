#!/bin/bash
# delegatectl compile, the snapshot's freshness and its writer (issue 18
# items 1, 2, 6), in a private mount and UTS namespace of this test:
# - a source on a file system that does not keep a real change time (FUSE:
#   bindfs --ctime-from-mtime, which shows ctime = mtime as vfat does since
#   Linux 5.19): a same-size in-place revocation followed by `touch -r` keeps
#   every recorded identity field, so the snapshot is never trusted there
#   (compile writes none, --check says why, verify reads the text);
# - host.name unset: a renamed host decides from the snapshot as from the
#   text (the name is not frozen into the snapshot), and --check agrees;
# - a writer killed mid-write (SIGXFSZ under `ulimit -f 1`) leaves no temp
#   file, and stale temp files of an earlier crash are swept.
if [ -z "${DLG_CLI_PRIVATE_NS:-}" ]; then
    DLG_CLI_PRIVATE_NS=1 exec unshare --mount --uts --propagation private -- bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

MNT=""
unmount_fuse() {
    if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT"
    fi
}
trap 'unmount_fuse; cleanup' EXIT

setup_fixture || { not_ok "fixture"; finish; }
OUT=$T/policy.bin

# ---- item 6: a killed writer leaves no temp file ---------------------------
(ulimit -f 1; exec "$DELEGATECTL" compile --config "$CONF" --out "$OUT") >"$T/out" 2>"$T/err"
RC=$?
expect 153 "compile under ulimit -f 1 dies of SIGXFSZ (128+25)"
check "the killed writer left no temp file" test -z "$(find "$T" -maxdepth 1 -name '.policy.bin.*')"
check "and no snapshot" test ! -e "$OUT"
: >"$T/.policy.bin.AbC123"; touch -d '-2 hours' "$T/.policy.bin.AbC123"
: >"$T/.policy.bin.XyZ789"
run_ctl compile --config "$CONF" --out "$OUT"
expect 0 "compile after the crash"
check "a stale temp file of an earlier crash is swept" test ! -e "$T/.policy.bin.AbC123"
check "a fresh one (another writer's, between link and rename) is left alone" test -e "$T/.policy.bin.XyZ789"
rm -f "$T/.policy.bin.XyZ789"

# ---- item 2: host.name unset, the host renamed ----------------------------
hostname web-old || { not_ok "hostname in a private UTS namespace"; finish; }
sed -i 's/^host = .*$/host = { aliases = ["alias.example.com"]; };/' "$CONF"
run_ctl compile --config "$CONF" --out "$OUT"
expect 0 "compile with host.name unset (gethostname: web-old)"
t_old=$(issue --actor ci-deploy --for alice --host web-old --service sshd)
t_new=$(issue --actor ci-deploy --for alice --host web-new --service sshd)
hostname web-new
run_ctl compile --config "$CONF" --out "$OUT" --check
check_out=$(cat "$T/out")
agree=yes
for which in old new; do
    eval "t=\$t_$which"
    run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3 -
    text=$(head -n1 "$T/out")
    DELEGATE_COMPILED=$OUT run_ctl_in "$t" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3 -
    snap=$(head -n1 "$T/out")
    check "renamed host, aud=web-$which: the snapshot decides as the text ($text / $snap)" \
        test "$text" = "$snap"
    [ "$text" = "$snap" ] || agree=no
done
DELEGATE_COMPILED=$OUT run_ctl_in "$t_new" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3 -
expect_admit "renamed host: a ticket for the new name is admitted"
DELEGATE_COMPILED=$OUT run_ctl_in "$t_old" verify --config "$CONF" --user ci-deploy --service sshd --rhost 10.1.2.3 -
expect_deny wrong_audience "renamed host: a ticket for the old name is wrong_audience"
check "compile --check after the rename says fresh only if the snapshot decides as the text ($check_out)" \
    bash -c '[ "$1" = yes ] || ! grep -q "^fresh: " <<<"$2"' _ "$agree" "$check_out"
hostname web01

# ---- item 1: sources on a file system without a real ctime ----------------
SRC=$T/src
MNT=$T/mnt
mkdir -p "$SRC" "$MNT"
chmod 755 "$SRC" "$MNT"
if ! bindfs --ctime-from-mtime "$SRC" "$MNT"; then
    MNT=""
    not_ok "bindfs --ctime-from-mtime (FUSE) mounts in the test's namespace"
    finish
fi
check "the mount is FUSE" test "$(stat -f -c %t "$MNT")" = 65735546
JTI=fuse-ticket-0001
# revoked.conf holds a placeholder id of the jti's length: the revocation
# below is a same-size in-place rewrite
printf 'revoke = { tickets = ( { id = "%s"; } ); };\n' "placeholder-0001" >"$MNT/revoked.conf"
chmod 644 "$MNT/revoked.conf"
REVOKED=$MNT/revoked.conf write_config "$MNT/delegate.conf"
sed -i "s|@include \".*\"|@include \"$MNT/revoked.conf\"|" "$MNT/delegate.conf"
sed -i 's/^host = .*$/host = { name = "web01"; };/' "$MNT/delegate.conf"
t=$(issue --actor ci-deploy --for alice --host web01 --service sshd --jti "$JTI")
sleep 0.1                               # not racily clean
cp -p "$MNT/revoked.conf" "$T/times.ref"
before=$(stat -c '%d %i %s %Y.%y %Z.%z' "$MNT/revoked.conf")
run_ctl compile --config "$MNT/delegate.conf" --out "$OUT"
expect_out 1 "revoked.conf|delegate.conf" "compile refuses sources on FUSE (no real ctime), names the file"
check "no snapshot written for sources on FUSE" test ! -e "$OUT"
DELEGATE_COMPILED=$OUT run_ctl_in "$t" verify --config "$MNT/delegate.conf" --user ci-deploy --service sshd --rhost 10.1.2.3 -
expect_admit "verify of a ticket not yet revoked (FUSE sources)"
# the in-place, same-size revocation with the times put back
sed "s/placeholder-0001/$JTI/" "$MNT/revoked.conf" >"$T/rev.new"
dd if="$T/rev.new" of="$MNT/revoked.conf" conv=notrunc status=none
touch -r "$T/times.ref" "$MNT/revoked.conf"
check "the forged identity: device, inode, size, mtime and ctime are as before the edit" \
    test "$(stat -c '%d %i %s %Y.%y %Z.%z' "$MNT/revoked.conf")" = "$before"
DELEGATE_COMPILED=$OUT run_ctl_in "$t" verify --config "$MNT/delegate.conf" --user ci-deploy --service sshd --rhost 10.1.2.3 -
expect_deny revoked_ticket "the in-place revocation on FUSE is seen at once: revoked_ticket"
run_ctl compile --config "$MNT/delegate.conf" --out "$OUT" --check
expect_out 1 "^stale: " "compile --check with sources on FUSE: stale"
unmount_fuse
check "FUSE unmounted" bash -c "! mountpoint -q '$MNT'"
MNT=""

finish

#!/bin/bash
# The NSS module as glibc uses it: in a private mount namespace, overlays on
# /etc (nsswitch.conf with "passwd: files delegate" etc., /etc/delegate) and
# on the multiarch lib dir (libnss_delegate.so.2 from $B), then getent, id and
# config edits.  The host's /etc and lib dir are checked untouched afterwards.
set -u
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/../.."
B=${B:-build}
SO=$PWD/$B/libnss_delegate.so.2
LIBDIR=/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)

if [ "${DLG_NSS_IN_NS:-}" != 1 ]; then
    n=0
    if [ ! -f "$SO" ]; then
        echo "not ok 1 - $SO missing (make B=$B $B/libnss_delegate.so.2)"
        exit 1
    fi
    before_sum=$(sha256sum /etc/nsswitch.conf)
    had_so=no; [ -e "$LIBDIR/libnss_delegate.so.2" ] && had_so=yes
    had_etc=no; [ -e /etc/delegate ] && had_etc=yes
    # a sanitizer build of the module needs its runtime preloaded into getent/id
    preload=$(ldd "$SO" | awk '/lib(asan|ubsan|tsan)\.so/ {print $3}' | tr '\n' ' ')
    [ -n "$preload" ] && echo "# sanitizer build: preloading $preload"
    count_file=$(mktemp /tmp/dlg-nss-ns-count.XXXXXX)
    DLG_NSS_IN_NS=1 DLG_NSS_COUNT_FILE=$count_file DLG_NSS_PRELOAD=$preload \
        unshare --mount --propagation private bash "$SELF"
    rc=$?
    # the namespace's tests are numbered 1..N; continue after the last
    n=$(cat "$count_file" 2>/dev/null); n=${n:-100}
    rm -f "$count_file"
    ok() { n=$((n + 1)); if "$@"; then echo "ok $n - host: ${desc}"; else echo "not ok $n - host: ${desc}"; rc=1; fi; }
    desc="/etc/nsswitch.conf unchanged"; ok [ "$(sha256sum /etc/nsswitch.conf)" = "$before_sum" ]
    if [ "$had_so" = no ]; then
        desc="no libnss_delegate.so.2 left in $LIBDIR"; ok [ ! -e "$LIBDIR/libnss_delegate.so.2" ]
    fi
    if [ "$had_etc" = no ]; then
        desc="no /etc/delegate left on the host"; ok [ ! -e /etc/delegate ]
    fi
    desc="getent passwd ci-deploy not found on the host"; ok [ -z "$(getent passwd ci-deploy)" ]
    exit "$rc"
fi

# ---- inside the namespace ------------------------------------------------
rc=0 n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
failt() { n=$((n + 1)); echo "not ok $n - $1"; rc=1; }
# expect_out DESC EXPECTED CMD...: the command's stdout equals EXPECTED
expect_out() {
    local desc=$1 want=$2 got; shift 2
    got=$("$@" 2>&1)
    if [ "$got" = "$want" ]; then pass "$desc"; else
        failt "$desc"; printf '#   want: %s\n#   got:  %s\n' "$want" "$got"; fi
}
# expect_missing DESC CMD...: exit status 2 (not found) and no output
expect_missing() {
    local desc=$1 got st; shift
    got=$("$@" 2>&1); st=$?
    if [ "$st" -eq 2 ] && [ -z "$got" ]; then pass "$desc"; else
        failt "$desc"; printf '#   exit %s, output: %s\n' "$st" "$got"; fi
}
# q CMD...: a lookup command, with the sanitizer runtime when the module has one
q() {
    if [ -n "${DLG_NSS_PRELOAD:-}" ]; then
        LD_PRELOAD="$DLG_NSS_PRELOAD" ASAN_OPTIONS=detect_leaks=0 "$@"
    else
        "$@"
    fi
}
finish() { echo "$n" >"$DLG_NSS_COUNT_FILE"; exit "$rc"; }

mount --make-rprivate / || { failt "mount --make-rprivate /"; finish; }
T=$(mktemp -d /tmp/dlg-nss-ns.XXXXXX)
# the mounts die with the namespace; the empty mount point is on the host
trap 'umount -l "$LIBDIR" /etc "$T" 2>/dev/null; rmdir "$T" 2>/dev/null' EXIT
mount -t tmpfs -o mode=0755 tmpfs "$T" || { failt "tmpfs"; finish; }
mkdir -p "$T/etc-up" "$T/etc-work" "$T/lib-up" "$T/lib-work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc-up,workdir=$T/etc-work" /etc &&
mount -t overlay overlay -o "lowerdir=$LIBDIR,upperdir=$T/lib-up,workdir=$T/lib-work" "$LIBDIR" ||
    { failt "overlay mounts on /etc and $LIBDIR"; finish; }
# an nscd of the host must not answer for this namespace
[ -d /run/nscd ] && mount -t tmpfs tmpfs /run/nscd
install -m 0644 "$SO" "$LIBDIR/libnss_delegate.so.2"

{
    printf 'passwd: files delegate\ngroup: files delegate\nshadow: files delegate\n'
    grep -Ev '^[[:space:]]*(passwd|group|shadow)[[:space:]]*:' /etc/nsswitch.conf
} >"$T/nss" && cat "$T/nss" >/etc/nsswitch.conf
install -d -m 0755 /etc/delegate /etc/delegate/keys
cat >/etc/delegate/keys/corp.pub <<'KEY'
-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA51BHxkT+8CMtQwjc/c31Z9CVXO2pN6xic8+SGDvzg8k=
-----END PUBLIC KEY-----
KEY

write_config() {   # extra actor text
    cat >/etc/delegate/.delegate.conf.new <<CONF
version = 1;
host = { name = "web01"; };
issuers = ( { id = "corp"; algorithms = ["EdDSA"]; principals = ["*"];
              keys = ( { kid = "k1"; file = "/etc/delegate/keys/corp.pub"; } ); } );
accounts = { group = "delegated"; gid = 62000; uid_min = 62001; uid_max = 62999;
             home = "/var/lib/delegate/%u"; shell = "/usr/sbin/nologin"; };
actors = (
  { name = "ci-deploy"; uid = 62001; comment = "CI deploy pipeline"; shell = "/bin/bash";
    groups = ["deployers"]; principals = ["alice"]; services = ["sshd"]; },
  { name = "support-bot"; uid = 62002; principals = ["*"]; services = ["sudo"];
    groups = ["deployers", "auditors"]; },
  { name = "old-bot"; uid = 62003; principals = ["*"]; services = ["sshd"]; groups = ["auditors"]; }$1
);
groups = ( { name = "deployers"; gid = 62100; }, { name = "auditors"; gid = 62101; } );
audit = { syslog = false; };
@include "/etc/delegate/revoked.conf"
CONF
    chmod 0644 /etc/delegate/.delegate.conf.new
    mv /etc/delegate/.delegate.conf.new /etc/delegate/delegate.conf
}
write_revoked() {
    printf 'revoke = {\n  actors = [%s];\n};\n' "$1" >/etc/delegate/.revoked.conf.new
    chmod 0644 /etc/delegate/.revoked.conf.new
    mv /etc/delegate/.revoked.conf.new /etc/delegate/revoked.conf
}
write_revoked '"old-bot"'
write_config ""

ROOT=$(grep -m1 '^root:' /etc/passwd)
ROOT_ID=$(id root)
CI='ci-deploy:x:62001:62000:CI deploy pipeline:/var/lib/delegate/ci-deploy:/bin/bash'
SB='support-bot:x:62002:62000::/var/lib/delegate/support-bot:/usr/sbin/nologin'
expect_out "getent passwd NAME" "$CI" q getent passwd ci-deploy
expect_out "getent passwd UID" "$CI" q getent passwd 62001
expect_out "getent passwd NAME (defaults for home and shell)" "$SB" q getent passwd support-bot
expect_out "getent group accounts group" "delegated:x:62000:ci-deploy,support-bot" q getent group delegated
expect_out "getent group GID" "delegated:x:62000:ci-deploy,support-bot" q getent group 62000
expect_out "getent group config group" "deployers:x:62100:ci-deploy,support-bot" q getent group deployers
expect_out "getent group: revoked member left out" "auditors:x:62101:support-bot" q getent group 62101
expect_out "id NAME: supplementary groups" \
    "uid=62001(ci-deploy) gid=62000(delegated) groups=62000(delegated),62100(deployers)" q id ci-deploy
expect_out "id NAME: two extra groups" \
    "uid=62002(support-bot) gid=62000(delegated) groups=62000(delegated),62100(deployers),62101(auditors)" \
    q id support-bot
expect_out "getent shadow NAME: locked, empty last change" "ci-deploy:!:::::::" q getent shadow ci-deploy
all=$(q getent passwd)
if grep -qxF "$CI" <<<"$all" && grep -qxF "$SB" <<<"$all" && grep -q '^root:' <<<"$all" &&
   [ "$(grep -c ':6200[0-9]:62000:' <<<"$all")" -eq 2 ]; then
    pass "getent passwd enumerates files and the two live actors"
else failt "getent passwd enumerates files and the two live actors"; fi
allg=$(q getent group)
if grep -qx 'delegated:x:62000:ci-deploy,support-bot' <<<"$allg" &&
   grep -qx 'deployers:x:62100:ci-deploy,support-bot' <<<"$allg" && grep -q '^root:' <<<"$allg"; then
    pass "getent group enumerates the delegate groups"
else failt "getent group enumerates the delegate groups"; fi
alls=$(q getent shadow)
if grep -qx 'ci-deploy:!:::::::' <<<"$alls" && ! grep -q '^old-bot:' <<<"$alls"; then
    pass "getent shadow enumerates locked entries"
else failt "getent shadow enumerates locked entries"; fi

expect_missing "revoked actor: getent passwd NAME" q getent passwd old-bot
expect_missing "revoked actor: getent passwd UID" q getent passwd 62003
expect_missing "revoked actor: getent shadow" q getent shadow old-bot
expect_missing "non-actor name" q getent passwd no-such-actor
expect_missing "PAM's probe name" q getent passwd 'pam_unix_non_existent:'
expect_missing "uid outside the range" q getent passwd 63000
expect_out "local accounts still resolve" "$ROOT" q getent passwd root

# one long-running process (glibc's getpwnam through python's pwd module)
# sees revocation and its undoing at its next lookup, with no restart
coproc PY { q python3 -u -c '
import pwd, sys
for line in sys.stdin:
    try:
        e = pwd.getpwnam(line.strip())
        print(e.pw_name, e.pw_uid, e.pw_dir)
    except KeyError:
        print("missing")
'; }
ask() { local ans=; echo "$1" >&"${PY[1]}"; read -r -t 10 ans <&"${PY[0]}"; echo "$ans"; }
r1=$(ask support-bot)
write_revoked '"old-bot", "support-bot"'
r2=$(ask support-bot)
write_revoked '"old-bot"'
r3=$(ask support-bot)
exec {PY[1]}>&-
wait "$PY_PID" 2>/dev/null
if [ "$r1" = "support-bot 62002 /var/lib/delegate/support-bot" ] && [ "$r2" = missing ] &&
   [ "$r3" = "$r1" ]; then
    pass "running process: revocation and un-revocation seen at its next lookup"
else
    failt "running process: revocation and un-revocation seen at its next lookup"
    printf '#   answers: [%s] [%s] [%s]\n' "$r1" "$r2" "$r3"
fi

# revoke through revoked.conf: gone at the next call
write_revoked '"old-bot", "ci-deploy"'
expect_missing "revoked by editing revoke.actors: getent passwd NAME" q getent passwd ci-deploy
expect_missing "revoked by editing revoke.actors: getent passwd UID" q getent passwd 62001
expect_out "revoked actor gone from group members" "deployers:x:62100:support-bot" q getent group deployers
if q id ci-deploy >/dev/null 2>&1; then failt "revoked actor: id fails"; else pass "revoked actor: id fails"; fi

# add an actor: present at the next call
write_config ',
  { name = "new-bot"; uid = 62050; principals = ["*"]; services = ["sshd"]; comment = "added"; }'
expect_out "added actor present at the next call" \
    "new-bot:x:62050:62000:added:/var/lib/delegate/new-bot:/usr/sbin/nologin" q getent passwd new-bot
expect_out "added actor by uid" "new-bot:x:62050:62000:added:/var/lib/delegate/new-bot:/usr/sbin/nologin" q getent passwd 62050

# unusable config: actors do not resolve, local accounts do
echo 'version = 1; actors = ( { name = ' >/etc/delegate/.delegate.conf.new
chmod 0644 /etc/delegate/.delegate.conf.new && mv /etc/delegate/.delegate.conf.new /etc/delegate/delegate.conf
expect_missing "unusable config: actor not resolved" q getent passwd support-bot
expect_out "unusable config: root still resolves" "$ROOT" q getent passwd root
expect_out "unusable config: id root still works" "$ROOT_ID" q id root
write_config ""
chmod 0666 /etc/delegate/delegate.conf
expect_missing "group/other-writable config refused" q getent passwd support-bot
chmod 0644 /etc/delegate/delegate.conf
expect_out "fixed config: actor back" "$SB" q getent passwd support-bot
rm -f /etc/delegate/delegate.conf
expect_missing "missing config: actor not resolved" q getent passwd support-bot
expect_out "missing config: root still resolves" "$ROOT" q getent passwd root

finish

#!/bin/bash
# The NSS module and the compiled policy snapshot (issue 13), as glibc uses
# the module: in a private mount namespace with overlays on /etc and the lib
# dir and a tmpfs on /run, a probe program (tests/nss/nss_probe.c) looks
# actors up with getpwnam and reports whether libconfig got mapped.
#  - fresh compiled form: answered from it, no libconfig in /proc/self/maps;
#  - stale or unusable compiled form: the text is read through libconfig,
#    loaded on demand; the probe exports config_init, config_setting_add...
#    (aborting stubs) and libconfig's own calls must not reach them;
#  - a changed config is seen at the next lookup without recompiling.
# The host's /etc, lib dir and /run/delegate are checked untouched afterwards.
set -u
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/../.."
B=${B:-build}
SO=$PWD/$B/libnss_delegate.so.2
CTL=$PWD/$B/delegatectl
LIBDIR=/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)

if [ "${DLG_NSS_IN_NS:-}" != 1 ]; then
    for f in "$SO" "$CTL"; do
        [ -f "$f" ] || { echo "not ok 1 - $f missing"; exit 1; }
    done
    before_sum=$(sha256sum /etc/nsswitch.conf)
    had_run=no; [ -e /run/delegate/policy.bin ] && had_run=yes
    preload=$(ldd "$SO" | awk '/lib(asan|ubsan|tsan)\.so/ {print $3}' | tr '\n' ' ')
    [ -n "$preload" ] && echo "# sanitizer build: preloading $preload"
    count_file=$(mktemp /tmp/dlg-nss-cpl-count.XXXXXX)
    DLG_NSS_IN_NS=1 DLG_NSS_COUNT_FILE=$count_file DLG_NSS_PRELOAD=$preload \
        unshare --mount --propagation private bash "$SELF"
    rc=$?
    n=$(cat "$count_file" 2>/dev/null); n=${n:-100}
    rm -f "$count_file"
    ok() { n=$((n + 1)); if "$@"; then echo "ok $n - host: ${desc}"; else echo "not ok $n - host: ${desc}"; rc=1; fi; }
    desc="/etc/nsswitch.conf unchanged"; ok [ "$(sha256sum /etc/nsswitch.conf)" = "$before_sum" ]
    if [ "$had_run" = no ]; then
        desc="no /run/delegate/policy.bin left on the host"; ok [ ! -e /run/delegate/policy.bin ]
    fi
    desc="getent passwd ci-deploy not found on the host"; ok [ -z "$(getent passwd ci-deploy)" ]
    exit "$rc"
fi

# ---- inside the namespace ------------------------------------------------
rc=0 n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
failt() { n=$((n + 1)); echo "not ok $n - $1"; rc=1; }
finish() { echo "$n" >"$DLG_NSS_COUNT_FILE"; exit "$rc"; }
q() {
    if [ -n "${DLG_NSS_PRELOAD:-}" ]; then
        LD_PRELOAD="$DLG_NSS_PRELOAD" ASAN_OPTIONS=detect_leaks=0 "$@"
    else
        "$@"
    fi
}
# expect_probe DESC EXPECTED-OUTPUT NAMES...
expect_probe() {
    local desc=$1 want=$2 got st; shift 2
    got=$(q "$PROBE" "$@" 2>&1); st=$?
    if [ "$st" -eq 0 ] && [ "$got" = "$want" ]; then pass "$desc"; else
        failt "$desc"; printf '#   want: %s\n#   got (exit %s): %s\n' "$want" "$st" "$got" | sed '2,$s/^/#   /'; fi
}

mount --make-rprivate / || { failt "mount --make-rprivate /"; finish; }
T=$(mktemp -d /tmp/dlg-nss-cpl.XXXXXX)
trap 'umount -l "$LIBDIR" /etc /run "$T" 2>/dev/null; rmdir "$T" 2>/dev/null' EXIT
mount -t tmpfs -o mode=0755 tmpfs "$T" || { failt "tmpfs"; finish; }
mkdir -p "$T/etc-up" "$T/etc-work" "$T/lib-up" "$T/lib-work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc-up,workdir=$T/etc-work" /etc &&
mount -t overlay overlay -o "lowerdir=$LIBDIR,upperdir=$T/lib-up,workdir=$T/lib-work" "$LIBDIR" &&
mount -t tmpfs -o mode=0755 tmpfs /run ||
    { failt "overlay mounts on /etc, $LIBDIR and tmpfs on /run"; finish; }
install -m 0644 "$SO" "$LIBDIR/libnss_delegate.so.2"
install -d -m 0755 /run/delegate

PROBE=$T/nss_probe
# the probe must not itself link libconfig (that would map it anyway)
hijack=
if [ -n "${DLG_NSS_PRELOAD:-}" ]; then
    # the sanitizer runtimes refuse RTLD_DEEPBIND, so lcshim.c does without it
    # there: the interposition part is meaningful only in the normal build
    echo "# sanitizer build: probe without libconfig-named exports"
    hijack=-DNO_HIJACK
fi
if ! cc -std=c11 -O1 -rdynamic $hijack -o "$PROBE" tests/nss/nss_probe.c 2>"$T/cc.err"; then
    failt "build the probe"; sed 's/^/# /' "$T/cc.err"; finish
fi
if readelf -d "$PROBE" | grep -q 'libconfig'; then failt "probe links no libconfig"; else
    pass "probe links no libconfig"; fi

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
    principals = ["alice"]; services = ["sshd"]; },
  { name = "old-bot"; uid = 62003; principals = ["*"]; services = ["sshd"]; }$1
);
audit = { syslog = false; };
@include "/etc/delegate/revoked.conf"
CONF
    chmod 0644 /etc/delegate/.delegate.conf.new
    mv /etc/delegate/.delegate.conf.new /etc/delegate/delegate.conf
}
printf 'revoke = {\n  actors = ["old-bot"];\n};\n' >/etc/delegate/revoked.conf
chmod 0644 /etc/delegate/revoked.conf
write_config ""

CI="ci-deploy 62001 /var/lib/delegate/ci-deploy"
if "$CTL" compile >"$T/out" 2>&1 && [ -f /run/delegate/policy.bin ]; then
    pass "delegatectl compile writes /run/delegate/policy.bin"
else failt "delegatectl compile writes /run/delegate/policy.bin"; sed 's/^/# /' "$T/out"; fi
mode=$(stat -c '%a %U' /run/delegate/policy.bin 2>/dev/null)
if [ "$mode" = "644 root" ]; then pass "policy.bin is 0644 root"; else failt "policy.bin is 0644 root (got $mode)"; fi
if "$CTL" compile --check >"$T/out" 2>&1; then pass "compile --check: fresh"; else
    failt "compile --check: fresh"; sed 's/^/# /' "$T/out"; fi

expect_probe "fresh compiled form: actor found, no libconfig mapped" \
    "$CI
libconfig not mapped" ci-deploy
expect_probe "fresh compiled form: revoked actor and unknown name missing, no libconfig" \
    "old-bot missing
nobody-here missing
libconfig not mapped" old-bot nobody-here
expect_probe "a local account alone maps no libconfig" \
    "root 0 /root
libconfig not mapped" root
expect_out_getent() { local got; got=$(q getent passwd "$1"); [ "$got" = "$2" ]; }
if expect_out_getent ci-deploy "ci-deploy:x:62001:62000:CI deploy pipeline:/var/lib/delegate/ci-deploy:/bin/bash"; then
    pass "getent passwd from the compiled form"; else failt "getent passwd from the compiled form"; fi

# a changed config without recompiling: the form is stale; the next lookup
# reads the text (libconfig loaded on demand, its internal calls not hijacked)
write_config ',
  { name = "new-bot"; uid = 62050; principals = ["*"]; services = ["sshd"]; }'
expect_probe "stale form: new actor seen at once through the text; libconfig loaded on demand, not hijacked" \
    "new-bot 62050 /var/lib/delegate/new-bot
ci-deploy 62001 /var/lib/delegate/ci-deploy
libconfig mapped" new-bot ci-deploy

# issue 18 item 7: libconfig is loaded by its absolute path, never found
# through LD_LIBRARY_PATH or the host program's DT_RPATH (a fake
# libconfig.so.9 there would run its constructor inside the host process)
mkdir -p "$T/fake"
printf '%s\n' '#include <unistd.h>' \
    '__attribute__((constructor)) static void hit(void)' \
    '{ (void)!write(2, "FAKE LIBCONFIG LOADED\n", 22); _exit(3); }' >"$T/fake/fake.c"
if cc -shared -fPIC -o "$T/fake/libconfig.so.9" "$T/fake/fake.c" 2>"$T/cc.err" &&
   cc -std=c11 -O1 -rdynamic $hijack -Wl,--disable-new-dtags -Wl,-rpath,"$T/fake" \
      -o "$T/probe_rpath" tests/nss/nss_probe.c 2>>"$T/cc.err"; then
    pass "fake libconfig.so.9 and a probe with DT_RPATH to it built"
else failt "fake libconfig.so.9 and a probe with DT_RPATH to it built"; sed 's/^/# /' "$T/cc.err"; fi
if readelf -d "$T/probe_rpath" | grep -q '(RPATH)'; then pass "the probe has a DT_RPATH"; else
    failt "the probe has a DT_RPATH"; fi
LD_LIBRARY_PATH=$T/fake expect_probe "stale form, LD_LIBRARY_PATH holds a fake libconfig.so.9: the real one is loaded" \
    "new-bot 62050 /var/lib/delegate/new-bot
libconfig mapped" new-bot
PROBE_SAVED=$PROBE PROBE=$T/probe_rpath
expect_probe "stale form, the program's DT_RPATH holds a fake libconfig.so.9: the real one is loaded" \
    "new-bot 62050 /var/lib/delegate/new-bot
libconfig mapped" new-bot
# a program built with a sanitizer: its runtime aborts a dlopen with
# RTLD_DEEPBIND; the module sees the runtime and loads libconfig without it
if cc -std=c11 -O1 -fsanitize=address -DNO_HIJACK -o "$T/probe_asan" tests/nss/nss_probe.c 2>"$T/cc.err"; then
    pass "an ASan-built probe"
else failt "an ASan-built probe"; sed 's/^/# /' "$T/cc.err"; fi
PROBE=$T/probe_asan
ASAN_OPTIONS=detect_leaks=0 expect_probe "stale form, a program built with ASan: libconfig loaded (no RTLD_DEEPBIND), no abort" \
    "new-bot 62050 /var/lib/delegate/new-bot
libconfig mapped" new-bot
PROBE=$PROBE_SAVED
if "$CTL" compile --check >"$T/out" 2>&1; then failt "compile --check: stale (exit 1)"; else
    pass "compile --check: stale (exit 1)"; fi
"$CTL" compile >/dev/null 2>&1
expect_probe "recompiled: new actor from the compiled form, no libconfig" \
    "new-bot 62050 /var/lib/delegate/new-bot
libconfig not mapped" new-bot

# revocation added by a same-size in-place edit right after compiling: never
# answered from the stale form
printf 'revoke = {\n  actors = ["new-bot"];\n};\n' >/etc/delegate/revoked.conf.x
sz_old=$(stat -c %s /etc/delegate/revoked.conf); sz_new=$(stat -c %s /etc/delegate/revoked.conf.x)
rm -f /etc/delegate/revoked.conf.x
"$CTL" compile >/dev/null 2>&1
if [ "$sz_old" = "$sz_new" ]; then
    # overwrite in place (same inode, same size), then put the old mtime back
    old_mtime=$(stat -c %y /etc/delegate/revoked.conf)
    printf 'revoke = {\n  actors = ["new-bot"];\n};\n' 1<>/etc/delegate/revoked.conf
    touch -m -d "$old_mtime" /etc/delegate/revoked.conf
    expect_probe "same-size in-place revocation (mtime put back): revoked actor missing at once" \
        "new-bot missing
old-bot 62003 /var/lib/delegate/old-bot
libconfig mapped" new-bot old-bot
else
    failt "test setup: revocation texts of the same size ($sz_old vs $sz_new)"
fi
"$CTL" compile >/dev/null 2>&1

# an unsafe compiled form is not used (the text is)
chmod 0664 /run/delegate/policy.bin
expect_probe "group-writable policy.bin: not used, text read" \
    "ci-deploy 62001 /var/lib/delegate/ci-deploy
libconfig mapped" ci-deploy
chmod 0644 /run/delegate/policy.bin
printf 'garbage' | dd of=/run/delegate/policy.bin bs=1 seek=200 conv=notrunc status=none
expect_probe "corrupted policy.bin: not used, text read" \
    "ci-deploy 62001 /var/lib/delegate/ci-deploy
libconfig mapped" ci-deploy
"$CTL" compile >/dev/null 2>&1
chmod 0775 /etc/delegate
expect_probe "/etc/delegate group-writable after compiling: nothing resolves" \
    "ci-deploy missing
libconfig mapped" ci-deploy
chmod 0755 /etc/delegate
expect_probe "directory fixed: from the compiled form again" \
    "ci-deploy 62001 /var/lib/delegate/ci-deploy
libconfig not mapped" ci-deploy
rm -f /run/delegate/policy.bin
expect_probe "no compiled form: text read" \
    "ci-deploy 62001 /var/lib/delegate/ci-deploy
libconfig mapped" ci-deploy

finish

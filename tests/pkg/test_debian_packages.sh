#!/bin/bash
# The Debian packages, end to end, the way an admin uses them:
# build the three .debs from a copy of the tree (dpkg-buildpackage), check
# them with lintian and against `make install`, then in a private mount
# namespace whose /etc, /usr, /var and /run are overlays on a tmpfs: install
# them, enable the module with pam-auth-update, admit an actor with a ticket
# through the installed delegatectl, NSS module and PAM module (pamtester),
# upgrade in place, purge, and show /etc/pam.d and /etc/nsswitch.conf back
# byte for byte.  Afterwards the host's own files are checked untouched.
# Prints TAP.
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

N=0
ok()   { N=$((N + 1)); echo "ok $N - $1"; }
nok()  { N=$((N + 1)); echo "not ok $N - $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
diag() { sed 's/^/# /'; }
has()  { printf '%s\n' "$1" | grep -Eq -- "$2"; }

PKGS="libpam-delegate libnss-delegate delegate-tools delegate-exchange"

# sha256 of every file in /etc/pam.d and of /etc/nsswitch.conf, by name.
snapshot_auth_files() {
    (cd / && sha256sum etc/nsswitch.conf etc/pam.d/*) 2>&1
}

# ---------------------------------------------------------------------------
# Inside the private mount namespace (called by the outer part below).
# ---------------------------------------------------------------------------
inside() {
    local work=$1 ma t t_bad sig out rc before after d
    N=$2
    ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)

    # A cgroup2 of the test's own (the outer part made the cgroup namespace).
    mount -t cgroup2 dlg-pkg-cgroup2 /sys/fs/cgroup || { nok "cgroup2 of the test's own"; return; }
    # Everything dpkg, pam-auth-update and the postinsts write lands in tmpfs.
    mount -t tmpfs -o mode=0755 dlg-pkg-overlays "$work/ov" || { nok "tmpfs for the overlays"; return; }
    for d in etc usr var run; do
        mkdir -p "$work/ov/$d/upper" "$work/ov/$d/work"
        if ! mount -t overlay "dlg-pkg-$d" \
                -o "lowerdir=/$d,upperdir=$work/ov/$d/upper,workdir=$work/ov/$d/work" "/$d"; then
            nok "overlay over /$d"; return
        fi
    done
    ok "private overlays over /etc /usr /var /run"

    before=$(snapshot_auth_files)
    printf '%s\n' "$before" >"$work/inside-before.sha"

    # ---- install -------------------------------------------------------
    out=$(dpkg -i "$work"/debs/libpam-delegate_*.deb "$work"/debs/libnss-delegate_*.deb \
                  "$work"/debs/delegate-tools_*.deb "$work"/debs/delegate-exchange_*.deb 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "dpkg -i installs the four packages"
    else nok "dpkg -i installs the four packages" "$out"; return; fi
    for p in $PKGS; do
        check "$p is installed" \
            sh -c "dpkg-query -W -f='\${Status}' $p | grep -qx 'install ok installed'"
    done

    for f in "/lib/$ma/security/pam_delegate.so" "/lib/$ma/libnss_delegate.so.2" \
             /usr/sbin/delegatectl /usr/share/pam-configs/delegate \
             /usr/share/bash-completion/completions/delegatectl \
             /usr/lib/tmpfiles.d/delegate.conf /etc/logrotate.d/delegate \
             /usr/share/man/man8/pam_delegate.8.gz /usr/share/man/man8/nss_delegate.8.gz \
             /usr/share/man/man8/delegatectl.8.gz /usr/share/man/man5/delegate.conf.5.gz \
             /usr/share/doc/delegate-tools/examples/delegate.conf; do
        check "installed: $f" test -f "$f"
    done
    check "installed: /lib/systemd/system/delegate-watch.service" \
        test -f /lib/systemd/system/delegate-watch.service
    check "delegate-watch.service runs the installed delegatectl watch" \
        grep -qx 'ExecStart=/usr/sbin/delegatectl watch --config /etc/delegate/delegate.conf' \
        /lib/systemd/system/delegate-watch.service
    check "delegate-watch.service is enabled on install" \
        test -L /etc/systemd/system/multi-user.target.wants/delegate-watch.service
    check "/etc/delegate is a directory 0755 root:root" \
        sh -c '[ "$(stat -c "%F %a %U:%G" /etc/delegate)" = "directory 755 root:root" ]'
    check "postinst made /run/delegate/sessions 0700 (tmpfiles)" \
        sh -c '[ "$(stat -c "%a %U" /run/delegate/sessions)" = "700 root" ]'
    check "postinst made /var/lib/delegate/.once 0700 (tmpfiles)" \
        sh -c '[ "$(stat -c "%a %U" /var/lib/delegate/.once)" = "700 root" ]'
    check "postinst made the feed state 0700 and the feed revocations 0755 (tmpfiles)" \
        sh -c '[ "$(stat -c "%a %U" /var/lib/delegate/feeds)" = "700 root" ] &&
               [ "$(stat -c "%a %U" /var/lib/delegate/.feed-revocations)" = "755 root" ]'
    check "postinst without a config writes no compiled form" test ! -e /run/delegate/policy.bin
    check "bash completion file parses and registers delegatectl" \
        bash -c '. /usr/share/bash-completion/completions/delegatectl && complete -p delegatectl >/dev/null'

    # ---- delegate-exchange: its own user, a sandboxed unit, not enabled -
    for f in /usr/sbin/delegate-exchange /lib/systemd/system/delegate-exchange.service \
             /usr/share/man/man8/delegate-exchange.8.gz /usr/share/doc/delegate-exchange/examples/exchange.conf; do
        check "installed: $f" test -f "$f"
    done
    check "delegate-exchange: system user and group created" \
        sh -c 'getent passwd delegate-exchange | grep -q ":/var/lib/delegate-exchange:" && getent group delegate-exchange >/dev/null'
    check "delegate-exchange.service is not enabled before it is configured" \
        test ! -e /etc/systemd/system/multi-user.target.wants/delegate-exchange.service
    out=$(systemd-analyze verify /lib/systemd/system/delegate-exchange.service 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "systemd-analyze verify delegate-exchange.service"
    else nok "systemd-analyze verify delegate-exchange.service" "$out"; fi
    out=$(systemd-analyze security --offline=yes /lib/systemd/system/delegate-exchange.service 2>&1)
    score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
    check "systemd-analyze security: exposure ${score:-?} (under 2.0, 'OK')" \
        awk -v s="${score:-99}" 'BEGIN { exit !(s + 0 < 2.0) }'
    out=$(delegate-exchange --config /usr/share/doc/delegate-exchange/examples/exchange.conf --check 2>&1); rc=$?
    if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q 'exchange.conf:[0-9]*: issuer key: .*ci-1.key'; then
        ok "installed delegate-exchange --check reads the example; only the issuer key is missing"
    else nok "installed delegate-exchange --check reads the example; only the issuer key is missing" "rc=$rc $out"; fi
    install -d -m 0755 /etc/delegate/exchange
    delegatectl keygen --out /etc/delegate/exchange/ci-1 >/dev/null 2>&1
    chown delegate-exchange: /etc/delegate/exchange/ci-1.key
    sed -e '/^tls = /d' /usr/share/doc/delegate-exchange/examples/exchange.conf >/etc/delegate/exchange.conf
    out=$(delegate-exchange --config /etc/delegate/exchange.conf --check 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "the example config with an issuer key (README steps) is valid"
    else nok "the example config with an issuer key (README steps) is valid" "$out"; fi
    check "the exchange runs as its user: the key it owns is readable, state created 0700" \
        sh -c 'install -d -o delegate-exchange -g delegate-exchange -m 0700 /var/lib/delegate-exchange &&
               runuser -u delegate-exchange -- delegate-exchange --config /etc/delegate/exchange.conf --check >/dev/null'
    # libcurl: the exchange (JWKS) and delegatectl (watch fetches feeds);
    # never the modules that run inside sshd, sudo and every NSS caller
    check "ldd: only delegate-exchange links libmicrohttpd; the modules link neither it nor libcurl" \
        sh -c "ldd /usr/sbin/delegate-exchange | grep -q libmicrohttpd && ldd /usr/sbin/delegate-exchange | grep -q libcurl &&
               ldd /usr/sbin/delegatectl | grep -q libcurl && ! ldd /usr/sbin/delegatectl | grep -q libmicrohttpd &&
               ! ldd /lib/$ma/security/pam_delegate.so /lib/$ma/libnss_delegate.so.2 | grep -Eq 'libmicrohttpd|libcurl'"

    # ---- nsswitch.conf -------------------------------------------------
    for d in passwd group shadow; do
        check "nsswitch.conf $d: delegate right after files" \
            grep -Eq "^$d:[[:space:]].*[[:space:]]files delegate([[:space:]]|\$)" /etc/nsswitch.conf
    done
    check "nsswitch.conf: other databases untouched" \
        sh -c '! grep -E "^(hosts|gshadow|networks|services|netgroup):.*delegate" /etc/nsswitch.conf'

    # ---- PAM: registered, not enabled, then enabled ---------------------
    check "profile is not enabled by installing alone (Default: no)" \
        sh -c '! grep -q pam_delegate /etc/pam.d/common-auth'
    out=$(pam-auth-update --enable delegate 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "pam-auth-update --enable delegate"
    else nok "pam-auth-update --enable delegate" "$out"; fi
    for d in auth account session; do
        check "common-$d has pam_delegate.so" grep -q 'pam_delegate\.so' "/etc/pam.d/common-$d"
    done
    check "common-auth: pam_delegate comes before pam_unix" \
        sh -c 'awk "/pam_delegate/{d=NR} /pam_unix/{if(!u)u=NR} END{exit !(d && u && d < u)}" /etc/pam.d/common-auth'

    # ---- a host config, a key, an actor --------------------------------
    install -d -m 0755 /etc/delegate/keys
    out=$(delegatectl keygen --out "$work/keys/corp" 2>&1); rc=$?
    if [ $rc -eq 0 ] && [ -f "$work/keys/corp.key" ] && [ -f "$work/keys/corp.pub" ]; then
        ok "installed delegatectl keygen"
    else nok "installed delegatectl keygen" "$out"; fi
    install -m 0644 "$work/keys/corp.pub" /etc/delegate/keys/corp.pub
    cat >/etc/delegate/delegate.conf <<'EOF'
version = 1;
host = { name = "pkgtest"; };
tickets = { clock_skew = 60; max_lifetime = 3600; prompt = "Delegation ticket: "; };
issuers = (
  { id = "corp"; algorithms = ["EdDSA"]; principals = ["*"];
    keys = ( { kid = "k1"; file = "/etc/delegate/keys/corp.pub"; } ); }
);
accounts = { group = "delegated"; gid = 62000; uid_min = 62001; uid_max = 62999;
             home = "/var/lib/delegate/%u"; shell = "/usr/sbin/nologin"; };
actors = (
  { name = "pkg-bot"; uid = 62001; comment = "package test"; principals = ["alice"];
    services = ["dlgtest"]; }
);
audit = { syslog = false; file = "/var/log/delegate/audit.jsonl"; };
EOF
    chmod 0644 /etc/delegate/delegate.conf
    out=$(delegatectl check-config 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "delegatectl check-config accepts the host config"
    else nok "delegatectl check-config accepts the host config" "$out"; fi

    # ---- NSS through glibc and the installed module --------------------
    out=$(getent passwd pkg-bot 2>&1)
    check "getent passwd pkg-bot resolves through libnss_delegate" \
        test "$out" = "pkg-bot:x:62001:62000:package test:/var/lib/delegate/pkg-bot:/usr/sbin/nologin"
    out=$(getent group delegated 2>&1)
    check "getent group delegated lists the actor" test "$out" = "delegated:x:62000:pkg-bot"
    out=$(getent shadow pkg-bot 2>&1)
    check "getent shadow pkg-bot is locked" has "$out" '^pkg-bot:!:'
    check "id pkg-bot" sh -c 'id pkg-bot | grep -q "uid=62001(pkg-bot) gid=62000(delegated)"'

    # ---- the compiled policy snapshot (issue 13) ------------------------
    rm -f /run/delegate/policy.bin
    out=$(/var/lib/dpkg/info/delegate-tools.postinst configure 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "delegate-tools postinst configure with a config: exit 0"
    else nok "delegate-tools postinst configure with a config: exit 0" "$out"; fi
    check "postinst with a config compiled /run/delegate/policy.bin" test -f /run/delegate/policy.bin
    out=$(delegatectl compile --check 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "delegatectl compile --check: the snapshot is fresh"
    else nok "delegatectl compile --check: the snapshot is fresh" "$out"; fi

    # ---- a ticket: the host's decision ---------------------------------
    t=$(delegatectl issue --key "$work/keys/corp.key" --issuer corp --kid k1 --actor pkg-bot \
            --for alice --host pkgtest --service dlgtest --ttl 5m 2>"$work/issue.err"); rc=$?
    if [ $rc -eq 0 ] && [ -n "$t" ]; then ok "delegatectl issue mints a ticket"
    else nok "delegatectl issue mints a ticket" "$(cat "$work/issue.err")"; fi
    out=$(printf '%s\n' "$t" | delegatectl verify --user pkg-bot --service dlgtest - 2>&1); rc=$?
    if [ $rc -eq 0 ] && has "$out" '^admit'; then ok "delegatectl verify admits it"
    else nok "delegatectl verify admits it" "rc=$rc $out"; fi
    out=$(printf '%s\n' "$t" | delegatectl verify --user pkg-bot --service sshd - 2>&1); rc=$?
    if [ $rc -eq 1 ] && has "$out" 'deny: service_not_allowed'; then ok "delegatectl verify denies another service"
    else nok "delegatectl verify denies another service" "rc=$rc $out"; fi

    # ---- a real PAM conversation through the enabled common-* stack ----
    printf '%s\n' '# the common stack that pam-auth-update wrote' \
        '@include common-auth' '@include common-account' '@include common-session' >/etc/pam.d/dlgtest
    out=$(printf '%s\n' "$t" | pamtester -v dlgtest pkg-bot authenticate acct_mgmt open_session close_session 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "pamtester: pkg-bot admitted by the ticket (auth, account, session)"
    else nok "pamtester: pkg-bot admitted by the ticket (auth, account, session)" "$out"; fi
    # Another first character of the signature: same length, different bits.
    sig=${t##*.}
    if [ "${sig:0:1}" = A ]; then t_bad="${t%.*}.B${sig:1}"; else t_bad="${t%.*}.A${sig:1}"; fi
    out=$(printf '%s\n' "$t_bad" | pamtester dlgtest pkg-bot authenticate 2>&1); rc=$?
    check "pamtester: a tampered ticket is refused" test $rc -ne 0
    out=$(printf '\n' | pamtester dlgtest pkg-bot authenticate 2>&1); rc=$?
    check "pamtester: no ticket is refused" test $rc -ne 0
    # Never lock out: root and an ordinary local account go through the same
    # enabled stack untouched by pam_delegate.
    out=$(pamtester dlgtest root acct_mgmt 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "pamtester: root's account phase unaffected"
    else nok "pamtester: root's account phase unaffected" "$out"; fi
    useradd -M -N -g users -s /bin/sh dlglocal && echo 'dlglocal:Local-pw-42' | chpasswd
    out=$(printf '%s\n' 'Local-pw-42' | pamtester dlgtest dlglocal authenticate acct_mgmt 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "pamtester: a local user logs in with a password as before"
    else nok "pamtester: a local user logs in with a password as before" "$out"; fi
    out=$(printf '%s\n' 'wrong' | pamtester dlgtest dlglocal authenticate 2>&1); rc=$?
    check "pamtester: a local user with a wrong password is refused" test $rc -ne 0
    userdel dlglocal
    check "audit trail has the admit" grep -q '"event":"admit"' /var/log/delegate/audit.jsonl
    check "audit trail has the denial bad_signature" \
        grep -q '"reason":"bad_signature"' /var/log/delegate/audit.jsonl
    check "audit trail never holds the ticket's signature" \
        sh -c '! grep -qF -- "$1" /var/log/delegate/audit.jsonl' sh "$sig"
    out=$(logrotate -f -s "$work/logrotate.state" /etc/logrotate.d/delegate 2>&1); rc=$?
    if [ $rc -eq 0 ] && grep -q '"event":"admit"' /var/log/delegate/audit.jsonl.1 \
       && [ "$(stat -c '%a %U' /var/log/delegate/audit.jsonl)" = "600 root" ]; then
        ok "logrotate rotates the audit trail and recreates it 0600"
    else nok "logrotate rotates the audit trail and recreates it 0600" "$out"; fi
    rm -f /etc/pam.d/dlgtest

    # ---- upgrade to a newer version, then reinstall it: nothing doubles -
    local ns_before pam_before conf_before
    ns_before=$(sha256sum /etc/nsswitch.conf)
    pam_before=$(cd /etc/pam.d && sha256sum common-*)
    conf_before=$(sha256sum /etc/delegate/delegate.conf)
    # a feed's anti-rollback state (DESIGN.md §6a) must outlive upgrades
    printf '{"ver": 41}\n' >/var/lib/delegate/feeds/pkg.state
    printf 'feed = { id = "pkg"; ver = 41; iat = 1; exp = 2; };\n' \
        >/var/lib/delegate/.feed-revocations/pkg.conf
    local feeds_before
    feeds_before=$(sha256sum /var/lib/delegate/feeds/pkg.state /var/lib/delegate/.feed-revocations/pkg.conf)
    out=$(dpkg -i "$work"/debs-up/*.deb 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "dpkg -i upgrades to $UPVER"
    else nok "dpkg -i upgrades to $UPVER" "$out"; fi
    check "all packages now at $UPVER" \
        sh -c 'for p in "$@"; do [ "$(dpkg-query -W -f="\${Version}" "$p")" = "'"$UPVER"'" ] || exit 1; done' sh $PKGS
    out=$(dpkg -i "$work"/debs-up/*.deb 2>&1); rc=$?
    check "reinstall of the same version succeeds" test $rc -eq 0
    check "upgrade and reinstall leave nsswitch.conf as it was" \
        test "$(sha256sum /etc/nsswitch.conf)" = "$ns_before"
    check "upgrade and reinstall keep the enabled PAM profile as it was" \
        test "$(cd /etc/pam.d && sha256sum common-*)" = "$pam_before"
    check "upgrade keeps the admin's config" test "$(sha256sum /etc/delegate/delegate.conf)" = "$conf_before"
    check "upgrade keeps the feeds' state and revocations" \
        test "$(sha256sum /var/lib/delegate/feeds/pkg.state /var/lib/delegate/.feed-revocations/pkg.conf)" = "$feeds_before"
    out=$(printf '%s\n' "$t" | delegatectl verify --user pkg-bot --service dlgtest - 2>&1); rc=$?
    check "after the upgrade the ticket is still admitted" test $rc -eq 0

    # ---- remove libnss-delegate alone, then bring it back --------------
    out=$(dpkg -r libnss-delegate 2>&1); rc=$?
    check "dpkg -r libnss-delegate" test $rc -eq 0
    check "remove takes delegate out of nsswitch.conf" sh -c '! grep -q delegate /etc/nsswitch.conf'
    check "getent passwd pkg-bot no longer resolves" sh -c '! getent passwd pkg-bot >/dev/null'
    out=$(dpkg -i "$work"/debs/libnss-delegate_*.deb 2>&1); rc=$?
    check "reinstall after remove puts delegate back once" \
        sh -c "[ $rc -eq 0 ] && [ \$(grep -Ec '^(passwd|group|shadow):.*files delegate' /etc/nsswitch.conf) -eq 3 ] \
               && [ \$(grep -o delegate /etc/nsswitch.conf | wc -l) -eq 3 ]"

    # ---- purge: everything back as it was -------------------------------
    out=$(dpkg --purge $PKGS 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "dpkg --purge the four packages"
    else nok "dpkg --purge the four packages" "$out"; fi
    check "purge of delegate-exchange removes /var/lib/delegate-exchange and the binary" \
        sh -c '[ ! -e /var/lib/delegate-exchange ] && [ ! -e /usr/sbin/delegate-exchange ]'
    check "no package left in dpkg's database (not even config-files)" \
        sh -c 'for p in "$@"; do s=$(dpkg-query -W -f="\${Status}" "$p" 2>/dev/null) || continue
                   case $s in *not-installed) ;; *) exit 1 ;; esac; done' sh $PKGS
    check "modules and CLI are gone" \
        sh -c "[ ! -e /lib/$ma/security/pam_delegate.so ] && [ ! -e /lib/$ma/libnss_delegate.so.2 ] \
               && [ ! -e /usr/sbin/delegatectl ] && [ ! -e /usr/share/pam-configs/delegate ]"
    check "no PAM file names pam_delegate" sh -c '! grep -rq pam_delegate /etc/pam.d'
    after=$(snapshot_auth_files)
    printf '%s\n' "$after" >"$work/inside-after.sha"
    if [ "$before" = "$after" ]; then ok "/etc/pam.d/* and /etc/nsswitch.conf byte for byte as before"
    else nok "/etc/pam.d/* and /etc/nsswitch.conf byte for byte as before" "$(diff <(echo "$before") <(echo "$after"))"; fi
    check "purge keeps the admin's /etc/delegate/delegate.conf" test -f /etc/delegate/delegate.conf
    check "purge disables delegate-watch.service" \
        test ! -e /etc/systemd/system/multi-user.target.wants/delegate-watch.service
    check "purge drops runtime state (/run/delegate, .once, the feed state)" \
        sh -c '[ ! -e /run/delegate ] && [ ! -e /var/lib/delegate/.once ] &&
               [ ! -e /var/lib/delegate/feeds ] && [ ! -e /var/lib/delegate/.feed-revocations ]'
    touch "$work/inside-done"
}

if [ "${1:-}" = "--inside" ]; then
    inside "$2" "$3"
    echo "$N" >"$2/count"    # so the outer part numbers on, even after an early stop
    exit 0
fi

# ---------------------------------------------------------------------------
# Outside: build, lint, compare with make install, then run inside.
# ---------------------------------------------------------------------------
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "not ok 1 - must run as root"; exit 1; fi
# a missing tool is a failure, never a silently skipped check
for tool in dpkg-buildpackage dh dh_installnss lintian pamtester unshare systemd-tmpfiles logrotate; do
    if ! command -v "$tool" >/dev/null; then
        echo "not ok 1 - $tool is missing (make deps installs it)"; exit 1
    fi
done

WORK=$(mktemp -d /tmp/dlg-pkg.XXXXXX) || exit 2
chmod 0755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src" "$WORK/debs" "$WORK/keys" "$WORK/ov" "$WORK/mi"

# The source tree as git sees it (tracked and new files, without build dirs
# and other ignored output), so the repository itself is never written.
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z -co --exclude-standard | \
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done | \
        tar --null -T - -cf -) | tar -C "$WORK/src" -xf -
else
    tar -C "$ROOT" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$WORK/src" -xf -
fi
check "source tree copied without build output" \
    sh -c "[ -f '$WORK/src/debian/control' ] && ! ls -d '$WORK'/src/build* >/dev/null 2>&1"

if (cd "$WORK/src" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b"
else
    nok "dpkg-buildpackage -us -uc -b" "$(tail -n 30 "$WORK/build.log")"
    exit 1
fi
for p in $PKGS; do
    if ls "$WORK"/${p}_*.deb >/dev/null 2>&1; then
        mv "$WORK"/${p}_*.deb "$WORK/debs/"; ok "built $p"
    else nok "built $p"; fi
done
# A newer version of the same packages, to exercise dpkg's upgrade path.
UPVER=0.1.0+pkgtest1
mkdir -p "$WORK/debs-up" "$WORK/repack"
for deb in "$WORK"/debs/*.deb; do
    x="$WORK/repack/$(basename "$deb" .deb)"
    if dpkg-deb -R "$deb" "$x" &&
       sed -i "s/^Version: .*/Version: $UPVER/" "$x/DEBIAN/control" &&
       dpkg-deb --root-owner-group -b "$x" "$WORK/debs-up/" >/dev/null; then
        ok "repacked $(basename "$deb") as $UPVER"
    else nok "repacked $(basename "$deb") as $UPVER"; fi
done
check "the package build did not run the test suite" \
    sh -c "! grep -q 'tests/run.sh' '$WORK/build.log'"

lint=$(lintian --fail-on error "$WORK"/debs/*.deb 2>&1); rc=$?
lint=$(printf '%s\n' "$lint" | grep -v -e '^$' -e 'running with root privileges')
[ -n "$lint" ] && printf '%s\n' "$lint" | diag
if [ $rc -eq 0 ]; then ok "lintian: no errors"; else nok "lintian: no errors" "$lint"; fi

# `make install PREFIX=/usr DESTDIR=...` lays out the same files as the packages
# (the debs add only their copyright, changelog and compressed man pages).
if make -C "$WORK/src" -s B=build-deb PREFIX=/usr DESTDIR="$WORK/mi" install >"$WORK/mi.log" 2>&1; then
    (cd "$WORK/mi" && find . \( -type f -o -type l \) -printf '%M %p\n' | sort) >"$WORK/mi.list"
    for deb in "$WORK"/debs/*.deb; do dpkg-deb -c "$deb"; done | awk '$1 !~ /^d/ {print $1, $6}' | \
        grep -Ev ' \./usr/share/(doc/[^/]+/(copyright|changelog\.gz)|lintian/overrides/.*)$' | \
        sed -E 's|^(.* \./usr/share/man/.*)\.gz$|\1|' | sort >"$WORK/deb.list"
    if diff -u "$WORK/mi.list" "$WORK/deb.list" >"$WORK/layout.diff"; then
        ok "make install DESTDIR and the packages install the same files, same modes"
    else nok "make install DESTDIR and the packages install the same files, same modes" "$(cat "$WORK/layout.diff")"; fi
    check "make install creates /etc/delegate" test -d "$WORK/mi/etc/delegate"
else
    nok "make install DESTDIR" "$(tail -n 20 "$WORK/mi.log")"
fi

host_before=$(snapshot_auth_files)
host_dpkg_before=$(dpkg -l 2>/dev/null | grep -E '^.. +(libpam-delegate|libnss-delegate|delegate-tools) ')

# pamtester opens a contained session: the inside part runs in a cgroup and
# a cgroup namespace of its own (tests/lib/cgroup-ns.sh), removed afterwards
. "$ROOT/tests/lib/cgroup-ns.sh"
CG=$(dlgcg_create) || { nok "a cgroup2 group for the test"; exit 1; }
trap 'dlgcg_destroy "$CG"; rm -rf "$WORK"' EXIT
UPVER=$UPVER bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$CG" \
    unshare --cgroup --mount --propagation private -- bash "$0" --inside "$WORK" "$N"
[ -f "$WORK/count" ] && N=$(cat "$WORK/count")
check "the test's cgroup removed with every child group" dlgcg_destroy "$CG"
check "the namespace part ran to its end" test -f "$WORK/inside-done"

host_after=$(snapshot_auth_files)
if [ "$host_before" = "$host_after" ]; then ok "host /etc/pam.d/* and /etc/nsswitch.conf untouched"
else nok "host /etc/pam.d/* and /etc/nsswitch.conf untouched" "$(diff <(echo "$host_before") <(echo "$host_after"))"; fi
check "host dpkg database: the delegate packages as before (none on a clean host)" \
    test "$host_dpkg_before" = "$(dpkg -l 2>/dev/null | grep -E '^.. +(libpam-delegate|libnss-delegate|delegate-tools) ')"
check "host overlays gone with the namespace" sh -c "! grep -q dlg-pkg- /proc/self/mounts"

#!/bin/sh
# Installs the Debian packages needed to build and test, when missing.
set -e
PKGS="gcc make pkg-config libpam0g-dev libconfig-dev libssl-dev libjansson-dev libcurl4-openssl-dev \
 libcmocka-dev libpamtest0-dev libpam-wrapper libnss-wrapper \
 openssh-server openssh-client sudo sshpass openssl util-linux procps iproute2 \
 valgrind clang libclang-rt-14-dev cppcheck clang-tidy lcov hyperfine \
 debhelper dh-nss dpkg-dev fakeroot lintian pamtester logrotate \
 python3 python3-cryptography groff-base binutils libpam-modules libpam-runtime gdb"
# e2e test_routes: the PAM service files of cron, atd and systemd-user, and
# a second NSS source (extrausers) for the unusable-config case
PKGS="$PKGS cron at systemd libnss-extrausers"
# cli test_compile_fresh: a FUSE mount whose ctime is its mtime (vfat's
# behaviour), for the compiled snapshot's file system allowlist
PKGS="$PKGS bindfs fuse3"
# delegate-exchange: its HTTP server and JWKS client, and the exchange tier's
# nginx (JWKS over HTTPS), curl, jq and the recipes' YAML
PKGS="$PKGS libmicrohttpd-dev libcurl4-openssl-dev nginx curl jq python3-yaml adduser"
# sd-bus (libsystemd) for containment on systemd hosts; the systemd tier:
# mmdebstrap builds a Debian 12 root file system, systemd-nspawn boots it
# (installed without recommends: libnss-mymachines would edit nsswitch.conf)
PKGS="$PKGS libsystemd-dev mmdebstrap systemd-container"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then echo "deps: need root to install$missing" >&2; exit 2; fi
export DEBIAN_FRONTEND=noninteractive
# Installing nginx must not start the system's nginx service (invoke-rc.d
# honours policy-rc.d; exit 101: "action forbidden").  Only when there is no
# policy of the machine's own, and only for this install.
policy_rc=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    policy_rc=/usr/sbin/policy-rc.d
    trap 'rm -f "$policy_rc"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing

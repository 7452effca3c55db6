# The systemd test bed (issue 17): a Debian 12 root file system made with
# mmdebstrap (cached, keyed by its package list), the project's own .debs
# built with dpkg-buildpackage and installed in it, booted with
# systemd-nspawn so that systemd 252 is PID 1 with logind, D-Bus and
# ssh.service.  Shared by the `systemd` tier (tests/systemd/test_*.sh),
# `make demo` (tests/e2e/demo.sh) and the sd_* benchmarks.
#
# Host hygiene: everything runs in a private mount namespace (the container's
# root is an overlay on the cached tree; nspawn's /run/systemd/nspawn is a
# tmpfs there) and in a cgroup of the test's own (tests/lib/cgroup-ns.sh):
# nspawn's payload and supervisor groups are made below it and removed with
# it.  systemd is never booted outside the container.
#
#     . tests/systemd/lib.sh
#     sd_enter "$@"          # re-runs the script in its namespace and cgroup
#     sd_boot                # rootfs + debs + overlay + boot, waits for it
#     sd_run CMD...          # a command inside (nsenter; host cgroup)
#     sd_unit CMD...         # a command inside, in a unit of the container
#     sd_poweroff            # clean shutdown, by the nspawn PID
set -u

SD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SD_ROOT=$(cd "$SD_LIB_DIR/../.." && pwd)
. "$SD_ROOT/tests/lib/cgroup-ns.sh"

SD_SUITE=bookworm
SD_MIRROR=${SD_MIRROR:-http://deb.debian.org/debian}
# Everything the container needs, the runtime Depends of our .debs included:
# it has no network (--private-network).
SD_PACKAGES="systemd systemd-sysv dbus libpam-systemd openssh-server openssh-client sudo
 libconfig9 libjansson4 libssl3 libcurl4 libsystemd0 procps iproute2 psmisc"
SD_CACHE=${DLG_SYSTEMD_CACHE:-/var/cache/dlg-systemd-tier}
SD_MACHINE=dlgsd$$
SD_HOST=sdhost

SD_N=0
SD_FAILED=0
ok()     { SD_N=$((SD_N + 1)); echo "ok $SD_N - $*"; sd_count; }
not_ok() { SD_N=$((SD_N + 1)); SD_FAILED=1; echo "not ok $SD_N - $*"; sd_count; }
diag()   { printf '%s\n' "$@" | sed 's/^/# /'; }
check()  { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
is() { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; diag "got:  '$1'" "want: '$2'"; fi; }
sd_count() { [ -d "${SD_TMP:-/nonexistent}" ] && echo "$SD_N" >"$SD_TMP/tap_count"; return 0; }
sd_die() { not_ok "$*"; exit 1; }
# wait_for SECONDS CMD...: poll CMD every 0.2 s
wait_for() {
    local n=$(($1 * 5)); shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.2
        n=$((n - 1))
    done
    return 1
}

# ---- the cached root file system ---------------------------------------------

sd_rootfs_key() {
    printf '%s\n' "$SD_SUITE" "$SD_MIRROR" $SD_PACKAGES "variant=apt" | sha256sum | cut -c1-16
}

# sd_rootfs: prints the path of the cached tree, building it when missing.
sd_rootfs() {
    local key dir tmp
    key=$(sd_rootfs_key)
    dir=$SD_CACHE/rootfs-$key
    mkdir -p "$SD_CACHE" || return 1
    (
        flock 9
        [ -f "$dir/.complete" ] && exit 0
        command -v mmdebstrap >/dev/null || { echo "mmdebstrap is missing (make deps)" >&2; exit 1; }
        rm -rf "$dir" "$dir.tmp"
        echo "# building the Debian 12 root file system (cached in $dir)" >&2
        mmdebstrap --variant=apt --include="$(echo $SD_PACKAGES | tr ' ' ,)" \
            "$SD_SUITE" "$dir.tmp" "$SD_MIRROR" >"$SD_CACHE/mmdebstrap.log" 2>&1 ||
            { tail -n 20 "$SD_CACHE/mmdebstrap.log" >&2; rm -rf "$dir.tmp"; exit 1; }
        # systemd makes a transient machine id on an empty file
        : >"$dir.tmp/etc/machine-id"
        rm -f "$dir.tmp/var/lib/dbus/machine-id"
        echo "$SD_HOST" >"$dir.tmp/etc/hostname"
        # ssh host keys are made per boot below (a cached key is not a secret
        # worth keeping, but every container should have its own)
        rm -f "$dir.tmp"/etc/ssh/ssh_host_*
        touch "$dir.tmp/.complete"
        mv "$dir.tmp" "$dir"
        # older trees of another package list
        find "$SD_CACHE" -maxdepth 1 -name 'rootfs-*' ! -name "rootfs-$key" -exec rm -rf {} +
    ) 9>"$SD_CACHE/lock" || return 1
    echo "$dir"
}

# ---- our .debs -----------------------------------------------------------------

# sd_debs: prints a directory holding the three .debs, built with
# dpkg-buildpackage from the source tree as git sees it; cached by the hash of
# the files that go into the packages.
sd_debs() {
    local key dir
    # keyed by what goes into the packages (a change of a test does not rebuild)
    key=$( (cd "$SD_ROOT" && git ls-files -z -co --exclude-standard -- Makefile common pam_delegate \
                nss_delegate delegatectl conf man debian |
            while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
            xargs -0 sha256sum) | sha256sum | cut -c1-16)
    dir=$SD_CACHE/debs-$key
    (
        flock 9
        [ -f "$dir/.complete" ] && exit 0
        rm -rf "$dir" "$dir.tmp"
        mkdir -p "$dir.tmp/src"
        (cd "$SD_ROOT" && git ls-files -z -co --exclude-standard |
            while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
            tar --null -T - -cf -) | tar -C "$dir.tmp/src" -xf -
        echo "# building the .debs (dpkg-buildpackage -us -uc -b)" >&2
        (cd "$dir.tmp/src" && dpkg-buildpackage -us -uc -b) >"$dir.tmp/build.log" 2>&1 ||
            { tail -n 30 "$dir.tmp/build.log" >&2; exit 1; }
        mv "$dir.tmp"/*.deb "$dir.tmp/build.log" "$dir.tmp/" 2>/dev/null
        rm -rf "$dir.tmp/src" "$dir.tmp"/*.buildinfo "$dir.tmp"/*.changes "$dir.tmp"/*.ddeb
        touch "$dir.tmp/.complete"
        mv "$dir.tmp" "$dir"
        find "$SD_CACHE" -maxdepth 1 -name 'debs-*' ! -name "debs-$key" -exec rm -rf {} +
    ) 9>"$SD_CACHE/lock.debs" || return 1
    echo "$dir"
}

# ---- namespace and cgroup of the test ----------------------------------------------

sd_require() {
    local t
    if [ "$(id -u)" -ne 0 ]; then echo "not ok 1 - the systemd tier needs root"; exit 1; fi
    for t in systemd-nspawn mmdebstrap dpkg-buildpackage nsenter unshare flock; do
        command -v "$t" >/dev/null || { echo "not ok 1 - $t is missing (make deps)"; exit 1; }
    done
}

# sd_enter "$@": on the host, run this script again in a private mount
# namespace, inside a cgroup of its own; afterwards remove the cgroup and check
# that nothing of the container is left.  Inside, return at once.
sd_enter() {
    local rc script n
    if [ "${DLG_SD_INSIDE:-}" = 1 ]; then
        trap sd_cleanup EXIT
        return 0
    fi
    sd_require
    # the mount point of nspawn's private tmpfs (sd_prepare) is made on the
    # host's /run when missing: taken away again afterwards
    local made_run=()
    for d in /run/systemd /run/systemd/nspawn; do [ -e "$d" ] || made_run=("$d" "${made_run[@]}"); done
    script=$(readlink -f "$0")
    SD_TMP=$(mktemp -d /tmp/dlg-sd.XXXXXX) || exit 2
    chmod 0755 "$SD_TMP"
    SD_CG=$(dlgcg_create) || { echo "not ok 1 - a cgroup2 group for the test"; exit 1; }
    trap 'dlgcg_destroy "$SD_CG"; rm -rf "$SD_TMP"' EXIT
    DLG_SD_INSIDE=1 SD_TMP=$SD_TMP SD_CG=$SD_CG bash -c \
        'echo $$ >"$1/cgroup.procs" && shift && exec unshare --mount --propagation private -- bash "$@"' \
        _ "$SD_CG" "$script" "$@"
    rc=$?
    n=$(cat "$SD_TMP/tap_count" 2>/dev/null || echo 0)
    SD_N=$n
    if dlgcg_destroy "$SD_CG"; then ok "the test's cgroup (nspawn's payload and supervisor) removed, with its copy in a named v1 hierarchy (hybrid hosts)"
    else not_ok "the test's cgroup (nspawn's payload and supervisor) removed, with its copy in a named v1 hierarchy (hybrid hosts)"; rc=1; fi
    if pgrep -f "systemd-nspawn .*-M $SD_MACHINE" >/dev/null; then
        not_ok "no systemd-nspawn of this test left"; rc=1
    else ok "no systemd-nspawn of this test left"; fi
    rm -rf "$SD_TMP"
    for d in "${made_run[@]}"; do rmdir "$d" 2>/dev/null; done
    if [ "${#made_run[@]}" -gt 0 ] && [ -e "${made_run[-1]}" ]; then
        not_ok "the host's /run as before (${made_run[-1]} left)"; rc=1
    else ok "the host's /run as before (no mount point of the test left)"; fi
    if declare -F sd_after_host >/dev/null; then sd_after_host "$rc" || rc=1; fi
    [ -n "${SD_NO_PLAN:-}" ] || echo "1..$SD_N"
    exit "$rc"
}

sd_cleanup() {
    local rc=$?
    trap - EXIT
    set +e
    if [ "$SD_FAILED" -ne 0 ] && [ -n "${SD_LEADER:-}" ]; then
        echo "# ---- journal of the container (tail)"
        sd_run journalctl -q --no-pager -n 60 2>&1 | sed 's/^/# /'
    fi
    sd_poweroff
    [ "$SD_N" -eq 0 ] && echo "not ok 1 - test ran no case" && rc=1
    [ "$SD_FAILED" -ne 0 ] && rc=1
    exit "$rc"
}

# ---- the container ------------------------------------------------------------

# sd_prepare: the overlay root (lower: the cached tree) with the .debs copied
# in; sets SD_DIR, SD_DEBS.
sd_prepare() {
    local rootfs debs
    rootfs=$(sd_rootfs) || sd_die "the Debian 12 root file system (mmdebstrap)"
    debs=$(sd_debs) || sd_die "the .debs (dpkg-buildpackage)"
    mount -t tmpfs -o mode=0755,size=1g dlg-sd "$SD_TMP" 2>/dev/null ||
        mount -t tmpfs -o mode=0755,size=1g dlg-sd "$SD_TMP" || sd_die "tmpfs for the test"
    mkdir -p "$SD_TMP/upper" "$SD_TMP/work" "$SD_TMP/root" "$SD_TMP/nspawn"
    mount -t overlay dlg-sd-root \
        -o "lowerdir=$rootfs,upperdir=$SD_TMP/upper,workdir=$SD_TMP/work" "$SD_TMP/root" ||
        sd_die "overlay root for the container"
    # nspawn keeps its runtime state here: private to this namespace
    mkdir -p /run/systemd/nspawn
    mount -t tmpfs -o mode=0755 dlg-sd-nspawn /run/systemd/nspawn || sd_die "tmpfs on /run/systemd/nspawn"
    SD_DIR=$SD_TMP/root
    SD_DEBS=/root/debs
    mkdir -p "$SD_DIR$SD_DEBS"
    cp "$debs"/libpam-delegate_*.deb "$debs"/libnss-delegate_*.deb "$debs"/delegate-tools_*.deb "$SD_DIR$SD_DEBS/"
    ls "$SD_DIR$SD_DEBS"/libpam-delegate_*.deb >/dev/null 2>&1 || sd_die "the .debs copied in"
    # host keys of this container (ssh.service starts at boot)
    ssh-keygen -q -A -f "$SD_DIR" || sd_die "ssh host keys for the container"
}

# sd_start: boots the container; sets SD_NSPAWN (the nspawn pid) and
# SD_LEADER (the container's PID 1, its child).
sd_start() {
    local i
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -q -D "$SD_DIR" -b --register=no \
        --keep-unit --private-network -M "$SD_MACHINE" </dev/null >>"$SD_TMP/console.log" 2>&1 &
    SD_NSPAWN=$!
    export SD_LEADER=
    # up: multi-user reached (running, or degraded with a failed unit).  The
    # container's PID 1 is nspawn's child named systemd (nspawn may have other
    # short-lived children while it sets up).
    sd_booted() {
        local s
        kill -0 "$SD_NSPAWN" 2>/dev/null || return 2
        SD_LEADER=$(pgrep -P "$SD_NSPAWN" -x systemd | head -n 1)
        [ -n "$SD_LEADER" ] || return 1
        s=$(sd_run systemctl is-system-running 2>/dev/null)
        [ "$s" = running ] || [ "$s" = degraded ]
    }
    wait_for 120 sd_booted || { tail -n 20 "$SD_TMP/console.log" | diag; return 1; }
}

sd_poweroff() {
    local i
    [ -n "${SD_NSPAWN:-}" ] || return 0
    kill -TERM "$SD_NSPAWN" 2>/dev/null
    for i in $(seq 1 300); do
        kill -0 "$SD_NSPAWN" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$SD_NSPAWN" 2>/dev/null && kill -KILL "$SD_NSPAWN" 2>/dev/null
    wait "$SD_NSPAWN" 2>/dev/null
    SD_NSPAWN= SD_LEADER=
}

# sd_reboot: `systemctl reboot` inside; nspawn boots it again (exit 133 is
# nspawn's "reboot" code only with --keep-unit off, so restart it ourselves).
sd_reboot() {
    sd_run systemctl reboot >/dev/null 2>&1
    local i
    for i in $(seq 1 300); do
        kill -0 "$SD_NSPAWN" 2>/dev/null || break
        sleep 0.1
    done
    wait "$SD_NSPAWN" 2>/dev/null
    SD_NSPAWN= SD_LEADER=
    sd_start
}

# sd_run CMD...: a command inside the container (its namespaces, the host's
# cgroup), with a clean environment.
sd_run() {
    nsenter -t "$SD_LEADER" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 HOME=/root TERM=dumb "$@"
}

# sd_sh SCRIPT: a shell script inside
sd_sh() { sd_run /bin/sh -c "$1"; }

# sd_unit CMD...: a command inside the container's own cgroup tree (a
# transient service of its systemd), output piped back.
sd_unit() {
    sd_run systemd-run --quiet --wait --pipe --collect "$@"
}

sd_boot() {
    sd_prepare
    sd_start || sd_die "systemd 252 boots in the container (multi-user)"
}

# sd_setup_host: the README install, quietly (the tier's test does it step by
# step with a check each): the three .debs, an issuer key in /root/issuer,
# the example config edited for this host, pam-auth-update, the sshd drop-in
# and sudoers.  SD_SESSIONS: the sessions = {...} line to use.
sd_setup_host() {
    local sessions=${SD_SESSIONS:-"sessions = { grace = 5; };"}
    sd_sh 'dpkg -i /root/debs/libpam-delegate_*.deb /root/debs/libnss-delegate_*.deb /root/debs/delegate-tools_*.deb' >/dev/null 2>&1 || return 1
    sd_sh "install -d -m 0700 /root/issuer && cd /root/issuer && delegatectl keygen --out corp-2026-11 >/dev/null &&
      install -d -m 0755 /etc/delegate/keys && install -m 0644 /root/issuer/corp-2026-11.pub /etc/delegate/keys/ &&
      install -m 0644 /usr/share/doc/delegate-tools/examples/delegate.conf /etc/delegate/delegate.conf &&
      install -m 0644 /usr/share/doc/delegate-tools/examples/revoked.conf /etc/delegate/revoked.conf &&
      sed -i -e 's/name = \"web01\";/name = \"$SD_HOST\";/' -e 's/web01.example.com/$SD_HOST.example.test/' \
        -e '/id = \"alice\"; algorithms/,+1d' -e 's|corp-2026-11.pub\"; } ); },|corp-2026-11.pub\"; } ); }|' \
        -e 's/^sessions = .*/$sessions/' /etc/delegate/delegate.conf &&
      sed -i 's/^  tickets = (.*/  tickets = ();/; s/^  issued_before = .*//' /etc/delegate/revoked.conf &&
      delegatectl check-config >/dev/null && delegatectl compile && pam-auth-update --enable delegate &&
      install -m 0644 /usr/share/doc/delegate-tools/examples/sshd_config.d/delegate.conf /etc/ssh/sshd_config.d/ &&
      install -m 0440 /usr/share/doc/delegate-tools/examples/sudoers.d/delegate /etc/sudoers.d/delegate &&
      useradd -m -s /bin/bash alice && useradd -m -s /bin/bash bob &&
      printf '%s\n' 'support-bot ALL=(alice,bob) ALL' >/etc/sudoers.d/actors && chmod 0440 /etc/sudoers.d/actors &&
      systemctl reload ssh" >/dev/null 2>&1
}

# cgroup isolation for tests that open contained sessions (issue 10).
#
# The host side makes a group of its own under the host's cgroup2 root,
#   $CGM/dlgtest-<pid>
# and runs the test in it inside a new cgroup namespace (unshare --cgroup):
# the test then mounts a fresh cgroup2 on /sys/fs/cgroup in its private
# mount namespace, so the product sees a pure cgroup v2 tree rooted at the
# test's group, and /proc/PID/cgroup paths are relative to it.  Afterwards
# the group is emptied (cgroup.kill: only processes the test started are in
# it) and removed with every child group.

# The host's cgroup2 mount point (pure v2 or hybrid).
dlgcg_host_mount() {
    local m
    for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
        [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ] && { echo "$m"; return 0; }
    done
    return 1
}

# dlgcg_create: prints the path of a new, empty test group.
dlgcg_create() {
    local m g
    m=$(dlgcg_host_mount) || return 1
    g=$m/dlgtest-$$-$RANDOM
    mkdir "$g" || return 1
    echo "$g"
}

# dlgcg_destroy GROUP: kill what is left in it, remove it and its children.
dlgcg_destroy() {
    local g=$1 i
    [ -n "$g" ] && [ -d "$g" ] || return 0
    case $g in */dlgtest-*) ;; *) return 1 ;; esac
    if [ -e "$g/cgroup.kill" ]; then
        echo 1 >"$g/cgroup.kill" 2>/dev/null
    fi
    for i in $(seq 1 100); do
        grep -q '^populated 0' "$g/cgroup.events" 2>/dev/null && break
        sleep 0.1
    done
    find "$g" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ ! -d "$g" ] || return 1
    dlgcg_destroy_v1_mirrors "${g##*/}"
}

# dlgcg_destroy_v1_mirrors NAME: on a hybrid host, systemd-nspawn makes
# the same group (with payload/ and supervisor/) in the named v1 hierarchy
# (name=systemd) too; remove that copy, which holds no process once the
# container is gone.
dlgcg_destroy_v1_mirrors() {
    local name=$1 m ok=0
    case $name in dlgtest-*) ;; *) return 1 ;; esac
    while read -r _ m _; do
        [ -d "$m/$name" ] || continue
        find "$m/$name" -depth -type d -exec rmdir {} \; 2>/dev/null
        [ -d "$m/$name" ] && ok=1
    done < <(awk '$3 == "cgroup" {print $1, $2, $3}' /proc/self/mounts)
    return "$ok"
}

# Inside the namespaces: a fresh cgroup2 on /sys/fs/cgroup.
dlgcg_mount_inside() {
    mount -t cgroup2 dlg-test-cgroup2 /sys/fs/cgroup || return 1
    [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] &&
        grep -qx '0::/' /proc/self/cgroup
}

#!/bin/bash
# One simulated host of the feed tier (tests/feed/lib.sh, feed_host_start),
# run in a mount and cgroup namespace of its own, a child of the test's:
#   host.sh HOSTDIR DELEGATECTL
# Its /etc/delegate, /var/lib/delegate, /run/delegate and /var/log/delegate
# are HOSTDIR's; a fresh cgroup2 on /sys/fs/cgroup shows its own group as
# the root.  It starts `delegatectl watch`, opens a sudo session of the
# actor support-bot (the ticket in HOSTDIR/ticket) that runs sleep, and
# writes into HOSTDIR:
#   watch.pid, sudo.pid   the processes (the test enters this host through
#                         watch's namespaces with nsenter)
#   ready                 the session is recorded (or failed, with why)
#   ended                 the wall-clock time (s.ns) the session ended at
# (The session is opened once watch has a fresh feed: before, actors are
# refused feed_stale.)  It stops when HOSTDIR/stop appears: watch by its PID, the session (if
# still there) by the group's cgroup.kill.
set -u
h=$1 ctl=$2
fail() { echo "$*" >"$h/failed"; exit 1; }

mkdir -p /etc/delegate /var/lib/delegate /run/delegate /var/log/delegate
mount --bind "$h/etc" /etc/delegate || fail "bind /etc/delegate"
mount --bind "$h/varlib" /var/lib/delegate || fail "bind /var/lib/delegate"
mount --bind "$h/run" /run/delegate || fail "bind /run/delegate"
mount --bind "$h/log" /var/log/delegate || fail "bind /var/log/delegate"
# the test's own cgroup2 is mounted there: the same superblock cannot be
# mounted again on top of it (EBUSY), so take it away first
umount -l /sys/fs/cgroup || fail "umount the test's cgroup2"
mount -t cgroup2 dlg-feedhost /sys/fs/cgroup || fail "cgroup2"
grep -qx '0::/' /proc/self/cgroup || fail "cgroup namespace"

"$ctl" watch >"$h/watch.log" 2>&1 &
echo $! >"$h/watch.pid"
# actors are refused until a fresh feed is on the host: wait for watch's
# first round
for _ in $(seq 1 600); do
    "$ctl" feed status >/dev/null 2>&1 && break
    sleep 0.1
done
"$ctl" feed status >/dev/null 2>&1 || fail "no fresh feed: $(tail -n 3 "$h/watch.log")"

# a live session: sudo as the actor, sleep as alice
( exec runuser -u support-bot -- sudo -S -u alice sleep 3600 <"$h/ticket" \
      >"$h/sudo.out" 2>"$h/sudo.err" ) &
sudo_pid=$!
echo "$sudo_pid" >"$h/sudo.pid"
for _ in $(seq 1 600); do
    ls /run/delegate/sessions/*.json >/dev/null 2>&1 && break
    kill -0 "$sudo_pid" 2>/dev/null || break
    sleep 0.1
done
if ls /run/delegate/sessions/*.json >/dev/null 2>&1; then
    touch "$h/ready"
else
    fail "no session recorded: $(tail -n 3 "$h/sudo.err" 2>/dev/null)"
fi
# told to stop (HOSTDIR/stop): kill what is left of the session
( while [ ! -e "$h/stop" ]; do sleep 0.5; done
  for g in /sys/fs/cgroup/delegate/*/; do
      [ -d "$g" ] && echo 1 >"$g/cgroup.kill" 2>/dev/null
  done ) &
stopper=$!
wait "$sudo_pid"
date +%s.%N >"$h/ended.tmp" && mv "$h/ended.tmp" "$h/ended"
wait "$stopper"
kill "$(cat "$h/watch.pid")" 2>/dev/null
wait
exit 0

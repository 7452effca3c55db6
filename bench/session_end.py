#!/usr/bin/python3
"""Session-end benchmarks for `make bench` (run by bench/ns.sh inside the
test namespace, with a cgroup2 of its own on /sys/fs/cgroup):

1. the delay from exp to an empty group, over N concurrent synthetic
   sessions (a cgroup under /delegate/ holding a sleeping process, and a
   session record naming it) that all expire at the same second, with
   `delegatectl watch` running;
2. watch's CPU time (user + system) while idle for IDLE seconds, with N
   sessions open that expire much later.

Prints "KEY MEDIAN MIN MAX" lines (ms) on stdout.
usage: session_end.py CTL CONF N IDLE_SECONDS SERVICE
"""
import json, os, subprocess, sys, time

CTL, CONF, N, IDLE = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
SVC = sys.argv[5]
CG = "/sys/fs/cgroup"
SESS = "/run/delegate/sessions"
TICK = os.sysconf("SC_CLK_TCK")


def start_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def make_sessions(tag, exp):
    os.makedirs(SESS, mode=0o700, exist_ok=True)
    os.makedirs(CG + "/delegate", exist_ok=True)
    out = []
    now = int(time.time())
    for i in range(N):
        p = subprocess.Popen(["sleep", "3600"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        ticks = start_ticks(p.pid)
        group = "/delegate/bench-%d-%d" % (p.pid, ticks)
        os.mkdir(CG + group)
        with open(CG + group + "/cgroup.procs", "w") as f:
            f.write("%d\n" % p.pid)
        rec = {"jti": "bench-%s-%d" % (tag, i), "actor": "ci-deploy", "principal": "alice",
               "service": SVC, "user": "ci-deploy", "tty": None, "rhost": None,
               "iss": "corp", "kid": "k1", "pid": p.pid, "start": now, "expires": exp,
               "cgroup": group, "start_ticks": ticks, "key": None, "iat": now}
        path = "%s/%s-%d.json" % (SESS, SVC, p.pid)
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (json.dumps(rec) + "\n").encode())
        os.close(fd)
        os.rename(path + ".tmp", path)
        out.append((p, group))
    return out


def populated(group):
    try:
        with open(CG + group + "/cgroup.events") as f:
            return "populated 1" in f.read()
    except FileNotFoundError:
        return False


def stats(v):
    v = sorted(v)
    n = len(v)
    m = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return "%.1f %.1f %.1f" % (m, v[0], v[-1])


def cleanup(sessions):
    for p, group in sessions:
        try:
            p.kill()
        except ProcessLookupError:
            pass
        p.wait()
    for p, group in sessions:
        try:
            os.rmdir(CG + group)
        except FileNotFoundError:
            pass
    for p, group in sessions:
        try:
            os.unlink("%s/%s-%d.json" % (SESS, SVC, p.pid))
        except FileNotFoundError:
            pass


watch = subprocess.Popen([CTL, "watch", "--config", CONF], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=open("/tmp/dlg-bench-watch.log", "w"))
try:
    # 1. exp -> empty group, N sessions expiring together
    exp = int(time.time()) + 4
    sess = make_sessions("exp", exp)
    empty_at = {}
    deadline = exp + 30
    while len(empty_at) < N and time.time() < deadline:
        for p, group in sess:
            if group not in empty_at and not populated(group):
                empty_at[group] = time.time()
        time.sleep(0.005)
    delays = [(empty_at[g] - exp) * 1000 for p, g in sess if g in empty_at]
    if len(delays) != N:
        print("session_end.missing %d %d %d" % (N - len(delays), N - len(delays), N - len(delays)))
    print("session_end.delay_ms %s" % stats(delays))
    for p, group in sess:
        p.wait()
    time.sleep(1)
    cleanup(sess)

    # 2. idle CPU of watch with N open sessions that expire in an hour
    sess = make_sessions("idle", int(time.time()) + 3600)
    time.sleep(1)
    def cpu_ms():
        with open("/proc/%d/stat" % watch.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000.0 / TICK
    c0 = cpu_ms()
    time.sleep(IDLE)
    c1 = cpu_ms()
    print("watch.idle_cpu_ms %.1f %.1f %.1f" % (c1 - c0, c1 - c0, c1 - c0))
    print("watch.idle_seconds %.0f %.0f %.0f" % (IDLE, IDLE, IDLE))
    cleanup(sess)
finally:
    watch.terminate()
    watch.wait()

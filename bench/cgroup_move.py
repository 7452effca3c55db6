#!/usr/bin/python3
"""The containment step alone, for `make bench` (run by bench/ns.sh inside
the test namespace, with a cgroup2 of its own on /sys/fs/cgroup): the time of
one write of a pid to a group's cgroup.procs, the move that
pam_sm_open_session makes for every admitted session.

The kernel takes cgroup_threadgroup_rwsem for writing on every such move; a
percpu rwsem's writer waits for an RCU grace period unless another writer
came shortly before.  So the cost depends on how far apart the moves are:
  spaced:       one move every SPACING_MS, as separate logins or sudo runs;
  back to back: moves with nothing in between, as in bench_pam's batches.
Both alternate one sleeping process between two groups of this script's
own, which are removed at the end.

Prints "KEY MEDIAN MIN MAX" lines (ms) on stdout.
usage: cgroup_move.py N SPACING_MS
"""
import os, subprocess, sys, time

N, SPACING = int(sys.argv[1]), float(sys.argv[2]) / 1000.0
CG = "/sys/fs/cgroup"
GROUPS = [os.path.join(CG, "bench-move-%d-%s" % (os.getpid(), s)) for s in "ab"]


def stats(v):
    v = sorted(v)
    n = len(v)
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return "%.6g %.6g %.6g" % (med, v[0], v[-1])


def moves(pid, spacing):
    out = []
    for i in range(N):
        if spacing:
            time.sleep(spacing)
        with open(os.path.join(GROUPS[i % 2], "cgroup.procs"), "w") as f:
            t0 = time.perf_counter()
            f.write("%d\n" % pid)
            f.flush()
            out.append((time.perf_counter() - t0) * 1000.0)
    return out


def main():
    for g in GROUPS:
        os.mkdir(g, 0o755)
    child = subprocess.Popen(["sleep", "600"])
    rc = 0
    try:
        moves(child.pid, 0)                       # warm-up
        print("cgmove.spaced", stats(moves(child.pid, SPACING)))
        print("cgmove.b2b", stats(moves(child.pid, 0)))
        print("cgmove.spacing_ms", "%g %g %g" % ((SPACING * 1000,) * 3))
    except OSError as e:
        print("cgroup_move: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        child.kill()
        child.wait()
        for g in GROUPS:
            for _ in range(100):                   # the killed child leaves the group
                try:
                    os.rmdir(g)
                    break
                except OSError:
                    time.sleep(0.01)
            else:
                print("cgroup_move: cannot remove %s" % g, file=sys.stderr)
                rc = 1
    return rc


sys.exit(main())

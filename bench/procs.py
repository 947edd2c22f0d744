#!/usr/bin/env python3
"""Child-process benchmark: a Pool of 2 workers over 1,000 small tasks,
untraced and under `ctrace run`, and the time from the last child's exit
to the report being written.

    python3 bench/procs.py [--ctrace build/cmd/ctrace] [--rounds 5] [--method fork|spawn]

Figures (medians over the rounds, runs interleaved):
  wall       whole command, start to exit
  pool       the pool's part alone, timed inside the program (perf_counter)
  collect    from the pool's end (all workers exited and joined, time_ns in
             the program) to the report's modification time: the root's
             shutdown, its wait for children, the merge and the write.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3.11"
WORKLOAD = os.path.join(HERE, "workloads", "pool_tasks.py")


def run(cmd, cwd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    pool = float(re.search(r"pool-seconds ([0-9.]+)", p.stdout).group(1))
    ended = int(re.search(r"pool-ended-ns (\d+)", p.stdout).group(1))
    return wall, pool, ended, p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ctrace", default=os.path.join(ROOT, "build", "cmd", "ctrace"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--method", default="fork", choices=("fork", "spawn", "forkserver"))
    a = ap.parse_args()
    rows = {"untraced": [], "ctrace": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "procs.json")
        for _ in range(a.rounds):
            w, p, _, _ = run([PY, WORKLOAD, a.method], tmp)
            rows["untraced"].append((w, p, None, None))
            w, p, ended, err = run([a.ctrace, "run", "-q", "-o", out, WORKLOAD, a.method], tmp)
            collect = (os.stat(out).st_mtime_ns - ended) / 1e9
            size = os.path.getsize(out)
            rows["ctrace"].append((w, p, collect, size))
    med = lambda xs: statistics.median(xs)
    u_wall = med(r[0] for r in rows["untraced"])
    u_pool = med(r[1] for r in rows["untraced"])
    c_wall = med(r[0] for r in rows["ctrace"])
    c_pool = med(r[1] for r in rows["ctrace"])
    collect = med(r[2] for r in rows["ctrace"])
    size = med(r[3] for r in rows["ctrace"])
    print("Pool(2) x 1000 tasks, start method %s, %d rounds (medians)" % (a.method, a.rounds))
    print("  %-10s wall %7.3f s   pool %7.3f s" % ("untraced", u_wall, u_pool))
    print("  %-10s wall %7.3f s   pool %7.3f s   (x%.2f wall, x%.2f pool)"
          % ("ctrace", c_wall, c_pool, c_wall / u_wall, c_pool / u_pool))
    print("  last child's exit -> report written: %.3f s (report %.1f MB)"
          % (collect, size / 1e6))


if __name__ == "__main__":
    main()

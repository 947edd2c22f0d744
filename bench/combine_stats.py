#!/usr/bin/env python3
"""Benchmark of ctrace combine and ctrace stats on large traces.

Generates a trace of N events (default 1,000,000, about 100 MB) in ctrace's
format: nested calls on 4 threads, names as ctrace writes them, metadata and
file_info at the end. Then measures, each as the best of --repeat runs:

  ctrace combine big.json big2.json -o out.json   (two inputs, two runs apart)
  ctrace combine --align big.json big2.json ...
  ctrace stats big.json
  ctrace stats big.json.gz  (gzip input)

Wall time, CPU time (user + system) and peak RSS come from os.wait4 (the
child's own rusage), so nothing but Python's standard library is needed.
On a shared machine the wall time includes waiting for a CPU; the CPU time
does not. Inputs are kept and reused when --dir is given.

  bench/combine_stats.py --ctrace build/cmd/ctrace [--events N] [--dir /tmp/x]
"""
import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

TARGETS = {"combine": 3.0, "stats": 2.0}


def generate(path, n, pid, origin_ns, seed):
    """Writes N events; returns the file size."""
    rnd = random.Random(seed)
    names = ["%s (/srv/app/pkg/mod_%02d.py:%d)" % (
        rnd.choice(["handle", "parse", "Model.forward", "compute", "_helper",
                    "Session.run", "render", "load", "validate", "encode"]) +
        ("_%d" % i), i % 40, 10 + 7 * i) for i in range(300)]
    names += ["builtins.len", "list.append", "dict.get", "str.join", "posix.stat"]
    tids = [pid, pid + 1, pid + 2, pid + 3]
    with open(path, "w", buffering=1 << 20) as f:
        f.write('{"traceEvents":[\n')
        f.write('{"ph":"M","pid":%d,"tid":%d,"name":"process_name","args":{"name":"bench.py"}}' % (pid, pid))
        for t in tids:
            f.write(',\n{"ph":"M","pid":%d,"tid":%d,"name":"thread_name","args":{"name":"T%d"}}' % (pid, t, t))
        written = 0
        per_thread = n // len(tids)
        out = []
        for t in tids:
            now = 1000  # ns
            # Depth-first call tree: each call emits on return, like ctrace.
            stack = []
            count = 0
            while count < per_thread:
                if stack and (len(stack) > 12 or rnd.random() < 0.45):
                    start, name = stack.pop()
                    now += rnd.randint(50, 2000)
                    out.append('{"ph":"X","pid":%d,"tid":%d,"ts":%d.%03d,"dur":%d.%03d,"name":"%s","cat":"FEE"}' % (
                        pid, t, start // 1000, start % 1000, (now - start) // 1000, (now - start) % 1000, name))
                    count += 1
                else:
                    now += rnd.randint(20, 500)
                    stack.append((now, rnd.choice(names)))
                if len(out) >= 10000:
                    f.write(",\n" + ",\n".join(out))
                    written += len(out)
                    out = []
            while stack and count < per_thread + 64:
                start, name = stack.pop()
                now += 100
                out.append('{"ph":"X","pid":%d,"tid":%d,"ts":%d.%03d,"dur":%d.%03d,"name":"%s","cat":"FEE"}' % (
                    pid, t, start // 1000, start % 1000, (now - start) // 1000, (now - start) % 1000, name))
                count += 1
        if out:
            f.write(",\n" + ",\n".join(out))
        f.write('\n],"displayTimeUnit":"ns","ctrace_metadata":')
        f.write(json.dumps({"version": "0.1.0", "python": "3.11.2", "overflow": False, "dropped_events": 0,
                            "origin_monotonic_ns": origin_ns}))
        f.write(',"file_info":')
        f.write(json.dumps({"files": {"/srv/app/pkg/mod_%02d.py" % i: ["x = 1\n" * 200, 200]
                                      for i in range(40)},
                            "functions": {n: [n.split("(")[-1].split(":")[0], 1] for n in names if "(" in n}}))
        f.write("}\n")
    return os.path.getsize(path)


def measure(cmd):
    """(wall seconds, peak RSS bytes, CPU seconds) of one run of CMD."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode()
    p.stderr.close()
    if status != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), err))
    return wall, ru.ru_maxrss * 1024, ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ctrace", required=True)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", help="work folder (default: a temporary one, removed after)")
    a = ap.parse_args()
    work = a.dir or tempfile.mkdtemp(prefix="ctrace-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        big, big2 = os.path.join(work, "big.json"), os.path.join(work, "big2.json")
        t0 = time.perf_counter()
        stamp = os.path.join(work, "events-%d" % a.events)
        if not os.path.exists(stamp):  # a kept --dir is reused
            generate(big, a.events, 4242, 10_000_000_000, 1)
            generate(big2, a.events, 4242, 10_050_000_000, 2)
            with open(big, "rb") as fi, gzip.open(big + ".gz", "wb", compresslevel=1) as fo:
                shutil.copyfileobj(fi, fo, 1 << 20)
            open(stamp, "w").close()
        size, size2 = os.path.getsize(big), os.path.getsize(big2)
        print("inputs: 2 x %d events (%.1f MB, %.1f MB; ready in %.1f s)" % (
            a.events, size / 1e6, size2 / 1e6, time.perf_counter() - t0))
        runs = [
            ("combine", "combine (2 inputs)", [a.ctrace, "combine", big, big2, "-o", os.path.join(work, "out.json")], size + size2),
            ("combine", "combine --align", [a.ctrace, "combine", "--align", big, big2, "-o", os.path.join(work, "out.json")], size + size2),
            ("combine", "combine -> .json.gz", [a.ctrace, "combine", big, big2, "-o", os.path.join(work, "out.json.gz")], size + size2),
            ("stats", "stats", [a.ctrace, "stats", big], size),
            ("stats", "stats (gzip input)", [a.ctrace, "stats", big + ".gz"], size),
        ]
        print("%-22s %9s %8s %10s %9s  %s" % ("command", "time (s)", "CPU (s)", "peak RSS", "RSS/input", "target"))
        ok = True
        for kind, label, cmd, insize in runs:
            best = min(measure(cmd) for _ in range(a.repeat))
            wall, rss, cpu = best
            target = TARGETS[kind]
            good = wall <= target and rss <= 3 * insize
            ok &= good or "gz" in label
            print("%-22s %9.2f %8.2f %7.1f MB %9.2f  <= %.0f s, <= 3x %s" % (
                label, wall, cpu, rss / 1e6, rss / insize, target, "" if good else " (MISSED)"))
        return 0 if ok else 1
    finally:
        if not a.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

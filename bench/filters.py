#!/usr/bin/env python3
"""What the filters cost: recursive fib (bench/workloads/fib.py) untraced,
traced, and traced with most calls filtered out (--exclude-files on the
workload's folder, --max-stack-depth 3, @ignore_function-like marking via
--log-sparse with nothing marked, --min-duration), interleaved over rounds.
Prints the in-process time of main() (start-up and dump excluded) and the
cost per profile event over the untraced run.

    python3 bench/filters.py [--ctrace build/cmd/ctrace] [--rounds 5]
"""
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import PY, ROOT, elapsed_of, measure, timing_of  # noqa: E402

WORKLOAD = os.path.join(ROOT, "bench", "workloads", "fib.py")
MODES = [
    ("recorded (no filter)", []),
    ("--exclude-files <workload dir>", ["--exclude-files", os.path.dirname(WORKLOAD), "--"]),
    ("--max-stack-depth 3", ["--max-stack-depth", "3"]),
    ("--log-sparse (nothing marked)", ["--log-sparse"]),
    ("--min-duration 1ms", ["--min-duration", "1ms"]),
    ("--ignore-c-function", ["--ignore-c-function"]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ctrace", default=os.path.join(ROOT, "build", "cmd", "ctrace"))
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    out = os.path.join(tempfile.mkdtemp(prefix="ctrace-filters-"), "f.json")
    base, res, events = [], {m: [] for m, _ in MODES}, {}
    for _ in range(a.rounds):
        _, _, err = measure([PY, WORKLOAD])
        base.append(elapsed_of(err))
        for label, opts in MODES:
            _, _, err = measure([a.ctrace, "run", "-q", "--report-timing", "-o", out] + opts
                                + [WORKLOAD])
            res[label].append(elapsed_of(err))
            t = timing_of(err)
            events[label] = (t["profile_events"], t["events"])
    b = statistics.median(base)
    print("medians of %d rounds; fib workload, untraced main() %.3f s" % (a.rounds, b))
    print("%-34s %10s %14s %14s %12s" % ("mode", "main() s", "events seen", "events kept",
                                         "ns / event"))
    for label, _ in MODES:
        m = statistics.median(res[label])
        seen, kept = events[label]
        print("%-34s %10.3f %14d %14d %12.1f" % (label, m, seen, kept, (m - b) / seen * 1e9))
    os.unlink(out)


if __name__ == "__main__":
    main()

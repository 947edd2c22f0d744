#!/usr/bin/env python3
"""ctrace's benchmark: each workload untraced, under `ctrace run` and under
`python3 -m cProfile` of the same interpreter, interleaved round by round,
with medians of the figures and of the ratios paired within a round.

    python3 bench/run.py [--ctrace build/cmd/ctrace] [--rounds 5] [workload...]

Public tools only: time.perf_counter, os.wait4 (peak RSS of each child).
Per-event tracing cost is measured in-process: each workload times its own
main() (bench/workloads/_bench.py), so interpreter start-up and the dump are
excluded; ctrace's count of profile events (--report-timing) divides the
difference to the untraced run, for ctrace and for cProfile alike.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3.11"
WORKLOADS = ["fib", "hanoi", "qsort", "stdlib_mix"]


def measure(cmd, env=None, cwd=None):
    """Runs CMD; returns (wall seconds, peak RSS in MB, stderr)."""
    full = dict(os.environ, CTRACE_BENCH_REPORT="1")
    full.update(env or {})
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=full,
                         cwd=cwd, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("benchmark command failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), err))
    return wall, usage.ru_maxrss / 1024.0, err


def elapsed_of(err):
    m = re.search(r"bench-elapsed ([0-9.]+)", err)
    return float(m.group(1))


def timing_of(err):
    m = re.search(r"ctrace: timing (\{.*\})", err)
    return json.loads(m.group(1))


def one_round(ctrace, name, tmp):
    script = os.path.join(HERE, "workloads", name + ".py")
    out = os.path.join(tmp, name + ".json")
    gz = os.path.join(tmp, name + ".json.gz")
    prof = os.path.join(tmp, name + ".prof")
    r = {}
    # Whole processes, in a fixed interleaved order within the round.
    w, rss, err = measure([PY, script])
    r["untraced_s"], r["untraced_rss"], r["untraced_main_s"] = w, rss, elapsed_of(err)
    w, rss, err = measure([ctrace, "run", "-q", "--report-timing", "-o", out, script])
    t = timing_of(err)
    r["ctrace_s"], r["ctrace_rss"], r["ctrace_main_s"] = w, rss, elapsed_of(err)
    r["profile_events"], r["events"], r["dump_s"] = t["profile_events"], t["events"], t["dump_ns"] / 1e9
    r["bytes"] = os.path.getsize(out)
    w, rss, err = measure([PY, "-m", "cProfile", "-o", prof, script])
    r["cprofile_s"], r["cprofile_rss"] = w, rss
    # In-process cProfile cost, and gzip output.
    _, _, err = measure([PY, script], env={"CTRACE_BENCH_CPROFILE": "1"})
    r["cprofile_main_s"] = elapsed_of(err)
    _, _, err = measure([ctrace, "run", "-q", "--report-timing", "-o", gz, script])
    r["gzip_s"] = timing_of(err)["dump_ns"] / 1e9
    r["gzip_events"] = timing_of(err)["events"]
    r["gzip_bytes"] = os.path.getsize(gz)
    for f in (out, gz, prof):
        os.unlink(f)
    ev = r["profile_events"]
    r["ctrace_ns_per_event"] = (r["ctrace_main_s"] - r["untraced_main_s"]) / ev * 1e9
    r["cprofile_ns_per_event"] = (r["cprofile_main_s"] - r["untraced_main_s"]) / ev * 1e9
    r["cost_ratio"] = r["ctrace_ns_per_event"] / r["cprofile_ns_per_event"]
    r["whole_ratio_vs_cprofile"] = r["ctrace_s"] / r["cprofile_s"]
    r["whole_ratio_vs_untraced"] = r["ctrace_s"] / r["untraced_s"]
    r["cprofile_ratio_vs_untraced"] = r["cprofile_s"] / r["untraced_s"]
    r["dump_events_per_s"] = r["events"] / r["dump_s"]
    r["gzip_events_per_s"] = r["gzip_events"] / r["gzip_s"]
    r["bytes_per_event"] = r["bytes"] / r["events"]
    r["rss_over_untraced_mb"] = r["ctrace_rss"] - r["untraced_rss"]
    return r


ROWS = [
    ("untraced, whole process", "untraced_s", "%.3f s"),
    ("ctrace run, whole process", "ctrace_s", "%.3f s"),
    ("python3 -m cProfile, whole process", "cprofile_s", "%.3f s"),
    ("ctrace / untraced (whole)", "whole_ratio_vs_untraced", "%.2fx"),
    ("cProfile / untraced (whole)", "cprofile_ratio_vs_untraced", "%.2fx"),
    ("ctrace / cProfile (whole)  [target <= 1.5]", "whole_ratio_vs_cprofile", "%.2fx"),
    ("profile events", "profile_events", "%.0f"),
    ("ctrace cost per event (dump excluded)", "ctrace_ns_per_event", "%.1f ns"),
    ("cProfile cost per event", "cprofile_ns_per_event", "%.1f ns"),
    ("ctrace / cProfile per event  [target <= 0.9]", "cost_ratio", "%.2fx"),
    ("events written", "events", "%.0f"),
    ("JSON dump  [target >= 10M/s]", "dump_events_per_s", "%.3g ev/s"),
    ("gzip dump  [target >= 2M/s]", "gzip_events_per_s", "%.3g ev/s"),
    ("bytes per event, JSON  [target <= 100]", "bytes_per_event", "%.1f B"),
    ("peak RSS untraced", "untraced_rss", "%.1f MB"),
    ("peak RSS ctrace", "ctrace_rss", "%.1f MB"),
    ("peak RSS ctrace - untraced  [target <= 50]", "rss_over_untraced_mb", "%.1f MB"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ctrace", default=os.path.join(ROOT, "build", "cmd", "ctrace"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", help="also write every round's figures to this file")
    ap.add_argument("workloads", nargs="*", default=WORKLOADS)
    a = ap.parse_args()
    ctrace = os.path.abspath(a.ctrace)
    tmp = tempfile.mkdtemp(prefix="ctrace-bench-")
    results = {w: [] for w in a.workloads}
    try:
        for rnd in range(a.rounds):
            for w in a.workloads:
                results[w].append(one_round(ctrace, w, tmp))
            print("round %d/%d done" % (rnd + 1, a.rounds), file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("medians of %d rounds (ratios paired within each round)" % a.rounds)
    head = "%-46s" % "" + "".join("%15s" % w for w in a.workloads)
    print(head)
    for label, key, fmt in ROWS:
        cells = [fmt % statistics.median(r[key] for r in results[w]) for w in a.workloads]
        print("%-46s" % label + "".join("%15s" % c for c in cells))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

"""Shared by the workloads: time main() in-process.

CTRACE_BENCH_CPROFILE=1 runs main() under cProfile.Profile().enable() /
disable(); CTRACE_BENCH_REPORT=1 prints "bench-elapsed SECONDS" on stderr,
the time of main() alone (start-up and the trace dump excluded)."""
import os
import sys
import time


def run(main):
    t0 = time.perf_counter()
    if os.environ.get("CTRACE_BENCH_CPROFILE"):
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
        main()
        prof.disable()
    else:
        main()
    elapsed = time.perf_counter() - t0
    if os.environ.get("CTRACE_BENCH_REPORT"):
        print("bench-elapsed %.9f" % elapsed, file=sys.stderr)

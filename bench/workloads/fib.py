"""Recursive fib: ~1.66 million Python calls, nothing else."""
import os
import sys
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def main():
    fib(29)


if __name__ == "__main__":
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

"""A Pool of 2 workers over 1,000 small tasks (bench/procs.py).

Prints on stdout the wall-clock time (time.time_ns) at which the pool has
ended: every worker has exited and been joined."""
import multiprocessing as mp
import sys
import time


def task(x):
    return sum(i * i for i in range(x % 50 + 50))


def main():
    method = sys.argv[1] if len(sys.argv) > 1 else "fork"
    t0 = time.perf_counter()
    with mp.get_context(method).Pool(2) as pool:
        total = sum(pool.map(task, range(1000), chunksize=1))
    pool.join()
    elapsed = time.perf_counter() - t0
    print("total", total)
    print("pool-seconds %.6f" % elapsed)
    print("pool-ended-ns %d" % time.time_ns(), flush=True)


if __name__ == "__main__":
    main()

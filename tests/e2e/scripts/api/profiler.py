"""4 processes x 50 measurements with ctrace.Profiler into one CSV."""
import multiprocessing
import sys

import ctrace

PATH = sys.argv[1]


@ctrace.Profiler(result_path=PATH)
def decorated(i):
    if i % 10 == 9:
        raise ValueError("bad item %d" % i)
    return i


def worker(k):
    for i in range(25):
        with ctrace.Profiler(id_="block-%d" % k, result_path=PATH):
            sum(range(100))
        try:
            decorated(i)
        except ValueError:
            pass


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    procs = [multiprocessing.Process(target=worker, args=(k,), name="worker-%d" % k)
             for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    manual = ctrace.Profiler(id_="manual", result_path=PATH)
    manual.start()
    sum(range(1000))
    manual.pause()
    manual.resume()
    manual.stop()
    print("children", [p.pid for p in procs])

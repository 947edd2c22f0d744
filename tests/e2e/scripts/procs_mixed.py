"""Process subclass, ProcessPoolExecutor with `with`, a pool inside a child,
and a forked child that ends normally (start method as argument)."""
import multiprocessing as mp
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor


class Worker(mp.Process):
    def run(self):
        print("run in", self.name, flush=True)


def inner(x):
    return x * 2


def started(counter):
    with counter.get_lock():
        counter.value += 1


def outer(n):
    ctx = mp.get_context("fork")
    counter = ctx.Value("i", 0)
    pool = ctx.Pool(2, initializer=started, initargs=(counter,))
    while counter.value < 2:  # both workers take part
        time.sleep(0.005)
    print("nested", sum(pool.map(inner, range(n))), flush=True)
    # close/join, not terminate: CPython loses a SIGTERM that comes while a
    # worker is between its last signal check and blocking on the queue's
    # lock (seen under heavy load), and the pool then waits for ever.
    pool.close()
    pool.join()


def forked_and_returned():
    return 3


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    w = Worker(name="custom")
    w.start()
    w.join()
    with ProcessPoolExecutor(2, mp_context=ctx) as ex:
        print(list(ex.map(inner, range(5))), flush=True)
    p = ctx.Process(target=outer, args=(4,), name="outer")
    p.start()
    p.join()
    if os.fork() == 0:
        forked_and_returned()
        sys.exit(0)  # the child ends as the program does: atexit, not os._exit
    os.wait()
    print("exit", p.exitcode)

"""A Pool of 2 workers with the start method given as argument."""
import multiprocessing as mp
import sys
import time


def started(counter):
    with counter.get_lock():
        counter.value += 1


def square(x):
    time.sleep(0.01)
    return x * x


if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    counter = ctx.Value("i", 0)
    with ctx.Pool(2, initializer=started, initargs=(counter,)) as pool:
        # Both workers have started before the pool is used (and ended).
        while counter.value < 2:
            time.sleep(0.005)
        print(sum(pool.map(square, range(20), chunksize=1)))
        print(sorted(pool.apply_async(square, (3,)).get() for _ in range(2)))
        print(sum(pool.imap(square, range(4))))

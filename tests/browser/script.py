"""The program the browser tests trace: two named threads and a known
function, so the tests know what a person should see."""
import threading
import time


def known_work(n):
    time.sleep(0.02)
    return sum(range(n))


def worker(k):
    for _ in range(3):
        known_work(1000 * k)


def main():
    threads = [threading.Thread(target=worker, args=(k,), name="alpha-%d" % k) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    known_work(10)


main()

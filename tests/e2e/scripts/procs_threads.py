"""Threads: pool workers, a daemon thread still running at exit."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def pooled(x):
    return x * 2


def forever():
    while True:
        time.sleep(0.005)


def early():
    return 1


t = threading.Thread(target=early, name="early")
t.start()
t.join()
threading.Thread(target=forever, name="daemon", daemon=True).start()
with ThreadPoolExecutor(2, thread_name_prefix="pool") as ex:
    print(sum(ex.map(pooled, range(10))))
time.sleep(0.02)
print("done")

"""os.fork: the child outlives the parent's main code and ends in os._exit."""
import os
import time


def in_child():
    time.sleep(0.3)
    return 1


def in_parent():
    return 2


pid = os.fork()
if pid == 0:
    in_child()
    print("child done", flush=True)
    os._exit(0)
in_parent()
print("parent done", flush=True)

import sys
import time


def tick(i):
    time.sleep(0.01)
    return i


print("ready", flush=True)
i = 0
while True:
    tick(i)
    i += 1

import os
import time

if os.fork() == 0:
    time.sleep(4)
    os._exit(0)
print("parent done", flush=True)

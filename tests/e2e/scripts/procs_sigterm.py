"""A child that finished, then a parent that runs until SIGTERM."""
import os
import subprocess
import sys
import time

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "procs_child.py")
subprocess.run([sys.executable, CHILD, "first"], check=True)


def spin():
    while True:
        time.sleep(0.01)


print("ready", flush=True)
spin()

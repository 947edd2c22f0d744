"""Starts 3 python children by list, tuple and string (shell=True)."""
import os
import subprocess
import sys

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "procs_child.py")
nest = ["--nest"] if "nest" in sys.argv else []

subprocess.run([sys.executable, CHILD, "list"] + nest, check=True)
subprocess.call(("python3", CHILD, "tuple"))
print(subprocess.check_output("python3.11 %s string" % CHILD, shell=True).decode(), end="")
print("parent done")

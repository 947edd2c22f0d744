"""Prints what python3 would show a program about itself, as JSON."""
import json
import os
import sys

import helper_mod  # from the script's folder (sys.path[0])

line = sys.stdin.readline().strip() if "--stdin" in sys.argv else None
print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "name": __name__,
    "file": __file__,
    "helper": helper_mod.VALUE,
    "stdin": line,
    "executable": sys.executable,
}))

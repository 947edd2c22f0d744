#!/usr/bin/env python3
"""Import-time cost of source rewriting (--log-var and co).

    python3 bench/rewrite.py [--ctrace build/cmd/ctrace] [--rounds 5] [--modules 100]

Generates a package of N modules (functions, classes, loops, attribute and
augmented assignments; about 80 lines each) and a main script that imports
it and prints how long the import took (time.perf_counter, in-process, so
interpreter start-up and the trace dump are left out). Every configuration
runs once per round, interleaved, and the medians are reported:

  python3 (.pyc)        python3.11 with a warm __pycache__ (the usual case)
  python3 (no .pyc)     python3.11 compiling every module from source
  ctrace                ctrace run, no rewriting (warm __pycache__)
  --log-var (no match)  rewriting on, a name no module has: the modules are
                        only scanned, then load from __pycache__
  --log-var total       every module rewritten (compiled from source, never cached)
  --log-attr value      every module rewritten, attributes
  --magic-comment       the option on, no magic comment in the modules

Public tools only: subprocess, time.perf_counter, statistics.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3.11"

MODULE = '''"""Generated module {i}."""
import math

LIMIT = {i}


class Account{i}:
    rate: float = 0.5

    def __init__(self, owner):
        self.owner = owner
        self.value = 0
        self.history = []

    def deposit(self, amount):
        self.value += amount
        self.history.append(amount)
        return self.value

    def report(self):
        total = sum(self.history)
        count = len(self.history)
        mean = total / count if count else 0.0
        return {{"owner": self.owner, "total": total, "mean": mean}}


def compute{i}(n):
    total = 0
    for k in range(n):
        square = k * k
        total += square
        if (rest := total % 7) == 0:
            total -= rest
    return total


def scale{i}(values, factor=2):
    out = []
    for v in values:
        scaled = v * factor
        out.append(math.floor(scaled))
    first, *others = out or [0]
    return first, others


def describe{i}(items):
    parts = []
    with open(__file__) as f:
        head = f.readline()
    for index, item in enumerate(items):
        label = "%d:%s" % (index, item)
        parts.append(label)
    joined = ", ".join(parts)
    return head, joined


def table{i}():
    rows = [compute{i}(k) for k in range(3)]
    acc = Account{i}("gen")
    for r in rows:
        acc.deposit(r)
    summary = acc.report()
    return summary
'''

MAIN = '''import sys
import time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
import genpkg
sys.stderr.write("import-ms %.3f\\n" % ((time.perf_counter() - t0) * 1e3))
'''

CONFIGS = [
    ("python3 (.pyc)", "py", [], False),
    ("python3 (no .pyc)", "py", [], True),
    ("ctrace", "ct", [], False),
    ("--log-var (no match)", "ct", ["--log-var", "^zz_no_such_name$"], False),
    ("--log-var total", "ct", ["--log-var", "^total$"], False),
    ("--log-attr value", "ct", ["--log-attr", "^value$"], False),
    ("--magic-comment", "ct", ["--magic-comment"], False),
]


def generate(root, n):
    pkg = os.path.join(root, "genpkg")
    os.makedirs(pkg)
    names = []
    for i in range(n):
        name = "mod_%03d" % i
        names.append(name)
        with open(os.path.join(pkg, name + ".py"), "w") as f:
            f.write(MODULE.format(i=i))
    with open(os.path.join(pkg, "__init__.py"), "w") as f:
        f.write("".join("from . import %s\n" % m for m in names))
    main = os.path.join(root, "main.py")
    with open(main, "w") as f:
        f.write(MAIN.format(root=root))
    return main


def run(cmd, no_pyc, cwd):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1" if no_pyc else "")
    if no_pyc:  # a cache folder that stays empty: every module compiled
        env["PYTHONPYCACHEPREFIX"] = os.path.join(cwd, "no-pycache")
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("benchmark command failed: %s\n%s" % (" ".join(cmd), p.stderr))
    return float(re.search(r"import-ms ([0-9.]+)", p.stderr).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ctrace", default=os.path.join(ROOT, "build", "cmd", "ctrace"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--modules", type=int, default=100)
    a = ap.parse_args()
    ctrace = os.path.abspath(a.ctrace)
    tmp = tempfile.mkdtemp(prefix="ctrace-bench-rewrite-")
    try:
        main_py = generate(tmp, a.modules)
        out = os.path.join(tmp, "t.json")
        cmds = {}
        for label, kind, opts, no_pyc in CONFIGS:
            if kind == "py":
                cmds[label] = [PY, main_py]
            else:
                cmds[label] = [ctrace, "run", "-q", "-o", out] + opts + ["--", main_py]
        # Warm the __pycache__ (and the disk cache) once.
        run([PY, main_py], False, tmp)
        times = {label: [] for label, *_ in CONFIGS}
        for _ in range(a.rounds):
            for label, _kind, _opts, no_pyc in CONFIGS:
                times[label].append(run(cmds[label], no_pyc, tmp))
        base = statistics.median(times["python3 (.pyc)"])
        nopyc = statistics.median(times["python3 (no .pyc)"])
        print("import of a package of %d modules (%d lines), median of %d rounds"
              % (a.modules, a.modules * MODULE.count("\n"), a.rounds))
        print("%-22s %10s %12s %14s" % ("", "import ms", "x python3", "x no .pyc"))
        for label, *_ in CONFIGS:
            m = statistics.median(times[label])
            print("%-22s %10.1f %12.2f %14.2f" % (label, m, m / base, m / nopyc))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

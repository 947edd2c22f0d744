"""Shared helpers for the end-to-end tests.

Each tests/e2e/test_*.py file ends with `harness.main(globals())`; CTest runs
it once per test function:  test_x.py --ctrace BIN --workdir DIR test_name.
Traces are read with Python's own json and gzip modules, never with ctrace's
reader, so the tests check the output with a parser we did not write.
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import traceback
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "scripts")
CTRACE = None
WORK = None


def script(name):
    """Absolute path of a bundled test script (tests/e2e/scripts/NAME)."""
    return os.path.join(SCRIPTS, name)


def write(name, text):
    """Writes TEXT to WORK/NAME (creating folders) and returns the path."""
    path = os.path.join(WORK, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(args, cwd=None, input=None, env=None, timeout=240):
    """Runs ctrace ARGS in WORK (or CWD); returns CompletedProcess (text)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([CTRACE] + list(args), cwd=cwd or WORK, input=input,
                          capture_output=True, text=True, env=full_env, timeout=timeout)


def _no_constant(name):
    raise ValueError("%s is not valid JSON" % name)


def load(path):
    """The trace at PATH (relative to WORK), parsed by Python's json,
    strictly: NaN and Infinity, which json accepts by default but JSON does
    not allow, fail the test."""
    path = os.path.join(WORK, path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f, parse_constant=_no_constant)


def events(trace, ph=None, name=None):
    out = trace["traceEvents"]
    if ph is not None:
        out = [e for e in out if e.get("ph") == ph]
    if name is not None:
        out = [e for e in out if e.get("name") == name]
    return out


def slices(trace, name=None, prefix=None):
    out = events(trace, "X", name)
    if prefix is not None:
        out = [e for e in out if e["name"].startswith(prefix)]
    return out


def thread_names(trace):
    """{(pid, tid): name} from the thread_name metadata events."""
    return {(e["pid"], e["tid"]): e["args"]["name"]
            for e in events(trace, "M", "thread_name")}


def process_names(trace):
    return {e["pid"]: e["args"]["name"] for e in events(trace, "M", "process_name")}


def check_nesting(trace):
    """Asserts that on every thread each slice lies within its parent."""
    by_thread = defaultdict(list)
    for e in slices(trace):
        assert e["dur"] >= 0, e
        by_thread[(e["pid"], e["tid"])].append(e)
    for key, evs in by_thread.items():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            end = round(e["ts"] + e["dur"], 3)
            while stack and stack[-1][1] <= e["ts"]:
                stack.pop()
            if stack:
                assert end <= stack[-1][1] + 1e-6, (
                    "slice %r overlaps its parent %r on %r" % (e, stack[-1][2], key))
            stack.append((e["ts"], end, e))


def check_format(trace):
    """Asserts the file follows the trace contract of DESIGN.md."""
    assert isinstance(trace, dict) and isinstance(trace["traceEvents"], list)
    for e in trace["traceEvents"]:
        assert e["ph"] in "XMiCbenst", e
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
        if e["ph"] == "X":
            assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float)), e
    meta = trace["ctrace_metadata"]
    for k in ("version", "python", "overflow", "dropped_events", "origin_monotonic_ns"):
        assert k in meta, k
    assert "files" in trace["file_info"] and "functions" in trace["file_info"]


def assert_eq(a, b, what=""):
    assert a == b, "%s: %r != %r" % (what, a, b)


def main(tests):
    global CTRACE, WORK
    p = argparse.ArgumentParser()
    p.add_argument("--ctrace", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("test")
    a = p.parse_args()
    CTRACE = os.path.abspath(a.ctrace)
    WORK = os.path.abspath(a.workdir)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    try:
        tests[a.test]()
    except AssertionError:
        traceback.print_exc()
        sys.exit(1)
    print("ok", a.test)

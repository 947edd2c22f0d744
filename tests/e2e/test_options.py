"""ctrace run's filters, extra logs, output naming and .ctracerc."""
import os
import re
import subprocess
from collections import Counter, defaultdict

import harness
from harness import assert_eq, load, run, script, slices

CALLS = script("opts/calls.py")
LOGS = script("opts/logs.py")


def names(trace):
    return Counter(e["name"] for e in slices(trace))


def depth_of(trace):
    """{id(event): nesting depth} per thread, 0 = outermost."""
    out = {}
    by_thread = defaultdict(list)
    for e in slices(trace):
        by_thread[(e["pid"], e["tid"])].append(e)
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            while stack and stack[-1] <= e["ts"]:
                stack.pop()
            out[id(e)] = len(stack)
            stack.append(round(e["ts"] + e["dur"], 3))
    return out


def fn(name, path=CALLS):
    lines = open(path).read().splitlines()
    for i, l in enumerate(lines, 1):
        if l.startswith("def %s(" % name):
            while i > 1 and lines[i - 2].startswith("@"):  # decorators come first
                i -= 1
            return "%s (%s:%d)" % (name, path, i)
    raise AssertionError(name)


def test_max_stack_depth():
    r = run(["run", "--max-stack-depth", "3", "-o", "d.json", script("fib.py"), "10"])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("d.json")
    depths = depth_of(t)
    assert max(depths.values()) == 2, max(depths.values())
    fib = "fib (%s:4)" % script("fib.py")
    # <module> -> fib(10) -> fib(9), fib(8): three levels.
    assert_eq(names(t)[fib], 3)
    harness.check_nesting(t)


def test_min_duration():
    r = run(["run", "--min-duration", "1ms", "-o", "m.json", CALLS])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("m.json")
    assert all(e["dur"] >= 1000 for e in slices(t)), min(e["dur"] for e in slices(t))
    n = names(t)
    assert_eq(n[fn("slow")], 3)
    assert_eq(n[fn("fast")], 0)
    assert_eq(n["time.sleep"], 3)
    for bad in ("0.0.3s", "-1ms", "3 hours", "ms", ""):
        r = run(["run", "--min-duration", bad, CALLS])
        assert_eq(r.returncode, 2, bad)
        assert "--min-duration" in r.stderr and "'%s'" % bad in r.stderr, r.stderr
    # Units: ns, us, ms, s, bare number = us.
    for value in ("1000000ns", "1000us", "0.001s", "1000"):
        r = run(["run", "--min-duration", value, "-o", "u.json", CALLS])
        assert_eq(r.returncode, 0, value)
        assert_eq(names(load("u.json"))[fn("fast")], 0)


def test_exclude_and_include_files():
    folder = os.path.dirname(CALLS)
    r = run(["run", "--exclude-files", folder, "--", CALLS])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("result.json")
    assert not [e for e in slices(t) if folder in e["name"]], "nothing from the excluded folder"
    # C calls made by excluded functions go with them.
    assert_eq(names(t)["time.sleep"], 0)

    # Relative paths work as well, and include keeps only that folder.
    rel = os.path.relpath(folder, harness.WORK)
    r = run(["run", "--include_files", rel, "--run", CALLS])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("result.json")
    py = [e for e in slices(t) if "(" in e["name"]]
    assert py and all(folder in e["name"] for e in py), {e["name"] for e in py}
    assert_eq(names(t)[fn("fast")], 12)
    assert_eq(names(t)["time.sleep"], 3)

    r = run(["run", "--include-files", "a", "--exclude-files", "b", "--", CALLS])
    assert_eq(r.returncode, 2)
    assert "cannot be used together" in r.stderr
    # A list option followed by the script without -- : a clear hint.
    r = run(["run", "--include-files", folder, CALLS])
    assert_eq(r.returncode, 2)
    assert "put -- before the script" in r.stderr, r.stderr


def test_ignore_c_function_and_frozen():
    r = run(["run", "--ignore-c-function", "-o", "c.json", CALLS])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("c.json")
    assert all("(" in e["name"] for e in slices(t)), "only Python functions"
    assert_eq(names(t)[fn("fast")], 12)

    code = "import json, email.mime.text\nprint(json.dumps([1]))"
    r = run(["run", "-o", "f0.json", "-c", code])
    assert any("<frozen " in e["name"] for e in slices(load("f0.json"))), "imports run frozen code"
    r = run(["run", "--ignore-frozen", "-o", "f1.json", "-c", code])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "[1]\n")
    assert not [e for e in slices(load("f1.json")) if "<frozen " in e["name"]]


def test_sparse_ignore_and_viztracer_api():
    path = script("opts/sparse.py")
    r = run(["run", "--log-sparse", "-o", "s.json", path])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "ok\n")
    t = load("s.json")
    n = names(t)
    assert_eq(n[fn("marked", path)], 3)
    assert_eq(n[fn("marked_deep", path)], 3)
    # stack_depth=1: deep() below marked_deep is kept, helper() below it not.
    assert_eq(n[fn("deep", path)], 3)
    assert_eq(n[fn("helper", path)], 0)
    assert_eq(n[fn("ignored", path)], 0)
    assert_eq(n[fn("main", path)], 0)
    counters = [e for e in t["traceEvents"] if e["ph"] == "C" and e["name"] == "progress"]
    assert_eq([c["args"]["done"] for c in counters], [1, 2, 3])

    # Without --log-sparse everything is recorded but @ignore_function.
    r = run(["run", "-o", "a.json", path])
    n = names(load("a.json"))
    assert_eq(n[fn("marked", path)], 3)
    assert_eq(n[fn("ignored", path)], 0)
    # deep(): 3 direct calls + 3 under marked + 3 under marked_deep; the 3
    # under ignored() are skipped with it.
    assert_eq(n[fn("deep", path)], 9)
    assert_eq(n[fn("helper", path)], 9)


def test_log_func_args_and_retval():
    r = run(["run", "--log-func-args", "--log-func-retval", "-o", "a.json", script("fib.py"), "6"])
    assert_eq(r.returncode, 0, r.stderr)
    fibs = slices(load("a.json"), "fib (%s:4)" % script("fib.py"))
    assert_eq(len(fibs), 25)
    values = {0: 0, 1: 1}
    for k in range(2, 7):
        values[k] = values[k - 1] + values[k - 2]
    for e in fibs:
        n = int(e["args"]["func_args"]["n"])
        assert_eq(e["args"]["return_value"], str(values[n]))
    assert_eq(Counter(e["args"]["func_args"]["n"] for e in fibs)["6"], 1)

    # A repr that raises does not break the program: the error is recorded.
    r = run(["run", "--log-func-args", "-o", "b.json", LOGS])
    assert_eq(r.returncode, 0, r.stderr)
    takes = slices(load("b.json"), "takes (%s:11)" % LOGS)
    assert_eq(len(takes), 2)
    assert "repr failed" in takes[0]["args"]["func_args"]["obj"], takes[0]
    assert "no repr for you" in takes[0]["args"]["func_args"]["obj"]
    assert_eq(takes[1]["args"]["func_args"], {"obj": "3", "n": "5"})
    # The same for a return value whose repr raises.
    bad = harness.write("bad_ret.py", "class R:\n    def __repr__(self):\n"
                        "        raise ValueError('nope')\n\ndef f():\n    return R()\n\nf()\n")
    r = run(["run", "--log-func-retval", "-o", "c.json", bad])
    assert_eq(r.returncode, 0, r.stderr)
    f = slices(load("c.json"), "f (%s:5)" % bad)
    assert_eq(f[0]["args"]["return_value"], "<repr failed: ValueError: nope>")


def test_log_func_entry():
    r = run(["run", "--log-func-entry", "^fa", "mid", "-o", "e.json", "--", CALLS])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("e.json")
    inst = Counter(e["name"] for e in t["traceEvents"] if e["ph"] == "i")
    assert_eq(inst[fn("fast")], 12)
    assert_eq(inst[fn("middle")], 3)
    assert_eq(inst[fn("slow")], 0)


def test_log_exception():
    r = run(["run", "--log-exception", "-o", "x.json", LOGS])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("x.json")
    exc = [e for e in t["traceEvents"] if e["ph"] == "i" and e["name"] == "KeyError"
           and LOGS in e["args"]["function"]]
    # raiser()'s KeyError (through two frames: logged once) and {}["x"].
    assert_eq(len(exc), 2, exc)
    assert_eq(exc[0]["args"]["message"], "'missing'")
    assert_eq(exc[1]["args"]["message"], "'x'")
    assert_eq(exc[0]["args"]["type"], "KeyError")
    assert_eq(exc[0]["args"]["function"], fn("raiser", LOGS))
    assert_eq(exc[1]["args"]["function"], fn("catcher", LOGS))
    # Without the option, no exception events.
    r = run(["run", "-o", "y.json", LOGS])
    assert not [e for e in load("y.json")["traceEvents"] if e["ph"] == "i"]


def test_log_gc_print_audit():
    r = run(["run", "--log-gc", "--log-print", "--log-audit", "^open$", "-o", "g.json", "--", LOGS])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "hello-world\n")  # still printed
    t = load("g.json")
    gcs = slices(t, "gc.collect (generation 2)")
    assert len(gcs) >= 1, names(t)
    assert "collected" in gcs[0]["args"]
    assert [e for e in t["traceEvents"] if e["ph"] == "C" and e["name"] == "gc"]
    prints = [e for e in t["traceEvents"] if e["ph"] == "i" and e["name"] == "print"]
    assert_eq([p["args"]["text"] for p in prints], ["hello-world"])
    opens = [e for e in t["traceEvents"] if e["ph"] == "i" and e["name"] == "open"]
    assert any(LOGS in o["args"]["args"] for o in opens), opens
    assert not [e for e in t["traceEvents"] if e["ph"] == "i" and e["name"] not in ("print", "open")]


def test_log_exit():
    name = fn("at_exit_work", LOGS)
    r = run(["run", "-o", "n.json", LOGS])
    assert_eq(names(load("n.json"))[name], 0)
    r = run(["run", "--log-exit", "-o", "x.json", LOGS])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(names(load("x.json"))[name], 1)


def test_output_naming():
    r = run(["run", "--output-dir", "out/deep", "-o", "t.json", CALLS])
    assert_eq(r.returncode, 0, r.stderr)
    assert os.path.exists(os.path.join(harness.WORK, "out/deep/t.json"))

    r = run(["run", "--pid-suffix", CALLS])
    assert_eq(r.returncode, 0, r.stderr)
    found = [f for f in os.listdir(harness.WORK) if re.fullmatch(r"result_\d+\.json", f)]
    assert_eq(len(found), 1, os.listdir(harness.WORK))
    pid = int(found[0][7:-5])
    assert_eq(set(harness.process_names(load(found[0]))), {pid})

    made = set()
    for _ in range(3):
        r = run(["run", "-u", "-o", "u.json.gz", CALLS])
        assert_eq(r.returncode, 0, r.stderr)
        now = {f for f in os.listdir(harness.WORK) if f.startswith("u_")}
        assert_eq(len(now), len(made) + 1, now)
        made = now
    assert all(re.fullmatch(r"u_\d{8}_\d{6}_\d+(_\d+)?\.json\.gz", f) for f in made), made


def test_rcfile():
    harness.write(".ctracerc", "[default]\nmax_stack_depth = 2\nlog-func-args = true\n"
                  "ignore_c_function = True\nquiet = false\n")
    r = run(["run", "-o", "r.json", script("fib.py"), "5"])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("r.json")
    assert max(depth_of(t).values()) == 1
    assert all("func_args" in e["args"] for e in slices(t) if "fib" in e["name"])
    assert not [e for e in slices(t) if "(" not in e["name"]]
    # The command line wins over the file.
    r = run(["run", "--max-stack-depth", "3", "-o", "r3.json", script("fib.py"), "5"])
    assert max(depth_of(load("r3.json")).values()) == 2
    # --rcfile names another file; a bad key is reported with its line.
    harness.write("other.ini", "[default]\ntracer_entries = 5\n[other]\nnonsense = 1\n")
    r = run(["run", "--rcfile", "other.ini", "-o", "o.json", script("fib.py"), "5"])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(len(slices(load("o.json"))), 5)
    # --rcfile is found wherever it stands among the options.
    r = run(["run", "-o", "o2.json", "--rcfile=other.ini", script("fib.py"), "5"])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(len(slices(load("o2.json"))), 5)
    harness.write("bad.ini", "[default]\nno_such_option = 1\n")
    r = run(["run", "--rcfile", "bad.ini", script("fib.py")])
    assert_eq(r.returncode, 2)
    assert_eq(r.stderr.strip(), "ctrace: unknown option 'no_such_option' in 'bad.ini' line 2")
    r = run(["run", "--rcfile", "missing.ini", script("fib.py")])
    assert_eq(r.returncode, 1)
    assert "cannot read 'missing.ini'" in r.stderr


harness.main(globals())

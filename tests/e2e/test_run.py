"""ctrace run: the program behaves as under python3, and the trace holds
what a user checks (events, nesting, names, processes and threads)."""
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import harness
from harness import assert_eq, load, run, script, slices

PY = "/usr/bin/python3.11"


def fib_calls(n):
    return 1 if n < 2 else 1 + fib_calls(n - 1) + fib_calls(n - 2)


def test_fib_exact_calls():
    r = run(["run", "-o", "fib.json", script("fib.py"), "12"])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "fib(12) = 144\n")
    t = load("fib.json")
    harness.check_format(t)
    name = "fib (%s:4)" % script("fib.py")
    assert_eq(len(slices(t, name)), fib_calls(12), "fib slices")
    mods = slices(t, "<module> (%s:1)" % script("fib.py"))
    assert_eq(len(mods), 1, "module slice")
    harness.check_nesting(t)
    # Every fib call lies within the module's slice.
    m = mods[0]
    for e in slices(t, name):
        assert m["ts"] <= e["ts"] and e["ts"] + e["dur"] <= m["ts"] + m["dur"] + 0.001
    # The saved line names the file and the count.
    assert "saved" in r.stderr and "fib.json" in r.stderr, r.stderr
    assert_eq(t["ctrace_metadata"]["overflow"], False)
    assert_eq(t["ctrace_metadata"]["dropped_events"], 0)
    assert t["ctrace_metadata"]["python"].startswith("3.11")
    # file_info has the script's source and the function's line.
    files = t["file_info"]["files"]
    assert script("fib.py") in files
    src, nlines = files[script("fib.py")]
    assert_eq(src, open(script("fib.py")).read())
    assert_eq(nlines, src.count("\n"))
    assert_eq(t["file_info"]["functions"][name], [script("fib.py"), 4])


def test_nesting_and_c_calls():
    r = run(["run", "-o", "n.json", script("nesting.py")])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("n.json")
    harness.check_nesting(t)
    path = script("nesting.py")
    leaf = slices(t, "leaf (%s:1)" % path)
    middle = slices(t, "middle (%s:5)" % path)
    top = slices(t, "top (%s:9)" % path)
    assert_eq((len(leaf), len(middle), len(top)), (10, 5, 1))
    # C functions: builtins and methods of C types, named module.name.
    names = Counter(e["name"] for e in slices(t))
    assert_eq(names["builtins.len"], 10, "builtins.len")
    assert_eq(names["builtins.print"], 1, "builtins.print")
    # Each len() lies within a leaf(), each leaf within a middle().
    for inner, outer in ((slices(t, "builtins.len"), leaf), (leaf, middle), (middle, top)):
        for e in inner:
            assert any(o["ts"] <= e["ts"] and e["ts"] + e["dur"] <= o["ts"] + o["dur"] + 0.001
                       for o in outer), e
    # Timestamps carry three decimals at most.
    raw = open(os.path.join(harness.WORK, "n.json")).read()
    assert '"ts":' in raw
    for e in slices(t):
        assert_eq(round(e["ts"], 3), e["ts"])
    pid_set = {e["pid"] for e in t["traceEvents"]}
    assert_eq(len(pid_set), 1)
    pid = pid_set.pop()
    assert_eq(harness.process_names(t), {pid: "nesting.py"})
    assert_eq(harness.thread_names(t), {(pid, pid): "MainThread"})


def test_method_names():
    code = ("import collections\n"
            "l = []\n"
            "l.append(1)\n"
            "d = {}\n"
            "d.get('x')\n"
            "class L(list): pass\n"
            "L().append(2)\n"
            "dict.fromkeys('ab')\n"
            "''.join(['a'])\n")
    r = run(["run", "-o", "m.json", "-c", code])
    assert_eq(r.returncode, 0, r.stderr)
    names = Counter(e["name"] for e in slices(load("m.json")))
    for n in ("list.append", "dict.get", "L.append", "dict.fromkeys", "str.join"):
        assert names[n] >= 1, (n, names)


def test_threads_named_tracks():
    r = run(["run", "-o", "t.json", script("threads.py")])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("t.json")
    harness.check_nesting(t)
    names = harness.thread_names(t)
    by_name = {v: k for k, v in names.items()}
    for n in ("MainThread", "alpha", "beta", "gamma", "delta"):
        assert n in by_name, names
    tids = {k[1] for k in names}
    assert_eq(len(tids), 5, "distinct tids")
    path = script("threads.py")
    for fn, thread in (("work_alpha", "alpha"), ("work_beta", "beta"),
                       ("work_gamma", "gamma"), ("work_delta", "delta")):
        evs = [e for e in slices(t) if e["name"].startswith(fn + " (")]
        assert_eq(len(evs), 1, fn)
        assert_eq((evs[0]["pid"], evs[0]["tid"]), by_name[thread], fn)
        # The thread's run() is traced around it.
        runs = [e for e in slices(t, prefix="Thread.run (")
                if e["tid"] == by_name[thread][1]]
        assert_eq(len(runs), 1, "Thread.run on " + thread)
        # The function's builtins.sum call is on the same thread.
        sums = [e for e in slices(t, "builtins.sum") if e["tid"] == by_name[thread][1]]
        assert_eq(len(sums), 1, "sum on " + thread)


def test_exceptions_close_slices():
    r = run(["run", "-o", "e.json", script("exceptions.py")])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "caught\n")
    t = load("e.json")
    harness.check_nesting(t)
    path = script("exceptions.py")
    assert_eq(len(slices(t, "thrower (%s:1)" % path)), 4)
    assert_eq(len(slices(t, "catcher (%s:7)" % path)), 1)
    # A C function that raises still gets its slice.
    assert_eq(len(slices(t, "math.sqrt")), 1)
    assert_eq(len(slices(t, "c_raises (%s:17)" % path)), 1)


def test_generators_one_slice_per_resume():
    r = run(["run", "-o", "g.json", script("generators.py")])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "6 7\n")
    t = load("g.json")
    harness.check_nesting(t)
    path = script("generators.py")
    # 4 values + the final resume that ends the loop.
    assert_eq(len(slices(t, "gen (%s:1)" % path)), 5)
    assert_eq(len(slices(t, "coro (%s:13)" % path)), 1)


def test_sys_exit_status():
    r = run(["run", "-o", "x.json", "-c", "import sys\ndef f():\n    sys.exit(3)\nf()"])
    assert_eq(r.returncode, 3, r.stderr)
    t = load("x.json")
    assert_eq(len(slices(t, "f (<string>:2)")), 1)
    assert_eq(len(slices(t, "sys.exit")), 1)


def test_uncaught_exception():
    r = run(["run", "-o", "u.json", script("uncaught.py")])
    ref = subprocess.run([PY, script("uncaught.py")], capture_output=True, text=True)
    assert_eq(r.returncode, 1)
    assert_eq(ref.returncode, 1)
    # The traceback is exactly what python3 prints; ctrace adds one line.
    tb = [l for l in r.stderr.splitlines() if not l.startswith("ctrace: ")]
    assert_eq(tb, ref.stderr.splitlines())
    assert "RuntimeError: this is the failure" in r.stderr
    t = load("u.json")
    path = script("uncaught.py")
    assert_eq(len(slices(t, "inner (%s:1)" % path)), 1)
    assert_eq(len(slices(t, "outer (%s:5)" % path)), 1)
    harness.check_nesting(t)


def test_module_and_command():
    r = run(["run", "-o", "m.json", "-m", "json.tool", "--sort-keys"], input='{"b":1,"a":2}')
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(json.loads(r.stdout), {"a": 2, "b": 1})
    t = load("m.json")
    assert any(e["name"].startswith("main (/usr/lib/python3.11/json/tool.py:")
               for e in slices(t)), "json.tool main traced"
    assert_eq(set(harness.process_names(t).values()), {"json.tool"})

    r = run(["run", "-o", "c.json", "-c", "import sys; print(sys.argv)", "x", "--y"])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "['-c', 'x', '--y']\n")
    assert_eq(set(harness.process_names(load("c.json")).values()), {"python -c"})


def test_python_semantics_match():
    """argv, sys.path[0], __name__, __file__, imports, stdin: as python3."""
    env_py = script("env.py")
    args = ["--", env_py, "a", "-b", "--stdin"]
    r = run(["run", "-q", "-o", "s.json"] + args, input="hello\n")
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stderr, "")
    ref = subprocess.run([PY, env_py, "a", "-b", "--stdin"], input="hello\n",
                         capture_output=True, text=True, cwd=harness.WORK)
    got, want = json.loads(r.stdout), json.loads(ref.stdout)
    assert_eq(got, want)
    assert_eq(got["executable"], PY)
    t = load("s.json")
    assert any(e["name"].startswith("<module> (%s:" % script("helper_mod.py"))
               for e in slices(t)), "imported module traced"

    # -m with a package's __main__ and its relative import.
    out = os.path.join(harness.WORK, "p.json")
    r = run(["run", "-o", out, "-m", "pkg", "arg"], cwd=harness.SCRIPTS)
    ref = subprocess.run([PY, "-m", "pkg", "arg"], capture_output=True, text=True,
                         cwd=harness.SCRIPTS)
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, ref.stdout)
    t = load("p.json")
    assert any(e["name"].startswith("compute (%s:1)" % script("pkg/work.py")) for e in slices(t))

    # A folder with __main__.py, given by a relative path.
    harness.write("app/__main__.py", "import sys, side\nprint(side.X, sys.argv[1:])\n")
    harness.write("app/side.py", "X = 'side'\n")
    r = run(["run", "-o", "app.json", "app", "z"])
    ref = subprocess.run([PY, "app", "z"], capture_output=True, text=True, cwd=harness.WORK)
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, ref.stdout)
    assert_eq(r.stdout, "side ['z']\n")
    t = load("app.json")
    assert_eq(set(harness.process_names(t).values()), {"app"})


def test_chdir_keeps_output_location():
    sub = os.path.join(harness.WORK, "elsewhere")
    os.makedirs(sub)
    r = run(["run", "-o", "out.json", "-c", "import os; os.chdir(%r)" % sub])
    assert_eq(r.returncode, 0, r.stderr)
    assert os.path.exists(os.path.join(harness.WORK, "out.json"))
    assert not os.path.exists(os.path.join(sub, "out.json"))


def test_gzip_output():
    r = run(["run", "-o", "f.json.gz", script("fib.py"), "8"])
    assert_eq(r.returncode, 0, r.stderr)
    with gzip.open(os.path.join(harness.WORK, "f.json.gz"), "rt") as f:
        t = json.load(f)
    assert_eq(len(slices(t, "fib (%s:4)" % script("fib.py"))), fib_calls(8))


def test_ring_overflow_keeps_newest():
    r = run(["run", "--tracer_entries", "100", "-o", "o.json", script("fib.py"), "12"])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("o.json")
    meta = t["ctrace_metadata"]
    assert_eq(meta["overflow"], True)
    ours = slices(t)
    assert_eq(len(ours), 100)
    full = run(["run", "-o", "full.json", script("fib.py"), "12"])
    assert_eq(full.returncode, 0)
    all_slices = slices(load("full.json"))
    assert_eq(meta["dropped_events"], len(all_slices) - 100)
    assert "dropped" in r.stderr, r.stderr
    # The kept events are the newest: the last to end, including <module>.
    ends = sorted(e["ts"] + e["dur"] for e in ours)
    fib_name = "fib (%s:4)" % script("fib.py")
    assert any(e["name"].startswith("<module>") for e in ours)
    assert_eq(sum(1 for e in ours if e["name"] == fib_name) <= 100, True)


def test_help_and_version():
    r = run(["--version"])
    assert_eq(r.returncode, 0)
    assert r.stdout.startswith("ctrace ") and "Python 3.11" in r.stdout, r.stdout
    r = run(["run", "--help"])
    assert_eq(r.returncode, 0)
    for opt in ("--output-file", "--tracer-entries", "--quiet", "--module MODULE",
                "--command CODE", "-m, ", "-c, "):
        assert opt in r.stdout, opt
    r = run(["--help"])
    assert_eq(r.returncode, 0)
    assert "run" in r.stdout and "view" in r.stdout


def test_usage_errors():
    r = run(["run", "--no-such-option", "x.py"])
    assert_eq(r.returncode, 2)
    assert_eq(r.stderr.splitlines()[0], "ctrace: unknown option '--no-such-option'")
    r = run(["run", "--tracer-entries", "ten", script("fib.py")])
    assert_eq(r.returncode, 2)
    assert "'ten'" in r.stderr and "--tracer-entries" in r.stderr
    r = run(["run"])
    assert_eq(r.returncode, 2)
    assert "no program to run" in r.stderr
    assert not os.path.exists(os.path.join(harness.WORK, "result.json"))


def test_missing_script_and_folder():
    r = run(["run", "nope.py"])
    assert_eq(r.returncode, 1)
    assert_eq(r.stderr, "ctrace: cannot run 'nope.py': No such file or directory\n")
    os.makedirs(os.path.join(harness.WORK, "adir"))
    r = run(["run", "adir"])
    assert_eq(r.returncode, 1)
    assert_eq(r.stderr, "ctrace: cannot run 'adir': it is a folder without __main__.py\n")
    assert not os.path.exists(os.path.join(harness.WORK, "result.json"))


def test_syntax_error():
    bad = harness.write("bad.py", "print('start')\ndef f(:\n    pass\n")
    r = run(["run", bad])
    assert_eq(r.returncode, 1)
    assert_eq(len(r.stderr.splitlines()), 1, r.stderr)
    assert r.stderr.startswith("ctrace: syntax error in '%s': " % bad), r.stderr
    assert "(line 2)" in r.stderr
    assert_eq(r.stdout, "")
    assert not os.path.exists(os.path.join(harness.WORK, "result.json"))


def test_unwritable_output():
    for out, why in (("missing/dir/x.json", "No such file or directory"),
                     (".", "is a folder"),
                     ("x.txt", "must end in .json")):
        r = run(["run", "-o", out, script("fib.py")])
        assert_eq(r.returncode, 1, out)
        assert r.stderr.startswith("ctrace: cannot write '"), r.stderr
        assert why in r.stderr, r.stderr
        assert_eq(r.stdout, "")  # nothing ran


def test_output_write_failure_leaves_nothing():
    """A trace that cannot be written (file size limit, like a full disk):
    one line, status 1, no file under the final name, no temporary left."""
    import resource

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, resource.RLIM_INFINITY))

    p = subprocess.run([harness.CTRACE, "run", "-o", "big.json", script("fib.py"), "12"],
                       cwd=harness.WORK, capture_output=True, text=True, preexec_fn=limit)
    assert_eq(p.returncode, 1, p.stderr)
    assert_eq(p.stdout, "fib(12) = 144\n")
    lines = p.stderr.splitlines()
    assert_eq(len(lines), 1, p.stderr)
    assert lines[0].startswith("ctrace: cannot write '%s" % harness.WORK), lines[0]
    assert "File too large" in lines[0]
    assert_eq(sorted(os.listdir(harness.WORK)), [])


def _start_slow(out):
    p = subprocess.Popen([harness.CTRACE, "run", "-o", out, script("slow_loop.py")],
                         cwd=harness.WORK, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    assert_eq(p.stdout.readline(), "ready\n")
    time.sleep(0.3)
    return p


def test_sigint_saves_and_exits_130():
    p = _start_slow("int.json")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    # python3 ends by SIGINT after a KeyboardInterrupt (130 in a shell).
    assert p.returncode in (-signal.SIGINT, 130), p.returncode
    assert "KeyboardInterrupt" in err, err
    t = load("int.json")
    ticks = slices(t, prefix="tick (")
    assert len(ticks) >= 5, len(ticks)
    harness.check_nesting(t)


def test_sigterm_saves():
    p = _start_slow("term.json")
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert_eq(p.returncode, -signal.SIGTERM)
    t = load("term.json")
    assert len(slices(t, prefix="tick (")) >= 5
    # The calls open when the signal came are closed at the save.
    assert len(slices(t, prefix="<module> (")) == 1
    harness.check_nesting(t)


def test_underscore_spellings():
    r = run(["run", "--output_file", "u.json", "--tracer_entries=50", script("fib.py"), "10"])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(len(slices(load("u.json"))), 50)


def test_args_after_double_dash():
    r = run(["run", "-o", "d.json", "--", script("env.py"), "-o", "--tracer-entries", "5"])
    assert_eq(r.returncode, 0, r.stderr)
    got = json.loads(r.stdout)
    assert_eq(got["argv"][1:], ["-o", "--tracer-entries", "5"])
    assert os.path.exists(os.path.join(harness.WORK, "d.json"))


harness.main(globals())

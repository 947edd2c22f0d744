"""Concurrency: child processes (subprocess, multiprocessing, os.fork,
concurrent.futures), threads and asyncio tasks land in one report."""
import os
import re
import signal
import subprocess
import time
from collections import Counter

import harness
from harness import assert_eq, load, run, script, slices


def tmpdir():
    """A TMPDIR of the test's own, to check that no folder is left behind."""
    d = os.path.join(harness.WORK, "tmp")
    os.makedirs(d, exist_ok=True)
    return d


def run_traced(args, **kw):
    env = dict(kw.pop("env", None) or {})
    env["TMPDIR"] = tmpdir()
    r = run(["run"] + args, env=env, timeout=kw.pop("timeout", 60), **kw)
    return r


def check_clean():
    assert_eq(os.listdir(tmpdir()), [], "collection folders left")


def pids_of(t):
    return {e["pid"] for e in t["traceEvents"]}


def names_by_pid(t):
    return harness.process_names(t)


def funcs_by_pid(t, name):
    return Counter(e["pid"] for e in slices(t, prefix=name + " ("))


def test_subprocess_list_tuple_string():
    r = run_traced(["-o", "p.json", script("procs_parent.py")])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "child list 499500\nchild tuple 499500\nchild string 499500\nparent done\n")
    t = load("p.json")
    harness.check_format(t)
    harness.check_nesting(t)
    assert_eq(len(pids_of(t)), 4, "pids")
    names = sorted(names_by_pid(t).values())
    assert_eq(names, ["procs_child.py"] * 3 + ["procs_parent.py"])
    # Each child ran its function once, in its own process.
    per_pid = funcs_by_pid(t, "child_work")
    assert_eq(sorted(per_pid.values()), [1, 1, 1])
    # One clock: every child's slices lie within the parent's run.
    parent = [p for p, n in names_by_pid(t).items() if n == "procs_parent.py"][0]
    mod = slices(t, "<module> (%s:1)" % script("procs_parent.py"))[0]
    assert_eq(mod["pid"], parent)
    for e in slices(t, prefix="child_work ("):
        assert mod["ts"] <= e["ts"] <= mod["ts"] + mod["dur"], (e, mod)
    # The children's sources are in file_info, once.
    assert script("procs_child.py") in t["file_info"]["files"]
    assert "child_work (%s:6)" % script("procs_child.py") in t["file_info"]["functions"]
    assert "saved" in r.stderr and "waiting" not in r.stderr, r.stderr
    check_clean()


def test_nested_child():
    r = run_traced(["-o", "n.json", script("procs_parent.py"), "nest"])
    assert_eq(r.returncode, 0, r.stderr)
    assert r.stdout.startswith("child grandchild 499500\nchild list 499500\n"), r.stdout
    t = load("n.json")
    assert_eq(len(pids_of(t)), 5, "pids")
    assert_eq(len(funcs_by_pid(t, "child_work")), 4)
    check_clean()


def test_timeit_child():
    code = ("import subprocess, sys\n"
            "out = subprocess.check_output(['python3', '-m', 'timeit', '-n', '5', '-r', '2', 'pass'])\n"
            "print(out.decode(), end='')\n")
    r = run_traced(["-o", "t.json", "-c", code])
    assert_eq(r.returncode, 0, r.stderr)
    assert re.fullmatch(r"5 loops, best of 2: \S+ \S+ per loop\n", r.stdout), r.stdout
    t = load("t.json")
    assert_eq(sorted(names_by_pid(t).values()), ["python -c", "timeit"])
    timeit = [p for p, n in names_by_pid(t).items() if n == "timeit"][0]
    assert any(e["pid"] == timeit for e in slices(t, prefix="Timer.timeit ("))
    check_clean()


def test_python_c_child_status_and_output():
    path = harness.write("c_parent.py",
                         "import subprocess, sys\n"
                         "p = subprocess.run([sys.executable, '-c', "
                         "'import sys; print(sys.argv[1:]); sys.stderr.write(\"err\\\\n\"); sys.exit(3)', 'a b', 'c'],"
                         " capture_output=True, text=True)\n"
                         "print(p.returncode, repr(p.stdout), repr(p.stderr))\n")
    r = run_traced(["-o", "c.json", path])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "3 \"['a b', 'c']\\n\" 'err\\n'\n")
    t = load("c.json")
    assert_eq(sorted(names_by_pid(t).values()), ["c_parent.py", "python -c"])
    check_clean()


def test_shell_true():
    code = ("import subprocess\n"
            "subprocess.run('python3 -c \"print(6 * 7)\"', shell=True, check=True)\n"
            "subprocess.run('echo plain | cat', shell=True, check=True)\n")
    r = run_traced(["-o", "s.json", "-c", code])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "42\nplain\n")
    t = load("s.json")
    assert_eq(len(pids_of(t)), 2)
    assert_eq(sorted(names_by_pid(t).values()), ["python -c", "python -c"])
    check_clean()


def check_pool(method):
    r = run_traced(["-o", "pool.json", script("procs_pool.py"), method])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "2470\n[9, 9]\n14\n")
    t = load("pool.json")
    harness.check_format(t)
    names = names_by_pid(t)
    prefix = {"fork": "ForkPoolWorker", "spawn": "SpawnPoolWorker",
              "forkserver": "ForkServerPoolWorker"}[method]
    assert_eq(sorted(names.values()), [prefix + "-1", prefix + "-2", "procs_pool.py"])
    # The workers ran the tasks: 26 calls of square in all.
    per_pid = funcs_by_pid(t, "square")
    assert_eq(sum(per_pid.values()), 26, "square calls")
    assert_eq(set(per_pid) <= {p for p, n in names.items() if n.startswith(prefix)}, True)
    check_clean()


def test_pool_spawn():
    check_pool("spawn")


def test_pool_fork():
    check_pool("fork")


def test_pool_forkserver():
    check_pool("forkserver")


def test_process_pool_without_shutdown():
    r = run_traced(["-o", "e.json", script("procs_executor.py")], timeout=60)
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n")
    t = load("e.json")
    assert len(pids_of(t)) >= 2, names_by_pid(t)
    assert_eq(sum(funcs_by_pid(t, "add_one").values()), 10)
    check_clean()


def test_fork_child_outlives_parent():
    r = run_traced(["-o", "f.json", script("procs_fork.py")])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(sorted(r.stdout.splitlines()), ["child done", "parent done"])
    m = re.search(r"waiting for child processes: (\d+)", r.stderr)
    assert m, r.stderr
    t = load("f.json")
    assert_eq(len(pids_of(t)), 2)
    child = int(m.group(1))
    assert_eq([e["pid"] for e in slices(t, prefix="in_child (")], [child])
    assert child not in {e["pid"] for e in slices(t, prefix="in_parent (")}
    assert_eq(harness.thread_names(t)[(child, child)], "MainThread")
    check_clean()


def test_sigterm_saves_with_children():
    env = dict(os.environ, TMPDIR=tmpdir())
    p = subprocess.Popen([harness.CTRACE, "run", "-o", "sig.json", script("procs_sigterm.py")],
                         cwd=harness.WORK, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    out = p.stdout.readline()
    assert_eq(out, "child first 499500\n")
    assert_eq(p.stdout.readline(), "ready\n")
    time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert_eq(p.returncode, -signal.SIGTERM, err)
    t = load("sig.json")
    assert_eq(len(pids_of(t)), 2)
    assert slices(t, prefix="spin (")
    assert slices(t, prefix="child_work (")
    check_clean()


def test_tracer_entries_per_process():
    r = run_traced(["--tracer-entries", "10", "-o", "te.json", "-c",
                    "import subprocess, sys\n"
                    "subprocess.run([sys.executable, '-c', 'for i in range(100): abs(i)'])\n"])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("te.json")
    per_pid = Counter(e["pid"] for e in slices(t))
    assert_eq(sorted(per_pid.values()), [10, 10])
    assert t["ctrace_metadata"]["overflow"] is True
    assert t["ctrace_metadata"]["dropped_events"] > 100
    check_clean()


def test_max_stack_depth_fork_child():
    help_text = run(["run", "--help"]).stdout
    if "--max-stack-depth" not in help_text:
        print("skipped: ctrace run has no --max-stack-depth yet")
        return
    r = run_traced(["--max-stack-depth", "2", "-o", "d.json", script("procs_depth.py")])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("d.json")
    assert_eq(len(pids_of(t)), 2)
    # <module> is level 0, level1 level 1: both recorded in both processes;
    # level2 and below in neither.
    assert_eq(len(funcs_by_pid(t, "level1")), 2)
    assert not slices(t, prefix="level2 ("), "level2 is deeper than 2"
    assert not slices(t, prefix="level3 (")
    r = run_traced(["-o", "d2.json", script("procs_depth.py")])
    t = load("d2.json")
    assert_eq(len(funcs_by_pid(t, "level3")), 2)
    check_clean()


def test_ignore_multiprocess():
    r = run_traced(["--ignore-multiprocess", "-o", "i.json", script("procs_parent.py")])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "child list 499500\nchild tuple 499500\nchild string 499500\nparent done\n")
    t = load("i.json")
    assert_eq(len(pids_of(t)), 1)
    r = run_traced(["--ignore-multiprocess", "-o", "i2.json", script("procs_fork.py")])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("i2.json")
    assert_eq(len(pids_of(t)), 1)
    assert not slices(t, prefix="in_child (")
    check_clean()


def test_log_async_task_tracks():
    r = run_traced(["--log-async", "-o", "a.json", script("procs_async.py")])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "ok\n")
    t = load("a.json")
    harness.check_nesting(t)
    names = harness.thread_names(t)
    assert len(names) >= 4, names
    by_name = {n: k for k, n in names.items()}
    for fn, task in (("worker_a", "alpha"), ("worker_b", "beta"), ("worker_c", "gamma")):
        assert task in by_name, names
        evs = slices(t, prefix=fn + " (")
        # Each step of the task (start and 3 wake-ups) on the task's track.
        assert_eq(len(evs), 4, fn)
        assert_eq({(e["pid"], e["tid"]) for e in evs}, {by_name[task]}, fn)
    # Without the option: the loop's thread only.
    r = run_traced(["-o", "b.json", script("procs_async.py")])
    t = load("b.json")
    assert_eq(list(harness.thread_names(t).values()), ["MainThread"])


def test_threads_named_tracks():
    r = run_traced(["-o", "th.json", script("threads.py")])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("th.json")
    names = harness.thread_names(t)
    by_name = {n: k for k, n in names.items()}
    for fn, thread in (("work_alpha", "alpha"), ("work_beta", "beta"),
                       ("work_gamma", "gamma"), ("work_delta", "delta")):
        evs = slices(t, prefix=fn + " (")
        assert_eq([(e["pid"], e["tid"]) for e in evs], [by_name[thread]], fn)


def test_thread_pool_and_daemon_threads():
    r = run_traced(["-o", "tp.json", script("procs_threads.py")])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "90\ndone\n")
    t = load("tp.json")
    harness.check_nesting(t)
    names = harness.thread_names(t)
    by_name = {n: k for k, n in names.items()}
    assert "early" in by_name and "daemon" in by_name, names
    pool = [k for n, k in by_name.items() if n.startswith("pool_")]
    assert pool, names
    pooled = slices(t, prefix="pooled (")
    assert_eq(len(pooled), 10)
    assert {(e["pid"], e["tid"]) for e in pooled} <= set(pool)
    assert_eq(len(slices(t, prefix="early (")), 1)
    # The daemon thread was still in forever() at exit: closed then.
    fe = [e for e in slices(t, prefix="forever (") if (e["pid"], e["tid"]) == by_name["daemon"]]
    assert_eq(len(fe), 1)
    end = max(e["ts"] + e["dur"] for e in slices(t))
    assert fe[0]["ts"] + fe[0]["dur"] >= end - 0.001


def test_process_subclass_executor_nested_pool_spawn():
    r = run_traced(["-o", "m.json", script("procs_mixed.py"), "spawn"])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "run in custom\n[0, 2, 4, 6, 8]\nnested 12\nexit 0\n")
    t = load("m.json")
    names = sorted(names_by_pid(t).values())
    assert_eq(names, ["ForkPoolWorker-4:1", "ForkPoolWorker-4:2", "SpawnProcess-2",
                      "SpawnProcess-3", "custom", "outer", "procs_mixed.py", "procs_mixed.py"])
    assert_eq(sum(funcs_by_pid(t, "inner").values()), 9)
    assert_eq(len(funcs_by_pid(t, "Worker.run")), 1)
    assert_eq(len(funcs_by_pid(t, "forked_and_returned")), 1)
    check_clean()


def test_ctrl_c_stops_waiting():
    check_signal_stops_waiting(signal.SIGINT, 0)


def test_sigterm_stops_waiting():
    check_signal_stops_waiting(signal.SIGTERM, -signal.SIGTERM)


def check_signal_stops_waiting(sig, status):
    env = dict(os.environ, TMPDIR=tmpdir())
    p = subprocess.Popen([harness.CTRACE, "run", "-o", "w.json", script("procs_long_child.py")],
                         cwd=harness.WORK, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, env=env)
    line = p.stderr.readline()
    assert "waiting for child processes: " in line, line
    child = int(re.search(r"processes: (\d+)", line).group(1))
    t0 = time.time()
    p.send_signal(sig)
    assert_eq(p.wait(timeout=30), status)
    assert time.time() - t0 < 2, "the wait went on"
    t = load("w.json")
    assert_eq(len(pids_of(t)), 1)
    assert_eq(os.listdir(tmpdir()), [])
    os.kill(child, signal.SIGKILL)


def test_shebang_script_child():
    child = harness.write("tool.py", "#!/usr/bin/env python3\n"
                          "import sys\n"
                          "def shebang_work():\n"
                          "    return 5\n"
                          "print('tool', sys.argv[1:], shebang_work())\n")
    os.chmod(child, 0o755)
    code = ("import subprocess, sys\n"
            "subprocess.run([sys.argv[1], 'x'], check=True)\n"
            "subprocess.run(['./tool.py', 'y'], check=True)\n")
    r = run_traced(["-o", "sb.json", "-c", code, child])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "tool ['x'] 5\ntool ['y'] 5\n")
    t = load("sb.json")
    assert_eq(sorted(names_by_pid(t).values()), ["python -c", "tool.py", "tool.py"])
    assert_eq(len(funcs_by_pid(t, "shebang_work")), 2)
    check_clean()


def test_fork_child_exec_keeps_its_part():
    code = ("import os\n"
            "def before_exec():\n"
            "    return 1\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    before_exec()\n"
            "    os.execv('/bin/echo', ['echo', 'execd'])\n"
            "os.waitpid(pid, 0)\n"
            "print('parent')\n")
    r = run_traced(["-o", "x.json", "-c", code])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "execd\nparent\n")
    t = load("x.json")
    assert_eq(len(pids_of(t)), 2)
    evs = slices(t, prefix="before_exec (")
    assert_eq(len(evs), 1)
    parent = {e["pid"] for e in slices(t, "posix.waitpid")}
    assert_eq(len(parent), 1)
    assert evs[0]["pid"] not in parent
    check_clean()


def test_child_killed_loses_only_its_part():
    code = ("import subprocess, sys, time\n"
            "done = subprocess.run([sys.executable, '-c', 'print(1)'])\n"
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
            "time.sleep(0.3)\n"
            "p.kill()\n"
            "print(p.wait())\n")
    r = run_traced(["-o", "k.json", "-c", code])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "1\n-9\n")
    t = load("k.json")
    assert_eq(len(pids_of(t)), 2)
    check_clean()


def test_venv_python_child():
    venv = os.path.join(harness.WORK, "venv")
    subprocess.run(["/usr/bin/python3.11", "-m", "venv", "--without-pip", venv], check=True)
    # An environment of another version: ctrace cannot be it, so that child
    # runs untraced (and as it would).
    other = os.path.join(harness.WORK, "other")
    os.makedirs(os.path.join(other, "bin"))
    os.symlink("/usr/bin/python3.11", os.path.join(other, "bin", "python"))
    with open(os.path.join(other, "pyvenv.cfg"), "w") as f:
        f.write("home = /usr/bin\nversion = 3.99.0\n")
    code = ("import subprocess, sys\n"
            "for py in sys.argv[1:]:\n"
            "    subprocess.run([py, '-c', 'import sys; print(sys.prefix)'], check=True)\n")
    r = run_traced(["-o", "v.json", "-c", code, venv + "/bin/python", "/usr/bin/python3",
                    other + "/bin/python"])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout.splitlines()[:2], [venv, "/usr"])
    t = load("v.json")
    assert_eq(len(pids_of(t)), 3)
    check_clean()


harness.main(globals())

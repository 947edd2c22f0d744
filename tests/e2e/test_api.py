"""The Python API inside traced programs: import ctrace / viztracer."""
import csv
import os
import re
import shutil
import subprocess
from collections import Counter

import harness
from harness import assert_eq, load, run, script, slices

ROOT = os.path.dirname(os.path.dirname(harness.HERE))


def instants(t, name=None):
    return [e for e in t["traceEvents"] if e["ph"] == "i" and (name is None or e["name"] == name)]


def counters(t, name):
    return [e["args"] for e in t["traceEvents"] if e["ph"] == "C" and e["name"] == name]


def test_tracer_api():
    part = os.path.join(harness.WORK, "part.json")
    path = script("api/inline.py")
    r = run(["run", "-o", "all.json", path, part])
    assert_eq(r.returncode, 0, r.stderr)
    assert "counter refused" in r.stdout and r.stdout.endswith("end\n"), r.stdout
    t = load("all.json")
    harness.check_format(t)
    work = "work (%s:15)" % path
    works = slices(t, work)
    # block (7), two trace_and_save calls (3, 3), the raw thread (5)
    assert_eq(sorted(e["args"]["label"]["n"] for e in works), [3, 3, 5, 7])
    assert_eq(works[0]["args"]["label"]["tags"], ["a", "b"])
    # API functions themselves stay out of the trace (but for the wrapper
    # of a decorated function, which runs the user's code).
    ours = {e["name"] for e in slices(t) if "<ctrace>" in e["name"]}
    assert_eq(len(ours), 1, ours)
    assert ours.pop().startswith("trace_and_save.<locals>.wrapper (<ctrace>/ctrace.py:")
    scopes = {e["name"]: e["s"] for e in instants(t)}
    assert_eq(scopes["thread scope"], "t")
    assert_eq(scopes["process scope"], "p")
    assert_eq(scopes["global scope"], "g")
    assert_eq(instants(t, "thread scope")[0]["args"], {"k": 1})
    assert_eq(counters(t, "answer"), [{"answer": 42}])
    assert_eq(instants(t, "words")[0]["args"], {"object": "['x', 'y']"})
    ev = slices(t, "event block")
    assert_eq(len(ev), 1)
    assert ev[0]["dur"] >= 1000 and ev[0]["args"] == {"why": "test"}
    assert "sync_marker" in t["ctrace_metadata"]
    assert_eq(counters(t, "stats"), [{"hits": 1}, {"hits": 2}])
    assert_eq(counters(t, "manual"), [{"a": 1, "b": 2}])
    # Writing an excluded attribute logs nothing, and it is never shown.
    assert_eq([i["args"]["snapshot"] for i in instants(t, "config")], [{"mode": "'fast'"}])
    logs = instants(t, "logging")
    assert_eq([(l["args"]["message"], l["args"]["level"]) for l in logs], [("loaded 3 items", "INFO")])
    # The thread started with _thread has its own track.
    main_tid = [e["tid"] for e in slices(t, prefix="<module> (")][0]
    raw = [e for e in works if e["args"]["label"]["n"] == 5]
    assert raw[0]["tid"] != main_tid

    # The `with ctrace.Tracer(output_file=...)` block went to its own file.
    p = load(part)
    assert_eq([e["args"]["label"]["n"] for e in slices(p, work)], [7])
    assert_eq(len(slices(p, "block_work (%s:20)" % path)), 1)
    assert not slices(p, "event block")
    # trace_and_save: one file per call.
    saved = sorted(os.listdir(os.path.join(harness.WORK, "saved")))
    assert_eq(len(saved), 2, saved)
    for f in saved:
        assert re.fullmatch(r"result_saved_function_\d{8}_\d{6}_\d+(_\d+)?\.json", f), f
        s = load(os.path.join("saved", f))
        assert_eq([e["args"]["label"]["n"] for e in slices(s, work)], [3])


def test_args_always_valid_json():
    code = ("import ctrace, math\n"
            "t = ctrace.get_tracer()\n"
            "t.log_instant('flat', {'x': 1, 'y': 2.5, 's': 'q\"\\n', 'n': None, 'b': True})\n"
            "t.log_instant('nan', {'v': math.nan, 'l': [1, float('inf')]})\n"
            "t.log_instant('surrogate', {'v': '\\udc80'})\n"
            "class R:\n"
            "    def __repr__(self): raise RuntimeError('no')\n"
            "t.log_instant('bad', {'v': R()})\n"
            "t.log_var('big', 10**30)\n")
    r = run(["run", "-o", "j.json", "-c", code])
    assert_eq(r.returncode, 0, r.stderr)
    t = load("j.json")  # strict: no NaN or Infinity
    got = {e["name"]: e["args"] for e in instants(t)}
    assert_eq(got["flat"], {"x": 1, "y": 2.5, "s": 'q"\n', "n": None, "b": True})
    assert_eq(got["nan"], {"repr": "{'v': nan, 'l': [1, inf]}"})
    assert_eq(got["surrogate"], {"repr": "{'v': '\\udc80'}"})
    assert_eq(got["bad"], {"repr": "<not representable>"})
    assert_eq(counters(t, "big"), [{"big": 10**30}])


def test_inline_control():
    path = script("api/control.py")
    r = run(["run", "-o", "c.json", path, harness.WORK])
    assert_eq(r.returncode, 0, r.stderr)
    assert "child marks ['child']" in r.stdout, r.stdout
    assert "parent marks []" in r.stdout, r.stdout
    t = load("c.json")
    names = [e["name"].split(" (")[0] for e in slices(t) if path in e["name"]]
    assert "before_clear" not in names, names
    assert "while_stopped" not in names, names
    assert_eq(names.count("after_start"), 1)
    saved = [e["name"].split(" (")[0] for e in slices(load("saved.json")) if path in e["name"]]
    assert_eq(saved, ["after_start"])


def test_plain_python_without_tracer():
    for f in ("ctrace.py", "viztracer.py", "_ctrace_profiler.py"):
        shutil.copy(os.path.join(ROOT, "embed", "python", f), harness.WORK)
    shutil.copy(script("api/plain.py"), harness.WORK)
    r = subprocess.run(["/usr/bin/python3.11", "plain.py"], cwd=harness.WORK,
                       capture_output=True, text=True)
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "plain ok 3\n")
    rows = list(csv.DictReader(open(os.path.join(harness.WORK, "plain.csv"))))
    assert_eq([row["id"] for row in rows], ["plain"])


def test_profiler_csv_across_processes():
    out = os.path.join(harness.WORK, "prof")
    r = run(["run", "-o", "p.json", script("api/profiler.py"), out])
    assert_eq(r.returncode, 0, r.stderr)
    children = [int(x) for x in re.findall(r"\d+", r.stdout.split("children", 1)[1])]
    assert_eq(len(children), 4)
    with open(out + ".csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, row)) for row in reader]
    assert_eq(header, ["id", "time", "pid", "ppid", "process_name", "parent_process_name",
                       "broken", "error_type", "error_value", "traceback"])
    child_rows = [row for row in rows if int(row["pid"]) in children]
    assert_eq(len(child_rows), 200)
    parent_pid = [int(row["pid"]) for row in rows if row["id"] == "manual"][0]
    for row in child_rows:
        assert_eq(int(row["ppid"]), parent_pid)
        assert re.fullmatch(r"worker-\d", row["process_name"]), row
        assert_eq(row["parent_process_name"], "MainProcess")
        assert float(row["time"]) >= 0
    ids = Counter(row["id"] for row in child_rows)
    assert_eq(ids["decorated"], 100)
    assert_eq(sum(v for k, v in ids.items() if k.startswith("block-")), 100)
    broken = [row for row in child_rows if row["broken"] == "True"]
    assert_eq(len(broken), 4 * 2)  # i = 9 and 19 in each process
    for row in broken:
        assert_eq(row["error_type"], "ValueError")
        assert re.fullmatch(r"bad item (9|19)", row["error_value"]), row
        assert "Traceback" in row["traceback"] and "ValueError" in row["traceback"]
    assert all(row["broken"] == "False" and row["traceback"] == "" for row in child_rows
               if row not in broken)
    # In the parent's trace, the measurement is a slice.
    assert_eq(len(slices(load("p.json"), "Profiler: manual")), 1)


def test_profiler_lock_timeout():
    code = ("import fcntl, ctrace\n"
            "fd = open('busy.csv', 'a')\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "try:\n"
            "    with ctrace.Profiler(id_='x', result_path='busy', timeout=0.2):\n"
            "        pass\n"
            "except ctrace.ProfilerError as e:\n"
            "    print('error:', e)\n"
            "with ctrace.Profiler(id_='y', result_path='busy', timeout=0.2, ignore_timeout=True):\n"
            "    pass\n"
            "print('done')\n")
    r = run(["run", "-o", "l.json", "-c", code])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout, "error: cannot lock busy.csv within 0.2 s\ndone\n")


harness.main(globals())

"""ctrace stats: exact counts, self time, formats, filters."""
import csv
import io
import json
from collections import defaultdict

import harness

FIB = """
import threading
def fib(n):
    if n < 2:
        return abs(n)
    return fib(n - 1) + fib(n - 2)
t = threading.Thread(target=fib, args=(11,))
t.start()
fib(15)
t.join()
"""


def make():
    script = harness.write("fib.py", FIB)
    r = harness.run(["run", "-o", "fib.json", script])
    assert r.returncode == 0, r.stderr
    return harness.load("fib.json")


def reference(trace, name_prefix):
    """count, total (outermost calls), self, children of the function, by
    an independent walk of the X events."""
    by_thread = defaultdict(list)
    for e in harness.slices(trace):
        by_thread[(e["pid"], e["tid"])].append(e)
    count = total = self_t = 0.0
    for evs in by_thread.values():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []  # [end, event, children]

        def pop():
            end, e, ch = stack.pop()
            nonlocal self_t
            if e["name"].startswith(name_prefix):
                self_t += e["dur"] - ch
        for e in evs:
            while stack and stack[-1][0] <= e["ts"]:
                pop()
            if stack:
                stack[-1][2] += min(e["ts"] + e["dur"], stack[-1][0]) - e["ts"]
            if e["name"].startswith(name_prefix):
                count += 1
                if not any(s[1]["name"].startswith(name_prefix) for s in stack):
                    total += e["dur"]
            stack.append([e["ts"] + e["dur"], e, 0.0])
        while stack:
            pop()
    return int(count), total, self_t


def test_fib_exact():
    tr = make()
    r = harness.run(["stats", "fib.json", "--format", "json"])
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    fib = [f for f in st["functions"] if f["name"].startswith("fib (")]
    harness.assert_eq(len(fib), 1, "one fib")
    fib = fib[0]
    # fib(n) makes 2*F(n+1)-1 calls: fib(15) 1973, fib(11) 287
    harness.assert_eq(fib["count"], 1973 + 287, "fib calls")
    count, total, self_t = reference(tr, "fib (")
    harness.assert_eq(fib["count"], count, "count")
    assert abs(fib["total_us"] - total) < 0.01, (fib, total)
    assert abs(fib["self_us"] - self_t) < 0.001 * count, (fib, self_t)
    assert abs(fib["self_us"] + fib["children_us"] - fib["total_us"]) < 0.0015
    assert 0 < fib["self_us"] < fib["total_us"], fib  # abs() is a child
    absf = [f for f in st["functions"] if f["name"] == "builtins.abs"][0]
    harness.assert_eq(absf["count"], 987 + 144, "abs calls: fib(n) has F(n+1) leaves")
    harness.assert_eq(absf["self_us"], absf["total_us"], "a leaf")
    t = st["totals"]
    harness.assert_eq(t["processes"], 1, "processes")
    harness.assert_eq(t["threads"], 2, "threads")
    harness.assert_eq(t["events"], len(tr["traceEvents"]), "events")
    harness.assert_eq(t["dropped_events"], 0, "dropped")
    xs = harness.slices(tr)
    wall = max(e["ts"] + e["dur"] for e in xs) - min(e["ts"] for e in tr["traceEvents"] if e["ph"] != "M")
    assert abs(t["wall_us"] - wall) < 0.01, (t, wall)


def test_text_table_sort_top():
    make()
    r = harness.run(["stats", "fib.json"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(l) for l in lines) <= 100, max(lines, key=len)
    assert "wall time" in lines[0] and "2 threads" in lines[0], lines[0]
    assert any("fib (" in l for l in lines)
    r = harness.run(["stats", "fib.json", "--sort", "count", "--top", "2", "-f", "csv"])
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    harness.assert_eq(rows[0], ["name", "count", "total_us", "self_us", "avg_us", "max_us"], "header")
    harness.assert_eq(len(rows), 3, "top 2")
    assert rows[1][0].startswith("fib ("), rows
    harness.assert_eq(rows[2][0], "builtins.abs", "second by count")
    for key in ("self", "avg", "total"):
        r = harness.run(["stats", "fib.json", "--sort", key, "--format=json"])
        fs = json.loads(r.stdout)["functions"]
        k = key + "_us"
        assert all(fs[i][k] >= fs[i + 1][k] for i in range(len(fs) - 1)), key


def test_filters():
    tr = make()
    main_pid = tr["traceEvents"][0]["pid"]
    tids = {e["tid"] for e in harness.slices(tr)}
    other = [t for t in tids if t != main_pid][0]
    r = harness.run(["stats", "fib.json", "--tid", str(other), "--format", "json", "--pid", str(main_pid)])
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    harness.assert_eq(st["totals"]["threads"], 1, "one thread")
    fib = [f for f in st["functions"] if f["name"].startswith("fib (")][0]
    harness.assert_eq(fib["count"], 287, "fib(11) in the thread")
    r = harness.run(["stats", "fib.json", "--pid", "1", "--format", "json"])
    harness.assert_eq(json.loads(r.stdout)["functions"], [], "no such pid")


def test_gzip_through_a_pipe():
    import gzip
    import subprocess
    tr = make()
    with open(harness.WORK + "/fib.json", "rb") as f:
        data = gzip.compress(f.read())
    r = subprocess.run([harness.CTRACE, "stats", "/dev/stdin", "-f", "json"], input=data,
                       capture_output=True, cwd=harness.WORK)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    harness.assert_eq(st["totals"]["events"], len(tr["traceEvents"]), "events")
    r = subprocess.run([harness.CTRACE, "convert", "/dev/stdin", "-o", "p.csv"], input=data,
                       capture_output=True, cwd=harness.WORK)
    assert r.returncode == 0, r.stderr
    with open(harness.WORK + "/p.csv") as f:
        rows = list(csv.reader(f))
    harness.assert_eq(len(rows) - 1, len(harness.slices(tr)), "rows")
    assert all(row[4] == "fib.py" for row in rows[1:]), rows[1]
    r = subprocess.run([harness.CTRACE, "combine", "fib.json", "/dev/stdin", "-o", "c.json"],
                       input=data, capture_output=True, cwd=harness.WORK)
    harness.assert_eq(r.returncode, 1, "combine reads twice")
    assert b"not a regular file" in r.stderr, r.stderr


def test_begin_end_events_and_errors():
    evs = [{"ph": "B", "name": "outer", "ts": 0, "pid": 1, "tid": 1},
           {"ph": "B", "name": "inner", "ts": 2, "pid": 1, "tid": 1},
           {"ph": "E", "ts": 5, "pid": 1, "tid": 1},
           {"ph": "E", "ts": 10, "pid": 1, "tid": 1}]
    harness.write("be.json", json.dumps(evs))
    r = harness.run(["stats", "be.json", "-f", "json"])
    assert r.returncode == 0, r.stderr
    fs = {f["name"]: f for f in json.loads(r.stdout)["functions"]}
    harness.assert_eq(fs["outer"]["total_us"], 10, "outer total")
    harness.assert_eq(fs["outer"]["self_us"], 7, "outer self")
    harness.assert_eq(fs["inner"]["self_us"], 3, "inner self")
    bad = '{"traceEvents":[{"ph":"X","ts":1,"dur":2,"name":"f"} {}]}'
    harness.write("bad.json", bad)
    r = harness.run(["stats", "bad.json"])
    harness.assert_eq(r.returncode, 1, "status")
    assert r.stderr.strip() == ("ctrace: cannot read 'bad.json': not valid JSON at byte %d: "
                                "expected ',' or ']'" % (bad.index(" {}") + 1)), r.stderr
    harness.assert_eq(r.stdout, "", "no partial output")
    r = harness.run(["stats", "fib.json", "--sort", "bogus"])
    harness.assert_eq(r.returncode, 2, "usage")


harness.main(globals())

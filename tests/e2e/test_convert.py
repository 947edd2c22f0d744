"""ctrace convert: json <-> json.gz round trip, CSV export, bad outputs."""
import csv
import io
import json
import os

import harness

PROG = """
def leaf(i):
    return str(i)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
fib(10)
for i in range(20):
    leaf(i)
"""


def make():
    script = harness.write("prog.py", PROG)
    r = harness.run(["run", "-o", "a.json", script])
    assert r.returncode == 0, r.stderr
    return harness.load("a.json")


def test_round_trip_json_gz_json():
    a = make()
    r = harness.run(["convert", "a.json", "-o", "b.json.gz"])
    assert r.returncode == 0, r.stderr
    with open(os.path.join(harness.WORK, "b.json.gz"), "rb") as f:
        assert f.read(2) == b"\x1f\x8b", "gzip output"
    r = harness.run(["convert", "b.json.gz", "-o", "c.json"])
    assert r.returncode == 0, r.stderr
    c = harness.load("c.json")
    harness.assert_eq(len(c["traceEvents"]), len(a["traceEvents"]), "event count")
    for i, (ea, ec) in enumerate(zip(a["traceEvents"], c["traceEvents"])):
        assert ea == ec, (i, ea, ec)
    harness.assert_eq(c, a, "whole trace")
    # the .gz name is not what decides: a plain file named .gz reads too
    os.rename(os.path.join(harness.WORK, "c.json"), os.path.join(harness.WORK, "plain.json.gz"))
    r = harness.run(["convert", "plain.json.gz", "-o", "d.json"])
    assert r.returncode == 0, r.stderr
    harness.assert_eq(harness.load("d.json"), a, "plain file named .gz")


def test_csv_one_row_per_x_event():
    a = make()
    r = harness.run(["convert", "a.json", "-o", "a.csv"])
    assert r.returncode == 0, r.stderr
    with open(os.path.join(harness.WORK, "a.csv"), newline="") as f:
        rows = list(csv.reader(f, strict=True))
    harness.assert_eq(rows[0], ["id", "time", "pid", "ppid", "process_name", "parent_process_name",
                                "broken", "error_type", "error_value", "traceback"], "header")
    xs = harness.slices(a)
    harness.assert_eq(len(rows) - 1, len(xs), "one row per X event")
    pnames = harness.process_names(a)
    for row, e in zip(rows[1:], xs):
        harness.assert_eq(len(row), 10, "columns")
        harness.assert_eq(row[0], e["name"], "id")
        assert abs(float(row[1]) - e["dur"] / 1e6) < 1e-9, (row, e)
        harness.assert_eq(int(row[2]), e["pid"], "pid")
        harness.assert_eq(row[4], pnames[e["pid"]], "process_name")
    fibs = [r for r in rows if r[0].startswith("fib ")]
    harness.assert_eq(len(fibs), 177, "fib(10) calls")


def test_csv_quoting():
    names = ['plain', 'with,comma', 'with "quotes"', 'new\nline', 'tab\tand\\back', 'ünï']
    evs = [{"ph": "M", "pid": 3, "tid": 3, "name": "process_name", "args": {"name": 'proc, "x"'}}]
    evs += [{"ph": "X", "name": n, "ts": i, "dur": 1.5, "pid": 3, "tid": 3} for i, n in enumerate(names)]
    harness.write("q.json", json.dumps({"traceEvents": evs}))
    r = harness.run(["convert", "q.json", "-o", "q.csv"])
    assert r.returncode == 0, r.stderr
    with open(os.path.join(harness.WORK, "q.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, strict=True))
    harness.assert_eq([r[0] for r in rows[1:]], names, "names")
    harness.assert_eq({r[4] for r in rows[1:]}, {'proc, "x"'}, "process names")
    harness.assert_eq({r[1] for r in rows[1:]}, {"0.000001500"}, "seconds")


def test_html_and_bad_outputs():
    make()
    r = harness.run(["convert", "a.json", "-o", "a.html"])
    if r.returncode == 0:
        assert os.path.getsize(os.path.join(harness.WORK, "a.html")) > 0
    else:
        harness.assert_eq(r.returncode, 1, "status")
        assert "html" in r.stderr.lower() and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert not os.path.exists(os.path.join(harness.WORK, "a.html"))
    r = harness.run(["convert", "a.json", "-o", "a.txt"])
    harness.assert_eq(r.returncode, 1, "unknown extension")
    os.mkdir(os.path.join(harness.WORK, "d.json"))
    r = harness.run(["convert", "a.json", "-o", "d.json"])
    harness.assert_eq(r.returncode, 1, "folder")
    assert "folder" in r.stderr, r.stderr
    harness.write("bad.json", '{"traceEvents":[{"ph":"X","ts":1,"dur":2,"name":"f"},')
    r = harness.run(["convert", "bad.json", "-o", "out.json.gz"])
    harness.assert_eq(r.returncode, 1, "bad input")
    assert "'bad.json'" in r.stderr and "byte" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(harness.WORK, "out.json.gz"))
    r = harness.run(["convert", "bad.json", "-o", "out.csv"])
    harness.assert_eq(r.returncode, 1, "bad input to csv")
    assert not os.path.exists(os.path.join(harness.WORK, "out.csv"))
    r = harness.run(["convert", "a.json"])
    harness.assert_eq(r.returncode, 2, "no output")


harness.main(globals())

"""ctrace combine: merging real traces, --align, metadata, bad inputs."""
import gzip
import json
import os

import harness

PROG = """
import threading
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
t = threading.Thread(target=fib, args=(10,))
t.start()
fib(12)
t.join()
"""


def two_runs():
    script = harness.write("prog.py", PROG)
    for out in ("a.json", "b.json.gz"):
        r = harness.run(["run", "-o", out, script])
        assert r.returncode == 0, r.stderr
    return harness.load("a.json"), harness.load("b.json.gz")


def pids(trace):
    return {e["pid"] for e in trace["traceEvents"]}


def start(evs):
    return min(e["ts"] for e in evs if e["ph"] != "M" and "ts" in e)


def test_two_runs_keep_every_event_and_pids():
    a, b = two_runs()
    r = harness.run(["combine", "a.json", "b.json.gz", "-o", "c.json"])
    assert r.returncode == 0, r.stderr
    c = harness.load("c.json")
    harness.check_format(c)
    harness.assert_eq(len(c["traceEvents"]), len(a["traceEvents"]) + len(b["traceEvents"]), "events")
    assert pids(a) != pids(b)
    harness.assert_eq(pids(c), pids(a) | pids(b), "pids")
    # Events of each run are kept, shifted onto the earliest origin.
    oa = a["ctrace_metadata"]["origin_monotonic_ns"]
    ob = b["ctrace_metadata"]["origin_monotonic_ns"]
    o = min(oa, ob)
    harness.assert_eq(c["ctrace_metadata"]["origin_monotonic_ns"], o, "origin")
    pb = pids(b).pop()
    got = sorted((e["name"], e["ts"]) for e in c["traceEvents"] if e["pid"] == pb and e["ph"] == "X")
    want = sorted((e["name"], round(e["ts"] + (ob - o) / 1000, 3)) for e in b["traceEvents"] if e["ph"] == "X")
    assert len(got) == len(want)
    for (n1, t1), (n2, t2) in zip(got, want):
        assert n1 == n2 and abs(t1 - t2) < 0.0015, (n1, t1, n2, t2)
    # b started after a: its events come later on the shared clock
    assert start([e for e in c["traceEvents"] if e["pid"] == pb]) > start(
        [e for e in c["traceEvents"] if e["pid"] != pb])
    harness.check_nesting(c)
    funcs = c["file_info"]["functions"]
    assert any(k.startswith("fib ") for k in funcs), funcs


def test_align_starts_at_zero():
    a, b = two_runs()
    r = harness.run(["combine", "--align", "a.json", "b.json.gz", "-o", "d.json.gz"])
    assert r.returncode == 0, r.stderr
    d = harness.load("d.json.gz")
    harness.check_format(d)
    harness.assert_eq(len(d["traceEvents"]), len(a["traceEvents"]) + len(b["traceEvents"]), "events")
    harness.assert_eq(pids(d), pids(a) | pids(b), "pids")
    for p in pids(d):
        harness.assert_eq(start([e for e in d["traceEvents"] if e["pid"] == p]), 0, "start of %d" % p)
    # durations are untouched
    harness.assert_eq(sorted(e["dur"] for e in d["traceEvents"] if e["ph"] == "X"),
                      sorted(e["dur"] for e in a["traceEvents"] + b["traceEvents"] if e["ph"] == "X"),
                      "durations")
    assert d["ctrace_metadata"]["aligned"] is True


def test_same_pid_apart_with_align_merged_without():
    a, _ = two_runs()
    r = harness.run(["combine", "a.json", "a.json", "-o", "plain.json"])
    assert r.returncode == 0, r.stderr
    plain = harness.load("plain.json")
    harness.assert_eq(pids(plain), pids(a), "plain combine merges equal pids")
    harness.assert_eq(len(plain["traceEvents"]), 2 * len(a["traceEvents"]), "events")
    r = harness.run(["combine", "--align", "a.json", "a.json", "-o", "al.json"])
    assert r.returncode == 0, r.stderr
    al = harness.load("al.json")
    harness.assert_eq(len(pids(al)), 2, "--align keeps the runs apart")
    tids = {e["tid"] for e in a["traceEvents"]}
    assert not (pids(al) - pids(a)) & tids, "a fresh pid must not look like a tid"
    names = harness.process_names(al)
    assert all(n.endswith("[a.json]") for n in names.values()), names
    for p in pids(al):
        harness.assert_eq(len([e for e in al["traceEvents"] if e["pid"] == p]), len(a["traceEvents"]), "per pid")


def trace(events, meta=None, file_info=None, **extra):
    t = {"traceEvents": events}
    if meta is not None:
        t["ctrace_metadata"] = meta
    if file_info is not None:
        t["file_info"] = file_info
    t.update(extra)
    return json.dumps(t)


def x(name, ts, dur, pid=1, tid=1):
    return {"ph": "X", "name": name, "ts": ts, "dur": dur, "pid": pid, "tid": tid}


def test_metadata_merged_and_sync_marker():
    harness.write("m1.json", trace(
        [x("f", 100, 10), x("g", 200, 5)],
        meta={"version": "0.1.0", "python": "3.11.2", "overflow": False, "dropped_events": 3,
              "origin_monotonic_ns": 5000000, "sync_marker": 150},
        file_info={"files": {"/a.py": ["x", 1]}, "functions": {"f": ["/a.py", 1]}},
        otherData={"k": 1}))
    harness.write("m2.json", trace(
        [x("h", 7000, 10, pid=2, tid=2)],
        meta={"version": "0.1.0", "python": "3.11.2", "overflow": True, "dropped_events": 4,
              "origin_monotonic_ns": 1000000},
        file_info={"files": {"/b.py": ["y", 2]}, "functions": {"h": ["/b.py", 3]}}))
    r = harness.run(["combine", "m1.json", "m2.json", "-o", "m.json"])
    assert r.returncode == 0, r.stderr
    m = harness.load("m.json")
    harness.check_format(m)
    meta = m["ctrace_metadata"]
    harness.assert_eq(meta["overflow"], True, "overflow")
    harness.assert_eq(meta["dropped_events"], 7, "dropped")
    harness.assert_eq(meta["origin_monotonic_ns"], 1000000, "origin")
    harness.assert_eq(set(m["file_info"]["files"]), {"/a.py", "/b.py"}, "files")
    harness.assert_eq(set(m["file_info"]["functions"]), {"f", "h"}, "functions")
    harness.assert_eq(m["otherData"], {"k": 1}, "otherData kept")
    ts = {e["name"]: e["ts"] for e in m["traceEvents"]}
    # m1's origin is 4 ms after m2's: shifted by 4000 us
    harness.assert_eq(ts, {"f": 4100, "g": 4200, "h": 7000}, "shifted")
    r = harness.run(["combine", "--align", "m1.json", "m2.json", "-o", "ma.json"])
    assert r.returncode == 0, r.stderr
    ts = {e["name"]: e["ts"] for e in harness.load("ma.json")["traceEvents"]}
    harness.assert_eq(ts, {"f": -50, "g": 50, "h": 0}, "aligned at the sync marker")


def test_big_origins_stay_exact():
    # After 104 days of uptime CLOCK_MONOTONIC passes 2^53 ns: no doubles.
    o1, o2 = 12345678901234567, 12345678901234567 + 1001
    harness.write("o1.json", trace([x("f", 1, 1)], meta={"origin_monotonic_ns": o1, "dropped_events": 2}))
    harness.write("o2.json", trace([x("g", 1, 1)], meta={"origin_monotonic_ns": o2, "dropped_events": 3}))
    r = harness.run(["combine", "o2.json", "o1.json", "-o", "o.json"])
    assert r.returncode == 0, r.stderr
    with open(harness.WORK + "/o.json") as f:
        text = f.read()
    assert '"origin_monotonic_ns":%d' % o1 in text, text[-300:]
    o = json.loads(text)
    harness.assert_eq(o["ctrace_metadata"]["dropped_events"], 5, "dropped")
    harness.assert_eq({e["name"]: e["ts"] for e in o["traceEvents"]}, {"f": 1, "g": 2.001}, "shift")


MARKED = """
import sys, time
import ctrace
def before():
    time.sleep(float(sys.argv[1]))
def after():
    pass
before()
ctrace.get_tracer().set_sync_marker()
after()
"""


def test_align_at_sync_marker_of_real_runs():
    script = harness.write("marked.py", MARKED)
    for out, delay in (("m1.json", "0.01"), ("m2.json", "0.06")):
        r = harness.run(["run", "-o", out, script, delay])
        assert r.returncode == 0, r.stderr
        assert "sync_marker" in harness.load(out)["ctrace_metadata"], out
    r = harness.run(["combine", "--align", "m1.json", "m2.json", "-o", "m.json"])
    assert r.returncode == 0, r.stderr
    m = harness.load("m.json")
    harness.assert_eq(len(pids(m)), 2, "pids")
    for p in pids(m):
        evs = [e for e in m["traceEvents"] if e["pid"] == p and e["ph"] == "X"]
        after = [e for e in evs if e["name"].startswith("after (")]
        before = [e for e in evs if e["name"].startswith("before (")]
        assert len(after) == 1 and len(before) == 1, evs
        # the marker is 0: after() starts just past it, before() ended before it
        assert 0 <= after[0]["ts"] < 5000, after
        assert before[0]["ts"] + before[0]["dur"] <= 0, before


def test_array_form_and_viztracer_input():
    # VizTracer-style array without its closing bracket, and an object with
    # viztracer_metadata
    harness.write("v1.json", '[{"ph":"X","name":"f","ts":1.5,"dur":1,"pid":9,"tid":9},\n'
                             '{"ph":"i","name":"mark","ts":3,"pid":9,"tid":9,"s":"p"},\n')
    harness.write("v2.json", trace([x("g", 10, 2, pid=8, tid=8)],
                                   viztracer_metadata={"overflow": True, "version": "0.16"}))
    r = harness.run(["combine", "v1.json", "v2.json", "-o", "v.json"])
    assert r.returncode == 0, r.stderr
    v = harness.load("v.json")
    harness.assert_eq(len(v["traceEvents"]), 3, "events")
    assert v["ctrace_metadata"]["overflow"] is True
    assert v["viztracer_metadata"]["version"] == "0.16"


BAD = {
    "notjson.json": ("hello world", "not valid JSON at byte 0"),
    "trunc.json": ('{"traceEvents":[{"ph":"X","ts":1,"dur":2,"name":"f"},{"ph":"X","ts":', "truncated JSON at byte"),
    "nottrace.json": ('{"foo": [1, 2, 3]}', "not a Chrome trace"),
    "nofield.json": ('{"traceEvents":[{"ph":"X","ts":1,"name":"f"}]}', 'has no "dur"'),
    "badtok.json": ('{"traceEvents":[{"ph":"X" "ts":1}]}', "at byte 26"),
}


def check_fails(args, needle, out):
    r = harness.run(args)
    harness.assert_eq(r.returncode, 1, "exit status of %s (stderr %r)" % (args, r.stderr))
    lines = r.stderr.strip().splitlines()
    harness.assert_eq(len(lines), 1, "one line: %r" % r.stderr)
    assert lines[0].startswith("ctrace: ") and needle in lines[0], (needle, lines)
    assert not os.path.exists(os.path.join(harness.WORK, out)), "partial output left"
    leftovers = [f for f in os.listdir(harness.WORK) if f.startswith("." + out)]
    assert not leftovers, leftovers


def test_bad_inputs():
    good = harness.write("good.json", trace([x("f", 1, 1)]))
    for name, (text, needle) in BAD.items():
        harness.write(name, text)
        check_fails(["combine", good, name, "-o", "out.json"], needle, "out.json")
        assert "'%s'" % name in harness.run(["combine", good, name]).stderr
    # truncated gzip
    data = gzip.compress(json.dumps({"traceEvents": [x("f", i, 1) for i in range(5000)]}).encode())
    with open(os.path.join(harness.WORK, "trunc.json.gz"), "wb") as f:
        f.write(data[: len(data) // 2])
    check_fails(["combine", good, "trunc.json.gz", "-o", "out.json"], "corrupt gzip data", "out.json")
    check_fails(["combine", good, "missing.json", "-o", "out.json"], "No such file", "out.json")
    os.mkdir(os.path.join(harness.WORK, "adir"))
    check_fails(["combine", good, "-o", "adir"], "'adir': it is a folder", "adir/x")
    check_fails(["combine", good, "-o", "nofolder/out.json"], "nofolder", "nofolder")
    r = harness.run(["combine"])
    harness.assert_eq(r.returncode, 2, "usage error")


def test_hostile_numbers():
    # Huge, tiny and odd numbers must not overflow anything (the sanitizer
    # build aborts on signed overflow).
    evs = [x("a", 1e300, 1e300), x("b", -1e300, 1e300), x("c", 9223372036854775807, -5),
           x("d", 0.0000001, 1.23456789e-3), x("e", 2305843009213693.952, 1e20)]
    evs += [{"ph": "B", "name": "o", "ts": -1e300, "pid": 1, "tid": 1},
            {"ph": "E", "ts": 1e300, "pid": 1, "tid": 1}]
    harness.write("h1.json", trace(evs, meta={"origin_monotonic_ns": 1e300, "sync_marker": 1e300,
                                              "dropped_events": 1e300, "overflow": "yes"}))
    harness.write("h2.json", trace(evs, meta={"origin_monotonic_ns": 3, "sync_marker": -1e20}))
    for args in (["combine", "h1.json", "h2.json", "-o", "h.json"],
                 ["combine", "--align", "h1.json", "h2.json", "h1.json", "-o", "h.json"],
                 ["stats", "h1.json"], ["stats", "h2.json", "-f", "json"],
                 ["convert", "h1.json", "-o", "h.csv"]):
        r = harness.run(args)
        assert r.returncode == 0, (args, r.stderr)
        if args[0] == "combine":
            harness.load("h.json")


def test_help():
    r = harness.run(["combine", "--help"])
    assert r.returncode == 0
    assert "--align" in r.stdout and "pid" in r.stdout and "result.json" in r.stdout


harness.main(globals())

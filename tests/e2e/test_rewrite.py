"""Logs without code change: --log-var, --log-number, --log-attr,
--log-func-exec and --magic-comment (source rewriting)."""
import os
import subprocess
import sys

import harness
from harness import assert_eq, events, load, run, script, slices

S = script("rewrite")


def instants(trace):
    return [e["name"] for e in events(trace, "i")]


def counters(trace):
    return [(e["name"], e["args"]) for e in events(trace, "C")]


def traced(args, out="t.json", cwd=None, env=None, rc=0):
    r = run(["run", "-o", out] + args, cwd=cwd, env=env)
    assert_eq(r.returncode, rc, r.stderr)
    return load(os.path.join(cwd, out) if cwd else out), r


HELPER_CALLS = ("builtins.repr", "_ctrace.log_instant", "_ctrace.log_counter",
                "_ctrace.func_args", "_ctrace.untraced")


def no_helpers(trace, plain=None):
    """The injected calls and what they call never show as slices: none of
    HELPER_CALLS, or no more than in PLAIN, the trace of a run without
    rewriting."""
    allowed = {n: len(slices(plain, n)) if plain else 0 for n in HELPER_CALLS}
    for e in slices(trace):
        assert "<ctrace>" not in e["name"], e
    for n in HELPER_CALLS:
        assert len(slices(trace, n)) <= allowed[n], (n, len(slices(trace, n)), allowed[n])


def python3(args, cwd=None, env=None):
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run([sys.executable] + args, cwd=cwd or harness.WORK, env=full,
                          capture_output=True, text=True, timeout=120)


FORMS = [
    "v_plain = 1", "v_plain = 11",          # plain, augmented
    "v_ann = 5",                            # annotated
    "v_x = 1", "v_y = 2", "v_z = [3, 4]",   # tuple unpacking, starred
    "v_i = 0", "v_i = 1",                   # for target
    "v_w = 'boxed'",                        # with ... as
    "v_walrus = 3",                         # :=
    "v_err = KeyError('k')",                # except ... as
    # parameters on entry: positional, default, *args, keyword-only, **kwargs
    "v_a = 1", "v_b = 2", "v_rest = ()", "v_kw = 4", "v_more = {}",
    "v_n = 21", "v_result = 42",            # in the imported helper_mod
    "v_module = 42",
]


def test_log_var_forms():
    t, r = traced(["--log-var", "^v_", "--", os.path.join(S, "forms.py")])
    assert "done 42 True" in r.stdout, r.stdout
    assert_eq(instants(t), FORMS, "instants")
    assert all(e["s"] == "t" for e in events(t, "i"))
    no_helpers(t)
    harness.check_format(t)
    harness.check_nesting(t)
    # The functions are the same as without rewriting, under the same names.
    plain, _ = traced([os.path.join(S, "forms.py")], out="plain.json")
    assert_eq(instants(plain), [])
    names = {e["name"] for e in slices(t)}
    assert names <= {e["name"] for e in slices(plain)}, names - {e["name"] for e in slices(plain)}
    for fn in ("main (%s/forms.py:20)" % S, "params (%s/forms.py:15)" % S,
               "double (%s/helper_mod.py:1)" % S):
        assert fn in names, fn
    # Several expressions, and underscores in the option's name.
    t, _ = traced(["--log_var", "^v_x$", "result", "--", os.path.join(S, "forms.py")],
                  out="two.json")
    assert_eq(instants(t), ["v_x = 1", "v_result = 42"])


def test_log_number():
    t, _ = traced(["--log-number", "^n_", "--", os.path.join(S, "numbers_attrs.py")])
    assert_eq(counters(t), [("n_count", {"n_count": 1}), ("n_count", {"n_count": 3}),
                            ("n_ratio", {"n_ratio": 0.5}), ("n_flag", {"n_flag": 1})])
    # Non-numbers are an error event each, not a crash.
    bad = events(t, "i")
    assert_eq([e["name"] for e in bad], ["n_bad: not a number", "n_nan: not a number"])
    assert_eq(bad[0]["args"], {"value": "'text'", "type": "str"})
    no_helpers(t)
    # Both on one name: an instant and a counter per assignment.
    t, _ = traced(["--log-number", "^n_count$", "--log-var", "^n_count$", "--",
                   os.path.join(S, "numbers_attrs.py")], out="both.json")
    assert_eq(instants(t), ["n_count = 1", "n_count = 3"])
    assert_eq(len(counters(t)), 2)


def test_log_attr():
    t, _ = traced(["--log-attr", "^x$", "--", os.path.join(S, "numbers_attrs.py")])
    assert_eq(instants(t), [
        "self.x = 0",       # Point() in main
        "self.x = 5",       # self.x += 5
        "self.x = 0",       # the Point() in the list
        "pts[0].x = 7",     # lst[0].x
        "get(p).x = 9",     # any expression: logged as assigned, evaluated once
        "p.x = 1",          # in tuple unpacking
        "s.x = 3",          # __slots__
    ])
    no_helpers(t)
    # The regular expression also sees the whole target.
    t, _ = traced(["--log-attr", r"^self\.", "--", os.path.join(S, "numbers_attrs.py")],
                  out="self.json")
    assert_eq(instants(t), ["self.x = 0", "self.label = 'p'", "self.x = 5", "self.x = 0",
                            "self.label = 'p'"])


def test_log_func_exec():
    t, _ = traced(["--log-func-exec", "^work", "--", os.path.join(S, "func_exec.py")])
    work = slices(t, "work (%s/func_exec.py:4)" % S)
    assert_eq(len(work), 2)
    assert_eq(work[0]["args"]["exec_steps"],
              [["b", "2", 5], ["c", "2", 6], ["d", "4", 6], ["i", "0", 7], ["b", "2", 8],
               ["i", "1", 7], ["b", "3", 8]])
    assert_eq(work[1]["args"]["exec_steps"][0], ["b", "11", 5])
    method = slices(t, "K.work_too (%s/func_exec.py:18)" % S)
    assert_eq(method[0]["args"], {"exec_steps": [["self.y", "3", 19], ["w", "3", 20]]})
    assert "args" not in slices(t, "other (%s/func_exec.py:12)" % S)[0]
    assert_eq(instants(t), [])
    no_helpers(t)
    # Together with --log-func-args: both in the same args.
    t, _ = traced(["--log-func-args", "--log-func-exec", "^work$", "--",
                   os.path.join(S, "func_exec.py")], out="args.json")
    a = slices(t, "work (%s/func_exec.py:4)" % S)[0]["args"]
    assert "exec_steps" in a and len(a) >= 2, a
    # A := in (nested) comprehensions is a step of the function around them.
    t, _ = traced(["--log-func-exec", "^comps$", "--", os.path.join(S, "func_exec.py")],
                  out="comps.json")
    steps = [e["args"]["exec_steps"] for e in slices(t) if "args" in e]
    assert_eq(steps, [[["z", "0", 25], ["z", "0", 25], ["z", "0", 25], ["z", "1", 25],
                       ["out", "[[0, 0], [0, 1]]", 25]]])
    # The qualified name: Class.method.
    t, _ = traced(["--log-func-exec", r"^K\.work_too$", "--", os.path.join(S, "func_exec.py")],
                  out="qual.json")
    assert_eq([e["name"] for e in slices(t) if "args" in e],
              ["K.work_too (%s/func_exec.py:18)" % S])


MAGIC = [
    "compute start", "total = 0",
    "i = 0", "total = 1", "i = 1", "total = 3", "i = 2", "total = 6", "i = 3",
    "big = 60", "total is large",
    "compute start", "total = 0", "i = 0", "total = 1", "i = 1",
    # after code: log (a subscript), on a for, a call list, on a statement
    # that assigns nothing, 'log if', on except ... as, before a return
    "seen['n'] = 2", "item = 'a'", "seen = ['a', 'n']", "item = 'b'", "seen = ['a', 'b', 'n']",
    "magic.py:28", "count = 2", "err = KeyError('a')", "returning",
]


def test_magic_comment():
    path = os.path.join(S, "magic.py")
    t, r = traced(["--magic-comment", path])
    assert_eq(instants(t), MAGIC)
    assert_eq(events(t, "i", "returning")[0]["args"], {"count": 2})
    assert_eq(counters(t), [("total", {"total": 6}), ("total", {"total": 1}),
                            ("size", {"size": 2}), ("size", {"size": 3})])
    assert_eq(r.stdout, "x")
    assert "magic comment" not in r.stderr, r.stderr
    no_helpers(t)
    # Without the option they are plain comments.
    t, r = traced([path], out="off.json")
    assert_eq(instants(t), [])
    assert_eq(counters(t), [])


def test_magic_comment_first_and_failing():
    # Before a docstring or a __future__ import (which stay first), and one
    # whose code fails: an event says so, the program goes on.
    path = os.path.join(S, "magic_first.py")
    t, r = traced(["--magic-comment", path])
    assert_eq(r.stdout, python3([path]).stdout)
    assert_eq(r.stdout, "Module doc. f doc C doc\n")
    assert_eq(instants(t), ["module start", "before future", "in C", "in f",
                            "magic comment failed (magic_first.py:10)"])
    assert_eq(events(t, "i")[-1]["args"],
              {"error": "NameError: name 'undefined_name' is not defined"})


def test_magic_comment_problems():
    # An unknown call is ignored with one warning; the rest still works.
    p = harness.write("odd.py", "x = 1\n# !ctrace: format_disk()\n"
                                "# !ctrace: log_instant('ok')\n"
                                "@staticmethod  # !ctrace: log\ndef f(): pass\n")
    t, r = traced(["--magic-comment", p])
    assert_eq(instants(t), ["ok"])
    lines = [l for l in r.stderr.splitlines() if "odd.py" in l]
    assert_eq(len(lines), 1, r.stderr)
    assert lines[0].startswith("ctrace: magic comment ignored in") and "line 2" in lines[0]
    assert lines[0].endswith("(and 1 more)"), lines[0]


def test_rewrite_failure_leaves_file_unchanged():
    t, r = traced(["--log-var", "^v_", "--magic-comment", os.path.join(S, "broken.py")])
    assert "ran 3" in r.stdout, r.stdout
    warn = [l for l in r.stderr.splitlines() if l.startswith("ctrace: cannot rewrite")]
    assert_eq(len(warn), 1, r.stderr)
    assert "broken.py" in warn[0] and "line 5" in warn[0] and "runs unchanged" in warn[0], warn
    assert_eq(instants(t), [])  # untouched: no logs at all from it
    # -q keeps the warning quiet too.
    t, r = traced(["-q", "--log-var", "^v_", "--magic-comment", os.path.join(S, "broken.py")],
                  out="q.json")
    assert_eq(r.stderr, "")


def test_import_paths():
    t, _ = traced(["--log-var", "^v_", "--", os.path.join(S, "imports.py")])
    assert_eq(instants(t), ["v_plain = 5", "v_inner = 50", "v_sub = 100", "v_dyn = 3",
                            "v_runpy = 5", "v_path = 4", "v_main = 108"])
    # -m: the module is found by the import system, so rewritten there.
    t, _ = traced(["--log-var", "^v_", "-m", "mod_plain"], out=harness.WORK + "/m.json", cwd=S)
    assert_eq(instants(t), ["v_plain = 5"])
    # -c: the imported modules are the user's.
    t, _ = traced(["--log-var", "^v_", "-c", "import mod_dyn"], out=harness.WORK + "/c.json",
                  cwd=S)
    assert_eq(instants(t), ["v_dyn = 3"])


def test_tracebacks_and_source_unchanged():
    path = os.path.join(S, "raises.py")
    t, r = traced(["--log-var", "^v_", "--magic-comment", path], rc=1)
    ref = python3([path])
    assert_eq(ref.returncode, 1)
    assert_eq(r.stdout, ref.stdout)
    assert_eq(r.stdout, "True __main__ True\n")
    # The traceback is python3's, line for line.
    tb = [l for l in r.stderr.splitlines() if not l.startswith("ctrace: ")]
    assert_eq(tb, ref.stderr.splitlines())
    assert '  File "%s", line 4, in fail' % os.path.join(S, "raiser.py") in tb, tb
    assert_eq(instants(t), ["v_x = 1", "v_x = 1", "v_before = 1", "v_n = 3", "v_deep = 6"])
    harness.check_nesting(t)


def test_behaviour_unchanged():
    # Every option on, every name matching: the program's output is python3's.
    path = os.path.join(S, "behaviour.py")
    ref = python3([path])
    assert_eq(ref.returncode, 0, ref.stderr)
    t, r = traced(["-q", "--log-var", ".", "--log-number", ".", "--log-attr", ".",
                   "--log-func-exec", ".", "--magic-comment", "--", path])
    assert_eq(r.stdout, ref.stdout)
    assert_eq(r.stderr, "")
    names = instants(t)
    # A __repr__ that raises, and one that would log from inside a log.
    assert "bad = <repr failed: RuntimeError>" in names, names
    assert not [n for n in names if "RecursionError" in n], names
    assert "err = ValueError('v')" in names and "café = 'unicode'" in names, names
    plain, _ = traced(["-q", "--", path], out="plain.json")
    no_helpers(t, plain)
    harness.check_nesting(t)


def test_folder_target():
    harness.write("appdir/__main__.py", "v_in_main = 1\nprint(__name__)\n")
    t, r = traced(["--log-var", "^v_", "--", os.path.join(harness.WORK, "appdir")])
    assert_eq(r.stdout, "__main__\n")
    assert_eq(instants(t), ["v_in_main = 1"])


def test_exit_status():
    path = os.path.join(S, "exits.py")
    # 99: KeyboardInterrupt, after which python3 dies of SIGINT (-2 here,
    # 130 in a shell).
    for code, want in (("0", 0), ("3", 3), ("99", -2)):
        t, r = traced(["--log-var", "^v_", "--", path, code], rc=want)
        assert_eq(python3([path, code]).returncode, want, code)
        assert_eq(instants(t), ["v_code = %s" % code])
        if want == -2:
            assert "KeyboardInterrupt" in r.stderr, r.stderr


def test_no_stale_cache():
    write_bytecode = {"PYTHONDONTWRITEBYTECODE": ""}
    harness.write("app/main.py", "import cached_mod\nprint(cached_mod.v_val)\n")
    mod = harness.write("app/cached_mod.py", "v_val = 111\n")
    app = os.path.dirname(mod)
    # python3 writes the module's .pyc ...
    assert_eq(python3(["main.py"], cwd=app, env=write_bytecode).stdout, "111\n")
    pyc = os.path.join(app, "__pycache__", "cached_mod.cpython-311.pyc")
    before = open(pyc, "rb").read()
    # ... which is stale once the source changes with the same size and time.
    st = os.stat(mod)
    with open(mod, "w") as f:
        f.write("v_val = 222\n")
    os.utime(mod, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert_eq(python3(["main.py"], cwd=app, env=write_bytecode).stdout, "111\n")
    # A rewritten module is compiled from its source, and never cached.
    t, r = traced(["--log-var", "^v_", "--", "main.py"], out="r.json", cwd=app, env=write_bytecode)
    assert_eq(r.stdout, "222\n")
    assert_eq(instants(t), ["v_val = 222"])
    assert_eq(open(pyc, "rb").read(), before)
    # A second run without the option does not pick up rewritten code...
    os.remove(pyc)
    t, r = traced(["--log-var", "^v_", "--", "main.py"], out="r2.json", cwd=app, env=write_bytecode)
    assert not os.path.exists(pyc)
    t, r = traced(["--", "main.py"], out="p.json", cwd=app, env=write_bytecode)
    assert_eq(r.stdout, "222\n")
    assert_eq(instants(t), [])
    assert os.path.exists(pyc)  # (a plain run caches as python3 does)
    # ... and a second rewriting run with other names does not reuse the first.
    t, r = traced(["--log-var", "^v_val$", "--", "main.py"], out="r3.json", cwd=app,
                  env=write_bytecode)
    assert_eq(instants(t), ["v_val = 222"])
    t, r = traced(["--log-var", "^nothing$", "--", "main.py"], out="r4.json", cwd=app,
                  env=write_bytecode)
    assert_eq(instants(t), [])


def test_stdlib_not_rewritten():
    # 'name' is assigned all over the standard library: none of it is logged.
    p = harness.write("std.py", "import json, textwrap\nname = json.dumps([1])\n"
                                "textwrap.dedent('  a')\n")
    t, _ = traced(["--log-var", "^name$", "--log-attr", ".", "--", p])
    assert_eq(instants(t), ["name = '[1]'"])


def test_bad_regex():
    r = run(["run", "--log-var", "v_(", "--", os.path.join(S, "forms.py")])
    assert_eq(r.returncode, 2)
    assert "ctrace: invalid regular expression 'v_(' for '--log-var'" in r.stderr, r.stderr


def test_rcfile():
    harness.write(".ctracerc", "[default]\nlog_var = ^v_plain$\nmagic_comment = true\n")
    t, _ = traced([os.path.join(S, "forms.py")])
    assert_eq(instants(t), ["v_plain = 1", "v_plain = 11"])


harness.main(globals())

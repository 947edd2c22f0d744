"""ctrace run where users' code lives: virtual environments, PYTHON*
variables, console scripts on PATH, pytest, unittest and CPython's own test
suite. Each case compares with what python3 itself does in the same shell."""
import json
import os
import shutil
import subprocess

import harness
from harness import assert_eq, load, script, slices, write

PY = "/usr/bin/python3.11"
# A shell without any virtual environment: no VIRTUAL_ENV, plain PATH.
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k != "VIRTUAL_ENV" and not k.startswith("PYTHON")}
    env["PATH"] = BASE_PATH
    env["PYTHONHASHSEED"] = "0"  # so hash() compares equal across runs
    env.update(extra)
    return env


def ctrace(args, env, cwd=None, timeout=240):
    return subprocess.run([harness.CTRACE] + list(args), cwd=cwd or harness.WORK, env=env,
                          capture_output=True, text=True, timeout=timeout)


def python(args, env, cwd=None):
    return subprocess.run(list(args), cwd=cwd or harness.WORK, env=env, capture_output=True,
                          text=True, timeout=120)


def make_venv(name="venv"):
    """A venv made by python3.11 -m venv, with a package ctpkg in its
    site-packages and a .pth file adding a folder with module ctpth."""
    venv = os.path.join(harness.WORK, name)
    subprocess.run([PY, "-m", "venv", "--without-pip", venv], check=True)
    site = os.path.join(venv, "lib", "python3.11", "site-packages")
    write(os.path.join(site, "ctpkg", "__init__.py"),
          "def answer():\n    return 42\n\nVALUE = answer()\n")
    extra = os.path.join(harness.WORK, name + "-pth")
    write(os.path.join(extra, "ctpth.py"), "X = 1\n")
    write(os.path.join(site, "ctextra.pth"), extra + "\n")
    return venv


def activated(venv, **extra):
    """The environment of a shell where VENV's bin/activate was sourced."""
    env = dict(VIRTUAL_ENV=venv, PATH=os.path.join(venv, "bin") + ":" + BASE_PATH)
    env.update(extra)
    return clean_env(**env)


def test_venv_package():
    venv = make_venv()
    where = script("where.py")
    mods = ["ctpkg", "ctpth"]
    env = activated(venv)
    want = json.loads(python(["python3", where] + mods, env).stdout)
    assert_eq(want["prefix"], venv, "the venv's python3 itself")
    assert want["modules"]["ctpkg"].startswith(venv), want["modules"]
    # Activated (VIRTUAL_ENV and PATH), PATH alone, VIRTUAL_ENV alone and
    # --python: the same world as the venv's python3.
    ways = [
        ([], env),
        ([], clean_env(PATH=env["PATH"])),
        ([], clean_env(VIRTUAL_ENV=venv)),
        (["--python", os.path.join(venv, "bin", "python3")], clean_env()),
        # The python3 first on PATH wins over a stale VIRTUAL_ENV.
        ([], dict(env, VIRTUAL_ENV=os.path.join(harness.WORK, "gone"))),
    ]
    for i, (opts, e) in enumerate(ways):
        out = "v%d.json" % i
        r = ctrace(["run", "-q", "-o", out] + opts + [where] + mods, e)
        assert_eq(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        assert_eq(got, want, "way %d %r" % (i, opts))
        t = load(out)
        harness.check_format(t)
        pkg_init = os.path.join(venv, "lib", "python3.11", "site-packages", "ctpkg", "__init__.py")
        assert_eq(len(slices(t, "answer (%s:1)" % pkg_init)), 1, "the package's call traced")
    # The venv's site-packages is its own, not the system's.
    assert os.path.join(venv, "lib", "python3.11", "site-packages") in got["site_packages"]
    assert_eq(got["executable"], os.path.join(venv, "bin", "python3"))
    assert_eq(got["base_prefix"], "/usr")

    # Not active: the system's Python, where the package is not importable.
    r = ctrace(["run", "-q", "-o", "sys.json", where] + mods, clean_env())
    assert_eq(r.returncode, 0, r.stderr)
    got = json.loads(r.stdout)
    want = json.loads(python([PY, where] + mods, clean_env()).stdout)
    assert_eq(got, want, "system")
    assert_eq(got["prefix"], "/usr")
    assert_eq(got["executable"], PY)
    assert got["modules"]["ctpkg"].startswith("ImportError"), got["modules"]
    r = ctrace(["run", "-q", "-o", "imp.json", "-c", "import ctpkg"], clean_env())
    assert_eq(r.returncode, 1)
    assert "ModuleNotFoundError: No module named 'ctpkg'" in r.stderr, r.stderr


def test_venv_sys_executable_runs():
    # Programs that start sys.executable get the venv's interpreter.
    venv = make_venv()
    code = ("import subprocess, sys; "
            "print(subprocess.run([sys.executable, '-c', 'import sys, ctpkg; print(sys.prefix)'],"
            " capture_output=True, text=True).stdout.strip())")
    r = ctrace(["run", "-q", "-o", "x.json", "-c", code], activated(venv))
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(r.stdout.strip(), venv)


def test_venv_version_mismatch():
    # A fake environment whose pyvenv.cfg names another Python version.
    fake = os.path.join(harness.WORK, "old")
    os.makedirs(os.path.join(fake, "bin"))
    os.symlink(PY, os.path.join(fake, "bin", "python3"))
    write(os.path.join(fake, "pyvenv.cfg"),
          "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.9.7\n")
    marker = os.path.join(harness.WORK, "ran")
    prog = write("prog.py", "open(%r, 'w').close()\n" % marker)
    for opts, env in (([], clean_env(VIRTUAL_ENV=fake)),
                      ([], clean_env(PATH=os.path.join(fake, "bin") + ":" + BASE_PATH)),
                      (["--python", os.path.join(fake, "bin", "python3")], clean_env())):
        r = ctrace(["run", "-o", "m.json"] + opts + [prog], env)
        assert_eq(r.returncode, 1, r.stderr)
        assert_eq(r.stdout, "")
        lines = r.stderr.splitlines()
        assert_eq(len(lines), 1, r.stderr)
        assert lines[0].startswith("ctrace: "), lines
        assert "3.9.7" in lines[0] and "3.11" in lines[0] and fake in lines[0], lines
        assert not os.path.exists(marker), "the program must not run"
        assert not os.path.exists(os.path.join(harness.WORK, "m.json"))
    # An interpreter whose real name is another version, and a missing one.
    other = write("py312/python3.12", "#!/bin/sh\nexit 0\n")
    os.chmod(other, 0o755)
    os.symlink(other, os.path.join(harness.WORK, "py312", "python3"))
    r = ctrace(["run", "--python", os.path.join(harness.WORK, "py312", "python3"), prog], clean_env())
    assert_eq(r.returncode, 1, r.stderr)
    assert "3.12" in r.stderr and "3.11" in r.stderr, r.stderr
    assert_eq(len(r.stderr.splitlines()), 1, r.stderr)
    r = ctrace(["run", "--python", os.path.join(harness.WORK, "none", "python3"), prog], clean_env())
    assert_eq(r.returncode, 1)
    assert "No such file or directory" in r.stderr, r.stderr
    # VIRTUAL_ENV naming a folder that is not an environment.
    r = ctrace(["run", prog], clean_env(VIRTUAL_ENV=os.path.join(harness.WORK, "gone")))
    assert_eq(r.returncode, 1)
    assert "VIRTUAL_ENV" in r.stderr and "--python" in r.stderr, r.stderr
    assert not os.path.exists(marker)


def test_console_script():
    venv = make_venv()
    bindir = os.path.join(harness.WORK, "bin")
    tool = write("bin/ct-tool",
                 "#!/usr/bin/env python3\n"
                 "import sys\n"
                 "def main():\n"
                 "    print('tool', sys.argv, sys.executable, sys.prefix)\n"
                 "    return 3\n"
                 "sys.exit(main())\n")
    vtool = write("bin/ct-vtool",
                  "#!%s/bin/python\n"
                  "import sys, ctpkg\n"
                  "print('vtool', sys.argv, sys.executable, sys.prefix, ctpkg.VALUE)\n" % venv)
    shtool = write("bin/ct-sh", "#!/bin/sh\necho hi\n")
    # pip's launcher for interpreter paths too long for a shebang.
    ltool = write("bin/ct-long",
                  "#!/bin/sh\n'''exec' \"%s/bin/python3\" \"$0\" \"$@\"\n' '''\n"
                  "import sys, ctpkg\n"
                  "print('long', sys.argv, sys.executable, sys.prefix, ctpkg.VALUE)\n" % venv)
    # "env python3.12": another version.
    p12 = write("bin/ct-p12", "#!/usr/bin/env python3.12\nprint(1)\n")
    for p in (tool, vtool, shtool, ltool, p12):
        os.chmod(p, 0o755)
    env = clean_env(PATH=bindir + ":" + BASE_PATH)
    os.mkdir(os.path.join(harness.WORK, "elsewhere"))
    cwd = os.path.join(harness.WORK, "elsewhere")
    for name in ("ct-tool", "ct-vtool", "ct-long"):
        want = python([name, "a", "-b"], env, cwd=cwd)
        r = ctrace(["run", "-o", "../%s.json" % name, name, "a", "-b"], env, cwd=cwd)
        assert_eq(r.returncode, want.returncode, r.stderr)
        assert_eq(r.stdout, want.stdout)
        t = load("%s.json" % name)
        harness.check_format(t)
        path = os.path.join(bindir, name)
        assert any(e["name"].startswith("<module> (%s:" % path) for e in slices(t)), name
    assert_eq(want.stdout.split()[1:3], ["['%s'," % ltool, "'a',"])
    assert want.stdout.strip().endswith(venv + " 42"), want.stdout
    # The env shebang finds the active venv's python3.
    act = activated(venv, PATH=bindir + ":" + os.path.join(venv, "bin") + ":" + BASE_PATH)
    r = ctrace(["run", "-q", "-o", "../a.json", "ct-tool"], act, cwd=cwd)
    assert_eq(r.returncode, 3, r.stderr)
    assert r.stdout.strip().endswith(venv), r.stdout
    # pytest's own console script from Debian's package.
    r = ctrace(["run", "-o", "../p.json", "pytest-3", "--version"], env, cwd=cwd)
    assert_eq(r.returncode, 0, r.stderr)
    assert "pytest 7" in r.stdout + r.stderr
    # A script on PATH that Python does not run, and no script at all.
    r = ctrace(["run", "ct-sh"], env, cwd=cwd)
    assert_eq(r.returncode, 1)
    assert "not a Python script" in r.stderr and "/bin/sh" in r.stderr, r.stderr
    r = ctrace(["run", "ct-p12"], env, cwd=cwd)
    assert_eq(r.returncode, 1)
    assert "python3.12" in r.stderr and "3.11" in r.stderr, r.stderr
    r = ctrace(["run", "ct-none"], env, cwd=cwd)
    assert_eq(r.returncode, 1)
    assert_eq(r.stderr, "ctrace: cannot run 'ct-none': No such file or directory\n")


def pytest_folder():
    write("proj/test_calc.py",
          "def add(a, b):\n    return a + b\n\n"
          "def test_ok():\n    assert add(1, 2) == 3\n\n"
          "def test_bad():\n    assert add(2, 2) == 5\n\n"
          "def test_also_ok():\n    assert add(0, 0) == 0\n")


def test_pytest():
    pytest_folder()
    args = ["-m", "pytest", "-p", "no:cacheprovider", "proj"]
    env = clean_env()
    want = python([PY] + args, env)
    r = ctrace(["run", "-o", "p.json"] + args, env)
    assert_eq(want.returncode, 1, want.stdout)
    assert_eq(r.returncode, 1, r.stderr)
    assert "FAILED proj/test_calc.py::test_bad" in r.stdout, r.stdout
    assert "assert 4 == 5" in r.stdout, r.stdout
    summary = [ln for ln in r.stdout.splitlines() if "failed" in ln][-1]
    assert "1 failed, 2 passed" in summary, summary
    # The same report as untraced, but for the timing.
    strip = lambda s: [ln for ln in s.splitlines() if " in " not in ln or "passed" not in ln]
    assert_eq(strip(r.stdout), strip(want.stdout))
    t = load("p.json")
    harness.check_format(t)
    test_file = os.path.join(harness.WORK, "proj", "test_calc.py")
    for fn, line in (("test_ok", 4), ("test_bad", 7), ("add", 1)):
        assert slices(t, "%s (%s:%d)" % (fn, test_file, line)), fn
    # The same through Debian's console script, found on PATH.
    r = ctrace(["run", "-o", "c.json", "pytest-3", "-p", "no:cacheprovider", "proj"], env)
    assert_eq(r.returncode, 1, r.stderr)
    assert_eq(strip(r.stdout), strip(want.stdout))
    harness.check_format(load("c.json"))


def test_unittest():
    prog = write("ut.py",
                 "import sys, unittest\n\n"
                 "def double(x):\n    return 2 * x\n\n"
                 "class T(unittest.TestCase):\n"
                 "    def test_one(self):\n        self.assertEqual(double(2), 4)\n"
                 "    def test_two(self):\n"
                 "        self.assertEqual(double(3), 7 if 'fail' in sys.argv else 6)\n\n"
                 "if __name__ == '__main__':\n"
                 "    unittest.main(argv=[sys.argv[0]])\n")
    env = clean_env()
    for extra, status, last in (([], 0, "OK"), (["fail"], 1, "FAILED (failures=1)")):
        want = python([PY, prog] + extra, env)
        r = ctrace(["run", "-o", "u.json", prog] + extra, env)
        assert_eq((r.returncode, want.returncode), (status, status), r.stderr)
        assert "Ran 2 tests" in r.stderr, r.stderr
        assert_eq(r.stderr.splitlines()[-2], last)
        t = load("u.json")
        harness.check_format(t)
        assert_eq(len(slices(t, "double (%s:3)" % prog)), 2)
        assert slices(t, "T.test_two (%s:9)" % prog)
    # unittest discover over the same file.
    r = ctrace(["run", "-o", "d.json", "-m", "unittest", "discover", "-s", harness.WORK,
                "-p", "ut.py", "-v"], env)
    assert_eq(r.returncode, 0, r.stderr)
    assert "test_two (ut.T.test_two) ... ok" in r.stderr, r.stderr
    harness.check_format(load("d.json"))


def test_python_variables():
    extra = write("extra/ctextra_mod.py", "VALUE = 7\n")
    where = script("where.py")
    settings = [
        dict(PYTHONPATH=os.path.dirname(extra), PYTHONHASHSEED="123"),
        dict(PYTHONHASHSEED="0", PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1",
             PYTHONWARNINGS="error::DeprecationWarning", PYTHONSAFEPATH="1"),
        dict(PYTHONHASHSEED="0", PYTHONDEVMODE="1", PYTHONUTF8="1", PYTHONFAULTHANDLER="1",
             PYTHONTRACEMALLOC="1", PYTHONNOUSERSITE="1", PYTHONOPTIMIZE="1"),
    ]
    # User site-packages: a module and a .pth file under PYTHONUSERBASE.
    ubase = os.path.join(harness.WORK, "userbase")
    usite = os.path.join(ubase, "lib", "python3.11", "site-packages")
    write(os.path.join(usite, "ctuser_mod.py"), "VALUE = 1\n")
    write(os.path.join(usite, "ctuser.pth"), os.path.dirname(extra) + "\n")
    settings.append(dict(PYTHONUSERBASE=ubase))
    settings.append(dict(PYTHONUSERBASE=ubase, PYTHONNOUSERSITE="1"))
    for i, s in enumerate(settings):
        env = clean_env(**s)
        mods = ["ctextra_mod", "ctuser_mod"]
        want = json.loads(python([PY, where] + mods, env).stdout)
        r = ctrace(["run", "-q", "-o", "e%d.json" % i, where] + mods, env)
        assert_eq(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        assert_eq(got, want, "settings %r" % s)
        if s.get("PYTHONUSERBASE"):
            user_on = "PYTHONNOUSERSITE" not in s
            assert_eq(got["modules"]["ctuser_mod"].startswith(usite), user_on, got["modules"])
            assert_eq(got["modules"]["ctextra_mod"].startswith(harness.WORK), user_on)
    # Without PYTHONDONTWRITEBYTECODE an import writes __pycache__, with it not.
    for i, flag in enumerate(("", "1")):
        pkg = write("bc%d/ctbc_mod.py" % i, "X = 1\n")
        env = clean_env(PYTHONPATH=os.path.dirname(pkg), PYTHONDONTWRITEBYTECODE=flag)
        r = ctrace(["run", "-q", "-o", "b.json", "-c", "import ctbc_mod"], env)
        assert_eq(r.returncode, 0, r.stderr)
        cache = os.path.join(os.path.dirname(pkg), "__pycache__")
        assert_eq(os.path.isdir(cache), not flag, "bytecode written")
    # Observed from inside, not only equal to python3: the variables work.
    env = clean_env(**settings[0])
    r = ctrace(["run", "-q", "-o", "h.json", "-c",
                "import ctextra_mod, sys; print(ctextra_mod.VALUE, hash('ctrace'), sys.flags.hash_randomization)"],
               env)
    want = python([PY, "-c", "print(hash('ctrace'))"], env).stdout.strip()
    assert_eq(r.stdout.split(), ["7", want, "1"])
    r2 = ctrace(["run", "-q", "-o", "h.json", "-c", "print(hash('ctrace'))"], env)
    assert_eq(r2.stdout.strip(), want, "the same seed gives the same hash")


def test_stdlib_suite():
    # CPython's own tests (Debian's libpython3.11-testsuite) under -m test.
    args = ["-m", "test", "test_json", "test_textwrap", "test_bisect"]
    env = clean_env()
    want = python([PY] + args, env)
    assert_eq(want.returncode, 0, want.stdout)
    r = ctrace(["run", "--tracer-entries", "200000", "-o", "t.json.gz"] + args, env, timeout=280)
    assert_eq(r.returncode, 0, r.stdout + r.stderr)
    assert "All 3 tests OK." in r.stdout, r.stdout
    assert "Tests result: SUCCESS" in r.stdout, r.stdout
    t = load("t.json.gz")
    harness.check_format(t)
    harness.check_nesting(t)
    assert_eq(len(slices(t)) > 100000, True, "a full buffer")


harness.main(globals())

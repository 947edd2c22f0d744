"""Tracing of child processes and of asyncio tasks.

Children run traced by starting `ctrace run <the parent's options> ...` in
place of the Python interpreter a program asks for (subprocess, the spawn
and forkserver start methods of multiprocessing); forked children (os.fork,
the fork start method) go on tracing in the copy of the tracer they
inherit. Each child writes its part where the root collects it; the parent
registers each child it starts, so the root knows whom to wait for.

Nothing is imported here that the program has not imported itself: the
modules to patch are patched when the program imports them.
"""
import os
import sys

import _ctrace

_EXE = ""
_OPTS = ()
_COLLECT = False
_ENV_KEYS = ("CTRACE_COLLECT_DIR", "CTRACE_ORIGIN_NS", "CTRACE_ROOT_PID")
_task_tracks = None


def _ignore(fn):
    """Keeps FN (a helper of ours) and what it calls out of the trace."""
    _ctrace.mark_code(fn.__code__, 0)
    return fn


def _hide(fn):
    """Keeps FN (a wrapper of ours) out of the trace, but not what it calls:
    the program's own calls show under their real caller."""
    _ctrace.mark_code(fn.__code__, 2)
    return fn


# ---- patching modules when they are imported ---------------------------

class _PatchFinder:
    """A meta-path finder that lets the real finders find a module and
    patches the module once its loader has run it."""

    def __init__(self):
        self.patches = {}

    @_ignore
    def find_spec(self, name, path=None, target=None):
        patch = self.patches.get(name)
        if patch is None:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        loader = getattr(spec, "loader", None)
        if loader is None or isinstance(loader, type) or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        @_hide
        def exec_and_patch(module):
            exec_module(module)
            if self.patches.pop(name, None) is not None:
                patch(module)
            if not self.patches and self in sys.meta_path:
                sys.meta_path.remove(self)  # nothing left to patch

        loader.exec_module = exec_and_patch
        return spec


_finder = _PatchFinder()


def _when_imported(name, patch):
    module = sys.modules.get(name)
    if module is not None:
        patch(module)
    else:
        _finder.patches[name] = patch


# ---- which command lines run Python ------------------------------------

def _is_python_name(prog):
    base = os.path.basename(prog)
    if not base.startswith("python"):
        return False
    rest = base[6:]
    if rest in ("", "3"):
        return True
    return rest.startswith("3.") and rest[2:].isdigit()


def _which(prog, env):
    if "/" in prog:
        return prog if os.access(prog, os.X_OK) and not os.path.isdir(prog) else None
    for d in os.get_exec_path(env):
        p = os.path.join(d, prog)
        if os.access(p, os.X_OK) and not os.path.isdir(p):
            return p
    return None


def _python_shebang(path):
    """Whether the file at PATH starts with a plain python shebang."""
    try:
        with open(path, "rb") as f:
            line = f.readline(256)
    except OSError:
        return False
    if not line.startswith(b"#!"):
        return False
    words = line[2:].decode("utf-8", "replace").split()
    if words and os.path.basename(words[0]) == "env":
        words = words[1:]
    return len(words) == 1 and _is_python_name(words[0])


def _python_args(rest, cwd):
    """The target of python's arguments REST as ctrace run's words, and the
    environment that stands for the options; None when not a plain run."""
    env_add = {}
    i = 0
    while i < len(rest):
        a = rest[i]
        if a == "-u":
            env_add["PYTHONUNBUFFERED"] = "1"
        elif a == "-B":
            env_add["PYTHONDONTWRITEBYTECODE"] = "1"
        elif a in ("-m", "-c"):
            if i + 1 >= len(rest):
                return None
            return [a, rest[i + 1]] + rest[i + 2:], env_add
        elif a[:2] in ("-m", "-c") and len(a) > 2:
            return [a[:2], a[2:]] + rest[i + 1:], env_add
        elif a == "--":
            i += 1
            break
        elif a.startswith("-"):
            return None  # an option ctrace does not replay: run untouched
        else:
            break
        i += 1
    if i >= len(rest):
        return None  # interactive or stdin
    script = rest[i]
    full = script if os.path.isabs(script) else os.path.join(cwd or os.getcwd(), script)
    if not os.path.exists(full):
        return None  # let python3 report it
    return ["--", script] + rest[i + 1:], env_add


def _venv_version(path):
    """The Python version of the virtual environment PATH belongs to ("" when
    its pyvenv.cfg does not say), or None when it belongs to none."""
    d = os.path.dirname(os.path.abspath(path))
    for cfg in (os.path.join(d, "pyvenv.cfg"), os.path.join(os.path.dirname(d), "pyvenv.cfg")):
        try:
            with open(cfg, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                return value.strip()
        return ""
    return None


def _python_option(path):
    """The words that make ctrace run as the interpreter PATH would: [] for
    ctrace's own choice, ["--python", PATH] for a virtual environment's or
    this version's; None when ctrace cannot be it (another version)."""
    mine = "%d.%d" % sys.version_info[:2]
    version = _venv_version(path)
    if version is not None:
        if version and version != mine and not version.startswith(mine + "."):
            return None
        return ["--python", os.path.abspath(path)]
    if os.path.basename(os.path.realpath(path)) == "python" + mine:
        return ["--python", os.path.abspath(path)]
    return []  # e.g. a pyenv shim: the environment decides, as for ctrace


def _target(words, env, cwd):
    prog = words[0]
    path = _which(prog, env)
    if path is None:
        return None
    python = []
    if _is_python_name(prog) or os.path.realpath(path) == os.path.realpath(sys.executable):
        rest = words[1:]
        python = _python_option(path)
        if python is None:
            return None
    elif _python_shebang(path):
        rest = [prog if "/" in prog else path] + words[1:]  # ctrace reads the shebang
    else:
        return None
    parsed = _python_args(rest, cwd)
    if parsed is None:
        return None
    target, env_add = parsed
    return [_EXE, "run"] + list(_OPTS) + python + target, env_add


def _child_env(env, env_add):
    if env is None and not env_add:
        return None
    new = dict(os.environ if env is None else env)
    as_bytes = any(isinstance(k, bytes) for k in new)
    add = dict(env_add)
    for k in _ENV_KEYS:
        if k in os.environ:
            add[k] = os.environ[k]
    for k, v in add.items():
        if as_bytes:
            new[os.fsencode(k)] = os.fsencode(v)
        else:
            new[k] = v
    return new


def _shell_words(cmd):
    """The words of a simple shell command (no operators, expansions or
    redirections), or None."""
    import shlex
    if any(c in cmd for c in "$`\n\\"):
        return None
    try:
        lex = shlex.shlex(cmd, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        words = list(lex)
        raw = shlex.split(cmd, posix=False) if "'" not in cmd and '"' not in cmd else []
    except ValueError:
        return None
    if not words or any(w and all(c in "();<>|&" for c in w) for w in words):
        return None
    if any(c in w for w in raw for c in "*?[~{"):
        return None
    if "=" in words[0]:
        return None
    return words


@_ignore
def _rewrite(args, executable, shell, env, cwd):
    """(args, executable, env) that run the same command traced, or None."""
    if isinstance(cwd, (bytes, os.PathLike)):
        cwd = os.fsdecode(cwd)
    if shell:
        import shlex
        if isinstance(args, (str, bytes)):
            cmd, extra = os.fsdecode(args), None
        else:
            seq = list(args)
            cmd, extra = os.fsdecode(seq[0]), seq[1:]
        words = _shell_words(cmd)
        t = _target(words, env, cwd) if words else None
        if t is None:
            return None
        argv, env_add = t
        new_cmd = "exec " + shlex.join(argv)
        return (new_cmd if extra is None else [new_cmd] + extra), executable, _child_env(env, env_add)
    if isinstance(args, (str, bytes, os.PathLike)):
        seq = [args]
    else:
        seq = list(args)
    if not seq:
        return None
    words = [os.fsdecode(a) for a in seq]
    if executable is not None:
        words[0] = os.fsdecode(executable)
    t = _target(words, env, cwd)
    if t is None:
        return None
    argv, env_add = t
    return argv, None, _child_env(env, env_add)


@_ignore
def _patch_subprocess(mod):
    original = mod.Popen._execute_child

    @_hide
    def _execute_child(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env,
                       *rest):
        try:
            new = _rewrite(args, executable, rest[2], env, cwd)
        except Exception:
            new = None
        if new is None:
            return original(self, args, executable, preexec_fn, close_fds, pass_fds, cwd,
                            env, *rest)
        args, executable, env = new
        original(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env, *rest)
        _ctrace._register_child(self.pid)

    mod.Popen._execute_child = _execute_child


# ---- multiprocessing ------------------------------------------------------

_MP_SPAWN = "from multiprocessing.spawn import spawn_main"
_MP_FORKSERVER = "from multiprocessing.forkserver import main"


@_ignore
def _patch_mp_util(mod):
    original = mod.spawnv_passfds

    @_ignore
    def spawnv_passfds(path, args, passfds):
        args = list(args)
        try:
            i = args.index("-c")
        except ValueError:
            i = -1
        code = args[i + 1] if 0 < i < len(args) - 1 else ""
        # The spawn start method's children, and the forkserver (whose own
        # forks are then traced); never the resource tracker. Interpreter
        # flags (args[1:i]) are dropped: in ctrace they can only have come
        # from the environment (PYTHONDONTWRITEBYTECODE, ...), which the
        # child inherits.
        if i < 1 or not (code.startswith(_MP_SPAWN) or code.startswith(_MP_FORKSERVER)):
            return original(path, args, passfds)
        pid = original(os.fsencode(_EXE), [_EXE, "run"] + list(_OPTS) + args[i:], passfds)
        if code.startswith(_MP_SPAWN):
            # The forkserver lives as long as the root: never waited for.
            _ctrace._register_child(pid)
        return pid

    mod.spawnv_passfds = spawnv_passfds


# ---- os --------------------------------------------------------------------

def _patch_os(collect):
    exit_ = os._exit

    @_ignore
    def _exit(status):
        _ctrace._dump()
        exit_(status)

    _exit.__doc__ = exit_.__doc__
    os._exit = _exit

    for name in ("execv", "execve"):
        original = getattr(os, name, None)
        if original is None:
            continue

        @_ignore
        def exec_(*args, _original=original):
            _ctrace._dump()
            return _original(*args)

        exec_.__name__ = name
        exec_.__doc__ = original.__doc__
        setattr(os, name, exec_)

    if collect and hasattr(os, "fork"):
        fork_ = os.fork

        @_ignore
        def fork():
            pid = fork_()
            if pid:
                _ctrace._register_child(pid)
            return pid

        fork.__doc__ = fork_.__doc__
        os.fork = fork


@_ignore
def _after_fork_child():
    _ctrace._after_fork_child()
    if _task_tracks is not None:
        _task_tracks.clear()


# ---- asyncio tasks (--log-async) -------------------------------------------

@_ignore
def _patch_asyncio_events(mod):
    global _task_tracks
    import weakref
    _task_tracks = weakref.WeakKeyDictionary()
    original = mod.Handle._run

    @_hide
    def _run(self):
        task = getattr(self._callback, "__self__", None)
        if task is None or not hasattr(task, "get_coro"):
            return original(self)
        track = _task_tracks.get(task)
        if track is None:
            track = _task_tracks[task] = _ctrace._task_track(task.get_name())
        _ctrace._task_enter(track)
        try:
            return original(self)
        finally:
            _ctrace._task_leave()

    mod.Handle._run = _run


def install(log_async):
    global _EXE, _OPTS, _COLLECT
    _EXE, _OPTS, _COLLECT = _ctrace._child_config()
    os.register_at_fork(after_in_child=_after_fork_child)
    _patch_os(_COLLECT and bool(_EXE))
    if _COLLECT and _EXE:
        _when_imported("subprocess", _patch_subprocess)
        _when_imported("multiprocessing.util", _patch_mp_util)
    if log_async:
        _when_imported("asyncio.events", _patch_asyncio_events)
    if _finder.patches:
        sys.meta_path.insert(0, _finder)

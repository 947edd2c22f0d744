"""Set-up run inside the embedded interpreter before the traced program.

Installs what the C tracer needs from the Python side: the importer of the
embedded modules (`import ctrace`, `import viztracer`), tracing of threads
started later, the end of the main program, the dump at exit and on SIGTERM,
and the extra logs that are naturally Python (--log-gc, --log-print,
--log-audit, --log-func-entry).
"""
import atexit
import builtins
from importlib.machinery import ModuleSpec
import os
import _signal  # not signal: that one imports enum, which slows every start
import sys
import threading

import _ctrace

# Modules served from the binary; names starting with "_ctrace_boot" are
# this file itself.
_SOURCES = {name[:-3]: src for name, src in _ctrace.sources().items()
            if name.endswith(".py") and not name.startswith("_ctrace_boot")}


def ignore(fn):
    """Keeps FN (a helper of ours) and what it calls out of the trace."""
    _ctrace.mark_code(fn.__code__, 0)
    return fn


class _EmbeddedFinder:
    """Imports ctrace's own modules from the binary, before sys.path (a
    meta path finder and loader; importlib.abc is not imported for it, as
    it would slow every start)."""

    @ignore
    def find_spec(self, name, path=None, target=None):
        if name in _SOURCES:
            return ModuleSpec(name, self, origin="<ctrace>/%s.py" % name)
        return None

    @ignore
    def create_module(self, spec):
        return None

    @ignore
    def exec_module(self, module):
        code = compile(_SOURCES[module.__name__], "<ctrace>/%s.py" % module.__name__, "exec")
        exec(code, module.__dict__)


def check_syntax(path):
    """Returns None, or a one-line description of the script's syntax error."""
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError:
        return None  # python3 itself will report it
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        where = " (line %d)" % e.lineno if e.lineno else ""
        return "%s%s" % (e.msg, where)
    except (ValueError, UnicodeDecodeError) as e:
        return str(e)
    return None


@ignore
def _on_sigterm(signum, frame):
    # Save what was recorded, then die of SIGTERM as the untraced program would.
    if not _ctrace._save_now():
        return  # already saving; SIGTERM ends the process when it is done
    _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
    os.kill(os.getpid(), _signal.SIGTERM)


def _install_gc_log():
    import gc
    started = {}

    @ignore
    def on_gc(phase, info):
        gen = info.get("generation", -1)
        if phase == "start":
            started[gen] = _ctrace.now()
            return
        start = started.pop(gen, None)
        if start is None:
            return
        collected = info.get("collected", 0)
        uncollectable = info.get("uncollectable", 0)
        _ctrace.log_slice("gc.collect (generation %d)" % gen, start, _ctrace.now(),
                          {"generation": gen, "collected": collected,
                           "uncollectable": uncollectable})
        _ctrace.log_counter("gc", {"collected": collected, "uncollectable": uncollectable})

    gc.callbacks.append(on_gc)


def _install_print_log():
    original = builtins.print

    @ignore
    def print(*args, sep=" ", end="\n", file=None, flush=False):
        text = (" " if sep is None else sep).join(str(a) for a in args)
        _ctrace.log_instant("print", {"text": text})
        original(*args, sep=sep, end=end, file=file, flush=flush)

    print.__doc__ = original.__doc__
    builtins.print = print


def _install_audit_log(patterns):
    import re
    compiled = [re.compile(p) for p in patterns]
    busy = threading.local()

    @ignore
    def hook(event, args):
        if getattr(busy, "on", False) or not _ctrace.is_recording():
            return
        if compiled and not any(r.search(event) for r in compiled):
            return
        busy.on = True
        try:
            _ctrace.log_instant(event, {"args": repr(args)})
        finally:
            busy.on = False

    sys.addaudithook(hook)


def _install_entry_log(patterns):
    import re
    compiled = [re.compile(p) for p in patterns]

    def matches(name):
        qualname = name.split(" (", 1)[0]
        return any(r.search(qualname) for r in compiled)

    _ctrace.set_entry_matcher(matches)


def install():
    cfg = _ctrace.config()
    sys.meta_path.insert(0, _EmbeddedFinder())
    threading.setprofile(_ctrace._thread_hook)

    if not cfg["log_exit"]:
        original_shutdown = threading._shutdown

        def _shutdown():
            _ctrace._main_finished()
            original_shutdown()

        threading._shutdown = _shutdown
    atexit.register(_ctrace._atexit)
    if _signal.getsignal(_signal.SIGTERM) == _signal.SIG_DFL:
        _signal.signal(_signal.SIGTERM, _on_sigterm)

    # VizTracer's programs find their tracer here.
    import ctrace
    builtins.__viz_tracer__ = ctrace.get_tracer()

    if cfg["log_gc"]:
        _install_gc_log()
    if cfg["log_print"]:
        _install_print_log()
    if cfg["log_audit"]:
        _install_audit_log(cfg["log_audit_re"])
    if cfg["log_func_entry"]:
        _install_entry_log(cfg["log_func_entry"])
    if (cfg.get("log_var") or cfg.get("log_number") or cfg.get("log_attr")
            or cfg.get("log_func_exec") or cfg.get("magic_comment")):
        import _ctrace_rewrite
        _ctrace_rewrite.install(cfg)

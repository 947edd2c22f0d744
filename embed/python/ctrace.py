"""ctrace's API for traced programs.

Inside `ctrace run`, `import ctrace` gives access to the running tracer:

    import ctrace
    tracer = ctrace.get_tracer()          # None when the program is not traced
    if tracer:
        tracer.log_instant("checkpoint", {"step": 3})
        with tracer.log_event("load"):
            load()

Decorators: log_sparse, ignore_function, trace_and_save. Helpers: Counter,
Object, LoggingHandler, Profiler (CSV measurements across processes).
"""
import functools
import numbers
import os
import time

try:
    import _ctrace
except ImportError:  # plain python: the API is there, the tracer is not
    _ctrace = None

__all__ = ["Tracer", "get_tracer", "Counter", "Object", "LoggingHandler", "log_sparse",
           "ignore_function", "trace_and_save", "Profiler", "ProfilerError"]

_tracer = None


def get_tracer():
    """The tracer of this process, or None when it is not traced."""
    return _tracer


def _ignore(fn):
    # Our own API functions stay out of the trace (with what they call).
    if _ctrace is not None:
        _ctrace.mark_code(fn.__code__, 0)
    return fn


class _Event:
    """`with tracer.log_event(name):` records one duration slice."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args
        self.start = 0

    @_ignore
    def __enter__(self):
        self.start = _ctrace.now()
        return self

    @_ignore
    def __exit__(self, *exc):
        _ctrace.log_slice(self.name, self.start, _ctrace.now(), self.args)
        return False


class Tracer:
    """The running tracer, or a block traced into a file of its own:

        with ctrace.Tracer(output_file="part.json"):
            work()

    writes the events of work() to part.json (tracing goes on around it).
    Keyword arguments of VizTracer that ctrace sets on its command line
    instead (tracer_entries, max_stack_depth, ...) are accepted and ignored.
    """

    def __init__(self, output_file="result.json", **kwargs):
        self.output_file = output_file
        self._from = 0
        self._running = _ctrace is not None and _ctrace.is_recording()
        self._after_fork = None

    # -- control ---------------------------------------------------------
    @property
    def enable(self):
        return _ctrace is not None and _ctrace.is_recording()

    @_ignore
    def start(self):
        """Records from now on (what is saved by save() starts here)."""
        if _ctrace is None:
            return
        self._from = _ctrace.now()
        _ctrace.resume()

    @_ignore
    def stop(self, stop_option=None):
        """Stops recording until start()."""
        if _ctrace is not None:
            _ctrace.pause()

    @_ignore
    def clear(self):
        """Forgets everything recorded so far."""
        if _ctrace is not None:
            _ctrace.clear()

    @_ignore
    def save(self, output_file=None, file_info=None, verbose=None):
        """Writes what was recorded since start() (all of it, by default)."""
        if _ctrace is None:
            return
        path = output_file or self.output_file
        _ctrace.save(os.fspath(path), self._from, _ctrace.now())

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.save()
        if not self._running:
            self.stop()
        return False

    # -- logging ---------------------------------------------------------
    @_ignore
    def log_instant(self, name, args=None, scope="t", cond=True):
        """An instant event: scope 't' (thread), 'p' (process) or 'g' (global)."""
        if _ctrace is not None and cond:
            _ctrace.log_instant(str(name), args, scope)

    @_ignore
    def log_var(self, name, var):
        """A counter when VAR is a number, else an instant with its repr."""
        if _ctrace is None:
            return
        if isinstance(var, numbers.Number) and not isinstance(var, bool):
            _ctrace.log_counter(str(name), {str(name): var})
        else:
            _ctrace.log_instant(str(name), {"object": repr(var)})

    @_ignore
    def log_counter(self, name, values):
        if _ctrace is not None:
            _ctrace.log_counter(str(name), dict(values))

    def log_event(self, name, args=None):
        """`with tracer.log_event(name):` records the block as a slice."""
        return _Event(str(name), args)

    @_ignore
    def add_func_args(self, key, value):
        """Attaches KEY: VALUE to the slice of the function calling this."""
        if _ctrace is not None:
            _ctrace.add_func_args(key, value)

    @_ignore
    def set_sync_marker(self):
        """Marks this moment; `ctrace combine --align` lines traces up on it."""
        if _ctrace is not None:
            _ctrace.set_sync_marker()

    def enable_thread_tracing(self):
        """Traces the calling thread (one not started through threading)."""
        if _ctrace is not None:
            _ctrace.start_thread()

    def set_afterfork(self, callback, *args, **kwargs):
        """Calls CALLBACK(tracer, *args, **kwargs) in a child after os.fork()."""
        self._after_fork = (callback, args, kwargs)
        os.register_at_fork(after_in_child=lambda: callback(self, *args, **kwargs))

    # VizTracer spellings
    def log_function_args(self, key, value):
        self.add_func_args(key, value)


class Counter:
    """Every write to a public attribute logs a counter event of all of them:

        c = ctrace.Counter(tracer, "queue")
        c.depth = 3          # -> counter "queue" {depth: 3}
    """

    def __init__(self, tracer, name, trigger_on_change=True, include_attributes=(),
                 exclude_attributes=()):
        self.__dict__["_tracer"] = tracer
        self.__dict__["_name"] = str(name)
        self.__dict__["_trigger_on_change"] = trigger_on_change
        self.__dict__["_include"] = tuple(include_attributes)
        self.__dict__["_exclude"] = tuple(exclude_attributes)

    def _watched(self, key):
        if key.startswith("_"):
            return False
        if self._include:
            return key in self._include
        return key not in self._exclude

    def _check(self, key, value):
        if self._watched(key) and not (isinstance(value, numbers.Number)
                                       and not isinstance(value, bool)):
            raise ValueError("%s.%s: a counter takes numbers only, not %r"
                             % (self._name, key, value))

    def __setattr__(self, key, value):
        self._check(key, value)
        self.__dict__[key] = value
        if self._trigger_on_change and self._watched(key):
            self.log()

    @_ignore
    def log(self):
        values = {k: v for k, v in self.__dict__.items() if self._watched(k)}
        if self._tracer is not None and _ctrace is not None and values:
            _ctrace.log_counter(self._name, values)


class Object(Counter):
    """Like Counter, for any values: each write logs a snapshot of the
    public attributes (their reprs) as an instant event."""

    def _check(self, key, value):
        pass

    @_ignore
    def log(self):
        values = {k: repr(v) for k, v in self.__dict__.items() if self._watched(k)}
        if self._tracer is not None and _ctrace is not None:
            _ctrace.log_instant(self._name, {"snapshot": values}, "p")


def log_sparse(func=None, stack_depth=0, dynamic_tracer_check=False):
    """Under --log-sparse only functions decorated with this are recorded
    (and STACK_DEPTH levels of what they call)."""
    if func is None:
        return functools.partial(log_sparse, stack_depth=stack_depth)
    if _ctrace is not None and hasattr(func, "__code__"):
        _ctrace.mark_code(func.__code__, 1, int(stack_depth))
    return func


def ignore_function(method=None, tracer=None):
    """Leaves the function, and everything it calls, out of the trace."""
    if method is None:
        return functools.partial(ignore_function, tracer=tracer)
    if _ctrace is not None and hasattr(method, "__code__"):
        _ctrace.mark_code(method.__code__, 0)
    return method


def trace_and_save(method=None, output_dir="./", **tracer_kwargs):
    """Each call of the function is saved to a trace file of its own in
    OUTPUT_DIR (result_<name>_<time>.json)."""
    if method is None:
        return functools.partial(trace_and_save, output_dir=output_dir, **tracer_kwargs)

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if _ctrace is None:
            return method(*args, **kwargs)
        start = _ctrace.now()
        try:
            return method(*args, **kwargs)
        finally:
            os.makedirs(output_dir, exist_ok=True)
            stamp = time.strftime("%Y%m%d_%H%M%S")
            base = os.path.join(output_dir, "result_%s_%s_%d" % (method.__name__, stamp, os.getpid()))
            path, n = base + ".json", 1
            while os.path.exists(path):
                path, n = "%s_%d.json" % (base, n), n + 1
            _ctrace.save(path, start, _ctrace.now())

    return wrapper


def _make_logging_handler():
    import logging

    class LoggingHandler(logging.Handler):
        """A logging handler that records each record as an instant event."""

        def __init__(self, tracer=None, level=logging.NOTSET):
            super().__init__(level)
            self._tracer = tracer

        def setTracer(self, tracer):
            self._tracer = tracer

        def emit(self, record):
            tracer = self._tracer or _tracer
            if tracer is None or _ctrace is None:
                return
            try:
                msg = self.format(record)
            except Exception:
                self.handleError(record)
                return
            _ctrace.log_instant("logging", {"message": msg, "level": record.levelname,
                                            "logger": record.name})

    LoggingHandler.__module__ = __name__
    for fn in (LoggingHandler.__init__, LoggingHandler.setTracer, LoggingHandler.emit):
        _ignore(fn)
    return LoggingHandler


def __getattr__(name):
    # logging and the Profiler's modules load only when used: every traced
    # program imports this module, and start-up should stay light.
    if name == "LoggingHandler":
        globals()[name] = _make_logging_handler()
        return globals()[name]
    if name in ("Profiler", "ProfilerError"):
        import _ctrace_profiler
        for fn in vars(_ctrace_profiler.Profiler).values():
            if hasattr(fn, "__code__") and fn.__name__ != "__call__":
                _ignore(fn)
            elif isinstance(fn, property):
                _ignore(fn.fget)
        globals()["Profiler"] = _ctrace_profiler.Profiler
        globals()["ProfilerError"] = _ctrace_profiler.ProfilerError
        return globals()[name]
    raise AttributeError("module 'ctrace' has no attribute %r" % name)


def _ignore_api():
    # Every function and method of the API stays out of the trace, but for
    # the decorators' wrappers, which run the user's code.
    for mod in (globals(),):
        for obj in list(mod.values()):
            if isinstance(obj, type) and obj.__module__ == "ctrace":
                for attr in vars(obj).values():
                    fn = attr.fget if isinstance(attr, property) else attr
                    if hasattr(fn, "__code__") and fn.__name__ != "__call__":
                        _ignore(fn)
            elif callable(obj) and getattr(obj, "__module__", None) == "ctrace" \
                    and hasattr(obj, "__code__"):
                _ignore(obj)


if _ctrace is not None:
    _ignore_api()

if _ctrace is not None and _ctrace.config() is not None:
    _tracer = Tracer(output_file=_ctrace.config()["output"])

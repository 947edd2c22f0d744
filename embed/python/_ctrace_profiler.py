"""ctrace.Profiler: measure a block, a function or a manual span, from many
threads and processes at once, one CSV row per measurement:

    with ctrace.Profiler(id_="load", result_path="out/profile"):   # -> out/profile.csv
        load()

    @ctrace.Profiler()                    # id = the function's name
    def step(): ...

    p = ctrace.Profiler(id_="span"); p.start(); ...; p.pause(); ...; p.resume(); p.stop()

Columns: id,time,pid,ppid,process_name,parent_process_name,broken,error_type,
error_value,traceback. `time` is in seconds, paused spans excluded; `broken`
is True when an exception escaped the measured code. Rows are appended under
an exclusive file lock; when the lock cannot be had within `timeout`
seconds, ProfilerError is raised (or, with ignore_timeout=True, the row is
dropped). Under `ctrace run`, each measurement is also a slice on the
timeline.
"""
import csv
import fcntl
import functools
import io
import os
import sys
import time
import traceback as _traceback

try:
    import _ctrace
except ImportError:
    _ctrace = None

COLUMNS = ["id", "time", "pid", "ppid", "process_name", "parent_process_name", "broken",
           "error_type", "error_value", "traceback"]


class ProfilerError(Exception):
    """The CSV file could not be locked in time."""


class Profiler:
    def __init__(self, id_=None, timeout=10.0, ignore_timeout=False, verbose=False,
                 log_function=print, result_path="./profile", autonaming=False):
        """ID_ names the rows (default: the decorated function's name, or the
        function that opened the measurement). With AUTONAMING the default
        id also carries the file and line of the call site. Rows go to
        RESULT_PATH + '.csv'."""
        self.id_ = id_
        self.timeout = timeout
        self.ignore_timeout = ignore_timeout
        self.verbose = verbose
        self.log_function = log_function
        self.result_path = os.fspath(result_path)
        self.autonaming = autonaming
        self._elapsed = 0.0
        self._since = None
        self._start_tick = None

    @property
    def csv_path(self):
        return self.result_path + ".csv"

    # -- the span ----------------------------------------------------------
    def _caller_id(self, depth):
        frame = sys._getframe(depth)
        if self.autonaming:
            return "%s (%s:%d)" % (frame.f_code.co_qualname, frame.f_code.co_filename, frame.f_lineno)
        return frame.f_code.co_qualname

    def start(self, _depth=2):
        if self.id_ is None:
            self._auto_id = self._caller_id(_depth)
        self._elapsed = 0.0
        self._since = time.perf_counter()
        self._start_tick = _ctrace.now() if _ctrace is not None else None
        return self

    def pause(self):
        if self._since is not None:
            self._elapsed += time.perf_counter() - self._since
            self._since = None

    def resume(self):
        if self._since is None:
            self._since = time.perf_counter()

    def stop(self, exc=None):
        """Ends the measurement and writes its row; EXC is the exception
        that escaped, if any."""
        self.pause()
        self._write(self._elapsed, exc)
        return self._elapsed

    def __enter__(self):
        return self.start(_depth=3)

    def __exit__(self, etype, value, tb):
        self.stop(value)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            p = Profiler(self.id_ or func.__qualname__, self.timeout, self.ignore_timeout,
                         self.verbose, self.log_function, self.result_path, self.autonaming)
            p.start()
            try:
                result = func(*args, **kwargs)
            except BaseException as e:
                p.stop(e)
                raise
            p.stop()
            return result

        return wrapper

    # -- the row -----------------------------------------------------------
    def _row(self, seconds, exc):
        import multiprocessing
        me = multiprocessing.current_process()
        parent = multiprocessing.parent_process()
        tb = ""
        if exc is not None:
            tb = "".join(_traceback.format_exception(type(exc), exc, exc.__traceback__))
        return [self.id_ or getattr(self, "_auto_id", "?"), "%.9f" % seconds, os.getpid(),
                os.getppid(), me.name, parent.name if parent is not None else "",
                exc is not None, type(exc).__name__ if exc is not None else "",
                str(exc) if exc is not None else "", tb]

    def _write(self, seconds, exc):
        row = self._row(seconds, exc)
        if _ctrace is not None and self._start_tick is not None:
            _ctrace.log_slice("Profiler: %s" % row[0], self._start_tick, _ctrace.now(),
                              {"time": seconds, "broken": exc is not None})
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(row)
        line = buf.getvalue()
        folder = os.path.dirname(self.csv_path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        fd = os.open(self.csv_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        if self.ignore_timeout:
                            if self.verbose:
                                self.log_function("ctrace.Profiler: lock timeout, row dropped: %s"
                                                  % self.csv_path)
                            return
                        raise ProfilerError("cannot lock %s within %s s"
                                            % (self.csv_path, self.timeout))
                    time.sleep(0.005)
            try:
                if os.fstat(fd).st_size == 0:
                    head = io.StringIO()
                    csv.writer(head, lineterminator="\n").writerow(COLUMNS)
                    line = head.getvalue() + line
                os.write(fd, line.encode())
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        if self.verbose:
            self.log_function("ctrace.Profiler: %s took %.6f s" % (row[0], seconds))

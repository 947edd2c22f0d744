"""Run by plain python3 with ctrace.py importable: the API is a no-op."""
import ctrace
import viztracer

assert ctrace.get_tracer() is None
assert viztracer.get_tracer() is None


@ctrace.log_sparse
def f():
    return 1


@ctrace.ignore_function
def g():
    return 2


with ctrace.Profiler(id_="plain", result_path="plain"):
    f()
print("plain ok", f() + g())

"""VizTracer's names over ctrace's API, so that programs instrumented for
VizTracer run under `ctrace run` unchanged."""
import ctrace as _c

VizTracer = _c.Tracer
Tracer = _c.Tracer
get_tracer = _c.get_tracer
VizCounter = _c.Counter
VizObject = _c.Object
log_sparse = _c.log_sparse
ignore_function = _c.ignore_function
trace_and_save = _c.trace_and_save

__all__ = ["VizTracer", "get_tracer", "VizCounter", "VizObject", "VizLoggingHandler",
           "log_sparse", "ignore_function", "trace_and_save"]
__version__ = "ctrace"


def __getattr__(name):
    if name == "VizLoggingHandler":
        return _c.LoggingHandler
    raise AttributeError("module 'viztracer' has no attribute %r" % name)

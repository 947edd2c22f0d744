import _thread
import logging
import os
import sys
import threading
import time

import ctrace

tracer = ctrace.get_tracer()
assert tracer is not None
assert __viz_tracer__ is tracer


def work(n):
    tracer.add_func_args("label", {"n": n, "tags": ["a", "b"]})
    return sum(range(n))


def block_work():
    return work(7)


with ctrace.Tracer(output_file=sys.argv[1]):
    block_work()

tracer.log_instant("thread scope", {"k": 1})
tracer.log_instant("process scope", scope="p")
tracer.log_instant("global scope", scope="g")
tracer.log_var("answer", 42)
tracer.log_var("words", ["x", "y"])
with tracer.log_event("event block", {"why": "test"}):
    time.sleep(0.001)
tracer.set_sync_marker()

c = ctrace.Counter(tracer, "stats", include_attributes=["hits"])
c.hits = 1
c.misses = 5  # not included: no event
c.hits = 2
quiet = ctrace.Counter(tracer, "manual", trigger_on_change=False)
quiet.a = 1
quiet.b = 2
quiet.log()
o = ctrace.Object(tracer, "config", exclude_attributes=["secret"])
o.mode = "fast"
o.secret = "hidden"
try:
    c.hits = "many"
except ValueError as e:
    print("counter refused:", e)

log = logging.getLogger("app")
log.setLevel(logging.INFO)
log.addHandler(ctrace.LoggingHandler(tracer))
log.info("loaded %d items", 3)


@ctrace.trace_and_save(output_dir=os.path.join(os.path.dirname(sys.argv[1]), "saved"))
def saved_function():
    return work(3)


saved_function()
saved_function()

done = threading.Event()


def raw_thread():
    tracer.enable_thread_tracing()
    work(5)
    done.set()


_thread.start_new_thread(raw_thread, ())
done.wait(10)
print("end")

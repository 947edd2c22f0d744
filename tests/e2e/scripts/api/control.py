"""Inline control of the running tracer: stop/start, clear, save, afterfork."""
import os
import sys

import ctrace

out = sys.argv[1]
tracer = ctrace.get_tracer()


def before_clear():
    return 1


def while_stopped():
    return 2


def after_start():
    return 3


def in_child():
    return 4


before_clear()
tracer.clear()                 # forgets before_clear
tracer.stop()
while_stopped()                # not recorded
tracer.start()
after_start()
tracer.save(os.path.join(out, "saved.json"))   # what was recorded since start()

marks = []
tracer.set_afterfork(lambda t, tag: marks.append(tag), "child")
pid = os.fork()
if pid == 0:
    in_child()
    os.write(1, ("child marks %s\n" % marks).encode())
    os._exit(0)
os.waitpid(pid, 0)
print("parent marks", marks)

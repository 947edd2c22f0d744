import atexit
import gc
import sys


class BadRepr:
    def __repr__(self):
        raise ValueError("no repr for you")


def takes(obj, n=1):
    return n


def raiser():
    raise KeyError("missing")


def catcher():
    try:
        raiser()
    except KeyError:
        pass
    try:
        {}["x"]
    except KeyError:
        pass


def at_exit_work():
    return sum(range(10))


atexit.register(at_exit_work)
takes(BadRepr())
takes(3, n=5)
catcher()
gc.collect()
print("hello", "world", sep="-")
open(__file__).close()

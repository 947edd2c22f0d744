"""Tracebacks, __file__ and inspect.getsource after rewriting."""
import inspect
import sys

import raiser


def shown():
    # a comment that getsource must keep
    v_x = 1  # !ctrace: log
    return v_x


assert inspect.getsource(shown).splitlines()[1].strip() == "# a comment that getsource must keep"
assert "v_deep" in inspect.getsource(raiser)
assert __cached__ is None and type(__loader__).__name__ == "SourceFileLoader", __loader__
assert raiser.__file__.endswith("raiser.py") and raiser.__cached__.endswith(".pyc")
print(__file__ == sys.argv[0], __name__, sys.path[0] == __file__.rsplit("/", 1)[0])
shown()
v_before = 1
raiser.fail(3)

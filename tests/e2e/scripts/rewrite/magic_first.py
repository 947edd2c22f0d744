# !ctrace: log_instant("module start")
"""Module doc."""
# !ctrace: log_instant("before future")
from __future__ import annotations


def f():
    # !ctrace: log_instant("in f")
    """f doc"""
    # !ctrace: log_var("nope", undefined_name)
    return 1


class C:
    # !ctrace: log_instant("in C")
    """C doc"""


f()
print(__doc__, f.__doc__, C.__doc__)

import sys

from .work import compute

print("pkg main", __name__, sys.argv[1:], compute())

def thrower(depth):
    if depth == 0:
        raise ValueError("boom")
    return thrower(depth - 1)


def catcher():
    try:
        thrower(3)
    except ValueError:
        return "caught"


import math


def c_raises():
    try:
        math.sqrt(-1)
    except ValueError:
        pass


print(catcher())
c_raises()

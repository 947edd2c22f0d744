from __future__ import annotations

"""Python features around assignments: the output must be python3's with
every rewriting option on (tests/e2e/test_rewrite.py)."""
import asyncio
import inspect


class P:
    kind: str
    count: int = 0
    __slots__ = ("_x", "other")

    def __init__(self):
        self._x = 0

    @property
    def x(self):
        return self._x

    @x.setter
    def x(self, v):
        self._x = v * 2


G = 0


def outer():
    global G
    G = 5
    z = 1

    def inner():
        nonlocal z
        z += 1
        return z
    inner()
    return z


def gen(n):
    """gen doc"""
    for i in range(n):
        yield i


async def co(a):
    async def agen():
        yield 1
    async for v in agen():
        got = v
    return got + a


def deco(f):
    return f


@deco
def only_doc(p, q=3):
    """only a docstring"""


def comp():
    ys = [y for x in range(4) if (y := x * 2) > 2]
    return ys, y


def matcher(v):
    match v:
        case {"k": kk}:
            res = kk
        case [first, *rest]:
            res = first
        case _:
            res = None
    return res


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr")


def main():
    p = P()
    p.x = 4
    p.other = p.x
    a = b = 7
    d = {}
    d["k"] = a
    d["k"] += 1
    for i, (m, n) in enumerate([(1, 2)]):
        pass
    try:
        raise ValueError("v")
    except ValueError as err:
        e2 = str(err)
    else:
        e2 = None
    finally:
        fin = True
    bad = BadRepr()
    café = "unicode"
    print(outer(), G, list(gen(3)), asyncio.run(co(1)), only_doc.__doc__, comp(),
          matcher({"k": 1}), matcher([5, 6]), p.x, p.other, a, b, d, e2, fin, café)
    print(sorted(locals()))
    print(inspect.signature(only_doc), gen.__doc__)
    return a


if __name__ == "__main__":
    main()

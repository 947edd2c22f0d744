"""--log-number and --log-attr."""
from fractions import Fraction


class Point:
    def __init__(self):
        self.x = 0
        self.label = "p"

    def move(self):
        self.x += 5


class Slotted:
    __slots__ = ("x",)


def get(p):
    return p


def main():
    n_count = 1
    n_count += 2
    n_ratio = Fraction(1, 2)
    n_flag = True
    n_bad = "text"
    n_nan = float("nan")
    p = Point()
    p.move()
    pts = [Point()]
    pts[0].x = 7
    get(p).x = 9
    p.x, p.label = 1, "q"
    s = Slotted()
    s.x = 3
    return n_count


main()

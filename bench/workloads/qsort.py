"""Quicksort on lists: recursion, comprehensions and len() calls."""
import random

import _bench


def qsort(xs):
    if len(xs) <= 1:
        return xs
    pivot = xs[len(xs) // 2]
    return (qsort([x for x in xs if x < pivot]) + [x for x in xs if x == pivot]
            + qsort([x for x in xs if x > pivot]))


def main():
    rng = random.Random(42)
    for _ in range(6):
        data = [rng.random() for _ in range(40000)]
        assert qsort(data) == sorted(data)


if __name__ == "__main__":
    _bench.run(main)

"""Recursive fib: ~1.66 million Python calls, nothing else."""
import _bench


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def main():
    fib(29)


if __name__ == "__main__":
    _bench.run(main)

"""Towers of Hanoi: recursion with list methods (C calls) on the way."""
import _bench


def hanoi(n, src, dst, via, moves):
    if n == 0:
        return
    hanoi(n - 1, src, via, dst, moves)
    moves.append((src, dst))
    hanoi(n - 1, via, dst, src, moves)


def main():
    for _ in range(3):
        moves = []
        hanoi(18, "a", "c", "b", moves)


if __name__ == "__main__":
    _bench.run(main)

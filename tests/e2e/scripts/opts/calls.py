"""Known calls for the filter tests: fast and slow functions, C calls."""
import time


def fast(x):
    return x + 1


def slow():
    time.sleep(0.002)
    return 1


def middle(n):
    return sum(fast(i) for i in range(n))


def top():
    total = 0
    for _ in range(3):
        total += middle(4)
        total += slow()
    return total


if __name__ == "__main__":
    print(top())

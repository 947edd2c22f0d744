"""ProcessPoolExecutor never shut down."""
from concurrent.futures import ProcessPoolExecutor


def add_one(x):
    return x + 1


if __name__ == "__main__":
    ex = ProcessPoolExecutor(2)
    print(list(ex.map(add_one, range(10))))

"""A small program to trace: recursion, a generator, threads and a bit of
the standard library. Run it with:  ctrace run examples/demo.py"""
import json
import threading
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def squares(n):
    for i in range(n):
        yield i * i


def worker(k):
    total = sum(squares(1000 * k))
    time.sleep(0.01)
    return total


def main():
    print("fib(18) =", fib(18))
    threads = [threading.Thread(target=worker, args=(k,), name="worker-%d" % k)
               for k in range(1, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = json.dumps({"values": list(squares(50))})
    print("json bytes:", len(json.loads(data)["values"]))


if __name__ == "__main__":
    main()

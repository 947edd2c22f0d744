import threading


def work_alpha():
    return sum(range(1000))


def work_beta():
    return sum(range(2000))


def work_gamma():
    return sum(range(3000))


def work_delta():
    return sum(range(4000))


threads = [threading.Thread(target=f, name=n) for f, n in (
    (work_alpha, "alpha"), (work_beta, "beta"), (work_gamma, "gamma"), (work_delta, "delta"))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done")

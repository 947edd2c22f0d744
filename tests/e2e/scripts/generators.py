def gen(n):
    for i in range(n):
        yield i


def consume():
    total = 0
    for v in gen(4):
        total += v
    return total


async def coro():
    return 7


def drive():
    c = coro()
    try:
        c.send(None)
    except StopIteration as e:
        return e.value


print(consume(), drive())

def leaf(x):
    return len([x] * 3)


def middle(x):
    return leaf(x) + leaf(x + 1)


def top():
    total = 0
    for i in range(5):
        total += middle(i)
    return total


print(top())

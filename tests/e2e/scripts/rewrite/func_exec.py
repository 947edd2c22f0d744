"""--log-func-exec: every assignment inside matching functions."""


def work(a):
    b = a + 1
    c, d = b, b * 2
    for i in range(2):
        b += i
    return b


def other():
    z = 1
    return z


class K:
    def work_too(self):
        self.y = 3
        w = self.y
        return w


def comps():
    out = [[(z := a * b) for a in range(2)] for b in range(2)]
    return out, z


work(1)
work(10)
other()
K().work_too()
comps()

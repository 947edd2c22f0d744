"""The same three-level calls in a parent and its forked child."""
import os


def level3():
    return 3


def level2():
    return level3()


def level1():
    return level2()


pid = os.fork()
level1()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)

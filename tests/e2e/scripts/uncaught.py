def inner():
    raise RuntimeError("this is the failure")


def outer():
    inner()


outer()

VALUE = "helper loaded"


def helper_function():
    return VALUE

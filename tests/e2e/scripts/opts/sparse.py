"""Instrumented for VizTracer: runs unchanged under ctrace."""
from viztracer import VizCounter, get_tracer, ignore_function, log_sparse


def helper(n):
    return n * 2


def deep(n):
    return helper(n) + 1


@log_sparse
def marked(n):
    return deep(n)


@log_sparse(stack_depth=1)
def marked_deep(n):
    return deep(n)


@ignore_function
def ignored(n):
    return deep(n)


def main():
    tracer = get_tracer()
    counter = VizCounter(tracer, "progress")
    for i in range(3):
        marked(i)
        marked_deep(i)
        ignored(i)
        deep(i)
        counter.done = i + 1
    print("ok")


main()

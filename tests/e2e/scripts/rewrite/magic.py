"""Magic comments: with --magic-comment they log, without they are comments."""


def compute(n):
    # !ctrace: log_instant("compute start")
    total = 0
    for i in range(n):
        total += i  # !ctrace: log
        # !viztracer: log_var("i", i)
    big = total * 10  # !ctrace: log if big > 25
    small = total  # !viztracer: log if small > 1000
    # !ctrace: log_number("total", total)
    # !ctrace: log_instant("total is large") if total > 5
    # !ctrace: log_instant("never") if total < 0
    return big


compute(4)
compute(2)


def inline_forms(items):
    """The magic comments that follow code."""
    seen = {}
    seen["n"] = len(items)  # !ctrace: log
    for item in items:  # !ctrace: log
        seen[item] = True  # !viztracer: log_var("seen", sorted(seen)), log_number("size", len(seen))
    print("x", end="")  # !ctrace: log
    if items: count = len(items)  # !ctrace: log if count > 1
    try:
        raise KeyError(items[0])
    except KeyError as err:  # !ctrace: log
        pass
    return count  # !ctrace: log_instant("returning", {"count": count})


inline_forms(["a", "b"])

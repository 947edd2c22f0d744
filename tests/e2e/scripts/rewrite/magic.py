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

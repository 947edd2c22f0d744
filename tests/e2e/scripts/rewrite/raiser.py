def fail(v_n):
    v_deep = v_n * 2
    if v_deep > 1:
        raise ValueError("bad %d" % v_deep)

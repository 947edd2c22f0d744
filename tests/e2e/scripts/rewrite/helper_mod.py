def double(v_n):
    v_result = v_n * 2
    return v_result

"""A magic comment that cannot become code: this file runs unchanged."""
v_a = 1
if v_a:
    v_b = 2
        # !ctrace: log_instant("too deep")
print("ran", v_a + v_b)

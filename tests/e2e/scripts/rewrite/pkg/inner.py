v_inner = 50

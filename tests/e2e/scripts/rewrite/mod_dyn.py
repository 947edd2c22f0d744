v_dyn = len('dyn')

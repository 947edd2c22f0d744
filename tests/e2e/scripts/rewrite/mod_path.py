v_path = len('path')

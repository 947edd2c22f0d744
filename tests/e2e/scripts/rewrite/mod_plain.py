v_plain = len('plain')

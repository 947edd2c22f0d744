v_runpy = len('runpy')

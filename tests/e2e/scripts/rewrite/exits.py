import sys
v_code = int(sys.argv[1])
if v_code == 99:
    raise KeyboardInterrupt
sys.exit(v_code)

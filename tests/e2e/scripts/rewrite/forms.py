"""Every assignment form --log-var knows, each binding a name starting with v_."""
import sys

import helper_mod


class Box:
    def __enter__(self):
        return "boxed"

    def __exit__(self, *exc):
        return False


def params(v_a, v_b=2, *v_rest, v_kw=4, **v_more):
    """A docstring that must stay one."""
    return v_a + v_b


def main():
    v_plain = 1
    v_plain += 10
    v_ann: int = 5
    v_x, (v_y, *v_z) = 1, (2, 3, 4)
    for v_i in range(2):
        pass
    with Box() as v_w:
        pass
    if (v_walrus := len("abc")) > 2:
        pass
    try:
        raise KeyError("k")
    except KeyError as v_err:
        pass
    params(1)
    other = 7
    return other


main()
assert params.__doc__ == "A docstring that must stay one."
v_module = helper_mod.double(21)
print("done", v_module, __file__ == sys.argv[0] or __file__)

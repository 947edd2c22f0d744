from . import inner
v_sub = inner.v_inner * 2

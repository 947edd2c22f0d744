"""A module imported every way: import, importlib.import_module, runpy."""
import importlib
import os
import runpy

import mod_plain
from pkg import sub

mod_dyn = importlib.import_module("mod_dyn")
runpy.run_module("mod_runpy")
runpy.run_path(os.path.join(os.path.dirname(__file__), "mod_path.py"))
v_main = mod_plain.v_plain + sub.v_sub + mod_dyn.v_dyn

"""Prints, as JSON, the world python3 shows a program: prefixes, sys.path,
site-packages, the interpreter and the settings that come from PYTHON*
environment variables. Imports the modules named on the command line."""
import importlib
import json
import site
import sys
import warnings

mods = {}
for name in sys.argv[1:]:
    try:
        mods[name] = importlib.import_module(name).__file__
    except ImportError as e:
        mods[name] = "ImportError: %s" % e

print(json.dumps({
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "exec_prefix": sys.exec_prefix,
    "path": sys.path,
    "site_packages": site.getsitepackages(),
    "user_site": site.ENABLE_USER_SITE,
    "executable": sys.executable,
    "base_executable": sys._base_executable,
    "argv": sys.argv,
    "flags": list(sys.flags),
    "xoptions": sys._xoptions,
    "warnoptions": sys.warnoptions,
    "warning_filters": [str(f) for f in warnings.filters[:3]],
    "dont_write_bytecode": sys.dont_write_bytecode,
    "hash": hash("ctrace"),
    "stdout_write_through": sys.stdout.write_through,
    "faulthandler": __import__("faulthandler").is_enabled(),
    "tracemalloc": __import__("tracemalloc").is_tracing(),
    "fs_encoding": sys.getfilesystemencoding(),
    "stdout_encoding": sys.stdout.encoding,
    "modules": mods,
}, indent=1))

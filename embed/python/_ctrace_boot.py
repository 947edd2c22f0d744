"""Set-up run inside the embedded interpreter before the traced program.

Installs what the C tracer needs from the Python side: tracing of threads
started later, the end of the main program, the dump at exit and on SIGTERM.
"""
import atexit
import os
import signal
import sys
import threading

import _ctrace


def check_syntax(path):
    """Returns None, or a one-line description of the script's syntax error."""
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError:
        return None  # python3 itself will report it
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        where = " (line %d)" % e.lineno if e.lineno else ""
        return "%s%s" % (e.msg, where)
    except (ValueError, UnicodeDecodeError) as e:
        return str(e)
    return None


def _on_sigterm(signum, frame):
    # Save what was recorded, then die of SIGTERM as the untraced program would.
    if not _ctrace._save_now():
        return  # already saving; SIGTERM ends the process when it is done
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def install():
    threading.setprofile(_ctrace._thread_hook)

    original_shutdown = threading._shutdown

    def _shutdown():
        _ctrace._main_finished()
        original_shutdown()

    threading._shutdown = _shutdown
    atexit.register(_ctrace._atexit)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)

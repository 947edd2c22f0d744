#ifndef CTRACE_EMBED_REWRITE_H
#define CTRACE_EMBED_REWRITE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdbool.h>

#include "embed/embed.h"

/* Source rewriting (--log-var, --log-number, --log-attr, --log-func-exec,
 * --magic-comment). The rewriting itself is Python
 * (embed/python/_ctrace_rewrite.py); this is what the C side needs: the
 * options handed to it, and running the rewritten main script, which
 * python3 compiles in C where no Python hook can reach it. */

/* Whether C asks for any source rewriting. */
bool ct_rewrite_enabled(const ct_run_config *c);

/* Adds the rewriting options to D, the dict of _ctrace.config(). 0, or -1
 * with an exception set. */
int ct_rewrite_config(PyObject *d, const ct_run_config *c);

/* _ctrace.untraced(fn, *args): fn(*args) with the calling thread's
 * profile and trace functions suspended. Rewriting a module runs under
 * it: it is hidden from the trace anyway, and would cost more traced. */
PyObject *ct_rewrite_untraced(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* For a script target with rewriting on: the rewritten code of the main
 * script, with __main__ and sys.path prepared as python3 prepares them.
 * Sets *CODE to a new reference, or to NULL when the script is to be run
 * unchanged by Py_RunMain (nothing to rewrite, a folder or zip, or a
 * rewrite that failed, which was reported). Call before tracing starts.
 * 0, or -1 with an exception set. */
int ct_rewrite_main_code(const ct_run_config *c, PyObject **code);

/* Runs CODE (from ct_rewrite_main_code; the reference is stolen) as
 * Py_RunMain runs a script: in __main__, an uncaught exception printed
 * with sys.excepthook, then the interpreter finalized. Returns the exit
 * status Py_RunMain would. */
int ct_rewrite_run_main(PyObject *code);

#endif

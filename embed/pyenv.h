#ifndef CTRACE_EMBED_PYENV_H
#define CTRACE_EMBED_PYENV_H

#include "embed/embed.h"

#include <stdbool.h>

/* Which Python environment the traced program runs in. The embedded
 * interpreter is told that it is that environment's python3 (PyConfig's
 * executable), so that CPython's own getpath finds pyvenv.cfg and gives the
 * program the prefix, site-packages and .pth files python3 would. */

/* Chooses the interpreter the program sees as sys.executable, as the shell's
 * python3 would: EXPLICIT when given (--python, or the interpreter a console
 * script's shebang names; a bare name is looked up on PATH), else the
 * python3 first on PATH when it belongs to a virtual environment (a
 * pyvenv.cfg beside it or one folder up), else the one of $VIRTUAL_ENV.
 * Sets *OUT to a malloc'd absolute path the caller owns, or to NULL for the
 * system's Python (the one ctrace was built against). Returns 0, or -1 after
 * reporting one line through ERROR: no such interpreter, or one whose
 * major.minor version differs from the embedded one. */
int ct_pyenv_find(const char *explicit_python, ct_report_fn error, char **out);

/* The interpreter that "#!/usr/bin/env NAME" runs, found on PATH, when
 * ctrace can be it: one of a virtual environment, or one whose real name
 * is the embedded major.minor (/usr/bin/python3 -> python3.11). Malloc'd
 * (the caller owns it), or NULL: then the environment's is used. */
char *ct_pyenv_which(const char *name);

/* True when NAME ("python3", "python3.12", "/usr/bin/python2") does not
 * name a Python version other than the embedded major.minor: "python" and
 * "python3" match any 3.x as a plain command would. */
bool ct_pyenv_name_matches(const char *name);

#endif

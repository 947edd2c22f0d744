#ifndef CTRACE_EMBED_TRACER_H
#define CTRACE_EMBED_TRACER_H

#include <Python.h>
#include <stdbool.h>
#include <stdint.h>

#include "embed/embed.h"

/* The tracer of this process: one per process, driven by the C profile
 * function installed on every thread. All of it runs under the GIL. */

/* Sets up the ring and tables for C (the run's configuration, which must
 * outlive the tracer). Returns 0 or -1 with a Python exception set. */
int ct_tracer_init(const ct_run_config *c);

/* Starts recording on the calling thread (the main thread). */
int ct_tracer_start_main(void);

/* Installs the profile function on the calling thread, a new thread. When
 * FRAME is not NULL, the call that is already under way in FRAME is opened
 * as the thread's first slice. Returns 0 or -1 with an exception set. */
int ct_tracer_start_thread(PyFrameObject *frame);

/* The main program has finished (interpreter shutdown begins): stop
 * tracing the main thread, whose shutdown work is not the program's. */
void ct_tracer_main_finished(void);

/* Stops recording and writes the trace to the configured output. Later
 * calls do nothing. PY_ALIVE says whether Python objects may still be
 * used (false after the interpreter was finalized). Returns 0 or a
 * negative error, which has been reported. */
int ct_tracer_dump(bool py_alive);

/* Whether writing the trace failed. */
bool ct_tracer_failed(void);

/* The builtin module `_ctrace`, for PyImport_AppendInittab. */
PyObject *ct_module_init(void);

#endif

#ifndef CTRACE_EMBED_TRACER_H
#define CTRACE_EMBED_TRACER_H

#define PY_SSIZE_T_CLEAN
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

/* In a forked child (from os.register_at_fork): forget the parent's
 * events and every thread but the calling one; keep tracing when TRACE,
 * else stop for good (the child writes nothing). */
void ct_tracer_after_fork_child(bool trace);

/* A new track of this process named NAME (an asyncio task), on which the
 * calling thread's slices can be put. Returns its index or -1 with an
 * exception set. */
int64_t ct_tracer_new_track(const char *name);

/* Slices that end on the calling thread from now on go to TRACK, or back
 * to the thread's own track when TRACK is UINT32_MAX. */
void ct_tracer_switch_track(uint32_t track);

/* Whether writing the trace failed. */
bool ct_tracer_failed(void);

/* ---- for the _ctrace module (the Python API) ---- */

/* The current time in trace ticks. */
uint64_t ct_tracer_now(void);

/* Whether events are being recorded now. */
bool ct_tracer_is_recording(void);

/* Records an event on the calling thread: KIND is a ct_event_kind; ARGS
 * (may be NULL) is converted to JSON; SCOPE is 't', 'p' or 'g' for
 * instants; START/END are ticks (END only for slices). 0 or -1 with an
 * exception set. */
int ct_tracer_add_event(int kind, const char *name, Py_ssize_t len, PyObject *args, char scope,
                        uint64_t start, uint64_t end);

/* Attaches KEY: VALUE to the args of the calling Python function's slice. */
int ct_tracer_add_func_args(PyObject *key, PyObject *value);

/* The args dict of the calling Python function's slice (the one
 * ct_tracer_add_func_args writes to), or of the one SKIP Python calls
 * further out, created when missing: a new reference, None when there is
 * no such slice, NULL with an exception set. */
PyObject *ct_tracer_func_args(int skip);

/* Marks a code object: KIND 0 = @ignore_function, 1 = @log_sparse (DEPTH
 * levels below it are recorded too). */
void ct_tracer_mark_code(PyObject *code, int kind, int depth);

void ct_tracer_set_sync_marker(void);
void ct_tracer_pause(bool paused);
void ct_tracer_clear(void);

/* Writes what was recorded between ticks FROM and TO to PATH, tracing
 * goes on. 0 or -1 with an exception set. */
int ct_tracer_save(const char *path, uint64_t from, uint64_t to);

/* Traces the calling thread if it is not yet (threads not started through
 * threading). */
int ct_tracer_start_current_thread(void);

/* --log-func-entry: FN(name) -> bool decides which functions log entry. */
void ct_tracer_set_entry_matcher(PyObject *fn);

/* The run's configuration. */
const ct_run_config *ct_tracer_config(void);

/* The builtin module `_ctrace`, for PyImport_AppendInittab. */
PyObject *ct_module_init(void);

#endif

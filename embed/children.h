#ifndef CTRACE_EMBED_CHILDREN_H
#define CTRACE_EMBED_CHILDREN_H

#include <Python.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/dump.h"
#include "embed/embed.h"

/* Child processes: which part this process plays (the root, which writes
 * the report, or a child, which writes its part into the root's collection
 * folder), the Python-side patches that trace children, and the merge.
 * See core/collect.h for the folder's layout. */

/* Before Python starts: decides the role from the environment; the root
 * makes the collection folder and exports CTRACE_COLLECT_DIR,
 * CTRACE_ORIGIN_NS and CTRACE_ROOT_PID for its descendants (unless
 * --ignore-multiprocess). Never fails: without a folder, children are
 * simply not traced. */
void ct_children_init(const ct_run_config *c);

/* After the helpers are loaded: installs the Python-side patches
 * (embed/python/_ctrace_procs.py). Returns 0 or -1 with an exception. */
int ct_children_install(void);

/* Whether this process is a child writing a part (not the report). */
bool ct_children_is_child(void);

/* The file to write the trace to: the part in the folder for a child,
 * OUTPUT for the root. */
const char *ct_children_output(const char *output);

/* Whether a failure to write the part should be reported (not when the
 * root has already finished and removed the folder). */
bool ct_children_report_failure(void);

/* The process's name for the report when it is a multiprocessing child
 * (malloc'd), or NULL. Needs Python alive. */
char *ct_children_process_name(void);

/* The root, before writing its report: waits for registered children that
 * are still running (printing once which), unless told not to (SIGTERM)
 * or interrupted by Ctrl-C. */
void ct_children_wait(bool py_alive);

/* The root: appends the children's events to D. Returns the number of
 * events appended. */
uint64_t ct_children_append_events(ct_dump *d);

/* The dropped-event count of the children. */
uint64_t ct_children_dropped(void);

/* Footer helpers for the root (no-ops elsewhere): see core/collect.h. */
void ct_children_forget_file(const char *path);
void ct_children_forget_function(const char *name);
bool ct_children_write_files(ct_jw *w, bool comma);
bool ct_children_write_functions(ct_jw *w, bool comma);

/* After the trace was written (or failed): a child removes its
 * registration, the root its folder. */
void ct_children_finish(void);

/* Writes the trace now (ct_tracer_dump with Python alive), unless a dump
 * is already under way: then returns 1, and when FROM_SIGNAL, the process
 * is ended by SIGTERM as soon as that dump is done. Returns 0 otherwise. */
int ct_children_dump(bool from_signal);

/* Whether the next dump may wait for children (false from SIGTERM). */
void ct_children_set_wait(bool wait);

/* The functions of _ctrace that the helpers call (NULL-terminated). */
extern PyMethodDef ct_children_methods[];

/* The functions of _ctrace for asyncio task tracks (embed/tasks.c). */
extern PyMethodDef ct_tasks_methods[];

/* Runs an embedded helper module (embed/python/NAME.py), returns it. */
PyObject *ct__embed_load_helper(const char *name);

#endif

#ifndef CTRACE_CORE_COLLECT_H
#define CTRACE_CORE_COLLECT_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include "core/dump.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Collecting the traces of child processes into the root's report.
 *
 * The root makes a folder; every traced descendant writes its whole trace
 * there as "<pid>.json" when it ends. A parent registers each child it
 * starts as "<pid>.running"; the child removes that file once its part is
 * in place. The root waits while registered children are alive, then
 * copies every part's events verbatim into its own report (the bytes
 * between the writer's fixed header and "\n],\"displayTimeUnit\"") and
 * merges the small footers (file_info, dropped counts). */

typedef struct ct_collect ct_collect;

/* Creates a collection folder under $TMPDIR (or /tmp) and writes its path
 * to OUT (N bytes). Returns 0 or a negative error. */
int ct_collect_make_dir(char *out, size_t n);

/* Registers PID as a child to wait for. Returns 0 or a negative error. */
int ct_collect_register(const char *dir, int64_t pid);

/* The path for PID's part ("<dir>/<pid>.json", or "<pid>-<k>.json" when
 * an earlier process with the same pid left one), written to OUT. */
void ct_collect_part_path(const char *dir, int64_t pid, char *out, size_t n);

/* PID's part is in place: removes its registration. */
void ct_collect_done(const char *dir, int64_t pid);

/* Writes up to MAX pids of registered children that are still alive (not
 * finished, not dead, not zombies) to PIDS; returns how many there are. */
size_t ct_collect_pending(const char *dir, int64_t *pids, size_t max);

/* Whether process PID exists and is not a zombie. */
bool ct_collect_pid_alive(int64_t pid);

ct_collect *ct_collect_new(void);
void ct_collect_free(ct_collect *c);

/* Appends the events of every part in DIR to D (which has events open).
 * Parts that are not complete trace files are skipped. Returns the number
 * of parts copied. */
size_t ct_collect_append_events(ct_collect *c, ct_dump *d, const char *dir);

/* Figures gathered from the parts copied so far. */
uint64_t ct_collect_events(const ct_collect *c);
uint64_t ct_collect_dropped(const ct_collect *c);
size_t ct_collect_parts(const ct_collect *c);

/* The report's own file_info has PATH (a file) or NAME (a function): do
 * not write the children's copy. */
void ct_collect_forget_file(ct_collect *c, const char *path);
void ct_collect_forget_function(ct_collect *c, const char *name);

/* Writes the children's "path":[...] (or "name":[...]) members, each
 * preceded by a comma when COMMA or after the first. Returns whether
 * anything has been written in the object (COMMA or a member). */
bool ct_collect_write_files(ct_collect *c, ct_jw *w, bool comma);
bool ct_collect_write_functions(ct_collect *c, ct_jw *w, bool comma);

/* Removes DIR and everything in it (one level). */
void ct_collect_remove_dir(const char *dir);

#endif

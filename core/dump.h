#ifndef CTRACE_CORE_DUMP_H
#define CTRACE_CORE_DUMP_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include "core/clock.h"
#include "core/jsonw.h"
#include "core/outfile.h"
#include "core/ring.h"
#include "core/strtab.h"

#include <stdbool.h>
#include <stdint.h>

/* Writes a trace file in the Chrome Trace Event object form:
 *
 *   ct_dump_open         {"traceEvents":[
 *   ct_dump_*_name, ct_dump_ring, ct_dump_slice, ct_dump_raw_event ...
 *   ct_dump_end_events   ],"displayTimeUnit":"ns"
 *   (caller)             ,"ctrace_metadata":{...},"file_info":{...}
 *   ct_dump_commit       }
 *
 * Everything goes through one streaming writer (d->jw); the caller may use
 * it directly between ct_dump_end_events and ct_dump_commit. */
/* A kind of output file other than plain JSON or gzip, chosen by the
 * path's extension (the standalone ".html" viewer). core/ knows nothing of
 * it: the code that can write it registers it at start-up. */
typedef struct ct_container {
  /* Creates the output under a temporary name and writes what comes before
   * the trace's JSON; returns 0 and sets *CTX, or a negative error. */
  int (*open)(void **ctx, const char *path);
  /* Receives the trace's JSON (a ct_jw_sink). */
  int (*write)(void *ctx, const char *data, size_t len);
  /* Writes what comes after, renames into place, frees CTX; 0 or error. */
  int (*commit)(void *ctx);
  /* Removes the temporary file and frees CTX. */
  void (*abort)(void *ctx);
} ct_container;

/* Registers C (static, never freed) for paths ending in EXT (e.g. ".html").
 * At most 4 containers. */
void ct_dump_register_container(const char *ext, const ct_container *c);

/* Whether ct_dump_open can write PATH: .json, .json.gz, or a registered
 * container's extension. */
bool ct_dump_can_write(const char *path);

typedef struct ct_dump {
  ct_jw jw;
  ct_outfile *file; /* NULL when writing to a caller's sink */
  const ct_container *container; /* non-NULL when writing a container */
  void *container_ctx;
  uint64_t events;  /* events written so far */
  bool first;
} ct_dump;

/* Where a ring event's track index leads. */
typedef struct ct_dump_track {
  int64_t pid;
  int64_t tid;
} ct_dump_track;

/* Returns the JSON object text of the extra data ARG (an event's arg field,
 * >= 1), or NULL for none. The text is owned by the callee. */
typedef const char *(*ct_dump_args_fn)(void *ctx, uint32_t arg, size_t *len);

/* Opens PATH (gzip when it ends in ".gz", a registered container by its
 * extension) under a temporary name and writes the header. Returns 0 or a negative error; on error nothing is left. */
int ct_dump_open(ct_dump *d, const char *path);

/* Same, writing to SINK instead of a file (ct_dump_commit then only flushes). */
int ct_dump_open_sink(ct_dump *d, ct_jw_sink sink, void *ctx);

void ct_dump_process_name(ct_dump *d, int64_t pid, const char *name);
void ct_dump_thread_name(ct_dump *d, int64_t pid, int64_t tid, const char *name);

/* Writes every event held in R, oldest first. NAMES resolves name ids,
 * TRACKS (NTRACKS entries) the track indexes, M the ticks; ARGS (may be
 * NULL) the extra data. Events whose track is out of range are skipped. */
void ct_dump_ring(ct_dump *d, const ct_ring *r, const ct_strtab *names,
                  const ct_dump_track *tracks, uint32_t ntracks,
                  const ct_clock_map *m, ct_dump_args_fn args, void *ctx);

/* Same, for the events that lie within ticks [FROM, TO] only. */
void ct_dump_ring_range(ct_dump *d, const ct_ring *r, const ct_strtab *names,
                        const ct_dump_track *tracks, uint32_t ntracks,
                        const ct_clock_map *m, ct_dump_args_fn args, void *ctx,
                        uint64_t from, uint64_t to);

/* Writes one complete slice; NAME_JSON is a quoted JSON string, ARGS_JSON a
 * JSON object text or NULL. */
void ct_dump_slice(ct_dump *d, int64_t pid, int64_t tid, int64_t ts_ns, int64_t dur_ns,
                   const char *name_json, size_t name_len, const char *args_json,
                   size_t args_len);

/* Writes one event given as JSON object text (e.g. a child's event). */
void ct_dump_raw_event(ct_dump *d, const char *json, size_t len);

/* Closes the event array. */
void ct_dump_end_events(ct_dump *d);

/* Writes "PATH":["<source>",<lines>] for a source file read from disk, or
 * nothing (returning false) when it cannot be read or exceeds MAX bytes. */
bool ct_dump_file_source(ct_dump *d, const char *path, size_t max, bool comma);

/* Closes the object, flushes, and (for files) renames into place. Returns 0
 * or the first error; on error no file is left under the final name. */
int ct_dump_commit(ct_dump *d);

/* Gives up: removes the temporary file. */
void ct_dump_abort(ct_dump *d);

#endif

#ifndef CTRACE_CORE_READER_H
#define CTRACE_CORE_READER_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jsonr.h"

/* A streaming reader of Chrome Trace Event files: ctrace's own, VizTracer's,
 * Perfetto's JSON export. It takes the object form ({"traceEvents":[...],
 * ...}) and the array form ([ev, ...], whose closing ']' may be missing),
 * plain or gzip (told by the magic bytes, not the name).
 *
 * The file is never held whole in memory: the top level is tokenized here,
 * and each event object is handed out as its raw JSON text (valid for the
 * next call only) with its common fields already parsed. The other members
 * of the top-level object (ctrace_metadata, file_info, otherData, ...) are
 * kept as raw text and can be read once the events are done.
 *
 * Everything is validated as JSON on the way, so a successful read of the
 * whole file means the file is well-formed. */
typedef struct ct_reader ct_reader;

/* One event, as handed out by ct_reader_next. Pointers are into the
 * reader's buffer and stay valid until the next call. */
typedef struct ct_rd_event {
  const char *json;   /* the event's object text, "{...}" */
  size_t len;
  uint64_t offset;    /* byte offset of the event in the (uncompressed) input */
  char ph;            /* the phase letter; always present */
  bool has_ts, has_dur, has_pid, has_tid;
  int64_t ts_ns;      /* "ts" in ns (the file says µs), within +-CT_TS_MAX */
  int64_t dur_ns;     /* "dur" in ns, within +-CT_TS_MAX */
  int64_t pid, tid;   /* 0 when absent or not a number (has_* false then) */
  const char *name;   /* the "name" value as JSON text with its quotes, or NULL */
  size_t name_len;
  /* Where the values of "ts" and "pid" sit in JSON (offset, length), for
   * callers that rewrite them; length 0 when absent. */
  size_t ts_at, ts_len, pid_at, pid_len;
} ct_rd_event;

/* Opens PATH. Returns 0 and sets *OUT, or a negative error (-ENOENT, ...,
 * CT_EGZIP for a gzip header that does not parse). The caller frees *OUT
 * with ct_reader_free. */
int ct_reader_open(ct_reader **out, const char *path);

/* Reads from LEN bytes at DATA (plain or gzip), which the caller keeps
 * alive for the reader's life. */
int ct_reader_open_mem(ct_reader **out, const void *data, size_t len);

void ct_reader_free(ct_reader *r);

/* The next event: returns 1 and fills *EV, 0 at the end of a well-formed
 * trace, or a negative error (CT_EPARSE, CT_ETRUNC, CT_EGZIP, CT_ENOTTRACE,
 * CT_EFIELD, CT_ETOOBIG, -errno); after an error ct_reader_error_at and
 * ct_reader_error_detail say where and what. Errors are sticky. */
int ct_reader_next(ct_reader *r, ct_rd_event *ev);

/* From now on, skips events instead of handing them out, without checking
 * them: ct_reader_next goes straight to the end, reading only the other
 * top-level members. Several times faster; for a first pass over a file
 * that a second, checking pass reads again. */
void ct_reader_skip_events(ct_reader *r);

/* After an error: the byte offset in the uncompressed input (compressed,
 * for CT_EGZIP) where it was found, and a short text saying what was
 * expected (static, never NULL). */
uint64_t ct_reader_error_at(const ct_reader *r);
const char *ct_reader_error_detail(const ct_reader *r);

/* Whether the input was gzip-compressed / in the array form. */
bool ct_reader_is_gzip(const ct_reader *r);
bool ct_reader_is_array(const ct_reader *r);

/* The members of the top-level object other than "traceEvents", in file
 * order, seen so far (all of them once ct_reader_next returned 0). Returns
 * the count; ct_reader_member gives the I-th key (unquoted raw text) and
 * value (raw JSON text), owned by the reader. */
size_t ct_reader_member_count(const ct_reader *r);
void ct_reader_member(const ct_reader *r, size_t i, const char **key, size_t *key_len,
                      const char **value, size_t *value_len);

/* The raw JSON value of the member KEY, or NULL. */
const char *ct_reader_find_member(const ct_reader *r, const char *key, size_t *len);

#endif

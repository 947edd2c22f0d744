#ifndef CTRACE_CORE_JSONW_H
#define CTRACE_CORE_JSONW_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A streaming JSON writer: values are formatted straight into one large
 * buffer, which is handed to a sink whenever it fills. There is no document
 * tree; the caller writes the punctuation. Errors are sticky: once the sink
 * fails, later writes are dropped and ct_jw_finish returns the error.
 *
 * The fields are visible so that the hot formatting helpers can be inlined;
 * use the functions. */

/* Receives LEN bytes; returns 0 or a negative error code. */
typedef int (*ct_jw_sink)(void *ctx, const char *data, size_t len);

/* A sink that owns the buffers (zero copy): takes the LEN bytes written in
 * FULL (NULL on the first call) and returns the next buffer to write into,
 * setting *CAP; or NULL with *ERR set. With LAST it takes the final piece
 * and returns NULL. */
typedef char *(*ct_jw_swap)(void *ctx, char *full, size_t len, bool last, size_t *cap, int *err);

typedef struct ct_jw {
  char *buf;
  size_t len;
  size_t cap;
  ct_jw_sink sink;
  ct_jw_swap swap; /* set instead of sink for zero-copy sinks */
  bool discard;    /* swap mode after an error: buf is ours, written to no one */
  void *ctx;
  int err;
  uint64_t written; /* bytes handed to the sink so far */
} ct_jw;

/* Allocates a buffer of CAP bytes (at least 4096). Returns 0 or -ENOMEM. */
int ct_jw_init(ct_jw *w, size_t cap, ct_jw_sink sink, void *ctx);

/* The same, writing into buffers that SWAP hands out (the sink owns them). */
int ct_jw_init_swap(ct_jw *w, ct_jw_swap swap, void *ctx);

/* Flushes what is buffered; returns 0 or the first error seen. Does not
 * release the buffer. */
int ct_jw_flush(ct_jw *w);

/* Flushes, releases the buffer, and returns 0 or the first error seen. */
int ct_jw_finish(ct_jw *w);

/* Releases the buffer without flushing. */
void ct_jw_destroy(ct_jw *w);

/* Makes room for N bytes (N <= cap) and returns where to write them; the
 * caller then adds what it wrote to w->len. */
static inline char *ct_jw_reserve(ct_jw *w, size_t n) {
  if (w->cap - w->len < n) ct_jw_flush(w);
  return w->buf + w->len;
}

/* Appends N raw bytes (any length). */
void ct_jw_raw(ct_jw *w, const char *s, size_t n);

static inline void ct_jw_cstr(ct_jw *w, const char *s) { ct_jw_raw(w, s, strlen(s)); }

static inline void ct_jw_char(ct_jw *w, char c) {
  *ct_jw_reserve(w, 1) = c;
  w->len++;
}

/* Appends S (N bytes) as a quoted, escaped JSON string. */
void ct_jw_str(ct_jw *w, const char *s, size_t n);

static inline void ct_jw_cstr_quoted(ct_jw *w, const char *s) { ct_jw_str(w, s, strlen(s)); }

void ct_jw_u64(ct_jw *w, uint64_t v);
void ct_jw_i64(ct_jw *w, int64_t v);

/* Appends a nanosecond count as microseconds with three decimals:
 * 1234567 -> 1234.567, -5 -> -0.005. */
void ct_jw_usec(ct_jw *w, int64_t ns);

/* Appends a double the way JSON allows it (no NaN or infinity: null). */
void ct_jw_double(ct_jw *w, double v);

/* Formats V in decimal at P; returns the number of bytes (at most 20). */
size_t ct_json_fmt_u64(char *p, uint64_t v);

/* Formats a ns count as microseconds with three decimals at P; returns the
 * number of bytes (at most 25). */
size_t ct_json_fmt_usec(char *p, int64_t ns);

/* Escapes S (N bytes) for use inside a JSON string, without the quotes,
 * into OUT, which must hold 6 * N bytes. Control bytes become \uXXXX (\n,
 * \t, \r, \b, \f short forms), quotes and backslashes are escaped, and bytes
 * that are not valid UTF-8 become U+FFFD. With HTML_SAFE, '<', '>' and '&'
 * are escaped too, so the text can sit inside a <script> element. Returns
 * the number of bytes written. */
size_t ct_json_escape(char *out, const char *s, size_t n, bool html_safe);

#endif

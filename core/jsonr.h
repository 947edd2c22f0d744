#ifndef CTRACE_CORE_JSONR_H
#define CTRACE_CORE_JSONR_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Small helpers for reading the JSON text that the trace reader
 * (core/reader.h) hands out: no document tree, no allocation. */

/* Called for each member of an object: KEY is the key's JSON text with its
 * quotes, VALUE the value's JSON text. Returns 0 to go on, or anything
 * else to stop with that result. */
typedef int (*ct_json_member_fn)(void *ctx, const char *key, size_t key_len, const char *value,
                                 size_t value_len);

/* Calls FN for each member of the JSON object text S (N bytes), in order.
 * S is meant to be JSON the reader already checked (a member's value); on
 * anything else it stops safely. Returns 0, CT_EPARSE when S is not an
 * object, or FN's result when nonzero. */
int ct_json_object_members(const char *s, size_t n, ct_json_member_fn fn, void *ctx);

/* Decodes the JSON string text S (N bytes, with its quotes) into OUT,
 * which must hold N bytes; returns the decoded length. \u0000 and lone
 * surrogates become U+FFFD and broken escapes '?', so the result has no
 * inner NULs and is never longer than S. */
size_t ct_json_unescape(char *out, const char *s, size_t n);

/* The largest time the reader gives, in ns (about 73 years), and its
 * negative the smallest: sums and differences of two never overflow. */
#define CT_TS_MAX ((int64_t)1 << 61)

/* Parses a JSON number (N bytes) in µs into ns, exactly for up to three
 * decimals, clamped to +-CT_TS_MAX. Returns false when it is not a number. */
bool ct_json_usec_to_ns(const char *s, size_t n, int64_t *ns);

#endif

#ifndef CTRACE_CORE_STRTAB_H
#define CTRACE_CORE_STRTAB_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include <stddef.h>
#include <stdint.h>

/* An interning table of strings: each distinct string gets a small id,
 * stable for the table's life, and its JSON form (quoted and escaped) is
 * computed once, so writing an event's name is a memcpy. */
typedef struct ct_strtab ct_strtab;

/* Returns a new empty table, or NULL when out of memory. */
ct_strtab *ct_strtab_new(void);
void ct_strtab_free(ct_strtab *t);

/* The id of S (N bytes), adding a copy when new. Returns the id (>= 0)
 * or -ENOMEM. */
int64_t ct_strtab_intern(ct_strtab *t, const char *s, size_t n);

/* Number of strings held; ids are 0 .. count-1. */
uint32_t ct_strtab_count(const ct_strtab *t);

/* The string with id ID (NUL-terminated, owned by the table) and its length. */
const char *ct_strtab_str(const ct_strtab *t, uint32_t id, size_t *len);

/* The quoted, escaped JSON form of the string with id ID (owned by the
 * table), and its length. */
const char *ct_strtab_json(const ct_strtab *t, uint32_t id, size_t *len);

#endif

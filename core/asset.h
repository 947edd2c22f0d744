#ifndef CTRACE_CORE_ASSET_H
#define CTRACE_CORE_ASSET_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include <stdbool.h>
#include <stddef.h>

/* A file compiled into the binary by cmake/embed_tool.c. Tables of assets
 * are generated sorted by path; the data is static and never freed. */
typedef struct ct_asset {
  const char *path;          /* relative path, e.g. "index.html" */
  const unsigned char *data; /* len bytes, followed by a NUL */
  size_t len;
  size_t raw_len;            /* size before compression */
  bool gzipped;              /* data is a gzip member */
} ct_asset;

/* Finds PATH in a table of N assets sorted by path; NULL when absent. */
const ct_asset *ct_asset_find(const ct_asset *table, size_t n, const char *path);

#endif

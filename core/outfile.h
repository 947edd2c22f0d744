#ifndef CTRACE_CORE_OUTFILE_H
#define CTRACE_CORE_OUTFILE_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include <stdbool.h>
#include <stddef.h>

/* An output file written under a temporary name beside its final path and
 * renamed into place only when complete, so a crash or a full disk never
 * leaves a half-written file under the final name. Optionally gzip. */
typedef struct ct_outfile ct_outfile;

enum { CT_OUT_GZIP = 1 };

/* Creates the temporary file for PATH. Returns 0 and sets *OUT, or a
 * negative error (-EISDIR when PATH is a directory, -ENOENT when its folder
 * is missing, ...). The caller owns *OUT until ct_outfile_commit or
 * ct_outfile_abort, each of which frees it. */
int ct_outfile_open(ct_outfile **out, const char *path, int flags);

/* Appends LEN bytes; returns 0 or a negative error, which is sticky. The
 * signature fits ct_jw_sink (CTX is the ct_outfile). */
int ct_outfile_write(void *ctx, const char *data, size_t len);

/* Zero-copy writing (a ct_jw_swap; CTX is the ct_outfile): takes the LEN
 * bytes written into FULL, a buffer this function handed out earlier (or
 * NULL at first), and returns the next buffer (of *CAP bytes) to write
 * into; NULL with *ERR set on error, and NULL after the LAST piece. */
char *ct_outfile_swap(void *ctx, char *full, size_t len, bool last, size_t *cap, int *err);

/* Finishes compression, closes and renames into place. On failure the
 * temporary file is removed. Returns 0 or the first error. Frees F. */
int ct_outfile_commit(ct_outfile *f);

/* Removes the temporary file. Frees F. */
void ct_outfile_abort(ct_outfile *f);

/* Whether PATH names a gzip file by its extension (".gz"). */
int ct_path_is_gzip(const char *path);

#endif

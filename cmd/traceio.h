#ifndef CTRACE_CMD_TRACEIO_H
#define CTRACE_CMD_TRACEIO_H

#include "core/reader.h"

#include <stdbool.h>
#include <stddef.h>

/* Helpers shared by combine, convert and stats: opening traces and output
 * paths with one clear line on stderr when something is wrong. */

/* Opens the trace at PATH. Returns the reader (the caller frees it), or
 * NULL after printing why not. */
ct_reader *ct_trace_open(const char *path);

/* Prints the error RC that reading PATH through R ended with: what is wrong
 * and, for parse errors, the byte offset. R may be NULL. */
void ct_trace_report(const char *path, const ct_reader *r, int rc);

/* The same message, without the "ctrace: " prefix, into BUF (N bytes). */
void ct_trace_describe(char *buf, size_t n, const char *path, const ct_reader *r, int rc);

/* Checks before any work that PATH can be written: not a folder, its
 * folder exists and is writable. Returns 0, or 1 after printing why not. */
int ct_check_output_path(const char *path);

/* Whether PATH ends in SUFFIX. */
bool ct_ends_with(const char *path, const char *suffix);

#endif

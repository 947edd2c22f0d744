#ifndef CTRACE_VIEWER_VIEW_H
#define CTRACE_VIEWER_VIEW_H

#include "core/asset.h"

#include <stdbool.h>
#include <stddef.h>

/* The viewer: its assets (assets/, compiled in), the HTTP server of
 * `ctrace view` and the standalone .html trace. Nothing here prints: errors
 * come back as codes, or as a message in a caller's buffer. */

/* ---- trace files (tracefile.c) ---- */

enum ct_trace_kind {
  CT_TRACE_NONE = 0,
  CT_TRACE_JSON, /* .json */
  CT_TRACE_GZ,   /* .json.gz */
  CT_TRACE_HTML, /* .html (standalone viewer) */
};

/* The kind of trace NAME is by its extension; CT_TRACE_NONE for others. */
int ct_trace_kind_of(const char *name);

/* Checks that the file open at FD starts like a trace of KIND. Returns 0,
 * CT_ENOTTRACE, CT_EGZIP or a negative errno. Reads with pread. */
int ct_trace_check(int fd, int kind);

/* ---- assets (assets.c) ---- */

/* The asset at PATH ("viewer.js"), NULL when there is none. */
const ct_asset *ct_viewer_asset(const char *path);

/* The asset's text, decompressed, NUL-terminated, in *OUT (the caller
 * frees it) with its length in *LEN. Returns 0, -ENOENT or -ENOMEM. */
int ct_viewer_asset_text(const char *path, char **out, size_t *len);

/* ---- the standalone .html container (html.c) ---- */

/* Registers the .html writer with core/dump.h, so ct_dump_open writes a
 * standalone viewer page for paths ending in ".html". */
void ct_viewer_register_html(void);

/* ---- the HTTP server (server.c) ---- */

typedef struct ct_view_opts {
  const char *path; /* a trace file or a directory of traces */
  const char *host; /* address to listen on, e.g. "127.0.0.1" */
  int port;         /* 0: any free port */
  bool once;        /* ct_view_wait returns once a trace has been served */
  bool flamegraph;  /* links from the listing open the flame graph */
} ct_view_opts;

typedef struct ct_view ct_view;

/* Checks O->path and starts serving it on a thread of its own. Returns 0
 * and sets *OUT (free it with ct_view_free), or a negative error with a
 * one-line reason (without "ctrace: ") in ERR. SIGINT and SIGTERM are
 * blocked in the calling thread until ct_view_free, so that ct_view_wait
 * can wait for them. */
int ct_view_start(ct_view **out, const ct_view_opts *o, char *err, size_t errlen);

/* The URL of the viewer (static until ct_view_free). */
const char *ct_view_url(const ct_view *v);

enum { CT_VIEW_SIGNALLED = 1, CT_VIEW_SERVED = 2, CT_VIEW_TIMEOUT = 3 };

/* Waits for SIGINT/SIGTERM, or with once for a trace to have been served,
 * or TIMEOUT_MS (0: none). Returns one of CT_VIEW_*. */
int ct_view_wait(ct_view *v, long timeout_ms);

/* Stops the server, restores the signal mask, frees V. */
void ct_view_free(ct_view *v);

/* ---- directory listing (listing.c) ---- */

/* Writes the HTML page listing the traces in DIR (newest first) into a
 * malloc'd buffer *OUT of *LEN bytes. Returns 0 or a negative errno. */
int ct_view_listing(const char *dir, bool flamegraph, char **out, size_t *len);

/* Whether NAME (one path component from a URL) may be served from the
 * directory: no '/', not hidden, a trace by its extension. */
bool ct_view_name_ok(const char *name);

#endif

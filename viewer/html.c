/* The standalone .html trace: the viewer's page with its stylesheet and
 * scripts inlined and the trace inside, gzip-compressed and base64-encoded
 * in a <script type="application/octet-stream"> element. The page decodes
 * it with DecompressionStream, so it opens from disk with no server.
 *
 * Base64 has no '<', so no trace content can close the element; the
 * inlined assets are checked for "</script", "</style", "<script" and
 * "<!--" (which would change how the browser reads a script element). */
#include "core/dump.h"
#include "core/outfile.h"
#include "viewer/view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define ZBUF (256 * 1024)
#define B64_LINE 1024

static const char LINK_TAG[] = "<link rel=\"stylesheet\" href=\"style.css\">";
static const char SCRIPT_TAG[] = "<script src=\"viewer.js\"></script>";
static const char DATA_OPEN[] = "<script id=\"ctrace-data\" type=\"application/octet-stream\">\n";

struct html_out {
  ct_outfile *file;
  z_stream zs;
  unsigned char *zbuf;
  unsigned char rem[3]; /* bytes waiting for a full base64 group */
  int nrem;
  size_t col;           /* base64 characters on the current line */
  char *tail;           /* what follows the data */
  size_t tail_len;
  int err;
};

static bool has_unsafe(const char *s) {
  static const char *bad[] = {"</script", "<script", "</style", "<!--"};
  for (const char *p = s; (p = strchr(p, '<')); p++)
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
      if (strncasecmp(p, bad[i], strlen(bad[i])) == 0) return true;
  return false;
}

static void out(struct html_out *h, const char *s, size_t n) {
  if (h->err) return;
  int rc = ct_outfile_write(h->file, s, n);
  if (rc) h->err = rc;
}

static void outs(struct html_out *h, const char *s) { out(h, s, strlen(s)); }

static void b64_group(const unsigned char *in, int n, char *o) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned v = (unsigned)in[0] << 16 | (n > 1 ? (unsigned)in[1] << 8 : 0) | (n > 2 ? in[2] : 0);
  o[0] = abc[v >> 18 & 63];
  o[1] = abc[v >> 12 & 63];
  o[2] = n > 1 ? abc[v >> 6 & 63] : '=';
  o[3] = n > 2 ? abc[v & 63] : '=';
}

/* Base64-encodes N compressed bytes into the file, in lines. */
static void b64_write(struct html_out *h, const unsigned char *p, size_t n) {
  char line[B64_LINE + 8];
  size_t len = 0;
  while (n > 0) {
    while (h->nrem < 3 && n > 0) {
      h->rem[h->nrem++] = *p++;
      n--;
    }
    if (h->nrem < 3) break;
    b64_group(h->rem, 3, line + len);
    len += 4;
    h->nrem = 0;
    h->col += 4;
    if (h->col >= B64_LINE) {
      line[len++] = '\n';
      h->col = 0;
    }
    if (len >= B64_LINE) {
      out(h, line, len);
      len = 0;
    }
  }
  if (len) out(h, line, len);
}

static void pump(struct html_out *h, int flush) {
  int z;
  do {
    h->zs.next_out = h->zbuf;
    h->zs.avail_out = ZBUF;
    z = deflate(&h->zs, flush);
    if (z == Z_STREAM_ERROR) {
      h->err = -EIO;
      return;
    }
    b64_write(h, h->zbuf, ZBUF - h->zs.avail_out);
  } while (h->zs.avail_out == 0 || (flush == Z_FINISH && z != Z_STREAM_END));
}

static void html_free(struct html_out *h) {
  deflateEnd(&h->zs);
  free(h->zbuf);
  free(h->tail);
  free(h);
}

static int html_open(void **ctx, const char *path) {
  *ctx = NULL;
  char *index = NULL, *css = NULL, *worker = NULL, *viewer = NULL;
  size_t ni, nc, nw, nv;
  struct html_out *h = NULL;
  int rc = ct_viewer_asset_text("index.html", &index, &ni);
  if (!rc) rc = ct_viewer_asset_text("style.css", &css, &nc);
  if (!rc) rc = ct_viewer_asset_text("worker.js", &worker, &nw);
  if (!rc) rc = ct_viewer_asset_text("viewer.js", &viewer, &nv);
  if (rc) goto out_free;
  char *link = strstr(index, LINK_TAG), *script = strstr(index, SCRIPT_TAG);
  if (!link || !script || script < link || has_unsafe(css) || has_unsafe(worker) || has_unsafe(viewer)) {
    rc = -EINVAL; /* a build whose assets cannot be inlined safely */
    goto out_free;
  }
  h = calloc(1, sizeof *h);
  if (!h) {
    rc = -ENOMEM;
    goto out_free;
  }
  h->zbuf = malloc(ZBUF);
  const char *after_script = script + strlen(SCRIPT_TAG);
  size_t rest = ni - (size_t)(after_script - index);
  h->tail_len = strlen("\n</script>\n<script>\n") + nv + strlen("</script>") + rest;
  h->tail = malloc(h->tail_len + 1);
  /* level 1, as for .json.gz: writing the trace at exit stays quick */
  if (!h->zbuf || !h->tail || deflateInit2(&h->zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    rc = -ENOMEM;
    free(h->zbuf);
    free(h->tail);
    free(h);
    h = NULL;
    goto out_free;
  }
  snprintf(h->tail, h->tail_len + 1, "\n</script>\n<script>\n%s</script>%s", viewer, after_script);
  rc = ct_outfile_open(&h->file, path, 0);
  if (rc) {
    html_free(h);
    h = NULL;
    goto out_free;
  }
  /* <title>ctrace: NAME</title>, NAME escaped for HTML text */
  const char *title = strstr(index, "<title>ctrace</title>");
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  if (title && title < link) {
    out(h, index, (size_t)(title - index));
    outs(h, "<title>ctrace: ");
    for (const char *c = base; *c; c++) {
      switch (*c) {
      case '&': outs(h, "&amp;"); break;
      case '<': outs(h, "&lt;"); break;
      case '>': outs(h, "&gt;"); break;
      default: out(h, c, 1);
      }
    }
    outs(h, "</title>");
    const char *after_title = title + strlen("<title>ctrace</title>");
    out(h, after_title, (size_t)(link - after_title));
  } else {
    out(h, index, (size_t)(link - index));
  }
  outs(h, "<style>\n");
  out(h, css, nc);
  outs(h, "</style>");
  const char *after_link = link + strlen(LINK_TAG);
  out(h, after_link, (size_t)(script - after_link));
  outs(h, "<script id=\"ctrace-worker\" type=\"text/plain\">\n");
  out(h, worker, nw);
  outs(h, "</script>\n");
  outs(h, DATA_OPEN);
  rc = h->err;
  if (rc) {
    ct_outfile_abort(h->file);
    html_free(h);
    h = NULL;
    goto out_free;
  }
  *ctx = h;

out_free:
  free(index);
  free(css);
  free(worker);
  free(viewer);
  return rc;
}

static int html_write(void *ctx, const char *data, size_t len) {
  struct html_out *h = ctx;
  if (h->err) return h->err;
  h->zs.next_in = (unsigned char *)data;
  h->zs.avail_in = (uInt)len;
  pump(h, Z_NO_FLUSH);
  return h->err;
}

static int html_commit(void *ctx) {
  struct html_out *h = ctx;
  h->zs.next_in = NULL;
  h->zs.avail_in = 0;
  pump(h, Z_FINISH);
  if (h->nrem) {
    char g[4];
    b64_group(h->rem, h->nrem, g);
    out(h, g, 4);
    h->nrem = 0;
  }
  out(h, h->tail, h->tail_len);
  int rc = h->err;
  if (rc) ct_outfile_abort(h->file);
  else rc = ct_outfile_commit(h->file);
  html_free(h);
  return rc;
}

static void html_abort(void *ctx) {
  struct html_out *h = ctx;
  ct_outfile_abort(h->file);
  html_free(h);
}

static const ct_container html_container = {html_open, html_write, html_commit, html_abort};

void ct_viewer_register_html(void) { ct_dump_register_container(".html", &html_container); }

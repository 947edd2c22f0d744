/* Recognising trace files by name and by their first bytes. */
#include "core/error.h"
#include "viewer/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#define HEAD_BYTES (64 * 1024)

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n > k && strcasecmp(s + n - k, suffix) == 0;
}

int ct_trace_kind_of(const char *name) {
  if (ends_with(name, ".json.gz")) return CT_TRACE_GZ;
  if (ends_with(name, ".json")) return CT_TRACE_JSON;
  if (ends_with(name, ".html")) return CT_TRACE_HTML;
  return CT_TRACE_NONE;
}

static const char *skip_space(const char *p, const char *end) {
  if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3; /* UTF-8 BOM */
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* Case-insensitive search for NEEDLE in [P, END). */
static bool contains(const char *p, const char *end, const char *needle) {
  size_t k = strlen(needle);
  for (; end - p >= (ptrdiff_t)k; p++)
    if (strncasecmp(p, needle, k) == 0) return true;
  return false;
}

/* A JSON trace opens with '[' then an event object, or '{' with a
 * "traceEvents" key near the start (ctrace writes it first). */
static bool looks_like_json_trace(const char *p, size_t n) {
  const char *end = p + n;
  p = skip_space(p, end);
  if (p == end) return false;
  if (*p == '[') {
    p = skip_space(p + 1, end);
    return p == end || *p == '{' || *p == ']';
  }
  if (*p != '{') return false;
  return contains(p, end, "\"traceEvents\"");
}

static bool looks_like_html(const char *p, size_t n) {
  const char *end = p + n;
  p = skip_space(p, end);
  return p < end && *p == '<' && contains(p, end, "<html");
}

static int gunzip_head(int fd, char *out, size_t cap, size_t *got) {
  unsigned char in[16384];
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 31) != Z_OK) return -ENOMEM;
  zs.next_out = (unsigned char *)out;
  zs.avail_out = (uInt)cap;
  off_t pos = 0;
  int rc = 0;
  while (zs.avail_out > 0) {
    if (zs.avail_in == 0) {
      ssize_t r = pread(fd, in, sizeof in, pos);
      if (r < 0) {
        rc = -errno;
        break;
      }
      if (r == 0) break;
      pos += r;
      zs.next_in = in;
      zs.avail_in = (uInt)r;
    }
    int z = inflate(&zs, Z_NO_FLUSH);
    if (z == Z_STREAM_END) break;
    if (z != Z_OK && z != Z_BUF_ERROR) {
      rc = CT_EGZIP;
      break;
    }
  }
  *got = cap - zs.avail_out;
  inflateEnd(&zs);
  if (rc == 0 && *got == 0) rc = CT_EGZIP;
  return rc;
}

int ct_trace_check(int fd, int kind) {
  char *buf = malloc(HEAD_BYTES);
  if (!buf) return -ENOMEM;
  size_t n = 0;
  int rc = 0;
  if (kind == CT_TRACE_GZ) {
    rc = gunzip_head(fd, buf, HEAD_BYTES, &n);
  } else {
    ssize_t r = pread(fd, buf, HEAD_BYTES, 0);
    if (r < 0) rc = -errno;
    else n = (size_t)r;
  }
  if (rc == 0) {
    bool ok = kind == CT_TRACE_HTML ? looks_like_html(buf, n) : looks_like_json_trace(buf, n);
    if (!ok) rc = CT_ENOTTRACE;
  }
  free(buf);
  return rc;
}

#include "core/jsonw.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int ct_jw_init(ct_jw *w, size_t cap, ct_jw_sink sink, void *ctx) {
  w->swap = NULL;
  w->discard = false;
  if (cap < 4096) cap = 4096;
  w->buf = malloc(cap);
  w->len = 0;
  w->cap = w->buf ? cap : 0;
  w->sink = sink;
  w->ctx = ctx;
  w->err = w->buf ? 0 : -ENOMEM;
  w->written = 0;
  return w->err;
}

int ct_jw_init_swap(ct_jw *w, ct_jw_swap swap, void *ctx) {
  w->discard = false;
  w->len = 0;
  w->sink = NULL;
  w->swap = swap;
  w->ctx = ctx;
  w->err = 0;
  w->written = 0;
  w->buf = swap(ctx, NULL, 0, false, &w->cap, &w->err);
  if (!w->buf) {
    w->cap = 0;
    if (!w->err) w->err = -ENOMEM;
  }
  return w->err;
}

/* Hands the buffer to a swap sink and takes the next one. After an
 * error, writes go to a scratch buffer of our own and are dropped, so the
 * writer's callers need no checks of their own. */
static void swap_buffer(ct_jw *w, bool last) {
  if (w->discard) {
    w->len = 0;
    if (last) {
      free(w->buf);
      w->buf = NULL;
      w->cap = 0;
    }
    return;
  }
  if (!w->buf) return;
  char *next = w->swap(w->ctx, w->buf, w->err ? 0 : w->len, last, &w->cap, &w->err);
  if (!w->err) w->written += w->len;
  w->len = 0;
  w->buf = next;
  if (!next && !last) {
    if (!w->err) w->err = -ENOMEM;
    static const size_t scratch = 1 << 16;
    w->buf = malloc(scratch);
    w->cap = w->buf ? scratch : 0;
    w->discard = true;
    if (!w->buf) abort(); /* out of memory twice over: nothing sane is left */
  }
}

int ct_jw_flush(ct_jw *w) {
  if (w->swap) {
    swap_buffer(w, false);
    return w->err;
  }
  if (w->len && !w->err) {
    int rc = w->sink(w->ctx, w->buf, w->len);
    if (rc < 0) w->err = rc;
    else w->written += w->len;
  }
  w->len = 0;
  return w->err;
}

int ct_jw_finish(ct_jw *w) {
  if (w->swap) {
    swap_buffer(w, true);
    return w->err;
  }
  int rc = ct_jw_flush(w);
  ct_jw_destroy(w);
  return rc;
}

void ct_jw_destroy(ct_jw *w) {
  if (w->swap) {
    /* Give the buffer back without writing it. */
    int err = w->err ? w->err : -ECANCELED;
    w->err = err;
    w->len = 0;
    swap_buffer(w, true);
    w->buf = NULL;
    w->cap = w->len = 0;
    return;
  }
  free(w->buf);
  w->buf = NULL;
  w->cap = w->len = 0;
}

void ct_jw_raw(ct_jw *w, const char *s, size_t n) {
  while (n) {
    if (w->len == w->cap) ct_jw_flush(w);
    size_t k = w->cap - w->len;
    if (k > n) k = n;
    memcpy(w->buf + w->len, s, k);
    w->len += k;
    s += k;
    n -= k;
  }
}

void ct_jw_str(ct_jw *w, const char *s, size_t n) {
  ct_jw_char(w, '"');
  /* Escape in pieces so that any length fits the buffer. */
  while (n) {
    size_t k = n < 512 ? n : 512;
    /* Do not cut a UTF-8 sequence in two: back up to a lead byte. */
    if (k < n) {
      size_t b = k;
      while (b > k - 4 && ((unsigned char)s[b] & 0xC0) == 0x80) b--;
      if (b > 0) k = b;
    }
    char *p = ct_jw_reserve(w, 6 * k);
    w->len += ct_json_escape(p, s, k, false);
    s += k;
    n -= k;
  }
  ct_jw_char(w, '"');
}

static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static inline unsigned count_digits(uint64_t v) {
  unsigned n = 1;
  while (v >= 10000) {
    v /= 10000;
    n += 4;
  }
  if (v >= 1000) return n + 3;
  if (v >= 100) return n + 2;
  if (v >= 10) return n + 1;
  return n;
}

size_t ct_json_fmt_u64(char *p, uint64_t v) {
  unsigned n = count_digits(v);
  char *q = p + n;
  while (v >= 100) {
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    q -= 2;
    memcpy(q, digits2 + 2 * r, 2);
  }
  if (v >= 10) {
    q -= 2;
    memcpy(q, digits2 + 2 * v, 2);
  } else {
    *--q = (char)('0' + v);
  }
  return n;
}

size_t ct_json_fmt_usec(char *p, int64_t ns) {
  size_t n = 0;
  uint64_t u;
  if (ns < 0) {
    p[n++] = '-';
    u = (uint64_t)0 - (uint64_t)ns;
  } else {
    u = (uint64_t)ns;
  }
  uint64_t whole = u / 1000;
  unsigned frac = (unsigned)(u % 1000);
  n += ct_json_fmt_u64(p + n, whole);
  p[n++] = '.';
  p[n++] = (char)('0' + frac / 100);
  memcpy(p + n, digits2 + 2 * (frac % 100), 2);
  return n + 2;
}

void ct_jw_u64(ct_jw *w, uint64_t v) {
  char *p = ct_jw_reserve(w, 24);
  w->len += ct_json_fmt_u64(p, v);
}

void ct_jw_i64(ct_jw *w, int64_t v) {
  char *p = ct_jw_reserve(w, 24);
  size_t n = 0;
  if (v < 0) {
    p[n++] = '-';
    n += ct_json_fmt_u64(p + n, (uint64_t)0 - (uint64_t)v);
  } else {
    n += ct_json_fmt_u64(p, (uint64_t)v);
  }
  w->len += n;
}

void ct_jw_usec(ct_jw *w, int64_t ns) {
  char *p = ct_jw_reserve(w, 32);
  w->len += ct_json_fmt_usec(p, ns);
}

void ct_jw_double(ct_jw *w, double v) {
  if (!isfinite(v)) {
    ct_jw_raw(w, "null", 4);
    return;
  }
  if (v == (double)(int64_t)v && fabs(v) < 9007199254740992.0) {
    ct_jw_i64(w, (int64_t)v);
    return;
  }
  char *p = ct_jw_reserve(w, 32);
  int n = snprintf(p, 32, "%.17g", v);
  w->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at S (of at most N bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0x3F >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

size_t ct_json_escape(char *out, const char *str, size_t n, bool html_safe) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  char *o = out;
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
        !(html_safe && (c == '<' || c == '>' || c == '&'))) {
      *o++ = (char)c;
      i++;
      continue;
    }
    if (c >= 0x80) {
      size_t k = utf8_len(s + i, n - i);
      if (k == 0) {
        memcpy(o, "\\ufffd", 6);
        o += 6;
        i++;
      } else {
        memcpy(o, s + i, k);
        o += k;
        i += k;
      }
      continue;
    }
    *o++ = '\\';
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\n': *o++ = 'n'; break;
    case '\t': *o++ = 't'; break;
    case '\r': *o++ = 'r'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    default:
      *o++ = 'u';
      *o++ = '0';
      *o++ = '0';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
    i++;
  }
  return (size_t)(o - out);
}

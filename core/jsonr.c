/* Helpers for reading JSON text: numbers in µs, strings, object members. */
#include "core/jsonr.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

bool ct_json_usec_to_ns(const char *s, size_t n, int64_t *ns) {
  const char *p = s, *e = s + n;
  bool neg = false;
  if (p < e && *p == '-') {
    neg = true;
    p++;
  }
  uint64_t ip = 0;
  int idigits = 0;
  while (p < e && *p >= '0' && *p <= '9' && idigits < 16) {
    ip = ip * 10 + (uint64_t)(*p++ - '0');
    idigits++;
  }
  if (idigits == 0) return false;
  uint64_t frac = 0;
  int fdigits = 0;
  if (p < e && *p == '.') {
    p++;
    while (p < e && *p >= '0' && *p <= '9' && fdigits < 3) {
      frac = frac * 10 + (uint64_t)(*p++ - '0');
      fdigits++;
    }
  }
  if (p == e && ip < (uint64_t)CT_TS_MAX / 1000) {
    while (fdigits < 3) {
      frac *= 10;
      fdigits++;
    }
    int64_t v = (int64_t)(ip * 1000 + frac);
    *ns = neg ? -v : v;
    return true;
  }
  /* More than three decimals, an exponent or a huge value: go through a
   * double, rounded to the nearest ns and clamped. */
  char tmp[64];
  if (n >= sizeof tmp) return false;
  memcpy(tmp, s, n);
  tmp[n] = 0;
  char *endp;
  double d = strtod(tmp, &endp);
  if (endp == tmp) return false;
  d *= 1000.0;
  if (!(d == d)) return false;
  if (d > (double)CT_TS_MAX) d = (double)CT_TS_MAX;
  if (d < -(double)CT_TS_MAX) d = -(double)CT_TS_MAX;
  *ns = (int64_t)llround(d);
  return true;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static size_t put_utf8(char *o, uint32_t cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static int read_u4(const char *s, const char *e) {
  if (e - s < 4) return -1;
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(s[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

size_t ct_json_unescape(char *out, const char *s, size_t n) {
  const char *p = s, *e = s + n;
  if (p < e && *p == '"') p++;
  if (e > p && e[-1] == '"') e--;
  char *o = out;
  while (p < e) {
    if (*p != '\\') {
      *o++ = *p++;
      continue;
    }
    if (p + 1 >= e) break;
    char c = p[1];
    p += 2;
    switch (c) {
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      int u = read_u4(p, e);
      if (u < 0) {
        *o++ = '?'; /* a broken escape: one byte, so OUT never needs more than N */
        break;
      }
      uint32_t cp = 0xFFFD;
      {
        p += 4;
        cp = (uint32_t)u;
        if (cp >= 0xD800 && cp < 0xDC00) {
          int lo = (e - p >= 6 && p[0] == '\\' && p[1] == 'u') ? read_u4(p + 2, e) : -1;
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (uint32_t)(lo - 0xDC00);
            p += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if ((cp >= 0xDC00 && cp < 0xE000) || cp == 0) {
          cp = 0xFFFD;
        }
      }
      /* The escape took 6 bytes; its UTF-8 form at most 4 (a pair: 12 -> 4). */
      o += put_utf8(o, cp);
      break;
    }
    default: *o++ = c; break;
    }
  }
  return (size_t)(o - out);
}

/* Past the JSON value at P (checked JSON assumed; stops at E regardless). */
static const char *skip_json(const char *p, const char *e) {
  if (p >= e) return e;
  if (*p == '"') {
    for (p++; p < e; p++) {
      if (*p == '\\') p++;
      else if (*p == '"') return p + 1;
    }
    return e;
  }
  if (*p == '{' || *p == '[') {
    int depth = 0;
    bool str = false;
    for (; p < e; p++) {
      char c = *p;
      if (str) {
        if (c == '\\') p++;
        else if (c == '"') str = false;
      } else if (c == '"') {
        str = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return p + 1;
      }
    }
    return e;
  }
  while (p < e && *p != ',' && *p != '}' && *p != ']' && !is_ws(*p)) p++;
  return p;
}

int ct_json_object_members(const char *s, size_t n, ct_json_member_fn fn, void *ctx) {
  const char *p = s, *e = s + n;
  while (p < e && is_ws(*p)) p++;
  if (p >= e || *p != '{') return CT_EPARSE;
  p++;
  for (;;) {
    while (p < e && is_ws(*p)) p++;
    if (p >= e) return CT_EPARSE;
    if (*p == '}') return 0;
    if (*p != '"') return CT_EPARSE;
    const char *k = p;
    p = skip_json(p, e);
    size_t klen = (size_t)(p - k);
    while (p < e && is_ws(*p)) p++;
    if (p >= e || *p != ':') return CT_EPARSE;
    p++;
    while (p < e && is_ws(*p)) p++;
    const char *v = p;
    p = skip_json(p, e);
    if (p == v) return CT_EPARSE;
    int rc = fn(ctx, k, klen, v, (size_t)(p - v));
    if (rc) return rc;
    while (p < e && is_ws(*p)) p++;
    if (p < e && *p == ',') p++;
    else if (p < e && *p == '}') return 0;
    else return CT_EPARSE;
  }
}

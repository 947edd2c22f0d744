#include "core/reader.h"

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CHUNK (1u << 20)          /* bytes read or inflated per refill */
#define ZIN_SIZE (256u << 10)     /* compressed bytes read at once */
#define MAX_UNIT ((size_t)1 << 30) /* the largest single event or member */
#define MAX_DEPTH 512

/* A parse step ran off the end of the buffered data: refill and retry. */
#define NEED 100

enum state {
  ST_START,
  ST_OBJ_FIRST,   /* after '{': a key or '}' */
  ST_OBJ_KEY,     /* after ',': a key */
  ST_OBJ_NEXT,    /* after a member: ',' or '}' */
  ST_EV_FIRST,    /* after '[': an event or ']' */
  ST_EV_ITEM,     /* after ',': an event */
  ST_EV_NEXT,     /* after an event: ',' or ']' */
  ST_SKIP,        /* inside the event list, skipping (ct_reader_skip_events) */
  ST_TRAILER,     /* after the top-level value: only whitespace */
  ST_END,
};

struct member {
  char *key;
  size_t key_len;
  char *val;
  size_t val_len;
};

struct ct_reader {
  /* source */
  int fd;                  /* -1 for memory */
  const unsigned char *mem;
  size_t mem_len, mem_pos;
  bool src_eof;
  bool gzip, gz_done;
  z_stream zs;
  unsigned char *zin;
  uint64_t zin_total;      /* compressed bytes read from the source */

  /* decompressed data: buf[start..end) is unconsumed, pos the parse point */
  char *buf;
  size_t cap, start, pos, end;
  uint64_t base;           /* input offset of buf[0] */
  bool eof;                /* no more data after buf[end] */

  enum state st;
  bool array_form, saw_events, skip_events;
  /* skipping state, kept across refills */
  int skip_depth;
  bool skip_in_string, skip_escape;

  struct member *members;
  size_t nmembers, members_cap;

  int err;
  uint64_t err_at;
  const char *err_detail;
};

static int fail(ct_reader *r, int err, uint64_t at, const char *detail) {
  if (!r->err) {
    r->err = err;
    r->err_at = at;
    r->err_detail = detail;
  }
  return r->err;
}

static inline uint64_t here(const ct_reader *r, const char *p) {
  return r->base + (uint64_t)(p - r->buf);
}

/* ---- source ----------------------------------------------------------- */

/* Reads up to N raw (file) bytes into DST; returns the count, 0 at the end,
 * or a negative error. */
static ssize_t src_read(ct_reader *r, void *dst, size_t n) {
  if (r->fd < 0) {
    size_t k = r->mem_len - r->mem_pos;
    if (k > n) k = n;
    memcpy(dst, r->mem + r->mem_pos, k);
    r->mem_pos += k;
    return (ssize_t)k;
  }
  for (;;) {
    ssize_t k = read(r->fd, dst, n);
    if (k >= 0) return k;
    if (errno != EINTR) return -errno;
  }
}

static uint64_t gz_offset(const ct_reader *r) { return r->zin_total - r->zs.avail_in; }

/* Inflates into DST (N bytes); returns the count, 0 at the end, or error. */
static ssize_t gz_read(ct_reader *r, char *dst, size_t n) {
  r->zs.next_out = (unsigned char *)dst;
  r->zs.avail_out = (uInt)n;
  while (r->zs.avail_out == n && !r->gz_done) {
    if (r->zs.avail_in == 0 && !r->src_eof) {
      ssize_t k = src_read(r, r->zin, ZIN_SIZE);
      if (k < 0) return fail(r, (int)k, gz_offset(r), "read error");
      if (k == 0) r->src_eof = true;
      r->zs.next_in = r->zin;
      r->zs.avail_in = (uInt)k;
      r->zin_total += (uint64_t)k;
    }
    int zr = inflate(&r->zs, Z_NO_FLUSH);
    if (zr == Z_STREAM_END) {
      /* Another gzip member may follow (concatenated files); anything else
       * after the end is ignored, as gzip -d does with trailing zeros. */
      if (r->zs.avail_in == 0 && !r->src_eof) {
        ssize_t k = src_read(r, r->zin, ZIN_SIZE);
        if (k < 0) return fail(r, (int)k, gz_offset(r), "read error");
        if (k == 0) r->src_eof = true;
        r->zs.next_in = r->zin;
        r->zs.avail_in = (uInt)k;
        r->zin_total += (uint64_t)k;
      }
      if (r->zs.avail_in >= 2 && r->zs.next_in[0] == 0x1f && r->zs.next_in[1] == 0x8b) {
        inflateReset(&r->zs);
      } else {
        r->gz_done = true;
      }
      continue;
    }
    if (zr == Z_MEM_ERROR) return fail(r, -ENOMEM, gz_offset(r), "out of memory");
    if (zr == Z_DATA_ERROR || zr == Z_STREAM_ERROR || zr == Z_NEED_DICT)
      return fail(r, CT_EGZIP, gz_offset(r), "corrupt compressed data");
    if (zr == Z_BUF_ERROR && r->zs.avail_in == 0 && r->src_eof)
      return fail(r, CT_EGZIP, gz_offset(r), "the compressed data ends early");
  }
  return (ssize_t)(n - r->zs.avail_out);
}

/* Moves the unconsumed data to the front, grows the buffer when it is
 * full, and reads more. Returns 0 (r->eof set at the end) or an error. */
static int fill(ct_reader *r) {
  if (r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->base += r->start;
    r->pos -= r->start;
    r->end -= r->start;
    r->start = 0;
  }
  if (r->cap - r->end < r->cap / 4) {
    if (r->cap >= MAX_UNIT)
      return fail(r, CT_ETOOBIG, r->base, "a single value is larger than 1 GiB");
    size_t ncap = r->cap * 2;
    char *nb = realloc(r->buf, ncap);
    if (!nb) return fail(r, -ENOMEM, r->base, "out of memory");
    r->buf = nb;
    r->cap = ncap;
  }
  /* Fill all the room: a value that did not fit is parsed again from its
   * start after each refill, so refills must be few (the buffer doubles). */
  size_t room = r->cap - r->end, got = 0;
  while (got < room) {
    char *at = r->buf + r->end + got;
    ssize_t k = r->gzip ? gz_read(r, at, room - got) : src_read(r, at, room - got);
    if (k < 0) return r->err ? r->err : fail(r, (int)k, here(r, at), "read error");
    if (k == 0) {
      r->eof = true;
      break;
    }
    got += (size_t)k;
  }
  r->end += got;
  return 0;
}

static int setup(ct_reader *r) {
  /* Small inputs in memory (tests, the fuzzer) start with a small buffer. */
  r->cap = 2 * CHUNK;
  if (r->fd < 0 && r->mem_len < CHUNK / 4) r->cap = 16384;
  r->buf = malloc(r->cap);
  if (!r->buf) return -ENOMEM;
  if (r->fd < 0) {
    /* Memory input: gzip inflates straight from the caller's bytes. */
    if (r->mem_len >= 2 && r->mem[0] == 0x1f && r->mem[1] == 0x8b) {
      r->gzip = true;
      if (inflateInit2(&r->zs, 15 + 16) != Z_OK) return -ENOMEM;
      r->zs.next_in = (unsigned char *)r->mem;
      r->zs.avail_in = (uInt)r->mem_len;
      r->zin_total = r->mem_len;
      r->mem_pos = r->mem_len;
      r->src_eof = true;
    }
    return 0;
  }
  /* A file or a pipe: read the first bytes and tell gzip by its magic. */
  r->zin = malloc(ZIN_SIZE);
  if (!r->zin) return -ENOMEM;
  size_t got = 0;
  while (got < 2) {
    ssize_t k = src_read(r, r->zin + got, ZIN_SIZE - got);
    if (k < 0) return (int)k;
    if (k == 0) {
      r->src_eof = true;
      break;
    }
    got += (size_t)k;
  }
  if (got >= 2 && r->zin[0] == 0x1f && r->zin[1] == 0x8b) {
    r->gzip = true;
    if (inflateInit2(&r->zs, 15 + 16) != Z_OK) return -ENOMEM;
    r->zs.next_in = r->zin;
    r->zs.avail_in = (uInt)got;
    r->zin_total = got;
    return 0;
  }
  memcpy(r->buf, r->zin, got);
  r->end = got;
  free(r->zin);
  r->zin = NULL;
  return 0;
}

int ct_reader_open(ct_reader **out, const char *path) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ct_reader *r = calloc(1, sizeof *r);
  if (!r) {
    close(fd);
    return -ENOMEM;
  }
  r->fd = fd;
  int rc = setup(r);
  if (rc) {
    ct_reader_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

int ct_reader_open_mem(ct_reader **out, const void *data, size_t len) {
  *out = NULL;
  ct_reader *r = calloc(1, sizeof *r);
  if (!r) return -ENOMEM;
  r->fd = -1;
  r->mem = data;
  r->mem_len = len;
  int rc = setup(r);
  if (rc) {
    ct_reader_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

void ct_reader_free(ct_reader *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd);
  if (r->gzip) inflateEnd(&r->zs);
  free(r->zin);
  free(r->buf);
  for (size_t i = 0; i < r->nmembers; i++) {
    free(r->members[i].key);
    free(r->members[i].val);
  }
  free(r->members);
  free(r);
}

/* ---- JSON scanning ---------------------------------------------------- */

/* Each scanner works on [*pp, end) and returns 0 with *pp past the item,
 * NEED when the data ends first (the caller refills and starts the whole
 * unit again), or an error. At the true end of input, NEED means the input
 * is truncated. */

/* One comparison for the usual case, a byte above the space. */
static inline bool is_ws(char c) {
  return (unsigned char)c <= ' ' && (c == ' ' || c == '\n' || c == '\r' || c == '\t');
}

static inline int skip_ws(const char **pp, const char *end) {
  const char *p = *pp;
  while (p < end && is_ws(*p)) p++;
  *pp = p;
  return p < end ? 0 : NEED;
}

static inline bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The bytes of W that are a quote, a backslash or a control byte (the ones
 * that end the fast path through a string), as a mask of 0x80 bits. The
 * lowest set bit is exact (the usual has-zero-byte and has-less-than
 * tricks; higher bits may be false alarms after a true one). */
static inline uint64_t special_mask(uint64_t w) {
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  uint64_t q = w ^ (ones * '"');
  uint64_t b = w ^ (ones * '\\');
  return (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & highs;
}

/* Moves P to the first quote, backslash or control byte before E, or to E. */
static inline const unsigned char *find_special(const unsigned char *p, const unsigned char *e) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  while (e - p >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t m = special_mask(w);
    if (m) return p + (__builtin_ctzll(m) >> 3);
    p += 8;
  }
#endif
  while (p < e && *p != '"' && *p != '\\' && *p >= 0x20) p++;
  return p;
}

/* *pp at the opening quote. */
static inline __attribute__((always_inline)) int scan_string(ct_reader *r, const char **pp,
                                                             const char *end) {
  const unsigned char *p = (const unsigned char *)*pp + 1;
  const unsigned char *e = (const unsigned char *)end;
  for (;;) {
    p = find_special(p, e);
    if (p >= e) return NEED;
    if (*p == '"') {
      *pp = (const char *)p + 1;
      return 0;
    }
    if (*p < 0x20)
      return fail(r, CT_EPARSE, here(r, (const char *)p), "control character inside a string");
    /* backslash */
    if (p + 1 >= e) return NEED;
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      p += 2;
      break;
    case 'u':
      if (p + 6 > e) return NEED;
      for (int i = 2; i < 6; i++)
        if (!is_hex((char)p[i]))
          return fail(r, CT_EPARSE, here(r, (const char *)p), "invalid \\u escape");
      p += 6;
      break;
    default:
      return fail(r, CT_EPARSE, here(r, (const char *)p), "invalid escape in a string");
    }
  }
}

/* A number per JSON's grammar. It ends at the first byte that cannot
 * continue it; running into the end of the data needs more unless the
 * input is over. */
static inline int scan_number(ct_reader *r, const char **pp, const char *end) {
  const char *p = *pp;
  const char *s = p;
#define AT_END() (p >= end)
#define MORE() do { if (!r->eof) return NEED; } while (0)
  if (!AT_END() && *p == '-') p++;
  if (AT_END()) {
    MORE();
    return fail(r, CT_ETRUNC, here(r, p), "the file ends inside a number");
  }
  if (*p == '0') {
    p++;
  } else if (*p >= '1' && *p <= '9') {
    while (!AT_END() && *p >= '0' && *p <= '9') p++;
  } else {
    return fail(r, CT_EPARSE, here(r, s), "invalid number");
  }
  if (AT_END()) goto done;
  if (*p == '.') {
    p++;
    const char *d = p;
    while (!AT_END() && *p >= '0' && *p <= '9') p++;
    if (AT_END() && !r->eof) return NEED;
    if (p == d) return fail(r, CT_EPARSE, here(r, s), "invalid number");
    if (AT_END()) goto done;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (!AT_END() && (*p == '+' || *p == '-')) p++;
    const char *d = p;
    while (!AT_END() && *p >= '0' && *p <= '9') p++;
    if (AT_END() && !r->eof) return NEED;
    if (p == d) return fail(r, CT_EPARSE, here(r, s), "invalid number");
  }
done:
  if (AT_END()) MORE();
#undef AT_END
#undef MORE
  *pp = p;
  return 0;
}

static int scan_literal(ct_reader *r, const char **pp, const char *end, const char *lit) {
  size_t n = strlen(lit);
  size_t have = (size_t)(end - *pp);
  if (memcmp(*pp, lit, have < n ? have : n) != 0)
    return fail(r, CT_EPARSE, here(r, *pp), "invalid literal (expected a value)");
  if (have < n) return NEED;
  *pp += n;
  return 0;
}

static int scan_value(ct_reader *r, const char **pp, const char *end, int depth);

static int scan_container(ct_reader *r, const char **pp, const char *end, int depth) {
  const char *p = *pp;
  bool obj = *p == '{';
  char close = obj ? '}' : ']';
  if (depth > MAX_DEPTH) return fail(r, CT_ETOOBIG, here(r, p), "values nested too deeply");
  p++;
  int rc;
  if ((rc = skip_ws(&p, end))) return rc;
  if (*p == close) {
    *pp = p + 1;
    return 0;
  }
  for (;;) {
    if (obj) {
      if (*p != '"') return fail(r, CT_EPARSE, here(r, p), "expected a string key");
      if ((rc = scan_string(r, &p, end))) return rc;
      if ((rc = skip_ws(&p, end))) return rc;
      if (*p != ':') return fail(r, CT_EPARSE, here(r, p), "expected ':'");
      p++;
      if ((rc = skip_ws(&p, end))) return rc;
    }
    if ((rc = scan_value(r, &p, end, depth + 1))) return rc;
    if ((rc = skip_ws(&p, end))) return rc;
    if (*p == close) {
      *pp = p + 1;
      return 0;
    }
    if (*p != ',') return fail(r, CT_EPARSE, here(r, p), obj ? "expected ',' or '}'" : "expected ',' or ']'");
    p++;
    if ((rc = skip_ws(&p, end))) return rc;
  }
}

/* *pp at the first byte of a value (not whitespace). */
static int scan_value(ct_reader *r, const char **pp, const char *end, int depth) {
  switch (**pp) {
  case '"': return scan_string(r, pp, end);
  case '{':
  case '[': return scan_container(r, pp, end, depth);
  case 't': return scan_literal(r, pp, end, "true");
  case 'f': return scan_literal(r, pp, end, "false");
  case 'n': return scan_literal(r, pp, end, "null");
  default:
    if (**pp == '-' || (**pp >= '0' && **pp <= '9')) return scan_number(r, pp, end);
    return fail(r, CT_EPARSE, here(r, *pp), "expected a value");
  }
}

/* An integer field (pid, tid); fractions are cut off. */
static int64_t parse_int(const char *s, size_t n) {
  bool neg = n && *s == '-';
  uint64_t v = 0;
  for (size_t i = neg; i < n && s[i] >= '0' && s[i] <= '9'; i++) v = v * 10 + (uint64_t)(s[i] - '0');
  return neg ? -(int64_t)v : (int64_t)v;
}

static bool key_is(const char *k, size_t klen, const char *lit) {
  size_t n = strlen(lit);
  return klen == n && memcmp(k, lit, n) == 0;
}

/* Skips the event object at *pp without checking it: brackets are counted
 * outside strings and strings are jumped over 8 bytes at a time. Used when
 * a caller only wants the file's other members (ct_reader_skip_events). */
__attribute__((noinline)) static int skip_event(const char **pp, const char *end) {
  const unsigned char *p = (const unsigned char *)*pp, *e = (const unsigned char *)end;
  int depth = 0;
  while (p < e) {
    unsigned char c = *p++;
    if (c == '"') {
      for (;;) {
        p = find_special(p, e);
        while (p < e && *p < 0x20) p = find_special(p + 1, e); /* not checked here */
        if (p >= e) return NEED;
        if (*p == '"') {
          p++;
          break;
        }
        p += 2; /* a backslash and the byte it escapes */
        if (p > e) return NEED;
      }
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        *pp = (const char *)p;
        return 0;
      }
    }
  }
  return NEED;
}

/* Parses the event object at *pp, filling EV. */
static int scan_event(ct_reader *r, const char **pp, const char *end, ct_rd_event *ev) {
  const char *p = *pp;
  const char *obj = p;
  memset(ev, 0, sizeof *ev);
  p++;
  int rc;
  if ((rc = skip_ws(&p, end))) return rc;
  if (*p != '}') {
    for (;;) {
      if (*p != '"') return fail(r, CT_EPARSE, here(r, p), "expected a string key");
      const char *k = p + 1;
      if ((rc = scan_string(r, &p, end))) return rc;
      size_t klen = (size_t)(p - 1 - k);
      if ((rc = skip_ws(&p, end))) return rc;
      if (*p != ':') return fail(r, CT_EPARSE, here(r, p), "expected ':'");
      p++;
      if ((rc = skip_ws(&p, end))) return rc;
      const char *v = p;
      /* Strings and numbers, nearly every value of an event, without the
       * general dispatch. */
      if (*p == '"') rc = scan_string(r, &p, end);
      else if (*p == '-' || (*p >= '0' && *p <= '9')) rc = scan_number(r, &p, end);
      else rc = scan_value(r, &p, end, 1);
      if (rc) return rc;
      size_t vlen = (size_t)(p - v);
      if (klen == 2 && k[0] == 'p' && k[1] == 'h') {
        if (*v != '"' || vlen < 3)
          return fail(r, CT_EFIELD, here(r, obj), "an event's \"ph\" is not a phase letter");
        ev->ph = v[1];
      } else if (klen == 2 && k[0] == 't' && k[1] == 's') {
        if (*v == '"' || *v == '{' || *v == '[' || *v == 't' || *v == 'f') {
          return fail(r, CT_EFIELD, here(r, obj), "an event's \"ts\" is not a number");
        } else if (*v != 'n') {
          ct_json_usec_to_ns(v, vlen, &ev->ts_ns);
          ev->has_ts = true;
          ev->ts_at = (size_t)(v - obj);
          ev->ts_len = vlen;
        }
      } else if (key_is(k, klen, "dur")) {
        if (*v == '-' || (*v >= '0' && *v <= '9')) {
          ct_json_usec_to_ns(v, vlen, &ev->dur_ns);
          ev->has_dur = true;
        } else if (*v != 'n') {
          return fail(r, CT_EFIELD, here(r, obj), "an event's \"dur\" is not a number");
        }
      } else if (key_is(k, klen, "pid")) {
        /* Only numbers count (Perfetto reads a string as a name). */
        bool num = *v == '-' || (*v >= '0' && *v <= '9');
        ev->has_pid = num;
        ev->pid = num ? parse_int(v, vlen) : 0;
        ev->pid_at = num ? (size_t)(v - obj) : 0;
        ev->pid_len = num ? vlen : 0;
      } else if (key_is(k, klen, "tid")) {
        bool num = *v == '-' || (*v >= '0' && *v <= '9');
        ev->has_tid = num;
        ev->tid = num ? parse_int(v, vlen) : 0;
      } else if (key_is(k, klen, "name")) {
        if (*v == '"') {
          ev->name = v;
          ev->name_len = vlen;
        }
      }
      if ((rc = skip_ws(&p, end))) return rc;
      if (*p == '}') break;
      if (*p != ',') return fail(r, CT_EPARSE, here(r, p), "expected ',' or '}'");
      p++;
      if ((rc = skip_ws(&p, end))) return rc;
    }
  }
  p++;
  *pp = p;
  ev->json = obj;
  ev->len = (size_t)(p - obj);
  ev->offset = here(r, obj);
  /* The fields a viewer cannot do without. */
  if (!ev->ph) return fail(r, CT_EFIELD, ev->offset, "an event has no \"ph\"");
  switch (ev->ph) {
  case 'X':
    if (!ev->has_dur) return fail(r, CT_EFIELD, ev->offset, "a complete (X) event has no \"dur\"");
    /* fall through */
  case 'B': case 'E': case 'i': case 'I': case 'C':
    if (!ev->has_ts) return fail(r, CT_EFIELD, ev->offset, "an event has no \"ts\"");
    break;
  default:
    break;
  }
  if ((ev->ph == 'X' || ev->ph == 'B') && !ev->name)
    return fail(r, CT_EFIELD, ev->offset, "an event has no \"name\"");
  return 0;
}

static int add_member(ct_reader *r, const char *k, size_t klen, const char *v, size_t vlen) {
  if (r->nmembers == r->members_cap) {
    size_t n = r->members_cap ? r->members_cap * 2 : 8;
    struct member *m = realloc(r->members, n * sizeof *m);
    if (!m) return -ENOMEM;
    r->members = m;
    r->members_cap = n;
  }
  struct member *m = &r->members[r->nmembers];
  m->key = malloc(klen + 1);
  m->val = malloc(vlen + 1);
  if (!m->key || !m->val) {
    free(m->key);
    free(m->val);
    return -ENOMEM;
  }
  memcpy(m->key, k, klen);
  m->key[klen] = 0;
  m->key_len = klen;
  memcpy(m->val, v, vlen);
  m->val[vlen] = 0;
  m->val_len = vlen;
  r->nmembers++;
  return 0;
}

static bool starts_value(char c) {
  return c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n';
}

/* One step of the top-level state machine from r->pos. Returns 0 to go
 * on, 1 with an event in EV, 2 at the end, NEED, or an error. */
static int step(ct_reader *r, ct_rd_event *ev) {
  const char *p = r->buf + r->pos;
  const char *end = r->buf + r->end;
  int rc = skip_ws(&p, end);
  if (rc == NEED) {
    if (!r->eof) return NEED;
    switch (r->st) {
    case ST_TRAILER: return 2;
    case ST_EV_FIRST: case ST_EV_ITEM: case ST_EV_NEXT:
      /* The array form may lack its closing bracket. */
      if (r->array_form) return 2;
      return fail(r, CT_ETRUNC, here(r, p), "the file ends inside \"traceEvents\"");
    case ST_START:
      return fail(r, CT_ETRUNC, here(r, p), "the file is empty");
    default:
      return fail(r, CT_ETRUNC, here(r, p), "the file ends before the closing '}'");
    }
  }
  char c = *p;
  switch (r->st) {
  case ST_START:
    if (r->base == 0 && p == r->buf && (unsigned char)c == 0xEF) {
      /* UTF-8 byte order mark */
      if (end - p < 3) return NEED;
      if ((unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) {
        r->pos += 3;
        return 0;
      }
    }
    if (c == '{') {
      r->st = ST_OBJ_FIRST;
    } else if (c == '[') {
      r->array_form = true;
      r->saw_events = true;
      r->st = r->skip_events ? ST_SKIP : ST_EV_FIRST;
    } else if (starts_value(c)) {
      return fail(r, CT_ENOTTRACE, here(r, p), "the top level is neither an object nor an array");
    } else if (c == '<') {
      return fail(r, CT_ENOTTRACE, here(r, p), "this is HTML or XML, not a JSON trace");
    } else {
      return fail(r, CT_EPARSE, here(r, p), "expected '{' or '['");
    }
    p++;
    break;
  case ST_OBJ_FIRST:
  case ST_OBJ_KEY: {
    if (c == '}' && r->st == ST_OBJ_FIRST) {
      return fail(r, CT_ENOTTRACE, here(r, p), "the object has no \"traceEvents\"");
    }
    if (c != '"') return fail(r, CT_EPARSE, here(r, p), "expected a string key");
    const char *k = p + 1;
    if ((rc = scan_string(r, &p, end))) return rc;
    size_t klen = (size_t)(p - 1 - k);
    if ((rc = skip_ws(&p, end))) return rc;
    if (*p != ':') return fail(r, CT_EPARSE, here(r, p), "expected ':'");
    p++;
    if ((rc = skip_ws(&p, end))) return rc;
    if (key_is(k, klen, "traceEvents")) {
      if (*p != '[') {
        if (*p == '{' || starts_value(*p))
          return fail(r, CT_ENOTTRACE, here(r, p), "\"traceEvents\" is not an array");
        return fail(r, CT_EPARSE, here(r, p), "expected a value");
      }
      p++;
      r->saw_events = true;
      r->st = r->skip_events ? ST_SKIP : ST_EV_FIRST;
    } else {
      const char *v = p;
      if ((rc = scan_value(r, &p, end, 1))) return rc;
      if ((rc = add_member(r, k, klen, v, (size_t)(p - v))))
        return fail(r, rc, here(r, v), "out of memory");
      r->st = ST_OBJ_NEXT;
    }
    break;
  }
  case ST_OBJ_NEXT:
    if (c == ',') {
      r->st = ST_OBJ_KEY;
    } else if (c == '}') {
      if (!r->saw_events)
        return fail(r, CT_ENOTTRACE, here(r, p), "the object has no \"traceEvents\"");
      r->st = ST_TRAILER;
    } else {
      return fail(r, CT_EPARSE, here(r, p), "expected ',' or '}'");
    }
    p++;
    break;
  case ST_EV_FIRST:
  case ST_EV_ITEM:
    if (c == ']' && r->st == ST_EV_FIRST) {
      r->st = r->array_form ? ST_TRAILER : ST_OBJ_NEXT;
      p++;
      break;
    }
    if (c != '{') {
      if (starts_value(c) || c == '[')
        return fail(r, CT_ENOTTRACE, here(r, p), "an element of the event list is not an object");
      if (c == ']' && r->array_form) { /* "[ev,]": tolerated like a missing ']' */
        r->st = ST_TRAILER;
        p++;
        break;
      }
      return fail(r, CT_EPARSE, here(r, p), "expected an event object");
    }
    if (r->skip_events) {
      if ((rc = skip_event(&p, end))) return rc;
      r->st = ST_EV_NEXT;
      break;
    }
    if ((rc = scan_event(r, &p, end, ev))) return rc;
    r->st = ST_EV_NEXT;
    r->pos = (size_t)(p - r->buf);
    return 1;
  case ST_EV_NEXT:
    if (c == ',') {
      r->st = ST_EV_ITEM;
    } else if (c == ']') {
      r->st = r->array_form ? ST_TRAILER : ST_OBJ_NEXT;
    } else {
      return fail(r, CT_EPARSE, here(r, p), "expected ',' or ']'");
    }
    p++;
    break;
  case ST_SKIP: /* handled by skip_list */
  case ST_TRAILER:
    return fail(r, CT_EPARSE, here(r, p), "unexpected data after the end of the trace");
  case ST_END:
    return 2;
  }
  r->pos = (size_t)(p - r->buf);
  return 0;
}

/* Skips bytes one at a time from *PP to E, tracking strings and brackets;
 * returns true with *PP after the list's closing ']' when found. */
static bool skip_bytes(ct_reader *r, const char **pp, const char *e) {
  const char *p = *pp;
  int depth = r->skip_depth;
  bool str = r->skip_in_string, esc = r->skip_escape;
  bool found = false;
  for (; p < e; p++) {
    char c = *p;
    if (str) {
      if (esc) esc = false;
      else if (c == '\\') esc = true;
      else if (c == '"') str = false;
    } else if (c == '"') {
      str = true;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}') {
      depth--;
    } else if (c == ']') {
      if (depth == 0) {
        p++;
        found = true;
        break;
      }
      depth--;
    }
  }
  r->skip_depth = depth;
  r->skip_in_string = str;
  r->skip_escape = esc;
  *pp = p;
  return found;
}

/* Bits set in X, without needing the POPCNT instruction in the build. */
static inline int popcount64(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return (int)((x * 0x0101010101010101ull) >> 56);
}

#ifdef __SSE2__
static inline uint64_t eq_mask(const char *p, char c) {
  __m128i v = _mm_set1_epi8(c);
  uint64_t m = 0;
  for (int i = 0; i < 4; i++) {
    __m128i x = _mm_loadu_si128((const __m128i *)(p + 16 * i));
    m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, v)) << (16 * i);
  }
  return m;
}
#endif

/* Skips the rest of the event list (ST_SKIP) without checking it: 64 bytes
 * at a time, strings found by the parity of their quotes, brackets counted
 * outside them. Blocks with a backslash or a ']' outside strings (where the
 * list may end) go byte by byte. Returns 0 at the end of the list, NEED
 * when the buffer is used up (all of it consumed), or an error. */
static int skip_list(ct_reader *r) {
  const char *p = r->buf + r->pos, *e = r->buf + r->end;
  bool found = false;
#ifdef __SSE2__
  while (e - p >= 64 && !found) {
    uint64_t bs = eq_mask(p, '\\');
    uint64_t quote = eq_mask(p, '"');
    uint64_t sq = eq_mask(p, ']');
    uint64_t in = quote; /* inclusive prefix parity of quotes */
    in ^= in << 1;
    in ^= in << 2;
    in ^= in << 4;
    in ^= in << 8;
    in ^= in << 16;
    in ^= in << 32;
    if (r->skip_in_string) in = ~in;
    if (bs || r->skip_escape || (sq & ~in)) {
      found = skip_bytes(r, &p, p + 64);
      continue;
    }
    uint64_t open = eq_mask(p, '{') | eq_mask(p, '[');
    uint64_t close = eq_mask(p, '}');
    r->skip_depth += popcount64(open & ~in) - popcount64(close & ~in);
    r->skip_in_string = in >> 63;
    p += 64;
  }
#endif
  if (!found) found = skip_bytes(r, &p, e);
  r->pos = r->start = (size_t)(p - r->buf);
  if (!found) {
    if (r->skip_depth < 0) return fail(r, CT_EPARSE, here(r, p), "unbalanced brackets");
    return NEED;
  }
  if (r->skip_depth != 0) return fail(r, CT_EPARSE, here(r, p - 1), "unbalanced brackets");
  r->st = r->array_form ? ST_TRAILER : ST_OBJ_NEXT;
  return 0;
}

int ct_reader_next(ct_reader *r, ct_rd_event *ev) {
  if (r->err) return r->err;
  if (r->st == ST_END) return 0;
  for (;;) {
    r->start = r->pos;
    int rc;
    if (r->st == ST_SKIP) {
      rc = skip_list(r);
      if (rc == NEED && r->eof) {
        /* The array form may lack its closing bracket. */
        if (r->array_form && r->skip_depth == 0 && !r->skip_in_string) {
          r->st = ST_END;
          return 0;
        }
        return fail(r, CT_ETRUNC, here(r, r->buf + r->end), "the file ends inside \"traceEvents\"");
      }
    } else {
      rc = step(r, ev);
    }
    if (rc == 0) continue;
    if (rc == 1) return 1;
    if (rc == 2) {
      r->st = ST_END;
      return 0;
    }
    if (rc < 0) return rc;
    /* NEED */
    r->pos = r->start;
    if (r->eof)
      return fail(r, CT_ETRUNC, here(r, r->buf + r->end),
                  r->st == ST_OBJ_KEY || r->st == ST_OBJ_FIRST || r->st == ST_OBJ_NEXT
                      ? "the file ends inside a value"
                      : "the file ends inside an event");
    if ((rc = fill(r))) return rc;
  }
}

void ct_reader_skip_events(ct_reader *r) { r->skip_events = true; }

uint64_t ct_reader_error_at(const ct_reader *r) { return r->err_at; }

const char *ct_reader_error_detail(const ct_reader *r) {
  return r->err_detail ? r->err_detail : "";
}

bool ct_reader_is_gzip(const ct_reader *r) { return r->gzip; }
bool ct_reader_is_array(const ct_reader *r) { return r->array_form; }

size_t ct_reader_member_count(const ct_reader *r) { return r->nmembers; }

void ct_reader_member(const ct_reader *r, size_t i, const char **key, size_t *key_len,
                      const char **value, size_t *value_len) {
  *key = r->members[i].key;
  *key_len = r->members[i].key_len;
  *value = r->members[i].val;
  *value_len = r->members[i].val_len;
}

const char *ct_reader_find_member(const ct_reader *r, const char *key, size_t *len) {
  for (size_t i = r->nmembers; i-- > 0;) {
    if (strcmp(r->members[i].key, key) == 0) {
      if (len) *len = r->members[i].val_len;
      return r->members[i].val;
    }
  }
  return NULL;
}


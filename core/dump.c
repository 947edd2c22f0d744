#include "core/dump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DUMP_BUFFER (1u << 20)

static const char HEADER[] = "{\"traceEvents\":[\n";

static struct {
  const char *ext;
  const ct_container *c;
} containers[4];
static int ncontainers;

void ct_dump_register_container(const char *ext, const ct_container *c) {
  for (int i = 0; i < ncontainers; i++) {
    if (strcmp(containers[i].ext, ext) == 0) {
      containers[i].c = c;
      return;
    }
  }
  if (ncontainers < 4) {
    containers[ncontainers].ext = ext;
    containers[ncontainers++].c = c;
  }
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const ct_container *container_for(const char *path) {
  for (int i = 0; i < ncontainers; i++)
    if (ends_with(path, containers[i].ext)) return containers[i].c;
  return NULL;
}

bool ct_dump_can_write(const char *path) {
  return ends_with(path, ".json") || ends_with(path, ".json.gz") || container_for(path);
}

/* Sets D up for a writer that ct_jw_init* made (RC its result) and writes
 * the header. */
static int dump_start(ct_dump *d, int rc) {
  d->file = NULL;
  d->container = NULL;
  d->container_ctx = NULL;
  d->events = 0;
  d->first = true;
  if (rc) return rc;
  ct_jw_raw(&d->jw, HEADER, sizeof HEADER - 1);
  return 0;
}

int ct_dump_open_sink(ct_dump *d, ct_jw_sink sink, void *ctx) {
  return dump_start(d, ct_jw_init(&d->jw, DUMP_BUFFER, sink, ctx));
}

int ct_dump_open(ct_dump *d, const char *path) {
  const ct_container *c = container_for(path);
  if (c) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return -EISDIR;
    void *ctx;
    int rc = c->open(&ctx, path);
    if (rc) return rc;
    rc = ct_dump_open_sink(d, c->write, ctx);
    if (rc) {
      c->abort(ctx);
      return rc;
    }
    d->container = c;
    d->container_ctx = ctx;
    return 0;
  }
  ct_outfile *f;
  int rc = ct_outfile_open(&f, path, ct_path_is_gzip(path) ? CT_OUT_GZIP : 0);
  if (rc) return rc;
  /* The writer formats straight into the output's chunks. */
  rc = dump_start(d, ct_jw_init_swap(&d->jw, ct_outfile_swap, f));
  if (rc) {
    ct_jw_destroy(&d->jw);
    ct_outfile_abort(f);
    return rc;
  }
  d->file = f;
  return 0;
}

static inline void sep(ct_dump *d) {
  if (!d->first) ct_jw_raw(&d->jw, ",\n", 2);
  d->first = false;
  d->events++;
}

static void meta_name(ct_dump *d, const char *what, int64_t pid, int64_t tid, const char *name) {
  sep(d);
  ct_jw_cstr(&d->jw, "{\"ph\":\"M\",\"pid\":");
  ct_jw_i64(&d->jw, pid);
  ct_jw_cstr(&d->jw, ",\"tid\":");
  ct_jw_i64(&d->jw, tid);
  ct_jw_cstr(&d->jw, ",\"name\":\"");
  ct_jw_cstr(&d->jw, what);
  ct_jw_cstr(&d->jw, "\",\"args\":{\"name\":");
  ct_jw_cstr_quoted(&d->jw, name ? name : "");
  ct_jw_cstr(&d->jw, "}}");
}

void ct_dump_process_name(ct_dump *d, int64_t pid, const char *name) {
  meta_name(d, "process_name", pid, pid, name);
}

void ct_dump_thread_name(ct_dump *d, int64_t pid, int64_t tid, const char *name) {
  meta_name(d, "thread_name", pid, tid, name);
}

/* Per-track text that starts every event: {"ph":"X","pid":P,"tid":T,"ts":
 * Copied with a fixed-size memcpy of PREFIX_COPY bytes (a few vector moves;
 * a variable-length copy becomes "rep movs", which dominated the dump), so
 * each is at most that long and the buffers have room behind it. */
#define PREFIX_COPY 64
struct prefix {
  char x[80];
  uint8_t xlen;
  char i[80];
  uint8_t ilen;
  char c[80];
  uint8_t clen;
};

static uint8_t make_prefix(char *out, char ph, const ct_dump_track *t) {
  memset(out, 0, 80);
  char *p = out;
  memcpy(p, "{\"ph\":\"", 7);
  p += 7;
  *p++ = ph;
  memcpy(p, "\",\"pid\":", 8);
  p += 8;
  if (t->pid < 0) *p++ = '-';
  p += ct_json_fmt_u64(p, (uint64_t)(t->pid < 0 ? -t->pid : t->pid));
  memcpy(p, ",\"tid\":", 7);
  p += 7;
  if (t->tid < 0) *p++ = '-';
  p += ct_json_fmt_u64(p, (uint64_t)(t->tid < 0 ? -t->tid : t->tid));
  memcpy(p, ",\"ts\":", 6);
  p += 6;
  return (uint8_t)(p - out);
}

void ct_dump_ring(ct_dump *d, const ct_ring *r, const ct_strtab *names,
                  const ct_dump_track *tracks, uint32_t ntracks,
                  const ct_clock_map *m, ct_dump_args_fn args, void *ctx) {
  ct_dump_ring_range(d, r, names, tracks, ntracks, m, args, ctx, 0, UINT64_MAX);
}

void ct_dump_ring_range(ct_dump *d, const ct_ring *r, const ct_strtab *names,
                        const ct_dump_track *tracks, uint32_t ntracks,
                        const ct_clock_map *m, ct_dump_args_fn args, void *ctx,
                        uint64_t from, uint64_t to) {
  bool all = from == 0 && to == UINT64_MAX;
  struct prefix *pre = malloc((ntracks ? ntracks : 1) * sizeof *pre);
  if (!pre) {
    d->jw.err = -ENOMEM;
    return;
  }
  for (uint32_t i = 0; i < ntracks; i++) {
    pre[i].xlen = make_prefix(pre[i].x, 'X', &tracks[i]);
    pre[i].ilen = make_prefix(pre[i].i, 'i', &tracks[i]);
    pre[i].clen = make_prefix(pre[i].c, 'C', &tracks[i]);
  }
  ct_jw *w = &d->jw;
  size_t n = ct_ring_count(r);
  for (size_t k = 0; k < n; k++) {
    const ct_event *e = ct_ring_at(r, k);
    if (e->track >= ntracks) continue;
    if (!all) {
      uint64_t end = e->kind == CT_EV_SLICE ? e->ts + e->dur : e->ts;
      if (e->ts < from || end > to) continue;
    }
    const struct prefix *p = &pre[e->track];
    size_t nlen;
    const char *name = ct_strtab_json(names, e->name, &nlen);
    size_t alen = 0;
    const char *a = e->arg && args ? args(ctx, e->arg, &alen) : NULL;
    /* Fixed parts of any event kind, the name and the args in one piece
     * when they fit the buffer (they nearly always do). */
    size_t need = 200 + nlen + alen;
    bool whole = need <= w->cap;
    char *o = ct_jw_reserve(w, whole ? need : 200);
    if (!d->first) {
      *o++ = ',';
      *o++ = '\n';
    }
    d->first = false;
    d->events++;
    int64_t ts = ct_clock_map_ns(m, e->ts);
    switch (e->kind) {
    case CT_EV_SLICE: {
      int64_t end = ct_clock_map_ns(m, e->ts + e->dur);
      if (__builtin_expect(p->xlen <= PREFIX_COPY, 1))
        memcpy(o, p->x, PREFIX_COPY);
      else
        memcpy(o, p->x, p->xlen);
      o += p->xlen;
      o += ct_json_fmt_usec(o, ts);
      memcpy(o, ",\"dur\":", 7);
      o += 7;
      o += ct_json_fmt_usec(o, end - ts);
      memcpy(o, ",\"name\":", 8);
      o += 8;
      break;
    }
    case CT_EV_INSTANT:
      if (__builtin_expect(p->ilen <= PREFIX_COPY, 1))
        memcpy(o, p->i, PREFIX_COPY);
      else
        memcpy(o, p->i, p->ilen);
      o += p->ilen;
      o += ct_json_fmt_usec(o, ts);
      memcpy(o, ",\"s\":\"", 6);
      o += 6;
      *o++ = (char)(e->dur ? e->dur : 't');
      memcpy(o, "\",\"name\":", 9);
      o += 9;
      break;
    default:
      if (__builtin_expect(p->clen <= PREFIX_COPY, 1))
        memcpy(o, p->c, PREFIX_COPY);
      else
        memcpy(o, p->c, p->clen);
      o += p->clen;
      o += ct_json_fmt_usec(o, ts);
      memcpy(o, ",\"name\":", 8);
      o += 8;
      break;
    }
    if (whole) {
      memcpy(o, name, nlen);
      o += nlen;
      if (e->kind == CT_EV_SLICE) {
        memcpy(o, ",\"cat\":\"FEE\"", 12);
        o += 12;
      }
      if (a) {
        memcpy(o, ",\"args\":", 8);
        memcpy(o + 8, a, alen);
        o += 8 + alen;
      }
      *o++ = '}';
      w->len = (size_t)(o - w->buf);
      continue;
    }
    w->len = (size_t)(o - w->buf);
    ct_jw_raw(w, name, nlen);
    if (e->kind == CT_EV_SLICE) ct_jw_raw(w, ",\"cat\":\"FEE\"", 12);
    if (a) {
      ct_jw_raw(w, ",\"args\":", 8);
      ct_jw_raw(w, a, alen);
    }
    ct_jw_char(w, '}');
  }
  free(pre);
}

void ct_dump_slice(ct_dump *d, int64_t pid, int64_t tid, int64_t ts_ns, int64_t dur_ns,
                   const char *name_json, size_t name_len, const char *args_json,
                   size_t args_len) {
  ct_dump_track t = {pid, tid};
  char pre[80];
  uint8_t n = make_prefix(pre, 'X', &t);
  sep(d);
  ct_jw_raw(&d->jw, pre, n);
  ct_jw_usec(&d->jw, ts_ns);
  ct_jw_raw(&d->jw, ",\"dur\":", 7);
  ct_jw_usec(&d->jw, dur_ns);
  ct_jw_raw(&d->jw, ",\"name\":", 8);
  ct_jw_raw(&d->jw, name_json, name_len);
  ct_jw_raw(&d->jw, ",\"cat\":\"FEE\"", 12);
  if (args_json) {
    ct_jw_raw(&d->jw, ",\"args\":", 8);
    ct_jw_raw(&d->jw, args_json, args_len);
  }
  ct_jw_char(&d->jw, '}');
}

void ct_dump_raw_event(ct_dump *d, const char *json, size_t len) {
  sep(d);
  ct_jw_raw(&d->jw, json, len);
}

void ct_dump_end_events(ct_dump *d) {
  ct_jw_cstr(&d->jw, "\n],\"displayTimeUnit\":\"ns\"");
}

bool ct_dump_file_source(ct_dump *d, const char *path, size_t max, bool comma) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
    close(fd);
    return false;
  }
  size_t size = (size_t)st.st_size;
  char *buf = malloc(size + 1);
  size_t got = 0;
  while (buf && got < size) {
    ssize_t k = read(fd, buf + got, size - got);
    if (k <= 0) break;
    got += (size_t)k;
  }
  close(fd);
  if (!buf) return false;
  size_t lines = 0;
  for (size_t i = 0; i < got; i++) lines += buf[i] == '\n';
  if (got && buf[got - 1] != '\n') lines++;
  if (comma) ct_jw_char(&d->jw, ',');
  ct_jw_cstr_quoted(&d->jw, path);
  ct_jw_raw(&d->jw, ":[", 2);
  ct_jw_str(&d->jw, buf, got);
  ct_jw_char(&d->jw, ',');
  ct_jw_u64(&d->jw, lines);
  ct_jw_char(&d->jw, ']');
  free(buf);
  return true;
}

int ct_dump_commit(ct_dump *d) {
  ct_jw_raw(&d->jw, "}\n", 2);
  int rc = ct_jw_finish(&d->jw);
  if (d->container) {
    if (rc) d->container->abort(d->container_ctx);
    else rc = d->container->commit(d->container_ctx);
    d->container = NULL;
    return rc;
  }
  if (!d->file) return rc;
  if (rc) {
    ct_outfile_abort(d->file);
  } else {
    rc = ct_outfile_commit(d->file);
  }
  d->file = NULL;
  return rc;
}

void ct_dump_abort(ct_dump *d) {
  ct_jw_destroy(&d->jw);
  if (d->container) d->container->abort(d->container_ctx);
  d->container = NULL;
  if (d->file) ct_outfile_abort(d->file);
  d->file = NULL;
}

/* ctrace stats: a table of the functions of a trace (issue #6).
 *
 * One streaming pass keeps 32 bytes per complete call (B/E pairs become
 * calls too); the calls are then sorted per thread by start and walked with
 * a stack to find each call's direct children, which gives self time. */
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/msg.h"
#include "cmd/traceio.h"
#include "core/error.h"
#include "core/jsonw.h"
#include "core/reader.h"
#include "core/strtab.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_FORMAT, OPT_HELP, OPT_PID, OPT_SORT, OPT_TID, OPT_TOP };

/* Sorted by long name (checked at start-up). */
static const ct_optdef stats_opts[] = {
    {"format", 'f', CT_ARG_VALUE, OPT_FORMAT, "FMT", "text (default), json or csv"},
    {"help", 'h', CT_ARG_FLAG, OPT_HELP, NULL, "show this help and exit"},
    {"pid", 'p', CT_ARG_VALUE, OPT_PID, "PID", "only the events of process PID"},
    {"sort", 's', CT_ARG_VALUE, OPT_SORT, "KEY", "total (default), self, count or avg"},
    {"tid", 't', CT_ARG_VALUE, OPT_TID, "TID", "only the events of thread TID"},
    {"top", 'n', CT_ARG_VALUE, OPT_TOP, "N",
     "the first N functions (0 = all; text: 20)"},
};
#define NOPTS (sizeof stats_opts / sizeof *stats_opts)

static void stats_help(void) {
  printf("Usage: ctrace stats [options] trace.json\n"
         "\n"
         "Summarises the function calls of a trace (any Chrome Trace Event file, plain\n"
         "or gzip): for each function the number of calls, the total time, the self\n"
         "time (total minus the time of its direct callees on the same thread), the\n"
         "average and the longest call; and the totals of the trace: wall time,\n"
         "events, processes, threads and dropped events.\n"
         "\n"
         "Total time counts a recursive function once per outermost call, as cProfile's\n"
         "cumulative time does; avg is the mean duration of one call. All processes\n"
         "and threads are summed unless --pid or --tid pick one. json and csv give\n"
         "times in microseconds and list every function unless --top says otherwise.\n"
         "\n"
         "Options:\n");
  ct_args_help(stats_opts, NOPTS);
}

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV };
enum sortkey { SORT_TOTAL, SORT_SELF, SORT_COUNT, SORT_AVG };

struct opts {
  enum fmt fmt;
  enum sortkey sort;
  long long top; /* -1: the format's default */
  bool help, has_pid, has_tid;
  int64_t pid, tid;
};

static int parse_i64(const char *opt, const char *s, bool nonneg, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || (nonneg && v < 0))
    return ct_usage_error("stats", "invalid value '%s' for '--%s': expected a whole number", s, opt);
  *out = v;
  return 0;
}

static int on_opt(void *ctx, const ct_optdef *d, char **v, int n) {
  struct opts *o = ctx;
  long long x;
  switch (d->id) {
  case OPT_HELP: o->help = true; return 0;
  case OPT_FORMAT:
    if (!strcmp(v[0], "text")) o->fmt = FMT_TEXT;
    else if (!strcmp(v[0], "json")) o->fmt = FMT_JSON;
    else if (!strcmp(v[0], "csv")) o->fmt = FMT_CSV;
    else return ct_usage_error("stats", "invalid format '%s': expected text, json or csv", v[0]);
    return 0;
  case OPT_SORT:
    if (!strcmp(v[0], "total")) o->sort = SORT_TOTAL;
    else if (!strcmp(v[0], "self")) o->sort = SORT_SELF;
    else if (!strcmp(v[0], "count")) o->sort = SORT_COUNT;
    else if (!strcmp(v[0], "avg")) o->sort = SORT_AVG;
    else return ct_usage_error("stats", "invalid sort key '%s': expected total, self, count or avg", v[0]);
    return 0;
  case OPT_TOP:
    if (parse_i64(d->name, v[0], true, &x)) return 2;
    o->top = x;
    return 0;
  case OPT_PID:
    if (parse_i64(d->name, v[0], false, &x)) return 2;
    o->has_pid = true;
    o->pid = x;
    return 0;
  case OPT_TID:
    if (parse_i64(d->name, v[0], false, &x)) return 2;
    o->has_tid = true;
    o->tid = x;
    return 0;
  }
  return 0;
}

/* ---- collecting -------------------------------------------------------- */

struct call {
  int64_t ts, dur;
  uint32_t name, thread;
  uint32_t seq; /* file order, to break ties */
  uint32_t pad;
};

struct open_b {
  int64_t ts;
  uint32_t name;
};

struct thread {
  int64_t pid, tid;
  bool active;          /* had an event other than metadata */
  struct open_b *stack; /* B events not yet ended */
  size_t depth, cap;
};

struct collect {
  ct_strtab *names; /* the names' JSON text, quoted */
  struct call *calls;
  size_t ncalls, calls_cap;
  struct thread *threads;
  size_t nthreads, threads_cap;
  uint32_t *tslots; /* (pid,tid) -> thread + 1 */
  size_t ntslots;
  uint64_t events;
  int64_t first_ts, last_ts;
  bool has_ts;
};

static uint64_t mix(int64_t a, int64_t b) {
  uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull ^ ((uint64_t)b + 0x632BE59BD9B4E019ull);
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 32);
}

static long thread_of(struct collect *c, int64_t pid, int64_t tid) {
  if (2 * (c->nthreads + 1) > c->ntslots) {
    size_t n = c->ntslots ? c->ntslots * 2 : 64;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s) return -1;
    for (size_t i = 0; i < c->nthreads; i++) {
      size_t j = mix(c->threads[i].pid, c->threads[i].tid) & (n - 1);
      while (s[j]) j = (j + 1) & (n - 1);
      s[j] = (uint32_t)i + 1;
    }
    free(c->tslots);
    c->tslots = s;
    c->ntslots = n;
  }
  size_t j = mix(pid, tid) & (c->ntslots - 1);
  while (c->tslots[j]) {
    struct thread *t = &c->threads[c->tslots[j] - 1];
    if (t->pid == pid && t->tid == tid) return (long)(c->tslots[j] - 1);
    j = (j + 1) & (c->ntslots - 1);
  }
  if (c->nthreads == c->threads_cap) {
    size_t n = c->threads_cap ? c->threads_cap * 2 : 16;
    struct thread *t = realloc(c->threads, n * sizeof *t);
    if (!t) return -1;
    c->threads = t;
    c->threads_cap = n;
  }
  c->threads[c->nthreads] = (struct thread){.pid = pid, .tid = tid};
  c->tslots[j] = (uint32_t)c->nthreads + 1;
  return (long)c->nthreads++;
}

static int add_call(struct collect *c, int64_t ts, int64_t dur, uint32_t name, uint32_t thread) {
  if (c->ncalls == c->calls_cap) {
    size_t n = c->calls_cap ? c->calls_cap * 2 : 65536;
    struct call *v = realloc(c->calls, n * sizeof *v);
    if (!v) return -ENOMEM;
    c->calls = v;
    c->calls_cap = n;
  }
  if (c->ncalls >= UINT32_MAX) return CT_ETOOBIG;
  c->calls[c->ncalls] = (struct call){ts, dur < 0 ? 0 : dur, name, thread, (uint32_t)c->ncalls, 0};
  c->ncalls++;
  return 0;
}

static int on_event(struct collect *c, const struct opts *o, const ct_rd_event *ev) {
  if (o->has_pid && ev->pid != o->pid) return 0;
  if (o->has_tid && ev->tid != o->tid) return 0;
  c->events++;
  long t = thread_of(c, ev->pid, ev->tid);
  if (t < 0) return -ENOMEM;
  if (ev->ph != 'M' && ev->has_ts) {
    int64_t end = ev->ts_ns + (ev->ph == 'X' && ev->dur_ns > 0 ? ev->dur_ns : 0);
    if (!c->has_ts || ev->ts_ns < c->first_ts) c->first_ts = ev->ts_ns;
    if (!c->has_ts || end > c->last_ts) c->last_ts = end;
    c->has_ts = true;
  }
  struct thread *th = &c->threads[t];
  if (ev->ph != 'M') th->active = true;
  switch (ev->ph) {
  case 'X': {
    int64_t id = ct_strtab_intern(c->names, ev->name, ev->name_len);
    if (id < 0) return (int)id;
    return add_call(c, ev->ts_ns, ev->dur_ns, (uint32_t)id, (uint32_t)t);
  }
  case 'B': {
    int64_t id = ct_strtab_intern(c->names, ev->name, ev->name_len);
    if (id < 0) return (int)id;
    if (th->depth == th->cap) {
      size_t n = th->cap ? th->cap * 2 : 16;
      struct open_b *s = realloc(th->stack, n * sizeof *s);
      if (!s) return -ENOMEM;
      th->stack = s;
      th->cap = n;
    }
    th->stack[th->depth++] = (struct open_b){ev->ts_ns, (uint32_t)id};
    return 0;
  }
  case 'E':
    if (!th->depth) return 0; /* an unmatched end: viewers skip it too */
    th->depth--;
    return add_call(c, th->stack[th->depth].ts, ev->ts_ns - th->stack[th->depth].ts,
                    th->stack[th->depth].name, (uint32_t)t);
  default:
    return 0;
  }
}

/* ---- computing --------------------------------------------------------- */

struct func {
  uint64_t count;
  int64_t total, self, sum, max;
  uint32_t name;
  uint32_t active; /* calls of it on the current stack */
};

static int cmp_call(const void *a, const void *b) {
  const struct call *x = a, *y = b;
  if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  if (x->dur != y->dur) return x->dur > y->dur ? -1 : 1; /* the longer one is the parent */
  return x->seq > y->seq ? -1 : x->seq < y->seq;          /* callers end (are written) later */
}

/* A + B, held at INT64_MAX: sums of many huge durations in a hostile file
 * must not overflow. Both are >= 0. */
static inline int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

struct frame {
  int64_t end, children;
  uint32_t call;
};

static void finish(struct func *f, const struct call *cl, const struct frame *fr) {
  struct func *fn = &f[cl->name];
  int64_t self = cl->dur - fr->children;
  fn->self = sat_add(fn->self, self > 0 ? self : 0);
  fn->active--;
}

static int compute(struct collect *c, struct func *f) {
  if (c->ncalls) qsort(c->calls, c->ncalls, sizeof *c->calls, cmp_call);
  struct frame *stack = NULL;
  size_t depth = 0, cap = 0;
  uint32_t cur = UINT32_MAX;
  for (size_t i = 0; i <= c->ncalls; i++) {
    const struct call *cl = i < c->ncalls ? &c->calls[i] : NULL;
    if (!cl || cl->thread != cur) {
      while (depth) {
        depth--;
        finish(f, &c->calls[stack[depth].call], &stack[depth]);
      }
      if (!cl) break;
      cur = cl->thread;
    }
    int64_t end = cl->ts + cl->dur;
    while (depth && stack[depth - 1].end <= cl->ts && !(cl->dur == 0 && stack[depth - 1].end == cl->ts &&
                                                         c->calls[stack[depth - 1].call].ts == cl->ts)) {
      depth--;
      finish(f, &c->calls[stack[depth].call], &stack[depth]);
    }
    if (depth) {
      struct frame *p = &stack[depth - 1];
      int64_t inside = (end < p->end ? end : p->end) - cl->ts;
      if (inside > 0) p->children = sat_add(p->children, inside);
    }
    struct func *fn = &f[cl->name];
    fn->count++;
    fn->sum = sat_add(fn->sum, cl->dur);
    if (cl->dur > fn->max) fn->max = cl->dur;
    if (!fn->active) fn->total = sat_add(fn->total, cl->dur);
    fn->active++;
    if (depth == cap) {
      size_t n = cap ? cap * 2 : 256;
      struct frame *s = realloc(stack, n * sizeof *s);
      if (!s) {
        free(stack);
        return -ENOMEM;
      }
      stack = s;
      cap = n;
    }
    stack[depth++] = (struct frame){end, 0, (uint32_t)i};
  }
  free(stack);
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static enum sortkey g_sort;

static int64_t avg_of(const struct func *f) { return f->count ? f->sum / (int64_t)f->count : 0; }

static int cmp_func(const void *a, const void *b) {
  const struct func *x = a, *y = b;
  int64_t kx, ky;
  switch (g_sort) {
  case SORT_SELF: kx = x->self; ky = y->self; break;
  case SORT_COUNT: kx = (int64_t)x->count; ky = (int64_t)y->count; break;
  case SORT_AVG: kx = avg_of(x); ky = avg_of(y); break;
  default: kx = x->total; ky = y->total; break;
  }
  if (kx != ky) return kx > ky ? -1 : 1;
  if (x->total != y->total) return x->total > y->total ? -1 : 1;
  return x->name < y->name ? -1 : x->name > y->name;
}

/* ---- output ------------------------------------------------------------ */

static int out_sink(void *ctx, const char *data, size_t len) {
  (void)ctx;
  return fwrite(data, 1, len, stdout) == len ? 0 : -EIO;
}

/* A duration for people: 4 significant digits or so, with its unit. */
static void human(char *buf, size_t n, int64_t ns) {
  double v = (double)ns;
  if (ns < 1000) snprintf(buf, n, "%lld ns", (long long)ns);
  else if (ns < 1000000) snprintf(buf, n, "%.2f us", v / 1e3);
  else if (ns < 1000000000) snprintf(buf, n, "%.2f ms", v / 1e6);
  else snprintf(buf, n, "%.3f s", v / 1e9);
}

/* NAME shortened to WIDTH columns by cutting its middle, so the function
 * and the end of its file stay visible. Counts UTF-8 characters. */
static void fit(char *out, size_t outsz, const char *name, size_t width) {
  size_t chars = 0;
  for (const char *p = name; *p; p++) chars += ((unsigned char)*p & 0xC0) != 0x80;
  if (chars <= width) {
    snprintf(out, outsz, "%s", name);
    return;
  }
  size_t head = (width - 3) / 2, tail = width - 3 - head;
  /* byte offsets of the head's end and the tail's start */
  size_t len = strlen(name), i = 0, c = 0;
  while (i < len && c < head) {
    i++;
    while (i < len && ((unsigned char)name[i] & 0xC0) == 0x80) i++;
    c++;
  }
  size_t j = len;
  c = 0;
  while (j > 0 && c < tail) {
    j--;
    while (j > 0 && ((unsigned char)name[j] & 0xC0) == 0x80) j--;
    c++;
  }
  snprintf(out, outsz, "%.*s...%s", (int)i, name, name + j);
}

static void print_name_csv(ct_jw *w, const char *s) {
  bool quote = strpbrk(s, ",\"\r\n") != NULL;
  if (!quote) {
    ct_jw_cstr(w, s);
    return;
  }
  ct_jw_char(w, '"');
  for (; *s; s++) {
    if (*s == '"') ct_jw_char(w, '"');
    ct_jw_char(w, *s);
  }
  ct_jw_char(w, '"');
}

int ct_cmd_stats(int argc, char **argv) {
  ct_args_check_sorted(stats_opts, NOPTS);
  struct opts o = {.top = -1};
  int pos = 1, npos = 0;
  char *paths[1];
  int rc = ct_args_parse("stats", stats_opts, NOPTS, argc, argv, &pos, false, paths, 1, &npos, on_opt, &o);
  if (rc) return rc;
  if (o.help) {
    stats_help();
    return 0;
  }
  if (npos != 1) return ct_usage_error("stats", "give one trace file");
  const char *path = paths[0];

  struct collect c = {0};
  struct func *f = NULL;
  char *name = NULL;
  ct_jw w = {0};
  int status = 1;
  uint64_t dropped = 0;
  ct_reader *r = ct_trace_open(path);
  if (!r) return 1;
  c.names = ct_strtab_new();
  if (!c.names) {
    rc = -ENOMEM;
    goto fail;
  }
  ct_rd_event ev;
  while ((rc = ct_reader_next(r, &ev)) == 1)
    if ((rc = on_event(&c, &o, &ev))) break;
  if (rc < 0) {
    ct_trace_report(path, r, rc);
    goto out;
  }
  for (int k = 0; k < 2; k++) {
    size_t n;
    const char *m = ct_reader_find_member(r, k ? "viztracer_metadata" : "ctrace_metadata", &n);
    cJSON *j = m ? cJSON_ParseWithLength(m, n) : NULL;
    const cJSON *d = j ? cJSON_GetObjectItemCaseSensitive(j, "dropped_events") : NULL;
    if (cJSON_IsNumber(d) && d->valuedouble > 0)
      dropped += d->valuedouble < 1e18 ? (uint64_t)d->valuedouble : (uint64_t)1e18;
    cJSON_Delete(j);
  }
  /* Calls still open at the end of the file count up to its last timestamp. */
  for (size_t i = 0; i < c.nthreads; i++) {
    struct thread *t = &c.threads[i];
    while (t->depth) {
      t->depth--;
      if ((rc = add_call(&c, t->stack[t->depth].ts, c.last_ts - t->stack[t->depth].ts,
                         t->stack[t->depth].name, (uint32_t)i)))
        goto fail;
    }
  }
  uint32_t nf = ct_strtab_count(c.names);
  f = calloc(nf ? nf : 1, sizeof *f);
  if (!f) {
    rc = -ENOMEM;
    goto fail;
  }
  for (uint32_t i = 0; i < nf; i++) f[i].name = i;
  if ((rc = compute(&c, f))) goto fail;
  g_sort = o.sort;
  qsort(f, nf, sizeof *f, cmp_func);

  /* processes that had events */
  size_t nproc = 0;
  int64_t *pids = malloc((c.nthreads ? c.nthreads : 1) * sizeof *pids);
  if (!pids) {
    rc = -ENOMEM;
    goto fail;
  }
  size_t nthr = 0;
  for (size_t i = 0; i < c.nthreads; i++)
    if (c.threads[i].active) pids[nthr++] = c.threads[i].pid;
  qsort(pids, nthr, sizeof *pids, cmp_i64);
  for (size_t i = 0; i < nthr; i++) nproc += i == 0 || pids[i] != pids[i - 1];
  free(pids);
  int64_t wall = c.has_ts ? c.last_ts - c.first_ts : 0;
  size_t shown = nf;
  long long top = o.top >= 0 ? o.top : o.fmt == FMT_TEXT ? 20 : 0;
  if (top > 0 && (size_t)top < shown) shown = (size_t)top;

  if ((rc = ct_jw_init(&w, 1u << 16, out_sink, NULL))) goto fail;
  size_t name_cap = 0;
  for (uint32_t i = 0; i < nf; i++) {
    size_t n;
    ct_strtab_str(c.names, i, &n);
    if (n + 1 > name_cap) name_cap = n + 1;
  }
  name = malloc(name_cap ? name_cap : 1);
  if (!name) {
    rc = -ENOMEM;
    goto fail;
  }
  if (o.fmt == FMT_JSON) {
    ct_jw_cstr(&w, "{\"file\":");
    ct_jw_cstr_quoted(&w, path);
    ct_jw_cstr(&w, ",\"totals\":{\"wall_us\":");
    ct_jw_usec(&w, wall);
    ct_jw_cstr(&w, ",\"events\":");
    ct_jw_u64(&w, c.events);
    ct_jw_cstr(&w, ",\"calls\":");
    ct_jw_u64(&w, c.ncalls);
    ct_jw_cstr(&w, ",\"functions\":");
    ct_jw_u64(&w, nf);
    ct_jw_cstr(&w, ",\"processes\":");
    ct_jw_u64(&w, nproc);
    ct_jw_cstr(&w, ",\"threads\":");
    ct_jw_u64(&w, nthr);
    ct_jw_cstr(&w, ",\"dropped_events\":");
    ct_jw_u64(&w, dropped);
    ct_jw_cstr(&w, "},\"functions\":[");
    for (size_t i = 0; i < shown; i++) {
      size_t n;
      const char *nj = ct_strtab_str(c.names, f[i].name, &n);
      ct_jw_cstr(&w, i ? ",\n{\"name\":" : "\n{\"name\":");
      ct_jw_raw(&w, nj, n);
      ct_jw_cstr(&w, ",\"count\":");
      ct_jw_u64(&w, f[i].count);
      ct_jw_cstr(&w, ",\"total_us\":");
      ct_jw_usec(&w, f[i].total);
      ct_jw_cstr(&w, ",\"self_us\":");
      ct_jw_usec(&w, f[i].self);
      ct_jw_cstr(&w, ",\"children_us\":");
      ct_jw_usec(&w, f[i].total - f[i].self);
      ct_jw_cstr(&w, ",\"avg_us\":");
      ct_jw_usec(&w, avg_of(&f[i]));
      ct_jw_cstr(&w, ",\"max_us\":");
      ct_jw_usec(&w, f[i].max);
      ct_jw_char(&w, '}');
    }
    ct_jw_cstr(&w, "]}\n");
  } else if (o.fmt == FMT_CSV) {
    ct_jw_cstr(&w, "name,count,total_us,self_us,avg_us,max_us\n");
    for (size_t i = 0; i < shown; i++) {
      size_t n;
      const char *nj = ct_strtab_str(c.names, f[i].name, &n);
      name[ct_json_unescape(name, nj, n)] = 0;
      print_name_csv(&w, name);
      ct_jw_char(&w, ',');
      ct_jw_u64(&w, f[i].count);
      ct_jw_char(&w, ',');
      ct_jw_usec(&w, f[i].total);
      ct_jw_char(&w, ',');
      ct_jw_usec(&w, f[i].self);
      ct_jw_char(&w, ',');
      ct_jw_usec(&w, avg_of(&f[i]));
      ct_jw_char(&w, ',');
      ct_jw_usec(&w, f[i].max);
      ct_jw_char(&w, '\n');
    }
  } else {
    char line[512], a[32], b[32], d[32], e[32], g[32];
    human(a, sizeof a, wall);
    char shortpath[256];
    fit(shortpath, sizeof shortpath, path, 30);
    snprintf(line, sizeof line,
             "%s: wall time %s, %" PRIu64 " events, %zu process%s, %zu thread%s, %" PRIu64
             " dropped\n\n",
             shortpath, a, c.events, nproc, nproc == 1 ? "" : "es", nthr, nthr == 1 ? "" : "s",
             dropped);
    ct_jw_cstr(&w, line);
    /* 8 + 4 * 11 + 2 = 54 columns of numbers; the name gets the rest of 100. */
    snprintf(line, sizeof line, "%8s %10s %10s %10s %10s  %s\n", "calls", "total", "self", "avg",
             "max", "function");
    ct_jw_cstr(&w, line);
    for (size_t i = 0; i < shown; i++) {
      size_t n;
      const char *nj = ct_strtab_str(c.names, f[i].name, &n);
      name[ct_json_unescape(name, nj, n)] = 0;
      for (char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' '; /* one line per function */
      char fitted[256];
      fit(fitted, sizeof fitted, name, 45);
      human(a, sizeof a, f[i].total);
      human(b, sizeof b, f[i].self);
      human(d, sizeof d, avg_of(&f[i]));
      human(e, sizeof e, f[i].max);
      snprintf(g, sizeof g, "%" PRIu64, f[i].count);
      snprintf(line, sizeof line, "%8s %10s %10s %10s %10s  %s\n", g, a, b, d, e, fitted);
      ct_jw_cstr(&w, line);
    }
    if (shown < nf) {
      snprintf(line, sizeof line, "... %zu more function%s (--top 0 shows all)\n", (size_t)nf - shown,
               nf - shown == 1 ? "" : "s");
      ct_jw_cstr(&w, line);
    }
  }
  rc = ct_jw_finish(&w);
  if (!rc && fflush(stdout) != 0) rc = -errno;
  if (rc) {
    ct_errorf("cannot write the table: %s", ct_strerror(rc));
    goto out;
  }
  status = 0;
  goto out;
fail:
  ct_errorf("cannot summarise '%s': %s", path, ct_strerror(rc));
out:
  ct_jw_destroy(&w);
  ct_reader_free(r);
  for (size_t i = 0; i < c.nthreads; i++) free(c.threads[i].stack);
  free(c.threads);
  free(c.tslots);
  free(c.calls);
  ct_strtab_free(c.names);
  free(f);
  free(name);
  return status;
}

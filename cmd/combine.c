/* ctrace combine: merge several traces into one (issue #6).
 *
 * Two passes over each input, both streaming: the first learns where the
 * input starts, its sync marker, its pids and its metadata (which ctrace
 * writes after the events); the second copies the events into the output,
 * rewriting "ts" and "pid" only where they change. Nothing but the metadata
 * is held in memory. */
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/msg.h"
#include "cmd/traceio.h"
#include "core/dump.h"
#include "core/error.h"
#include "core/reader.h"
#include "core/strtab.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef CTRACE_VERSION
#define CTRACE_VERSION "0"
#endif

enum { OPT_ALIGN, OPT_HELP, OPT_OUTPUT };

/* Sorted by long name (checked at start-up). */
static const ct_optdef combine_opts[] = {
    {"align", 0, CT_ARG_FLAG, OPT_ALIGN, NULL,
     "start each input at 0 (or its sync marker)"},
    {"align-combine", 0, CT_ARG_FLAG, OPT_ALIGN, NULL, NULL}, /* VizTracer's spelling */
    {"help", 'h', CT_ARG_FLAG, OPT_HELP, NULL, "show this help and exit"},
    {"output-file", 'o', CT_ARG_VALUE, OPT_OUTPUT, "FILE",
     "write FILE (default result.json)"},
};
#define NOPTS (sizeof combine_opts / sizeof *combine_opts)

static void combine_help(void) {
  printf("Usage: ctrace combine [options] a.json b.json.gz ... [-o out.json]\n"
         "\n"

         "Merges the events of several traces (ctrace's, VizTracer's, any Chrome Trace\n"
         "Event file, plain or gzip) into one trace, with their metadata merged:\n"
         "overflow if any input overflowed, dropped events summed, file_info joined.\n"
         "The output is .json (default result.json), .json.gz or .html by its name.\n"
         "\n"
         "Without --align, events keep their real place in time. Traces written by\n"
         "ctrace record their run's origin on CLOCK_MONOTONIC, so separate runs on one\n"
         "machine are shifted onto the earliest origin and appear in true order (other\n"
         "tools' timestamps are kept as they are). Events of the same pid in different\n"
         "files share one process track: the usual case is parts of one program.\n"
         "\n"
         "With --align, every input is shifted so that it starts at 0, or at its sync\n"
         "marker (ctrace_metadata.sync_marker or viztracer_metadata.sync_marker, in us)\n"
         "when it has one, so two runs of a program lie side by side for comparison. A\n"
         "pid that an earlier input already uses gets a fresh number, so runs never\n"
         "share a track, and process names are suffixed with the input's file name.\n"
         "\n"
         "Options:\n");
  ct_args_help(combine_opts, NOPTS);
}

struct opts {
  const char *output;
  bool align, help;
};

static int on_opt(void *ctx, const ct_optdef *d, char **v, int n) {
  struct opts *o = ctx;
  switch (d->id) {
  case OPT_ALIGN: o->align = true; break;
  case OPT_HELP: o->help = true; break;
  case OPT_OUTPUT: o->output = v[0]; break;
  }
  return 0;
}

/* ---- a small map of int64 -> int64 (pids) ----------------------------- */

struct imap {
  int64_t *keys, *vals;
  uint8_t *used;
  size_t cap, count;
};

static size_t imap_slot(const struct imap *m, int64_t k) {
  uint64_t h = (uint64_t)k * 0x9E3779B97F4A7C15ull;
  size_t i = (size_t)(h >> 20) & (m->cap - 1);
  while (m->used[i] && m->keys[i] != k) i = (i + 1) & (m->cap - 1);
  return i;
}

static int imap_put(struct imap *m, int64_t k, int64_t v) {
  if (2 * (m->count + 1) > m->cap) {
    struct imap n = {0};
    n.cap = m->cap ? m->cap * 2 : 16;
    n.keys = malloc(n.cap * sizeof *n.keys);
    n.vals = malloc(n.cap * sizeof *n.vals);
    n.used = calloc(n.cap, 1);
    if (!n.keys || !n.vals || !n.used) {
      free(n.keys);
      free(n.vals);
      free(n.used);
      return -ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->used[i]) continue;
      size_t j = imap_slot(&n, m->keys[i]);
      n.used[j] = 1;
      n.keys[j] = m->keys[i];
      n.vals[j] = m->vals[i];
      n.count++;
    }
    free(m->keys);
    free(m->vals);
    free(m->used);
    *m = n;
  }
  size_t i = imap_slot(m, k);
  if (!m->used[i]) {
    m->used[i] = 1;
    m->keys[i] = k;
    m->count++;
  }
  m->vals[i] = v;
  return 0;
}

static bool imap_get(const struct imap *m, int64_t k, int64_t *v) {
  if (!m->cap) return false;
  size_t i = imap_slot(m, k);
  if (!m->used[i]) return false;
  if (v) *v = m->vals[i];
  return true;
}

static void imap_free(struct imap *m) {
  free(m->keys);
  free(m->vals);
  free(m->used);
  memset(m, 0, sizeof *m);
}

/* ---- inputs ------------------------------------------------------------ */

struct input {
  const char *path;
  const char *label;      /* the file's base name */
  bool has_start, has_sync, has_origin;
  int64_t start_ns, sync_ns;
  uint64_t origin_ns;
  int64_t shift_ns;
  int64_t max_id;         /* the largest pid or tid */
  struct imap pids;       /* every pid seen -> its pid in the output */
  bool remaps;            /* some pid changes */
  /* The top-level members other than the events, as the file has them
   * (key text without its quotes, value text); owned. */
  struct rawm {
    char *key, *val;
    size_t vlen;
  } *m;
  size_t nm;
  cJSON *cmeta, *vmeta;   /* ctrace_metadata, viztracer_metadata, or NULL */
  char err[1536];         /* why the first pass failed, or "" */
};

/* The raw value of member KEY of IN (the last one of that name), or NULL. */
static const struct rawm *raw_member(const struct input *in, const char *key) {
  for (size_t i = in->nm; i-- > 0;)
    if (strcmp(in->m[i].key, key) == 0) return &in->m[i];
  return NULL;
}

/* Reads the sync marker (µs) of metadata object META, if any. */
static bool sync_marker(const cJSON *meta, int64_t *ns) {
  const cJSON *s = meta ? cJSON_GetObjectItemCaseSensitive(meta, "sync_marker") : NULL;
  if (!cJSON_IsNumber(s) || !(fabs(s->valuedouble) * 1000.0 < (double)CT_TS_MAX)) return false;
  *ns = (int64_t)llround(s->valuedouble * 1000.0);
  return true;
}

/* The error of a file that failed a skipping read, into IN->err: a
 * checking read finds the same fault with its precise place and cause. */
static void describe_precisely(struct input *in, ct_reader *skipping, int rc) {
  ct_reader *r;
  int full = ct_reader_open(&r, in->path);
  if (full) {
    ct_trace_describe(in->err, sizeof in->err, in->path, NULL, full);
    return;
  }
  ct_rd_event ev;
  while ((full = ct_reader_next(r, &ev)) == 1) {
  }
  if (full < 0) ct_trace_describe(in->err, sizeof in->err, in->path, r, full);
  else ct_trace_describe(in->err, sizeof in->err, in->path, skipping, rc);
  ct_reader_free(r);
}

static void nomem(struct input *in) {
  snprintf(in->err, sizeof in->err, "cannot read '%s': %s", in->path, strerror(ENOMEM));
}

struct origin_find {
  uint64_t ns;
  bool found;
};

/* Finds "origin_monotonic_ns" as a whole number of up to 19 digits. */
static int find_origin(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
  struct origin_find *f = ctx;
  if (kl != 21 || memcmp(k, "\"origin_monotonic_ns\"", 21) != 0) return 0;
  uint64_t n = 0;
  size_t i = 0;
  for (; i < vl && i < 19 && v[i] >= '0' && v[i] <= '9'; i++) n = n * 10 + (uint64_t)(v[i] - '0');
  f->found = i > 0 && i == vl;
  f->ns = n;
  return 0;
}

/* First pass over one input. Without ALIGN only the metadata matters and
 * the events are skipped; the second pass checks them. Returns 0, or 1
 * with the error in IN->err (it runs on a worker thread: no printing). */
static int scan_input(struct input *in, bool align) {
  ct_reader *r;
  int orc = ct_reader_open(&r, in->path);
  if (orc) {
    ct_trace_describe(in->err, sizeof in->err, in->path, NULL, orc);
    return 1;
  }
  if (!align) ct_reader_skip_events(r);
  ct_rd_event ev;
  int rc;
  while ((rc = ct_reader_next(r, &ev)) == 1) {
    if (ev.has_pid && !imap_get(&in->pids, ev.pid, NULL) && imap_put(&in->pids, ev.pid, ev.pid)) {
      rc = -ENOMEM;
      break;
    }
    if (ev.pid > in->max_id) in->max_id = ev.pid;
    if (ev.tid > in->max_id) in->max_id = ev.tid;
    if (ev.ph != 'M' && ev.has_ts && (!in->has_start || ev.ts_ns < in->start_ns)) {
      in->start_ns = ev.ts_ns;
      in->has_start = true;
    }
  }
  if (rc < 0) {
    if (align) ct_trace_describe(in->err, sizeof in->err, in->path, r, rc);
    else describe_precisely(in, r, rc);
    ct_reader_free(r);
    return 1;
  }
  /* Keep the members' text; only the small metadata objects are parsed.
   * file_info (which holds the sources) is merged as text. */
  size_t n = ct_reader_member_count(r);
  in->m = calloc(n ? n : 1, sizeof *in->m);
  if (!in->m) {
    nomem(in);
    ct_reader_free(r);
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    const char *k, *v;
    size_t kl, vl;
    ct_reader_member(r, i, &k, &kl, &v, &vl);
    struct rawm *m = &in->m[in->nm];
    m->key = strndup(k, kl);
    m->val = malloc(vl + 1);
    if (!m->key || !m->val) {
      free(m->key);
      free(m->val);
      nomem(in);
      ct_reader_free(r);
      return 1;
    }
    memcpy(m->val, v, vl + 1);
    m->vlen = vl;
    in->nm++;
  }
  const struct rawm *cmr = raw_member(in, "ctrace_metadata");
  const struct rawm *vmr = raw_member(in, "viztracer_metadata");
  in->cmeta = cmr ? cJSON_ParseWithLength(cmr->val, cmr->vlen) : NULL;
  in->vmeta = vmr ? cJSON_ParseWithLength(vmr->val, vmr->vlen) : NULL;
  ct_reader_free(r);
  const cJSON *cm = in->cmeta;
  /* The origin exceeds a double's 53 bits after 104 days of uptime: read
   * its digits, not cJSON's double. */
  if (cmr) {
    struct origin_find f = {0, false};
    ct_json_object_members(cmr->val, cmr->vlen, find_origin, &f);
    /* An origin beyond 2^62 ns (146 years of uptime) is not a real one. */
    if (f.found && f.ns > 0 && f.ns < ((uint64_t)1 << 62)) {
      in->has_origin = true;
      in->origin_ns = f.ns;
    }
  }
  in->has_sync = sync_marker(cm, &in->sync_ns) || sync_marker(in->vmeta, &in->sync_ns);
  return 0;
}

/* The first passes are independent: they run on up to 4 threads, which
 * take the inputs in turn. */
struct scan_pool {
  struct input *ins;
  int n;
  bool align;
  atomic_int next;
};

static void *scan_worker(void *arg) {
  struct scan_pool *p = arg;
  for (int i; (i = atomic_fetch_add(&p->next, 1)) < p->n;) scan_input(&p->ins[i], p->align);
  return NULL;
}

static void scan_all(struct input *ins, int n, bool align) {
  struct scan_pool p = {ins, n, align, 0};
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int nthreads = n < 4 ? n : 4;
  if (cpus > 0 && nthreads > cpus) nthreads = (int)cpus;
  pthread_t tids[4];
  int started = 0;
  for (int t = 1; t < nthreads; t++) /* this thread is one of them */
    if (pthread_create(&tids[started], NULL, scan_worker, &p) == 0) started++;
  scan_worker(&p);
  for (int t = 0; t < started; t++) pthread_join(tids[t], NULL);
}

/* ---- writing ----------------------------------------------------------- */

struct scratch {
  char *buf;
  size_t len, cap;
};

static int scratch_add(struct scratch *s, const char *p, size_t n) {
  if (s->len + n > s->cap) {
    size_t c = s->cap ? s->cap : 4096;
    while (c < s->len + n) c *= 2;
    char *b = realloc(s->buf, c);
    if (!b) return -ENOMEM;
    s->buf = b;
    s->cap = c;
  }
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  return 0;
}

/* A process_name event with the input's label added to its name. */
static int relabel(struct scratch *s, const ct_rd_event *ev, int64_t pid, const char *label) {
  cJSON *e = cJSON_ParseWithLength(ev->json, ev->len);
  if (!e) return -ENOMEM;
  cJSON *args = cJSON_GetObjectItemCaseSensitive(e, "args");
  cJSON *name = args ? cJSON_GetObjectItemCaseSensitive(args, "name") : NULL;
  if (cJSON_IsString(name)) {
    size_t n = strlen(name->valuestring) + strlen(label) + 4;
    char *t = malloc(n);
    if (t) {
      snprintf(t, n, "%s [%s]", name->valuestring, label);
      cJSON_ReplaceItemInObjectCaseSensitive(args, "name", cJSON_CreateString(t));
      free(t);
    }
  }
  if (ev->has_pid) cJSON_ReplaceItemInObjectCaseSensitive(e, "pid", cJSON_CreateNumber((double)pid));
  char *text = cJSON_PrintUnformatted(e);
  cJSON_Delete(e);
  if (!text) return -ENOMEM;
  int rc = scratch_add(s, text, strlen(text));
  free(text);
  return rc;
}

/* A value replaced in an event's text: LEN bytes at AT become TEXT. */
struct splice {
  size_t at, len;
  char text[32];
  size_t tlen;
};

/* Second pass: copies the events of IN into D. Returns 0 or 1. */
static int copy_input(ct_dump *d, struct input *in, bool align, struct scratch *s) {
  ct_reader *r = ct_trace_open(in->path);
  if (!r) return 1;
  ct_rd_event ev;
  int rc;
  while ((rc = ct_reader_next(r, &ev)) == 1) {
    int64_t pid = ev.pid;
    bool new_pid = in->remaps && ev.has_pid && imap_get(&in->pids, ev.pid, &pid) && pid != ev.pid;
    bool new_ts = in->shift_ns && ev.has_ts;
    if (align && ev.ph == 'M' && ev.name_len == 14 && memcmp(ev.name, "\"process_name\"", 14) == 0) {
      s->len = 0;
      int wrc = relabel(s, &ev, pid, in->label);
      if (wrc) {
        rc = wrc;
        break;
      }
      ct_dump_raw_event(d, s->buf, s->len);
      continue;
    }
    if (!new_pid && !new_ts) {
      ct_dump_raw_event(d, ev.json, ev.len);
      continue;
    }
    /* Splice the new values in, in the order they appear. */
    struct splice rep[2];
    int nrep = 0;
    if (new_ts) {
      rep[nrep].at = ev.ts_at;
      rep[nrep].len = ev.ts_len;
      rep[nrep].tlen = ct_json_fmt_usec(rep[nrep].text, ev.ts_ns + in->shift_ns);
      nrep++;
    }
    if (new_pid) {
      rep[nrep].at = ev.pid_at;
      rep[nrep].len = ev.pid_len;
      char *t = rep[nrep].text;
      if (pid < 0) *t++ = '-';
      t += ct_json_fmt_u64(t, pid < 0 ? -(uint64_t)pid : (uint64_t)pid);
      rep[nrep].tlen = (size_t)(t - rep[nrep].text);
      nrep++;
    }
    if (nrep == 2 && rep[1].at < rep[0].at) {
      struct splice t = rep[0];
      rep[0] = rep[1];
      rep[1] = t;
    }
    s->len = 0;
    size_t at = 0;
    int wrc = 0;
    for (int i = 0; i < nrep && !wrc; i++) {
      wrc = scratch_add(s, ev.json + at, rep[i].at - at);
      if (!wrc) wrc = scratch_add(s, rep[i].text, rep[i].tlen);
      at = rep[i].at + rep[i].len;
    }
    if (!wrc) wrc = scratch_add(s, ev.json + at, ev.len - at);
    if (wrc) {
      rc = wrc;
      break;
    }
    ct_dump_raw_event(d, s->buf, s->len);
  }
  if (rc < 0) {
    ct_trace_report(in->path, r, rc);
    ct_reader_free(r);
    return 1;
  }
  ct_reader_free(r);
  return 0;
}

/* Adds the members of SRC missing from DST (by key) to DST. */
static void merge_keys(cJSON *dst, const cJSON *src) {
  if (!cJSON_IsObject(dst) || !cJSON_IsObject(src)) return;
  for (const cJSON *c = src->child; c; c = c->next) {
    if (!c->string || cJSON_GetObjectItemCaseSensitive(dst, c->string)) continue;
    cJSON_AddItemToObject(dst, c->string, cJSON_Duplicate(c, true));
  }
}

/* Writes the members of one object of file_info ("files" or "functions")
 * that no earlier input had, as text. */
struct fi_out {
  ct_dump *d;
  ct_strtab *seen; /* keys written so far */
  bool comma;
};

static int write_new_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
  struct fi_out *o = ctx;
  uint32_t before = ct_strtab_count(o->seen);
  int64_t id = ct_strtab_intern(o->seen, k, kl);
  if (id < 0) return (int)id;
  if (ct_strtab_count(o->seen) == before) return 0; /* the first input's wins */
  if (o->comma) ct_jw_char(&o->d->jw, ',');
  o->comma = true;
  ct_jw_raw(&o->d->jw, k, kl);
  ct_jw_char(&o->d->jw, ':');
  ct_jw_raw(&o->d->jw, v, vl);
  return 0;
}

struct fi_pick {
  const char *want;
  struct fi_out *out;
};

static int pick_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
  struct fi_pick *p = ctx;
  size_t n = strlen(p->want);
  if (kl != n + 2 || memcmp(k + 1, p->want, n) != 0) return 0;
  int rc = ct_json_object_members(v, vl, write_new_member, p->out);
  return rc == CT_EPARSE ? 0 : rc; /* not an object: nothing to merge */
}

/* "file_info":{"files":{...},"functions":{...}}, the union of the inputs'. */
static int write_file_info(ct_dump *d, struct input *ins, int n) {
  static const char *const parts[] = {"files", "functions"};
  int rc = 0;
  ct_jw_cstr(&d->jw, ",\"file_info\":{");
  for (int k = 0; k < 2 && !rc; k++) {
    struct fi_out o = {d, ct_strtab_new(), false};
    if (!o.seen) return -ENOMEM;
    ct_jw_cstr(&d->jw, k ? ",\"functions\":{" : "\"files\":{");
    for (int i = 0; i < n && !rc; i++) {
      const struct rawm *fi = raw_member(&ins[i], "file_info");
      struct fi_pick p = {parts[k], &o};
      if (fi) rc = ct_json_object_members(fi->val, fi->vlen, pick_member, &p);
      if (rc == CT_EPARSE) rc = 0;
    }
    ct_jw_char(&d->jw, '}');
    ct_strtab_free(o.seen);
  }
  ct_jw_char(&d->jw, '}');
  return rc;
}

/* Writes the merged ctrace_metadata, file_info and the inputs' other
 * members (the first input's value wins) after the events. */
static int write_members(ct_dump *d, struct input *ins, int n, bool align, uint64_t origin) {
  cJSON *meta = cJSON_CreateObject();
  cJSON *sources = cJSON_CreateArray();
  bool overflow = false;
  uint64_t dropped = 0;
  const cJSON *first_meta = NULL;
  for (int i = 0; i < n; i++) {
    const cJSON *cm = ins[i].cmeta, *vm = ins[i].vmeta;
    if (cm && !first_meta) first_meta = cm;
    for (int k = 0; k < 2; k++) {
      const cJSON *m = k ? vm : cm;
      if (!m) continue;
      overflow |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "overflow"));
      const cJSON *dr = cJSON_GetObjectItemCaseSensitive(m, "dropped_events");
      if (cJSON_IsNumber(dr) && dr->valuedouble > 0)
        dropped += dr->valuedouble < 1e18 ? (uint64_t)dr->valuedouble : (uint64_t)1e18;
    }
    cJSON_AddItemToArray(sources, cJSON_CreateString(ins[i].path));
  }
  const cJSON *v = first_meta ? cJSON_GetObjectItemCaseSensitive(first_meta, "version") : NULL;
  cJSON_AddStringToObject(meta, "version", cJSON_IsString(v) ? v->valuestring : CTRACE_VERSION);
  const cJSON *py = first_meta ? cJSON_GetObjectItemCaseSensitive(first_meta, "python") : NULL;
  cJSON_AddStringToObject(meta, "python", cJSON_IsString(py) ? py->valuestring : "");
  cJSON_AddBoolToObject(meta, "overflow", overflow);
  cJSON_AddBoolToObject(meta, "aligned", align);
  cJSON_AddItemToObject(meta, "combined_from", sources);
  if (first_meta) {
    cJSON *rest = cJSON_Duplicate(first_meta, true);
    /* A sync marker belongs to one input's clock; after combining it does not hold. */
    cJSON_DeleteItemFromObjectCaseSensitive(rest, "sync_marker");
    cJSON_DeleteItemFromObjectCaseSensitive(rest, "dropped_events");
    cJSON_DeleteItemFromObjectCaseSensitive(rest, "origin_monotonic_ns");
    merge_keys(meta, rest);
    cJSON_Delete(rest);
  }
  char *text = cJSON_PrintUnformatted(meta);
  cJSON_Delete(meta);
  if (!text) return -ENOMEM;
  /* The counts are written as integers: cJSON would print a double. */
  ct_jw_cstr(&d->jw, ",\"ctrace_metadata\":{\"dropped_events\":");
  ct_jw_u64(&d->jw, dropped);
  ct_jw_cstr(&d->jw, ",\"origin_monotonic_ns\":");
  ct_jw_u64(&d->jw, origin);
  ct_jw_cstr(&d->jw, text[1] == '}' ? "" : ",");
  ct_jw_cstr(&d->jw, text + 1);
  free(text);
  int rc = write_file_info(d, ins, n);
  /* Other members (otherData, viztracer_metadata, ...): the first of each name. */
  for (int i = 0; i < n && !rc; i++) {
    for (size_t j = 0; j < ins[i].nm; j++) {
      const char *k = ins[i].m[j].key;
      if (!strcmp(k, "ctrace_metadata") || !strcmp(k, "file_info") || !strcmp(k, "displayTimeUnit"))
        continue;
      bool dup = false;
      for (int a = 0; a <= i && !dup; a++)
        for (size_t b = 0; b < (a == i ? j : ins[a].nm) && !dup; b++) dup = !strcmp(ins[a].m[b].key, k);
      if (dup) continue;
      ct_jw_cstr(&d->jw, ",\"");
      ct_jw_cstr(&d->jw, k);
      ct_jw_cstr(&d->jw, "\":");
      ct_jw_raw(&d->jw, ins[i].m[j].val, ins[i].m[j].vlen);
    }
  }
  return rc;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* Under --align, gives each pid already used by an earlier input a fresh
 * number above every pid and tid of every input. */
static int assign_pids(struct input *ins, int n) {
  int64_t top = 0;
  for (int i = 0; i < n; i++)
    if (ins[i].max_id > top) top = ins[i].max_id;
  struct imap seen = {0};
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) {
    struct imap *m = &ins[i].pids;
    /* Visit the pids in a stable order: the slots' order is a hash order,
     * which is deterministic for a given set. */
    for (size_t j = 0; j < m->cap && !rc; j++) {
      if (!m->used[j]) continue;
      int64_t p = m->keys[j];
      if (imap_get(&seen, p, NULL)) {
        m->vals[j] = ++top;
        ins[i].remaps = true;
      }
    }
    for (size_t j = 0; j < m->cap && !rc; j++)
      if (m->used[j]) rc = imap_put(&seen, m->vals[j], 1);
  }
  imap_free(&seen);
  return rc;
}

int ct_cmd_combine(int argc, char **argv) {
  ct_args_check_sorted(combine_opts, NOPTS);
  struct opts o = {.output = "result.json"};
  int pos = 1, npos = 0;
  char **paths = calloc((size_t)argc + 1, sizeof *paths);
  if (!paths) return 1;
  int rc = ct_args_parse("combine", combine_opts, NOPTS, argc, argv, &pos, false, paths, argc,
                         &npos, on_opt, &o);
  if (rc) {
    free(paths);
    return rc;
  }
  if (o.help) {
    combine_help();
    free(paths);
    return 0;
  }
  if (npos < 1) {
    free(paths);
    return ct_usage_error("combine", "no input traces given");
  }
  if (ct_check_output_path(o.output)) {
    free(paths);
    return 1;
  }
  if (!ct_dump_can_write(o.output)) {
    if (ct_ends_with(o.output, ".html"))
      ct_errorf("cannot write '%s': the HTML viewer is not available in this build; use .json or .json.gz", o.output);
    else
      ct_errorf("cannot write '%s': the output must end in .json, .json.gz or .html", o.output);
    free(paths);
    return 1;
  }

  struct input *ins = calloc((size_t)npos, sizeof *ins);
  struct scratch s = {0};
  int status = 1;
  ct_dump d;
  bool open = false;
  if (!ins) goto out;
  for (int i = 0; i < npos; i++) {
    struct stat st;
    if (stat(paths[i], &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
      ct_errorf("cannot combine '%s': not a regular file (combine reads each input twice)", paths[i]);
      goto out;
    }
  }
  for (int i = 0; i < npos; i++) {
    ins[i].path = paths[i];
    ins[i].label = base_name(paths[i]);
  }
  scan_all(ins, npos, o.align);
  for (int i = 0; i < npos; i++) {
    if (ins[i].err[0]) {
      ct_errorf("%s", ins[i].err);
      goto out;
    }
  }
  uint64_t origin = 0;
  for (int i = 0; i < npos; i++)
    if (ins[i].has_origin && (!origin || ins[i].origin_ns < origin)) origin = ins[i].origin_ns;
  for (int i = 0; i < npos; i++) {
    if (o.align) {
      int64_t zero = ins[i].has_sync ? ins[i].sync_ns : ins[i].has_start ? ins[i].start_ns : 0;
      ins[i].shift_ns = -zero;
    } else if (ins[i].has_origin) {
      ins[i].shift_ns = (int64_t)(ins[i].origin_ns - origin);
    }
  }
  if (o.align) {
    origin = 0; /* each input has its own zero now */
    if (assign_pids(ins, npos)) {
      ct_errorf("cannot combine: %s", strerror(ENOMEM));
      goto out;
    }
  }
  rc = ct_dump_open(&d, o.output);
  if (rc) {
    ct_errorf("cannot write '%s': %s", o.output, ct_strerror(rc));
    goto out;
  }
  open = true;
  for (int i = 0; i < npos; i++)
    if (copy_input(&d, &ins[i], o.align, &s)) goto out;
  ct_dump_end_events(&d);
  if ((rc = write_members(&d, ins, npos, o.align, origin))) {
    ct_errorf("cannot write '%s': %s", o.output, ct_strerror(rc));
    goto out;
  }
  open = false;
  rc = ct_dump_commit(&d);
  if (rc) {
    ct_errorf("cannot write '%s': %s", o.output, ct_strerror(rc));
    goto out;
  }
  status = 0;
out:
  if (open) ct_dump_abort(&d);
  for (int i = 0; ins && i < npos; i++) {
    imap_free(&ins[i].pids);
    for (size_t j = 0; j < ins[i].nm; j++) {
      free(ins[i].m[j].key);
      free(ins[i].m[j].val);
    }
    free(ins[i].m);
    cJSON_Delete(ins[i].cmeta);
    cJSON_Delete(ins[i].vmeta);
  }
  free(ins);
  free(s.buf);
  free(paths);
  return status;
}

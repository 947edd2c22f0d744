/* ctrace convert: a trace to .json, .json.gz, .html or .csv (issue #6).
 *
 * Trace outputs copy every event's text unchanged, so json -> json.gz ->
 * json gives back the same events. CSV has one row per complete (X) event
 * in the columns of the multiprocess profiler's export. */
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/msg.h"
#include "cmd/traceio.h"
#include "core/dump.h"
#include "core/error.h"
#include "core/jsonw.h"
#include "core/outfile.h"
#include "core/reader.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_HELP, OPT_OUTPUT };

/* Sorted by long name (checked at start-up). */
static const ct_optdef convert_opts[] = {
    {"help", 'h', CT_ARG_FLAG, OPT_HELP, NULL, "show this help and exit"},
    {"output-file", 'o', CT_ARG_VALUE, OPT_OUTPUT, "FILE",
     "write FILE: .json, .json.gz, .html or .csv"},
};
#define NOPTS (sizeof convert_opts / sizeof *convert_opts)

static void convert_help(void) {
  printf("Usage: ctrace convert IN -o OUT\n"
         "\n"
         "Converts the trace IN (any Chrome Trace Event file, plain or gzip) to OUT,\n"
         "chosen by OUT's extension:\n"
         "  .json, .json.gz  the same trace, events copied unchanged (object form)\n"
         "  .html            the standalone viewer with the trace inside\n"
         "  .csv             one row per complete (X) event, with the columns\n"
         "                   id,time,pid,ppid,process_name,parent_process_name,broken,\n"
         "                   error_type,error_value,traceback (id = function name,\n"
         "                   time = duration in seconds; unknown columns are empty)\n"
         "\n"
         "Options:\n");
  ct_args_help(convert_opts, NOPTS);
}

struct opts {
  const char *output;
  bool help;
};

static int on_opt(void *ctx, const ct_optdef *d, char **v, int n) {
  struct opts *o = ctx;
  if (d->id == OPT_HELP) o->help = true;
  if (d->id == OPT_OUTPUT) o->output = v[0];
  return 0;
}

/* Trace to trace: events as they are, then the input's other members. */
static int to_trace(const char *in, const char *out) {
  ct_reader *r = ct_trace_open(in);
  if (!r) return 1;
  ct_dump d;
  int rc = ct_dump_open(&d, out);
  if (rc) {
    ct_errorf("cannot write '%s': %s", out, ct_strerror(rc));
    ct_reader_free(r);
    return 1;
  }
  ct_rd_event ev;
  while ((rc = ct_reader_next(r, &ev)) == 1) ct_dump_raw_event(&d, ev.json, ev.len);
  if (rc < 0) {
    ct_trace_report(in, r, rc);
    ct_dump_abort(&d);
    ct_reader_free(r);
    return 1;
  }
  ct_dump_end_events(&d);
  for (size_t i = 0; i < ct_reader_member_count(r); i++) {
    const char *k, *v;
    size_t kl, vl;
    ct_reader_member(r, i, &k, &kl, &v, &vl);
    if (kl == 15 && memcmp(k, "displayTimeUnit", 15) == 0) continue; /* written above */
    ct_jw_raw(&d.jw, ",\"", 2);
    ct_jw_raw(&d.jw, k, kl);
    ct_jw_raw(&d.jw, "\":", 2);
    ct_jw_raw(&d.jw, v, vl);
  }
  ct_reader_free(r);
  rc = ct_dump_commit(&d);
  if (rc) {
    ct_errorf("cannot write '%s': %s", out, ct_strerror(rc));
    return 1;
  }
  return 0;
}

/* ---- CSV --------------------------------------------------------------- */

/* Appends S (N bytes) as one CSV field (RFC 4180): quoted when it holds a
 * comma, quote, CR or LF, with quotes doubled. */
static void csv_field(ct_jw *w, const char *s, size_t n) {
  bool quote = false;
  for (size_t i = 0; i < n && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  if (!quote) {
    ct_jw_raw(w, s, n);
    return;
  }
  ct_jw_char(w, '"');
  const char *p = s, *e = s + n;
  while (p < e) {
    const char *q = memchr(p, '"', (size_t)(e - p));
    if (!q) {
      ct_jw_raw(w, p, (size_t)(e - p));
      break;
    }
    ct_jw_raw(w, p, (size_t)(q - p) + 1);
    ct_jw_char(w, '"');
    p = q + 1;
  }
  ct_jw_char(w, '"');
}

struct pname {
  int64_t pid;
  char *name;
};

struct pnames {
  struct pname *v;
  size_t n, cap;
};

static const char *pname_of(const struct pnames *p, int64_t pid) {
  for (size_t i = p->n; i-- > 0;)
    if (p->v[i].pid == pid) return p->v[i].name;
  return "";
}

/* Remembers the name of a process_name event; 0 or -ENOMEM. */
static int note_name(struct pnames *pn, const ct_rd_event *ev) {
  if (ev->ph != 'M' || ev->name_len != 14 || memcmp(ev->name, "\"process_name\"", 14) != 0) return 0;
  cJSON *e = cJSON_ParseWithLength(ev->json, ev->len);
  const cJSON *args = e ? cJSON_GetObjectItemCaseSensitive(e, "args") : NULL;
  const cJSON *name = args ? cJSON_GetObjectItemCaseSensitive(args, "name") : NULL;
  int rc = 0;
  if (cJSON_IsString(name)) {
    if (pn->n == pn->cap) {
      size_t c = pn->cap ? pn->cap * 2 : 16;
      struct pname *v = realloc(pn->v, c * sizeof *v);
      if (!v) rc = -ENOMEM;
      else {
        pn->v = v;
        pn->cap = c;
      }
    }
    if (!rc) {
      pn->v[pn->n].pid = ev->pid;
      pn->v[pn->n].name = strdup(name->valuestring);
      if (pn->v[pn->n].name) pn->n++;
      else rc = -ENOMEM;
    }
  }
  cJSON_Delete(e);
  return rc;
}

/* First pass: the process names, which may come anywhere in the file. A
 * pipe cannot be read twice: there the names seen before each row serve. */
static int collect_names(const char *in, struct pnames *pn) {
  struct stat st;
  if (stat(in, &st) == 0 && !S_ISREG(st.st_mode)) return 0;
  ct_reader *r = ct_trace_open(in);
  if (!r) return 1;
  ct_rd_event ev;
  int rc;
  while ((rc = ct_reader_next(r, &ev)) == 1)
    if ((rc = note_name(pn, &ev))) break;
  if (rc < 0) ct_trace_report(in, r, rc);
  ct_reader_free(r);
  return rc < 0;
}

static int to_csv(const char *in, const char *out) {
  struct pnames pn = {0};
  int status = 1;
  ct_reader *r = NULL;
  ct_outfile *f = NULL;
  ct_jw w = {0};
  char *name = NULL;
  size_t name_cap = 0;
  if (collect_names(in, &pn)) goto out;
  r = ct_trace_open(in);
  if (!r) goto out;
  int rc = ct_outfile_open(&f, out, ct_path_is_gzip(out) ? CT_OUT_GZIP : 0);
  if (rc) {
    ct_errorf("cannot write '%s': %s", out, ct_strerror(rc));
    goto out;
  }
  if ((rc = ct_jw_init(&w, 1u << 20, ct_outfile_write, f))) {
    ct_errorf("cannot write '%s': %s", out, ct_strerror(rc));
    goto out;
  }
  /* The layout of ctrace.Profiler's CSV (embed/python/_ctrace_profiler.py). */
  ct_jw_cstr(&w, "id,time,pid,ppid,process_name,parent_process_name,broken,error_type,error_value,traceback\n");
  ct_rd_event ev;
  while ((rc = ct_reader_next(r, &ev)) == 1) {
    if (ev.ph == 'M' && (rc = note_name(&pn, &ev))) break;
    if (ev.ph != 'X') continue;
    if (ev.name_len > name_cap) {
      free(name);
      name_cap = ev.name_len * 2;
      name = malloc(name_cap);
      if (!name) {
        rc = -ENOMEM;
        break;
      }
    }
    size_t nl = ct_json_unescape(name, ev.name, ev.name_len);
    csv_field(&w, name, nl);
    /* time: the duration in seconds, exactly (ns resolution) */
    int64_t d = ev.dur_ns;
    char buf[64];
    int k = snprintf(buf, sizeof buf, ",%s%" PRId64 ".%09" PRId64 ",", d < 0 ? "-" : "",
                     (d < 0 ? -d : d) / 1000000000, (d < 0 ? -d : d) % 1000000000);
    ct_jw_raw(&w, buf, (size_t)k);
    if (ev.has_pid) ct_jw_i64(&w, ev.pid);
    ct_jw_cstr(&w, ",,"); /* ppid unknown */
    const char *pname = ev.has_pid ? pname_of(&pn, ev.pid) : "";
    csv_field(&w, pname, strlen(pname));
    ct_jw_cstr(&w, ",,False,,,\n");
  }
  if (rc < 0) {
    ct_trace_report(in, r, rc);
    goto out;
  }
  rc = ct_jw_finish(&w);
  if (rc) {
    ct_errorf("cannot write '%s': %s", out, ct_strerror(rc));
    goto out;
  }
  rc = ct_outfile_commit(f);
  f = NULL;
  if (rc) {
    ct_errorf("cannot write '%s': %s", out, ct_strerror(rc));
    goto out;
  }
  status = 0;
out:
  ct_jw_destroy(&w);
  if (f) ct_outfile_abort(f);
  ct_reader_free(r);
  for (size_t i = 0; i < pn.n; i++) free(pn.v[i].name);
  free(pn.v);
  free(name);
  return status;
}

int ct_cmd_convert(int argc, char **argv) {
  ct_args_check_sorted(convert_opts, NOPTS);
  struct opts o = {0};
  int pos = 1, npos = 0;
  char *paths[2];
  int rc = ct_args_parse("convert", convert_opts, NOPTS, argc, argv, &pos, false, paths, 2, &npos,
                         on_opt, &o);
  if (rc) return rc;
  if (o.help) {
    convert_help();
    return 0;
  }
  if (npos == 2 && !o.output) o.output = paths[--npos]; /* convert IN OUT */
  if (npos != 1) return ct_usage_error("convert", "give one input trace");
  if (!o.output) return ct_usage_error("convert", "give the output file with -o OUT");
  if (ct_check_output_path(o.output)) return 1;
  bool csv = ct_ends_with(o.output, ".csv") || ct_ends_with(o.output, ".csv.gz");
  if (!csv && !ct_dump_can_write(o.output)) {
    if (ct_ends_with(o.output, ".html"))
      ct_errorf("cannot write '%s': the HTML viewer is not available in this build; use .json, .json.gz or .csv",
                o.output);
    else
      ct_errorf("cannot write '%s': the output must end in .json, .json.gz, .html or .csv", o.output);
    return 1;
  }
  return csv ? to_csv(paths[0], o.output) : to_trace(paths[0], o.output);
}

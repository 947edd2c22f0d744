/* ctrace run: parse the options (from .ctracerc, then the command line),
 * check the target and the output path, then hand over to the embedded
 * interpreter (embed/). */
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/find_script.h"
#include "cmd/msg.h"
#include "cmd/rcfile.h"
#include "cmd/traceio.h"
#include "cmd/view.h"
#include "core/dump.h"
#include "embed/embed.h"
#include "embed/pyenv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
  OPT_COMMAND,
  OPT_EXCLUDE_FILES,
  OPT_HELP,
  OPT_IGNORE_C_FUNCTION,
  OPT_IGNORE_FROZEN,
  OPT_IGNORE_MULTIPROCESS,
  OPT_INCLUDE_FILES,
  OPT_LOG_ASYNC,
  OPT_LOG_ATTR,
  OPT_LOG_AUDIT,
  OPT_LOG_EXCEPTION,
  OPT_LOG_EXIT,
  OPT_LOG_FUNC_ARGS,
  OPT_LOG_FUNC_ENTRY,
  OPT_LOG_FUNC_EXEC,
  OPT_LOG_FUNC_RETVAL,
  OPT_LOG_GC,
  OPT_LOG_NUMBER,
  OPT_LOG_PRINT,
  OPT_LOG_SPARSE,
  OPT_LOG_VAR,
  OPT_MAGIC_COMMENT,
  OPT_MAX_STACK_DEPTH,
  OPT_MIN_DURATION,
  OPT_MODULE,
  OPT_OPEN,
  OPT_OUTPUT,
  OPT_OUTPUT_DIR,
  OPT_PID_SUFFIX,
  OPT_PYTHON,
  OPT_QUIET,
  OPT_RCFILE,
  OPT_REPORT_TIMING,
  OPT_RUN,
  OPT_TRACER_ENTRIES,
  OPT_UNIQUE_OUTPUT,
  OPT_VERSION,
};

/* Sorted by long name (checked at start-up). */
static const ct_optdef run_opts[] = {
    {"command", 'c', CT_ARG_VALUE, OPT_COMMAND, "CODE", "run CODE as python3 -c does; the rest are its arguments"},
    {"exclude-files", 0, CT_ARG_LIST, OPT_EXCLUDE_FILES, "PATH", "do not record functions of these files or folders"},
    {"help", 'h', CT_ARG_FLAG, OPT_HELP, NULL, "show this help and exit"},
    {"ignore-c-function", 0, CT_ARG_FLAG, OPT_IGNORE_C_FUNCTION, NULL, "do not record C functions (builtins, methods of C types)"},
    {"ignore-frozen", 0, CT_ARG_FLAG, OPT_IGNORE_FROZEN, NULL, "do not record frozen modules' functions (importlib, ...)"},
    {"ignore-multiprocess", 0, CT_ARG_FLAG, OPT_IGNORE_MULTIPROCESS, NULL, "do not trace child processes (subprocess, multiprocessing, os.fork)"},
    {"include-files", 0, CT_ARG_LIST, OPT_INCLUDE_FILES, "PATH", "record only functions of these files or folders"},
    {"log-async", 0, CT_ARG_FLAG, OPT_LOG_ASYNC, NULL, "show each asyncio task on a track of its own"},
    {"log-attr", 0, CT_ARG_LIST, OPT_LOG_ATTR, "RE", "log an instant at each assignment to an attribute matching RE (self.x, obj.x)"},
    {"log-audit", 0, CT_ARG_OPTLIST, OPT_LOG_AUDIT, "[RE]", "log audit events (those matching RE) as instants"},
    {"log-exception", 0, CT_ARG_FLAG, OPT_LOG_EXCEPTION, NULL, "log every raised exception, caught or not"},
    {"log-exit", 0, CT_ARG_FLAG, OPT_LOG_EXIT, NULL, "keep tracing atexit functions and interpreter shutdown"},
    {"log-func-args", 0, CT_ARG_FLAG, OPT_LOG_FUNC_ARGS, NULL, "record repr() of each Python call's arguments"},
    {"log-func-entry", 0, CT_ARG_LIST, OPT_LOG_FUNC_ENTRY, "RE", "log an instant when a function matching RE is entered"},
    {"log-func-exec", 0, CT_ARG_LIST, OPT_LOG_FUNC_EXEC, "RE", "record every assignment inside functions matching RE in their slice (exec_steps)"},
    {"log-func-retval", 0, CT_ARG_FLAG, OPT_LOG_FUNC_RETVAL, NULL, "record repr() of each Python call's return value"},
    {"log-gc", 0, CT_ARG_FLAG, OPT_LOG_GC, NULL, "log garbage collections (slices) and collected counts (counter)"},
    {"log-number", 0, CT_ARG_LIST, OPT_LOG_NUMBER, "RE", "log a counter at each assignment to a variable matching RE"},
    {"log-print", 0, CT_ARG_FLAG, OPT_LOG_PRINT, NULL, "log print() calls as instants with their text"},
    {"log-sparse", 0, CT_ARG_FLAG, OPT_LOG_SPARSE, NULL, "record only functions decorated with @log_sparse"},
    {"log-var", 0, CT_ARG_LIST, OPT_LOG_VAR, "RE", "log an instant 'name = repr(value)' at each assignment to a variable matching RE"},
    {"magic-comment", 0, CT_ARG_FLAG, OPT_MAGIC_COMMENT, NULL, "act on '# !ctrace: ...' (and '# !viztracer: ...') comments"},
    {"max-stack-depth", 0, CT_ARG_VALUE, OPT_MAX_STACK_DEPTH, "N", "record calls at most N levels deep"},
    {"min-duration", 0, CT_ARG_VALUE, OPT_MIN_DURATION, "TIME", "record only calls that last at least TIME (e.g. 0.2ms; units ns, us, ms, s; bare number = us)"},
    {"module", 'm', CT_ARG_VALUE, OPT_MODULE, "MODULE", "run MODULE as python3 -m does; the rest are its arguments"},
    {"open", 0, CT_ARG_FLAG, OPT_OPEN, NULL, "open the trace in the viewer (browser) when the program ends"},
    {"output-dir", 0, CT_ARG_VALUE, OPT_OUTPUT_DIR, "DIR", "write the trace into DIR (created if missing)"},
    {"output-file", 'o', CT_ARG_VALUE, OPT_OUTPUT, "FILE", "write the trace to FILE: .json (default result.json), .json.gz, .html"},
    {"pid-suffix", 0, CT_ARG_FLAG, OPT_PID_SUFFIX, NULL, "add the process id to the file name (result_<pid>.json)"},
    {"python", 0, CT_ARG_VALUE, OPT_PYTHON, "PYTHON", "run as the python3 PYTHON would (a virtual environment's; default: the active one)"},
    {"quiet", 'q', CT_ARG_FLAG, OPT_QUIET, NULL, "print nothing of ctrace's own"},
    {"rcfile", 0, CT_ARG_VALUE, OPT_RCFILE, "FILE", "read default options from FILE (default ./.ctracerc)"},
    {"report-timing", 0, CT_ARG_FLAG, OPT_REPORT_TIMING, NULL, NULL},
    {"run", 0, CT_ARG_FLAG, OPT_RUN, NULL, "end of ctrace's options: the script comes next"},
    {"tracer-entries", 0, CT_ARG_VALUE, OPT_TRACER_ENTRIES, "N", "keep at most the newest N events (default 1000000)"},
    {"unique-output-file", 'u', CT_ARG_FLAG, OPT_UNIQUE_OUTPUT, NULL, "a time-stamped file name that never overwrites"},
    {"version", 0, CT_ARG_FLAG, OPT_VERSION, NULL, "show the version and exit"},
};
#define NOPTS (sizeof run_opts / sizeof *run_opts)

struct list {
  char **items;
  int n;
};

struct run_state {
  ct_run_config cfg;
  const char *output;
  const char *output_dir;
  bool unique, pid_suffix;
  const char *python; /* --python */
  bool help, version;
  bool from_rc; /* parsing the rc file: list values replace, flags may be off */
  struct list include, exclude, entry, audit;
  struct list var, number, attr, fexec; /* source rewriting */
};

static void list_set(struct list *l, char **v, int n) {
  free(l->items);
  l->items = malloc((size_t)(n ? n : 1) * sizeof *l->items);
  for (int i = 0; i < n; i++) l->items[i] = v[i];
  l->n = n;
}

static int parse_count(const char *opt, const char *s, uint64_t max, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v == 0 || v > max)
    return ct_usage_error("run", "invalid value '%s' for '--%s': expected a whole number from 1 to %llu",
                          s, opt, (unsigned long long)max);
  *out = v;
  return 0;
}

/* "0.2ms", "200us", "5" (us), "1e3ns", "0.5s" -> nanoseconds. */
static int parse_duration(const char *s, uint64_t *ns) {
  static const struct {
    const char *unit;
    double scale;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"", 1e3}};
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || !(v >= 0) || s[0] == '-' || s[0] == '+') return -1;
  for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
    if (strcmp(end, units[i].unit) == 0) {
      double r = v * units[i].scale;
      if (r > 1e18) return -1;
      *ns = (uint64_t)(r + 0.5);
      return 0;
    }
  }
  return -1;
}

static int on_opt(void *ctx, const ct_optdef *d, char **v, int n) {
  struct run_state *st = ctx;
  ct_run_config *c = &st->cfg;
  switch (d->id) {
  case OPT_COMMAND:
    c->target_kind = CT_TARGET_COMMAND;
    c->target = v[0];
    return CT_ARGS_STOP;
  case OPT_MODULE:
    c->target_kind = CT_TARGET_MODULE;
    c->target = v[0];
    return CT_ARGS_STOP;
  case OPT_RUN: return CT_ARGS_STOP;
  case OPT_HELP: st->help = true; return 0;
  case OPT_VERSION: st->version = true; return 0;
  case OPT_OPEN: st->cfg.after = ct_view_after_run; return 0;
  case OPT_OUTPUT: st->output = v[0]; return 0;
  case OPT_PYTHON: st->python = v[0]; return 0;
  case OPT_OUTPUT_DIR: st->output_dir = v[0]; return 0;
  case OPT_UNIQUE_OUTPUT: st->unique = true; return 0;
  case OPT_PID_SUFFIX: st->pid_suffix = true; return 0;
  case OPT_QUIET: c->quiet = true; return 0;
  case OPT_RCFILE: return 0; /* read before the rest */
  case OPT_REPORT_TIMING: c->report_timing = true; return 0;
  case OPT_TRACER_ENTRIES: return parse_count(d->name, v[0], 1u << 30, &c->tracer_entries);
  case OPT_MAX_STACK_DEPTH: {
    uint64_t depth;
    int rc = parse_count(d->name, v[0], 1u << 20, &depth);
    c->max_stack_depth = (int)depth;
    return rc;
  }
  case OPT_MIN_DURATION:
    if (parse_duration(v[0], &c->min_duration_ns) < 0)
      return ct_usage_error("run", "invalid value '%s' for '--min-duration': expected a time such as 0.2ms, 50us, 1s or 200 (us)", v[0]);
    return 0;
  case OPT_INCLUDE_FILES: list_set(&st->include, v, n); return 0;
  case OPT_EXCLUDE_FILES: list_set(&st->exclude, v, n); return 0;
  case OPT_LOG_FUNC_ENTRY: list_set(&st->entry, v, n); return 0;
  case OPT_LOG_VAR: list_set(&st->var, v, n); return 0;
  case OPT_LOG_NUMBER: list_set(&st->number, v, n); return 0;
  case OPT_LOG_ATTR: list_set(&st->attr, v, n); return 0;
  case OPT_LOG_FUNC_EXEC: list_set(&st->fexec, v, n); return 0;
  case OPT_MAGIC_COMMENT: c->magic_comment = true; return 0;
  case OPT_LOG_AUDIT:
    c->log_audit = true;
    list_set(&st->audit, v, n);
    return 0;
  case OPT_IGNORE_C_FUNCTION: c->ignore_c_function = true; return 0;
  case OPT_IGNORE_FROZEN: c->ignore_frozen = true; return 0;
  case OPT_LOG_SPARSE: c->log_sparse = true; return 0;
  case OPT_LOG_FUNC_ARGS: c->log_func_args = true; return 0;
  case OPT_LOG_FUNC_RETVAL: c->log_func_retval = true; return 0;
  case OPT_LOG_EXCEPTION: c->log_exception = true; return 0;
  case OPT_LOG_GC: c->log_gc = true; return 0;
  case OPT_LOG_PRINT: c->log_print = true; return 0;
  case OPT_LOG_EXIT: c->log_exit = true; return 0;
  case OPT_IGNORE_MULTIPROCESS: c->ignore_multiprocess = true; return 0;
  case OPT_LOG_ASYNC: c->log_async = true; return 0;
  }
  return 0;
}

/* First pass over the command line: only --rcfile matters. */
static int find_rcfile(void *ctx, const ct_optdef *d, char **v, int n) {
  if (d->id == OPT_RCFILE) *(const char **)ctx = v[0];
  if (d->id == OPT_COMMAND || d->id == OPT_MODULE || d->id == OPT_RUN) return CT_ARGS_STOP;
  return 0;
}

static void run_help(void) {
  printf("Usage: ctrace run [options] [--] script.py [args...]\n"
         "       ctrace run [options] -m module [args...]\n"
         "       ctrace run [options] -c code [args...]\n"
         "\n"
         "Runs a Python program exactly as python3 would, tracing every function call,\n"
         "and writes a Chrome Trace Event file. The exit status is the program's own.\n"
         "Options also accept underscores (--tracer_entries). Options that take several\n"
         "values (--include-files a b) end at the next option; put -- (or --run) before\n"
         "the script after them. Defaults can be set in ./.ctracerc (INI, section\n"
         "[default], keys = option names, e.g. max_stack_depth = 10).\n"
         "\n"
         "Options:\n");
  ct_args_help(run_opts, NOPTS);
}

/* Makes PATH absolute against the current folder (without resolving links),
 * so the trace lands where ctrace started even if the program chdirs. */
static char *absolute(const char *path) {
  if (path[0] == '/') return strdup(path);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return NULL;
  size_t n = strlen(cwd) + strlen(path) + 2;
  char *out = malloc(n);
  if (out) snprintf(out, n, "%s/%s", cwd, path);
  return out;
}

/* Checks before anything runs that the trace can be written there. */
static int check_output(const char *path) {
  struct stat st;
  bool folder = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  if (!folder && !ct_dump_can_write(path)) {
    ct_errorf("cannot write '%s': the output must end in .json, .json.gz or .html", path);
    return 1;
  }
  return ct_check_output_path(path);
}

/* Checks that the script exists and is something python3 can run. */
static int check_script(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    ct_errorf("cannot run '%s': %s", path, strerror(errno));
    return 1;
  }
  if (S_ISDIR(st.st_mode)) {
    size_t n = strlen(path) + 16;
    char *main_py = malloc(n);
    snprintf(main_py, n, "%s/__main__.py", path);
    bool ok = access(main_py, R_OK) == 0;
    free(main_py);
    if (!ok) {
      ct_errorf("cannot run '%s': it is a folder without __main__.py", path);
      return 1;
    }
    return 0;
  }
  if (access(path, R_OK) != 0) {
    ct_errorf("cannot run '%s': %s", path, strerror(errno));
    return 1;
  }
  return 0;
}

static char *self_exe(void) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return NULL;
  buf[n] = 0;
  return strdup(buf);
}

/* Removes "." and ".." segments and doubled or trailing slashes from an
 * absolute PATH, in place (without looking at the file system, as
 * os.path.normpath does). */
static void normalize(char *path) {
  char *out = path, *in = path;
  while (*in) {
    while (*in == '/') in++;
    char *seg = in;
    while (*in && *in != '/') in++;
    size_t n = (size_t)(in - seg);
    if (n == 0 || (n == 1 && seg[0] == '.')) continue;
    if (n == 2 && seg[0] == '.' && seg[1] == '.') {
      while (out > path && *--out != '/') {
      }
      continue;
    }
    *out++ = '/';
    memmove(out, seg, n);
    out += n;
  }
  if (out == path) *out++ = '/';
  *out = 0;
}

/* Absolute, normalized copies of the paths in L (the current folder as
 * base), as they compare with code objects' file names. */
static char **absolute_list(const struct list *l) {
  char **out = malloc((size_t)(l->n ? l->n : 1) * sizeof *out);
  for (int i = 0; out && i < l->n; i++) {
    out[i] = absolute(l->items[i]);
    if (!out[i]) return NULL;
    normalize(out[i]);
  }
  return out;
}

/* The output path from -o, --output-dir, --pid-suffix and -u. */
static char *output_path(struct run_state *st) {
  char *base = NULL;
  const char *out = st->output;
  if (st->output_dir && out[0] != '/') {
    size_t n = strlen(st->output_dir) + strlen(out) + 2;
    base = malloc(n);
    snprintf(base, n, "%s/%s", st->output_dir, out);
  } else {
    base = strdup(out);
  }
  if (!st->pid_suffix && !st->unique) return base;
  /* Insert the suffix before the extension (.json, .json.gz, .html). */
  const char *exts[] = {".json.gz", ".json", ".html"};
  size_t n = strlen(base), cut = n;
  for (size_t i = 0; i < 3; i++) {
    size_t k = strlen(exts[i]);
    if (n >= k && strcmp(base + n - k, exts[i]) == 0) {
      cut = n - k;
      break;
    }
  }
  char suffix[96] = "";
  if (st->unique) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(suffix, sizeof suffix, "_%Y%m%d_%H%M%S", &tm);
  }
  if (st->pid_suffix || st->unique)
    snprintf(suffix + strlen(suffix), sizeof suffix - strlen(suffix), "_%d", (int)getpid());
  size_t len = n + strlen(suffix) + 16;
  char *path = malloc(len);
  snprintf(path, len, "%.*s%s%s", (int)cut, base, suffix, base + cut);
  /* -u never overwrites: count up while the name is taken. */
  for (int k = 1; st->unique && access(path, F_OK) == 0; k++)
    snprintf(path, len, "%.*s%s_%d%s", (int)cut, base, suffix, k, base + cut);
  free(base);
  return path;
}

/* mkdir -p */
static int make_dirs(const char *dir) {
  char *p = strdup(dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) break;
    *s = '/';
  }
  int rc = mkdir(p, 0777) == 0 || errno == EEXIST ? 0 : -errno;
  free(p);
  return rc;
}

int ct_cmd_run(int argc, char **argv) {
  ct_args_check_sorted(run_opts, NOPTS);
  struct run_state st = {0};
  st.cfg.tracer_entries = 1000000;
  st.cfg.target_kind = -1;
  st.output = "result.json";

  /* Defaults from the rc file: --rcfile, else ./.ctracerc if present. The
   * command line is parsed once just to find --rcfile (so that option
   * values and spellings are read as everywhere else), then again, after
   * the file, to take effect over it. */
  const char *rcfile = NULL;
  int scan = 1;
  int rc = ct_args_parse("run", run_opts, NOPTS, argc, argv, &scan, true, NULL, 0, NULL,
                         find_rcfile, &rcfile);
  if (rc) return rc;
  char **rc_words = NULL;
  int n_rc = 0;
  rc = ct_rcfile_read(rcfile ? rcfile : ".ctracerc", rcfile != NULL, run_opts, NOPTS,
                          &rc_words, &n_rc);
  if (rc) return rc;
  if (n_rc) {
    int p = 0;
    char *none[1];
    int npos = 0;
    rc = ct_args_parse("run", run_opts, NOPTS, n_rc, rc_words, &p, false, none, 0, &npos,
                       on_opt, &st);
    if (rc) return rc;
  }

  int pos = 1;
  rc = ct_args_parse("run", run_opts, NOPTS, argc, argv, &pos, true, NULL, 0, NULL, on_opt, &st);
  if (rc) return rc;
  if (st.help) {
    run_help();
    return 0;
  }
  if (st.version) {
    ct_print_version();
    return 0;
  }
  if (st.include.n && st.exclude.n)
    return ct_usage_error("run", "--include-files and --exclude-files cannot be used together");
  char *script_python = NULL;
  if (st.cfg.target_kind < 0) {
    if (pos >= argc)
      return ct_usage_error("run", "no program to run: give a script, -m module or -c code%s",
                            st.include.n || st.exclude.n || st.entry.n || st.audit.n ||
                                    st.var.n || st.number.n || st.attr.n || st.fexec.n
                                ? " (after an option with several values, put -- before the script)"
                                : "");
    st.cfg.target_kind = CT_TARGET_SCRIPT;
    st.cfg.target = argv[pos++];
    char *console = NULL;
    if ((rc = ct_find_console_script(st.cfg.target, &console, &script_python))) return rc;
    if (console) st.cfg.target = console; /* stays allocated, as OUT below */
    if ((rc = check_script(st.cfg.target))) return rc;
  }
  /* The environment: --python, else the console script's own interpreter,
   * else the active virtual environment's. */
  char *python = NULL;
  if (ct_pyenv_find(st.python ? st.python : script_python, ct_verrorf, &python) < 0) return 1;
  free(script_python);
  st.cfg.python = python;
  st.cfg.argc = argc - pos;
  st.cfg.argv = argv + pos;
  /* The option words (without -m/-c and their value, which name the
   * target) for child processes to replay. */
  int end = st.cfg.target_kind == CT_TARGET_SCRIPT ? pos - 1 : pos;
  if (st.cfg.target_kind != CT_TARGET_SCRIPT) {
    /* -m/-c came last; drop it and its value (or a glued "-mname"). */
    end = pos - 1;
    if (end >= 1 && (strcmp(argv[end - 1], "-m") == 0 || strcmp(argv[end - 1], "-c") == 0 ||
                     strcmp(argv[end - 1], "--module") == 0 ||
                     strcmp(argv[end - 1], "--command") == 0))
      end--;
  } else if (end >= 1 && (strcmp(argv[end - 1], "--") == 0 || strcmp(argv[end - 1], "--run") == 0)) {
    end--;
  }
  st.cfg.opt_argc = end - 1;
  st.cfg.opt_argv = argv + 1;

  st.cfg.include_files = absolute_list(&st.include);
  st.cfg.n_include_files = st.include.n;
  st.cfg.exclude_files = absolute_list(&st.exclude);
  st.cfg.n_exclude_files = st.exclude.n;
  st.cfg.log_func_entry = st.entry.items;
  st.cfg.n_log_func_entry = st.entry.n;
  st.cfg.log_var = st.var.items;
  st.cfg.n_log_var = st.var.n;
  st.cfg.log_number = st.number.items;
  st.cfg.n_log_number = st.number.n;
  st.cfg.log_attr = st.attr.items;
  st.cfg.n_log_attr = st.attr.n;
  st.cfg.log_func_exec = st.fexec.items;
  st.cfg.n_log_func_exec = st.fexec.n;
  st.cfg.log_audit_re = st.audit.items;
  st.cfg.n_log_audit_re = st.audit.n;

  if (st.output_dir && !getenv("CTRACE_COLLECT_DIR") && (rc = make_dirs(st.output_dir)) < 0) {
    ct_errorf("cannot create '%s': %s", st.output_dir, strerror(-rc));
    return 1;
  }
  char *name = output_path(&st);
  char *out = name ? absolute(name) : NULL;
  free(name);
  char *exe = self_exe();
  if (!out || !exe || !st.cfg.include_files || !st.cfg.exclude_files) {
    ct_errorf("cannot find the current folder: %s", strerror(errno));
    return 1;
  }
  /* A traced child writes its part where the root collects it. */
  if (!getenv("CTRACE_COLLECT_DIR") && (rc = check_output(out))) return rc;
  st.cfg.output = out;
  st.cfg.ctrace_exe = exe;
  st.cfg.error = ct_verrorf;
  st.cfg.note = ct_verrorf;
  /* What was allocated here stays: the program may end through exit(),
   * after which ctrace still reads it. */
  return ct_embed_run(&st.cfg);
}

void ct_print_version(void) {
  printf("ctrace %s (Python %s)\n", CTRACE_VERSION, ct_embed_python_version());
}

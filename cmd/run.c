/* ctrace run: parse the options, check the target and the output path,
 * then hand over to the embedded interpreter (embed/). */
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/msg.h"
#include "cmd/view.h"
#include "core/dump.h"
#include "embed/embed.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
  OPT_COMMAND,
  OPT_HELP,
  OPT_MODULE,
  OPT_OPEN,
  OPT_OUTPUT,
  OPT_QUIET,
  OPT_REPORT_TIMING,
  OPT_TRACER_ENTRIES,
  OPT_VERSION,
};

/* Sorted by long name (checked at start-up). */
static const ct_optdef run_opts[] = {
    {"command", 'c', CT_ARG_VALUE, OPT_COMMAND, "CODE", "run CODE as python3 -c does; the rest are its arguments"},
    {"help", 'h', CT_ARG_FLAG, OPT_HELP, NULL, "show this help and exit"},
    {"module", 'm', CT_ARG_VALUE, OPT_MODULE, "MODULE", "run MODULE as python3 -m does; the rest are its arguments"},
    {"open", 0, CT_ARG_FLAG, OPT_OPEN, NULL, "open the trace in the viewer (browser) when the program ends"},
    {"output-file", 'o', CT_ARG_VALUE, OPT_OUTPUT, "FILE", "write the trace to FILE: .json (default result.json), .json.gz, .html"},
    {"quiet", 'q', CT_ARG_FLAG, OPT_QUIET, NULL, "print nothing of ctrace's own"},
    {"report-timing", 0, CT_ARG_FLAG, OPT_REPORT_TIMING, NULL, NULL},
    {"tracer-entries", 0, CT_ARG_VALUE, OPT_TRACER_ENTRIES, "N", "keep at most the newest N events (default 1000000)"},
    {"version", 0, CT_ARG_FLAG, OPT_VERSION, NULL, "show the version and exit"},
};
#define NOPTS (sizeof run_opts / sizeof *run_opts)

struct run_state {
  ct_run_config cfg;
  const char *output;
  bool help, version;
};

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

static int on_opt(void *ctx, const ct_optdef *d, char **v, int n) {
  struct run_state *st = ctx;
  switch (d->id) {
  case OPT_COMMAND:
    st->cfg.target_kind = CT_TARGET_COMMAND;
    st->cfg.target = v[0];
    return CT_ARGS_STOP;
  case OPT_MODULE:
    st->cfg.target_kind = CT_TARGET_MODULE;
    st->cfg.target = v[0];
    return CT_ARGS_STOP;
  case OPT_HELP: st->help = true; return 0;
  case OPT_VERSION: st->version = true; return 0;
  case OPT_OPEN: st->cfg.after = ct_view_after_run; return 0;
  case OPT_OUTPUT: st->output = v[0]; return 0;
  case OPT_QUIET: st->cfg.quiet = true; return 0;
  case OPT_REPORT_TIMING: st->cfg.report_timing = true; return 0;
  case OPT_TRACER_ENTRIES:
    return parse_count(d->name, v[0], 1u << 30, &st->cfg.tracer_entries);
  }
  return 0;
}

static void run_help(void) {
  printf("Usage: ctrace run [options] [--] script.py [args...]\n"
         "       ctrace run [options] -m module [args...]\n"
         "       ctrace run [options] -c code [args...]\n"
         "\n"
         "Runs a Python program exactly as python3 would, tracing every function call,\n"
         "and writes a Chrome Trace Event file. The exit status is the program's own.\n"
         "Options also accept underscores (--tracer_entries).\n"
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
  if (!ct_dump_can_write(path)) {
    ct_errorf("cannot write '%s': the output must end in .json, .json.gz or .html", path);
    return 1;
  }
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    ct_errorf("cannot write '%s': %s", path, strerror(EISDIR));
    return 1;
  }
  char *dir = strdup(path);
  char *slash = strrchr(dir, '/');
  if (slash == dir) slash[1] = 0;
  else *slash = 0;
  int rc = 0;
  if (stat(dir, &st) != 0) {
    ct_errorf("cannot write '%s': %s", path, strerror(errno));
    rc = 1;
  } else if (!S_ISDIR(st.st_mode)) {
    ct_errorf("cannot write '%s': %s", path, strerror(ENOTDIR));
    rc = 1;
  } else if (access(dir, W_OK | X_OK) != 0) {
    ct_errorf("cannot write '%s': %s", path, strerror(errno));
    rc = 1;
  }
  free(dir);
  return rc;
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

int ct_cmd_run(int argc, char **argv) {
  ct_args_check_sorted(run_opts, NOPTS);
  struct run_state st = {0};
  st.cfg.tracer_entries = 1000000;
  st.cfg.target_kind = -1;
  st.output = "result.json";
  int pos = 1;
  int rc = ct_args_parse("run", run_opts, NOPTS, argc, argv, &pos, true, NULL, 0, NULL, on_opt, &st);
  if (rc) return rc;
  if (st.help) {
    run_help();
    return 0;
  }
  if (st.version) {
    ct_print_version();
    return 0;
  }
  if (st.cfg.target_kind < 0) {
    if (pos >= argc) return ct_usage_error("run", "no program to run: give a script, -m module or -c code");
    st.cfg.target_kind = CT_TARGET_SCRIPT;
    st.cfg.target = argv[pos++];
    if ((rc = check_script(st.cfg.target))) return rc;
  }
  st.cfg.argc = argc - pos;
  st.cfg.argv = argv + pos;

  char *out = absolute(st.output);
  char *exe = self_exe();
  if (!out || !exe) {
    ct_errorf("cannot find the current folder: %s", strerror(errno));
    return 1;
  }
  if ((rc = check_output(out))) return rc;
  st.cfg.output = out;
  st.cfg.ctrace_exe = exe;
  st.cfg.error = ct_verrorf;
  st.cfg.note = ct_verrorf;
  rc = ct_embed_run(&st.cfg);
  free(out);
  free(exe);
  return rc;
}

void ct_print_version(void) {
  printf("ctrace %s (Python %s)\n", CTRACE_VERSION, ct_embed_python_version());
}

#ifndef CTRACE_EMBED_EMBED_H
#define CTRACE_EMBED_EMBED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* What `ctrace run` asks of the embedded interpreter. cmd/ fills it in;
 * embed/ starts Python, traces the target and writes the trace. */

enum ct_target_kind {
  CT_TARGET_SCRIPT,  /* a file (or a folder with __main__.py) */
  CT_TARGET_MODULE,  /* -m module */
  CT_TARGET_COMMAND, /* -c code */
};

/* Reports one line to the user (cmd/ prefixes "ctrace: "). */
typedef void (*ct_report_fn)(const char *fmt, va_list ap);

typedef struct ct_run_config {
  int target_kind;        /* enum ct_target_kind */
  const char *target;     /* script path, module name or code */
  int argc;               /* the program's arguments after the target */
  char **argv;
  const char *output;     /* absolute path of the trace file */
  const char *ctrace_exe; /* absolute path of the ctrace binary */
  const char *python;     /* the interpreter the program sees as
                             sys.executable (a venv's python3), or NULL
                             for the one ctrace was built against; see
                             embed/pyenv.h */
  int opt_argc;           /* the option words of `ctrace run` as given, */
  char **opt_argv;        /* before the target: children replay them */
  uint64_t tracer_entries;
  /* Filters (VizTracer's meanings). */
  int max_stack_depth;       /* 0: no limit */
  uint64_t min_duration_ns;  /* 0: keep every call */
  char **include_files;      /* absolute paths (files or folders) */
  int n_include_files;
  char **exclude_files;
  int n_exclude_files;
  bool ignore_c_function;
  bool ignore_frozen;
  bool log_sparse;
  /* Extra logs. */
  bool log_func_args;
  bool log_func_retval;
  char **log_func_entry;     /* regular expressions (Python's re) */
  int n_log_func_entry;
  bool log_exception;
  bool log_gc;
  bool log_print;
  bool log_audit;
  char **log_audit_re;
  int n_log_audit_re;
  bool log_exit;
  /* Source rewriting (embed/rewrite.c, embed/python/_ctrace_rewrite.py):
   * regular expressions (Python's re) of the names to log. */
  char **log_var;
  int n_log_var;
  char **log_number;
  int n_log_number;
  char **log_attr;
  int n_log_attr;
  char **log_func_exec;
  int n_log_func_exec;
  bool magic_comment;
  bool quiet;
  bool report_timing;     /* print a line of timing figures (bench/) */
  bool ignore_multiprocess; /* do not trace child processes */
  bool log_async;         /* one track per asyncio task */
  ct_report_fn error;     /* a failure */
  ct_report_fn note;      /* information ("saved ...") */
  /* Called once the trace is written (or failed: OK false), on every way
   * out of the program, including sys.exit, which never returns to the
   * caller of ct_embed_run. May be NULL. */
  void (*after)(const struct ct_run_config *c, bool ok);
  void *after_ctx;
} ct_run_config;

/* Runs the target traced, exactly as python3 would run it, and writes the
 * trace. C is copied; the strings it points to must stay valid until the
 * process ends. Returns the exit status to use: the program's own, or 1 when
 * ctrace itself failed (after reporting it). May not return at all when the
 * program exits through sys.exit, as python3 does; the trace is written
 * before that. */
int ct_embed_run(const ct_run_config *c);

/* The Python version ctrace was built against, e.g. "3.11.2". */
const char *ct_embed_python_version(void);

#endif

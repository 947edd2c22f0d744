/* Interpreter start-up: configure CPython exactly as python3 would run the
 * target, install the tracer, run, and make sure the trace is written. */
#include "embed/embed.h"
#include "embed/rewrite.h"
#include "embed/tracer.h"
#include "embed/children.h"

#include "core/asset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Generated from embed/python/ by cmake/embed_tool.c. */
extern const ct_asset ct_py_sources[];
extern const size_t ct_py_sources_count;

const char *ct_embed_python_version(void) { return PY_VERSION; }

static void report(ct_report_fn fn, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fn(fmt, ap);
  va_end(ap);
}

/* The status of a failed PyStatus, reported. */
static int status_exit(const ct_run_config *c, PyStatus st) {
  if (PyStatus_IsExit(st)) return st.exitcode;
  report(c->error, "cannot start Python: %s%s%s", st.func ? st.func : "",
         st.func ? ": " : "", st.err_msg ? st.err_msg : "unknown error");
  return 1;
}

static int set_str(PyConfig *cfg, wchar_t **field, const char *value, PyStatus *st) {
  *st = PyConfig_SetBytesString(cfg, field, value);
  return PyStatus_Exception(*st) ? -1 : 0;
}

/* Runs an embedded helper module (embed/python/NAME.py) and returns it. */
PyObject *ct__embed_load_helper(const char *name) {
  char file[128];
  snprintf(file, sizeof file, "%s.py", name);
  const ct_asset *a = ct_asset_find(ct_py_sources, ct_py_sources_count, file);
  if (!a) {
    PyErr_Format(PyExc_ImportError, "ctrace helper %s is missing", file);
    return NULL;
  }
  char path[160];
  snprintf(path, sizeof path, "<ctrace>/%s", file);
  PyObject *code = Py_CompileString((const char *)a->data, path, Py_file_input);
  if (!code) return NULL;
  PyObject *mod = PyImport_ExecCodeModuleObject(PyUnicode_FromString(name), code, NULL, NULL);
  Py_DECREF(code);
  return mod;
}

/* sys.orig_argv as python3 gives it: the interpreter, then -m MODULE, -c
 * CODE or the script, then the arguments (tools that restart themselves
 * read it). */
static PyStatus set_orig_argv(PyConfig *cfg, const ct_run_config *c, const char *python) {
  char **words = calloc((size_t)c->argc + 3, sizeof *words);
  if (!words) return PyStatus_NoMemory();
  int n = 0;
  words[n++] = (char *)python;
  if (c->target_kind == CT_TARGET_MODULE) words[n++] = "-m";
  if (c->target_kind == CT_TARGET_COMMAND) words[n++] = "-c";
  words[n++] = (char *)c->target;
  for (int i = 0; i < c->argc; i++) words[n++] = c->argv[i];
  /* Decoded as argv is, then moved over. */
  PyStatus st = PyConfig_SetBytesArgv(cfg, n, words);
  free(words);
  if (PyStatus_Exception(st)) return st;
  return PyConfig_SetWideStringList(cfg, &cfg->orig_argv, cfg->argv.length, cfg->argv.items);
}

static const ct_run_config *run_config;
static bool after_done;

static void call_after(void) {
  if (after_done || !run_config->after || ct_children_is_child()) return;
  after_done = true;
  run_config->after(run_config, !ct_tracer_failed());
}

static void after_exit(void) {
  /* sys.exit() ends the process from inside Py_RunMain; the trace was
   * written by the atexit hook. A failed write turns the status into 1. */
  call_after();
  if (ct_tracer_failed()) _exit(1);
}

int ct_embed_run(const ct_run_config *caller_config) {
  /* The configuration must outlive this call: sys.exit() leaves through
   * exit(), and the atexit handlers read it after main() has returned. */
  static ct_run_config config;
  config = *caller_config;
  const ct_run_config *c = &config;
  PyStatus st;
  PyConfig cfg;
  int rc = 1;

  if (PyImport_AppendInittab("_ctrace", ct_module_init) < 0) {
    report(c->error, "cannot register the _ctrace module");
    return 1;
  }
  PyConfig_InitPythonConfig(&cfg);
  /* Our argv is final: Python must not look for its own options in it. */
  cfg.parse_argv = 0;
  /* Python's getpath starts from the executable: a venv's python3 there
   * makes it find pyvenv.cfg, as that python3 itself would. */
  const char *python = c->python ? c->python : CTRACE_PYTHON_EXECUTABLE;
  if (set_str(&cfg, &cfg.executable, python, &st) < 0 ||
      set_str(&cfg, &cfg.program_name, python, &st) < 0)
    goto config_error;
  st = set_orig_argv(&cfg, c, python);
  if (PyStatus_Exception(st)) goto config_error;

  /* argv[0] as python3 sets it: the script, "-m" (runpy replaces it with
   * the module's path) or "-c"; it also decides sys.path[0]. */
  char **argv = calloc((size_t)c->argc + 2, sizeof *argv);
  if (!argv) goto config_error;
  switch (c->target_kind) {
  case CT_TARGET_SCRIPT:
    argv[0] = (char *)c->target;
    if (set_str(&cfg, &cfg.run_filename, c->target, &st) < 0) goto argv_error;
    break;
  case CT_TARGET_MODULE:
    argv[0] = "-m";
    if (set_str(&cfg, &cfg.run_module, c->target, &st) < 0) goto argv_error;
    break;
  default: {
    argv[0] = "-c";
    size_t n = strlen(c->target);
    char *code = malloc(n + 2);
    if (!code) goto argv_error;
    memcpy(code, c->target, n);
    memcpy(code + n, "\n", 2);
    int bad = set_str(&cfg, &cfg.run_command, code, &st);
    free(code);
    if (bad) goto argv_error;
  }
  }
  for (int i = 0; i < c->argc; i++) argv[i + 1] = c->argv[i];
  st = PyConfig_SetBytesArgv(&cfg, c->argc + 1, argv);
  free(argv);
  if (PyStatus_Exception(st)) goto config_error;

  /* Before Python reads the environment: children inherit the folder. */
  ct_children_init(c);
  st = Py_InitializeFromConfig(&cfg);
  PyConfig_Clear(&cfg);
  if (PyStatus_Exception(st)) return status_exit(c, st);

  if (ct_tracer_init(c) < 0) goto py_error;
  PyObject *boot = ct__embed_load_helper("_ctrace_boot");
  if (!boot) goto py_error;

  if (c->target_kind == CT_TARGET_SCRIPT) {
    PyObject *err = PyObject_CallMethod(boot, "check_syntax", "s", c->target);
    if (!err) goto py_error;
    if (err != Py_None) {
      report(c->error, "syntax error in '%s': %s", c->target, PyUnicode_AsUTF8(err));
      Py_DECREF(err);
      Py_DECREF(boot);
      Py_FinalizeEx();
      return 1;
    }
    Py_DECREF(err);
  }

  PyObject *r = PyObject_CallMethod(boot, "install", NULL);
  Py_DECREF(boot);
  if (!r) goto py_error;
  Py_DECREF(r);
  if (ct_children_install() < 0) goto py_error;
  /* --log-var and co: the main script rewritten, run below instead of by
   * Py_RunMain (which compiles it where no hook reaches). */
  PyObject *main_code = NULL;
  if (ct_rewrite_main_code(c, &main_code) < 0) goto py_error;
  run_config = c;
  atexit(after_exit);
  if (ct_tracer_start_main() < 0) {
    Py_XDECREF(main_code);
    goto py_error;
  }

  rc = main_code ? ct_rewrite_run_main(main_code) : Py_RunMain();
  /* The atexit hook normally wrote the trace already. */
  ct_tracer_dump(false);
  call_after();
  if (ct_tracer_failed() && rc == 0) rc = 1;
  return rc;

argv_error:
  free(argv);
config_error:
  PyConfig_Clear(&cfg);
  return status_exit(c, st);

py_error:
  report(c->error, "cannot set up tracing in the embedded interpreter:");
  PyErr_Print();
  Py_FinalizeEx();
  return 1;
}

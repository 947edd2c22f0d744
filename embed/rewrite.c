/* The C side of source rewriting: the options for
 * embed/python/_ctrace_rewrite.py, and running the rewritten main script
 * the way Py_RunMain runs a file (Modules/main.c pymain_run_file and
 * Python/pythonrun.c _PyRun_SimpleFileObject in CPython 3.11). */
#include "embed/rewrite.h"

#include <signal.h>
#include <unistd.h>

bool ct_rewrite_enabled(const ct_run_config *c) {
  return c->n_log_var || c->n_log_number || c->n_log_attr || c->n_log_func_exec ||
         c->magic_comment;
}

static int set_list(PyObject *d, const char *key, char **items, int n) {
  PyObject *l = PyList_New(n);
  if (!l) return -1;
  for (int i = 0; i < n; i++) {
    PyObject *s = PyUnicode_DecodeFSDefault(items[i]);
    if (!s) {
      Py_DECREF(l);
      return -1;
    }
    PyList_SET_ITEM(l, i, s);
  }
  int rc = PyDict_SetItemString(d, key, l);
  Py_DECREF(l);
  return rc;
}

int ct_rewrite_config(PyObject *d, const ct_run_config *c) {
  if (set_list(d, "log_var", c->log_var, c->n_log_var) < 0 ||
      set_list(d, "log_number", c->log_number, c->n_log_number) < 0 ||
      set_list(d, "log_attr", c->log_attr, c->n_log_attr) < 0 ||
      set_list(d, "log_func_exec", c->log_func_exec, c->n_log_func_exec) < 0 ||
      PyDict_SetItemString(d, "magic_comment", c->magic_comment ? Py_True : Py_False) < 0)
    return -1;
  return 0;
}

int ct_rewrite_main_code(const ct_run_config *c, PyObject **code) {
  *code = NULL;
  if (c->target_kind != CT_TARGET_SCRIPT || !ct_rewrite_enabled(c)) return 0;
  PyObject *mod = PyImport_ImportModule("_ctrace_rewrite");
  if (!mod) return -1;
  PyObject *r = PyObject_CallMethod(mod, "main_code", "s", c->target);
  Py_DECREF(mod);
  if (!r) return -1;
  if (r == Py_None) {
    Py_DECREF(r);
    return 0;
  }
  *code = r;
  return 0;
}

PyObject *ct_rewrite_untraced(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs < 1) {
    PyErr_SetString(PyExc_TypeError, "untraced(fn, *args): fn is missing");
    return NULL;
  }
  /* What CPython does around a profile function: calls made meanwhile on
   * this thread reach neither the profile nor the trace function. */
  PyThreadState *ts = PyThreadState_Get();
  PyThreadState_EnterTracing(ts);
  PyObject *r = PyObject_Vectorcall(args[0], args + 1, (size_t)(nargs - 1), NULL);
  PyThreadState_LeaveTracing(ts);
  return r;
}

/* Flushes sys.stderr and sys.stdout, keeping any exception in flight
 * (pythonrun.c flush_io). */
static void flush_io(void) {
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb);
  const char *names[] = {"stderr", "stdout"};
  for (int i = 0; i < 2; i++) {
    PyObject *f = PySys_GetObject(names[i]);
    if (f && f != Py_None) {
      PyObject *r = PyObject_CallMethod(f, "flush", NULL);
      if (r) Py_DECREF(r);
      else PyErr_Clear();
    }
  }
  PyErr_Restore(et, ev, tb);
}

int ct_rewrite_run_main(PyObject *code) {
  int exitcode = 0;
  bool sigint = false;
  PyObject *m = PyImport_AddModule("__main__"); /* borrowed */
  PyObject *d = m ? PyModule_GetDict(m) : NULL;
  PyObject *file = d ? PyDict_GetItemString(d, "__file__") : NULL;
  if (!file || PySys_Audit("cpython.run_file", "O", file) < 0 || Py_MakePendingCalls() < 0) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "__main__.__file__ is missing");
    PyErr_Print();
    exitcode = 1;
    goto finalize;
  }
  PyObject *v = PyEval_EvalCode(code, d, d);
  if (!v && PyErr_Occurred() == PyExc_KeyboardInterrupt) sigint = true;
  flush_io();
  if (v) {
    Py_DECREF(v);
  } else {
    PyErr_Print(); /* exits on SystemExit, as python3 does */
    exitcode = 1;
  }
  /* python3 removes them once the script is done (before atexit). */
  if (PyDict_DelItemString(d, "__file__") < 0) PyErr_Clear();
  if (PyDict_DelItemString(d, "__cached__") < 0) PyErr_Clear();

finalize:
  Py_DECREF(code);
  if (Py_FinalizeEx() < 0) exitcode = 120;
  if (sigint) {
    /* Die of SIGINT as python3 does, so the shell sees the Ctrl-C. */
    signal(SIGINT, SIG_DFL);
    kill(getpid(), SIGINT);
    exitcode = 128 + SIGINT;
  }
  return exitcode;
}

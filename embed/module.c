/* The builtin module `_ctrace`: what the embedded Python helpers
 * (embed/python/) and the public `ctrace` module call into. */
#include "embed/rewrite.h"
#include "embed/tracer.h"
#include "embed/children.h"

#include "core/asset.h"
#include "core/ring.h"

/* Generated from embed/python/ by cmake/embed_tool.c. */
extern const ct_asset ct_py_sources[];
extern const size_t ct_py_sources_count;

/* threading.setprofile() hook: the first profile event of every thread
 * started through threading lands here, and hands the thread over to the
 * C profile function. */
static PyObject *mod_thread_hook(PyObject *self, PyObject *args) {
  PyObject *frame, *event, *arg;
  if (!PyArg_ParseTuple(args, "OOO", &frame, &event, &arg)) return NULL;
  bool is_call = PyUnicode_Check(event) && PyUnicode_CompareWithASCIIString(event, "call") == 0;
  if (ct_tracer_start_thread(is_call && PyFrame_Check(frame) ? (PyFrameObject *)frame : NULL) < 0)
    return NULL;
  Py_RETURN_NONE;
}

static PyObject *mod_main_finished(PyObject *self, PyObject *unused) {
  ct_tracer_main_finished();
  Py_RETURN_NONE;
}

/* Registered with atexit before the program runs, so it runs last. */
static PyObject *mod_atexit(PyObject *self, PyObject *unused) {
  ct_children_dump(false);
  Py_RETURN_NONE;
}

/* Writes the trace now and stops (SIGTERM). */
static PyObject *mod_save_now(PyObject *self, PyObject *unused) {
  ct_children_set_wait(false); /* a signal: do not wait for children */
  /* False: a dump is under way (the signal came in the middle of it); the
   * process ends by SIGTERM once it is written. */
  return PyBool_FromLong(ct_children_dump(true) == 0);
}

static PyObject *mod_now(PyObject *self, PyObject *unused) {
  return PyLong_FromUnsignedLongLong(ct_tracer_now());
}

static PyObject *mod_is_recording(PyObject *self, PyObject *unused) {
  return PyBool_FromLong(ct_tracer_is_recording());
}

static PyObject *mod_log_instant(PyObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"name", "args", "scope", NULL};
  const char *name, *scope = "t";
  Py_ssize_t len;
  PyObject *a = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s#|Os", kwlist, &name, &len, &a, &scope))
    return NULL;
  if (strcmp(scope, "t") && strcmp(scope, "p") && strcmp(scope, "g")) {
    PyErr_Format(PyExc_ValueError, "scope must be 't', 'p' or 'g', not '%s'", scope);
    return NULL;
  }
  uint64_t now = ct_tracer_now();
  if (ct_tracer_add_event(CT_EV_INSTANT, name, len, a, scope[0], now, now) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject *mod_log_counter(PyObject *self, PyObject *args) {
  const char *name;
  Py_ssize_t len;
  PyObject *values;
  if (!PyArg_ParseTuple(args, "s#O!", &name, &len, &PyDict_Type, &values)) return NULL;
  uint64_t now = ct_tracer_now();
  if (ct_tracer_add_event(CT_EV_COUNTER, name, len, values, 0, now, now) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject *mod_log_slice(PyObject *self, PyObject *args) {
  const char *name;
  Py_ssize_t len;
  unsigned long long start, end;
  PyObject *a = NULL;
  if (!PyArg_ParseTuple(args, "s#KK|O", &name, &len, &start, &end, &a)) return NULL;
  if (end < start) end = start;
  if (ct_tracer_add_event(CT_EV_SLICE, name, len, a, 0, start, end) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject *mod_add_func_args(PyObject *self, PyObject *args) {
  PyObject *key, *value;
  if (!PyArg_ParseTuple(args, "OO", &key, &value)) return NULL;
  if (ct_tracer_add_func_args(key, value) < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject *mod_func_args(PyObject *self, PyObject *args) {
  int skip = 0;
  if (!PyArg_ParseTuple(args, "|i", &skip)) return NULL;
  return ct_tracer_func_args(skip);
}

static PyObject *mod_mark_code(PyObject *self, PyObject *args) {
  PyObject *code;
  int kind, depth = 0;
  if (!PyArg_ParseTuple(args, "Oi|i", &code, &kind, &depth)) return NULL;
  ct_tracer_mark_code(code, kind, depth);
  Py_RETURN_NONE;
}

static PyObject *mod_set_sync_marker(PyObject *self, PyObject *unused) {
  ct_tracer_set_sync_marker();
  Py_RETURN_NONE;
}

static PyObject *mod_pause(PyObject *self, PyObject *unused) {
  ct_tracer_pause(true);
  Py_RETURN_NONE;
}

static PyObject *mod_resume(PyObject *self, PyObject *unused) {
  ct_tracer_pause(false);
  Py_RETURN_NONE;
}

static PyObject *mod_clear(PyObject *self, PyObject *unused) {
  ct_tracer_clear();
  Py_RETURN_NONE;
}

static PyObject *mod_save(PyObject *self, PyObject *args) {
  PyObject *path;
  unsigned long long from = 0, to = UINT64_MAX;
  if (!PyArg_ParseTuple(args, "O&|KK", PyUnicode_FSConverter, &path, &from, &to)) return NULL;
  int rc = ct_tracer_save(PyBytes_AS_STRING(path), from, to);
  Py_DECREF(path);
  if (rc < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject *mod_start_thread(PyObject *self, PyObject *unused) {
  if (ct_tracer_start_current_thread() < 0) return NULL;
  Py_RETURN_NONE;
}

static PyObject *mod_set_entry_matcher(PyObject *self, PyObject *fn) {
  ct_tracer_set_entry_matcher(fn == Py_None ? NULL : fn);
  Py_RETURN_NONE;
}

static PyObject *str_list(char **items, int n) {
  PyObject *l = PyList_New(0);
  for (int i = 0; l && i < n; i++) {
    PyObject *s = PyUnicode_DecodeFSDefault(items[i]);
    if (!s || PyList_Append(l, s) < 0) Py_CLEAR(l);
    Py_XDECREF(s);
  }
  return l;
}

/* The options the Python side acts on. */
static PyObject *mod_config(PyObject *self, PyObject *unused) {
  const ct_run_config *c = ct_tracer_config();
  if (!c) Py_RETURN_NONE;
  PyObject *d = Py_BuildValue(
      "{sOsOsOsNsOsOsOsNsssO}", "log_gc", c->log_gc ? Py_True : Py_False, "log_print",
      c->log_print ? Py_True : Py_False, "log_audit", c->log_audit ? Py_True : Py_False,
      "log_audit_re", str_list(c->log_audit_re, c->n_log_audit_re), "log_exit",
      c->log_exit ? Py_True : Py_False, "log_exception", c->log_exception ? Py_True : Py_False,
      "log_sparse", c->log_sparse ? Py_True : Py_False, "log_func_entry",
      str_list(c->log_func_entry, c->n_log_func_entry), "output", c->output, "quiet",
      c->quiet ? Py_True : Py_False);
  if (d && ct_rewrite_config(d, c) < 0) Py_CLEAR(d);
  return d;
}

/* {"name": source bytes} of the embedded Python helpers. */
static PyObject *mod_sources(PyObject *self, PyObject *unused) {
  PyObject *d = PyDict_New();
  for (size_t i = 0; d && i < ct_py_sources_count; i++) {
    const ct_asset *a = &ct_py_sources[i];
    PyObject *b = PyBytes_FromStringAndSize((const char *)a->data, (Py_ssize_t)a->len);
    if (!b || PyDict_SetItemString(d, a->path, b) < 0) Py_CLEAR(d);
    Py_XDECREF(b);
  }
  return d;
}

static PyMethodDef mod_methods[] = {
    {"_thread_hook", mod_thread_hook, METH_VARARGS, "profile hook for new threads"},
    {"_main_finished", mod_main_finished, METH_NOARGS, "the main program has ended"},
    {"_atexit", mod_atexit, METH_NOARGS, "write the trace at interpreter exit"},
    {"_save_now", mod_save_now, METH_NOARGS, "write the trace now and stop"},
    {"now", mod_now, METH_NOARGS, "the current time in trace ticks"},
    {"is_recording", mod_is_recording, METH_NOARGS, "whether events are recorded now"},
    {"log_instant", (PyCFunction)(void (*)(void))mod_log_instant, METH_VARARGS | METH_KEYWORDS,
     "log_instant(name, args=None, scope='t')"},
    {"log_counter", mod_log_counter, METH_VARARGS, "log_counter(name, {series: number})"},
    {"log_slice", mod_log_slice, METH_VARARGS, "log_slice(name, start, end, args=None)"},
    {"add_func_args", mod_add_func_args, METH_VARARGS, "add_func_args(key, value)"},
    {"func_args", mod_func_args, METH_VARARGS,
     "func_args(skip=0): the args dict of the caller's slice"},
    {"mark_code", mod_mark_code, METH_VARARGS, "mark_code(code, kind, depth=0)"},
    {"set_sync_marker", mod_set_sync_marker, METH_NOARGS, "mark this moment for --align"},
    {"pause", mod_pause, METH_NOARGS, "stop recording"},
    {"resume", mod_resume, METH_NOARGS, "record again"},
    {"clear", mod_clear, METH_NOARGS, "forget what was recorded"},
    {"save", mod_save, METH_VARARGS, "save(path, from_tick=0, to_tick=max)"},
    {"start_thread", mod_start_thread, METH_NOARGS, "trace the calling thread"},
    {"set_entry_matcher", mod_set_entry_matcher, METH_O, "for --log-func-entry"},
    {"untraced", (PyCFunction)(void (*)(void))ct_rewrite_untraced, METH_FASTCALL,
     "untraced(fn, *args): fn(*args), unseen by the tracer"},
    {"config", mod_config, METH_NOARGS, "the options of this run"},
    {"sources", mod_sources, METH_NOARGS, "the embedded Python helpers"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef mod_def = {
    PyModuleDef_HEAD_INIT, "_ctrace", "ctrace's tracer, built into the ctrace binary.", -1,
    mod_methods,
};

PyObject *ct_module_init(void) {
  PyObject *m = PyModule_Create(&mod_def);
  if (m && (PyModule_AddFunctions(m, ct_children_methods) < 0 ||
            PyModule_AddFunctions(m, ct_tasks_methods) < 0))
    Py_CLEAR(m);
  return m;
}

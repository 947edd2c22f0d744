/* The builtin module `_ctrace`: what the embedded Python helpers
 * (embed/python/) call into. */
#include "embed/tracer.h"
#include "embed/children.h"

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

/* Writes the trace now (SIGTERM). */
static PyObject *mod_save_now(PyObject *self, PyObject *unused) {
  ct_children_set_wait(false); /* a signal: do not wait for children */
  /* False: a dump is under way (the signal came in the middle of it); the
   * process ends by SIGTERM once it is written. */
  return PyBool_FromLong(ct_children_dump(true) == 0);
}

static PyMethodDef mod_methods[] = {
    {"_thread_hook", mod_thread_hook, METH_VARARGS, "profile hook for new threads"},
    {"_main_finished", mod_main_finished, METH_NOARGS, "the main program has ended"},
    {"_atexit", mod_atexit, METH_NOARGS, "write the trace at interpreter exit"},
    {"_save_now", mod_save_now, METH_NOARGS, "write the trace now"},
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

/* asyncio tasks on tracks of their own (--log-async): the helper
 * (_ctrace_procs.py) wraps asyncio's Handle._run and tells the tracer which
 * task runs; the slices that end while it runs go to the task's track. */
#include "embed/children.h"
#include "embed/tracer.h"

/* _ctrace._task_track(name) -> a new track's index */
static PyObject *mod_task_track(PyObject *self, PyObject *arg) {
  const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
  if (!name) {
    PyErr_Clear();
    name = "Task";
  }
  int64_t track = ct_tracer_new_track(name);
  if (track < 0) return NULL;
  return PyLong_FromLongLong(track);
}

/* _ctrace._task_enter(track): the calling thread now runs that task. */
static PyObject *mod_task_enter(PyObject *self, PyObject *arg) {
  unsigned long track = PyLong_AsUnsignedLong(arg);
  if (track == (unsigned long)-1 && PyErr_Occurred()) return NULL;
  ct_tracer_switch_track((uint32_t)track);
  Py_RETURN_NONE;
}

/* _ctrace._task_leave(): back on the thread's own track. */
static PyObject *mod_task_leave(PyObject *self, PyObject *unused) {
  ct_tracer_switch_track(UINT32_MAX);
  Py_RETURN_NONE;
}

PyMethodDef ct_tasks_methods[] = {
    {"_task_track", mod_task_track, METH_O, "a new track for an asyncio task"},
    {"_task_enter", mod_task_enter, METH_O, "the thread runs a task"},
    {"_task_leave", mod_task_leave, METH_NOARGS, "the thread leaves the task"},
    {NULL, NULL, 0, NULL},
};

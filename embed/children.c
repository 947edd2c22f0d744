/* Child processes: the role of this process, the helpers' entry points
 * (_ctrace._register_child, ...) and the root's wait and merge. */
#define _GNU_SOURCE
#include "embed/children.h"
#include "embed/tracer.h"

#include "core/clock.h"
#include "core/collect.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool sigterm_pending; /* SIGTERM came during a dump */

static struct {
  const ct_run_config *cfg;
  char dir[PATH_MAX]; /* the collection folder, "" when not collecting */
  bool child;
  bool no_wait;
  char part[PATH_MAX + 64];
  ct_collect *collect;
  uint64_t dropped; /* the children's, once merged */
} C;

static void report(ct_report_fn fn, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fn(fmt, ap);
  va_end(ap);
}

static pid_t root_pid;

/* Whatever way the root ends (even before the program ran), no folder is
 * left behind. Forked children inherit this; only the root acts. */
static void remove_folder_at_exit(void) {
  if (getpid() == root_pid && !C.child && C.dir[0]) {
    ct_collect_remove_dir(C.dir);
    C.dir[0] = 0;
  }
}

void ct_children_init(const ct_run_config *c) {
  C.cfg = c;
  const char *dir = getenv("CTRACE_COLLECT_DIR");
  const char *root = getenv("CTRACE_ROOT_PID");
  struct stat st;
  if (dir && *dir && root && strtoll(root, NULL, 10) != getpid() && stat(dir, &st) == 0 &&
      S_ISDIR(st.st_mode)) {
    snprintf(C.dir, sizeof C.dir, "%s", dir);
    C.child = true;
    return;
  }
  /* The root (or a run started afresh inside a traced program whose
   * folder is gone). */
  unsetenv("CTRACE_COLLECT_DIR");
  unsetenv("CTRACE_ROOT_PID");
  char origin[32];
  snprintf(origin, sizeof origin, "%" PRIu64, ct_clock_monotonic_ns());
  setenv("CTRACE_ORIGIN_NS", origin, 1);
  if (c->ignore_multiprocess) return;
  int rc = ct_collect_make_dir(C.dir, sizeof C.dir);
  if (rc) {
    C.dir[0] = 0;
    report(c->error, "cannot make a folder for child processes' traces: %s; children are not traced",
           strerror(-rc));
    return;
  }
  char pid[32];
  snprintf(pid, sizeof pid, "%lld", (long long)getpid());
  setenv("CTRACE_COLLECT_DIR", C.dir, 1);
  setenv("CTRACE_ROOT_PID", pid, 1);
  root_pid = getpid();
  atexit(remove_folder_at_exit);
}

bool ct_children_is_child(void) { return C.child; }

const char *ct_children_output(const char *output) {
  if (!C.child) return output;
  ct_collect_part_path(C.dir, getpid(), C.part, sizeof C.part);
  return C.part;
}

bool ct_children_report_failure(void) {
  return !C.child || access(C.dir, F_OK) == 0;
}

void ct_children_set_wait(bool wait) { C.no_wait = !wait; }

char *ct_children_process_name(void) {
  if (!C.child) return NULL;
  PyObject *mods = PySys_GetObject("modules"); /* borrowed */
  PyObject *mp = mods ? PyDict_GetItemString(mods, "multiprocessing.process") : NULL;
  if (!mp) return NULL;
  char *out = NULL;
  PyObject *cur = PyObject_CallMethod(mp, "current_process", NULL);
  PyObject *name = cur ? PyObject_GetAttrString(cur, "name") : NULL;
  if (name && PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "MainProcess") != 0) {
    const char *s = PyUnicode_AsUTF8(name);
    if (s) out = strdup(s);
  }
  Py_XDECREF(name);
  Py_XDECREF(cur);
  PyErr_Clear();
  return out;
}

void ct_children_wait(bool py_alive) {
  if (C.child || !C.dir[0] || C.no_wait) return;
  bool told = false;
  for (;;) {
    int64_t pids[16];
    size_t n = ct_collect_pending(C.dir, pids, 16);
    if (!n) return;
    if (!told && !C.cfg->quiet) {
      char list[16 * 24 + 8] = "";
      size_t len = 0;
      for (size_t i = 0; i < n && i < 16; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%lld", i ? ", " : "",
                                (long long)pids[i]);
      if (n > 16) snprintf(list + len, sizeof list - len, ", ...");
      report(C.cfg->note, "waiting for child processes: %s (Ctrl-C to stop waiting)", list);
    }
    told = true;
    if (py_alive) {
      if (PyErr_CheckSignals() < 0 || sigterm_pending) { /* Ctrl-C, SIGTERM */
        PyErr_Clear();
        return;
      }
      Py_BEGIN_ALLOW_THREADS
      usleep(5000);
      Py_END_ALLOW_THREADS
    } else {
      usleep(5000);
    }
  }
}

uint64_t ct_children_append_events(ct_dump *d) {
  if (C.child || !C.dir[0]) return 0;
  if (!C.collect) C.collect = ct_collect_new();
  if (!C.collect) return 0;
  ct_collect_append_events(C.collect, d, C.dir);
  return ct_collect_events(C.collect);
}

uint64_t ct_children_dropped(void) {
  return C.collect ? ct_collect_dropped(C.collect) : C.dropped;
}

void ct_children_forget_file(const char *path) { ct_collect_forget_file(C.collect, path); }

void ct_children_forget_function(const char *name) {
  ct_collect_forget_function(C.collect, name);
}

bool ct_children_write_files(ct_jw *w, bool comma) {
  return ct_collect_write_files(C.collect, w, comma);
}

bool ct_children_write_functions(ct_jw *w, bool comma) {
  return ct_collect_write_functions(C.collect, w, comma);
}

void ct_children_finish(void) {
  if (C.child) {
    ct_collect_done(C.dir, getpid());
    return;
  }
  if (C.dir[0]) {
    ct_collect_remove_dir(C.dir);
    C.dir[0] = 0;
  }
  C.dropped = ct_collect_dropped(C.collect);
  ct_collect_free(C.collect);
  C.collect = NULL;
}

/* ---- the helpers' entry points ----------------------------------------- */

/* _ctrace._register_child(pid): a child was started; the root waits for it. */
static PyObject *mod_register_child(PyObject *self, PyObject *arg) {
  long long pid = PyLong_AsLongLong(arg);
  if (pid == -1 && PyErr_Occurred()) return NULL;
  if (C.dir[0]) ct_collect_register(C.dir, pid);
  Py_RETURN_NONE;
}

/* _ctrace._after_fork_child(): in a forked child, before anything else
 * of the program runs there. */
static PyObject *mod_after_fork_child(PyObject *self, PyObject *unused) {
  if (C.dir[0]) C.child = true;
  ct_tracer_after_fork_child(C.dir[0] != 0);
  Py_RETURN_NONE;
}

static bool dumping;

int ct_children_dump(bool from_signal) {
  if (dumping) {
    if (from_signal) sigterm_pending = true;
    return 1;
  }
  dumping = true;
  ct_tracer_dump(true);
  dumping = false;
  if (sigterm_pending) {
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
  }
  return 0;
}

/* _ctrace._dump(): writes the trace now (os._exit, exec). */
static PyObject *mod_dump(PyObject *self, PyObject *unused) {
  ct_children_dump(false);
  Py_RETURN_NONE;
}

/* _ctrace._child_config(): (ctrace executable, option words, collecting) */
static PyObject *mod_child_config(PyObject *self, PyObject *unused) {
  const ct_run_config *c = C.cfg;
  PyObject *opts = PyTuple_New(c->opt_argc);
  if (!opts) return NULL;
  for (int i = 0; i < c->opt_argc; i++) {
    PyObject *s = PyUnicode_DecodeFSDefault(c->opt_argv[i]);
    if (!s) {
      Py_DECREF(opts);
      return NULL;
    }
    PyTuple_SET_ITEM(opts, i, s);
  }
  return Py_BuildValue("(sNO)", c->ctrace_exe ? c->ctrace_exe : "", opts,
                       C.dir[0] ? Py_True : Py_False);
}

PyMethodDef ct_children_methods[] = {
    {"_register_child", mod_register_child, METH_O, "register a child process to wait for"},
    {"_after_fork_child", mod_after_fork_child, METH_NOARGS, "set up a forked child"},
    {"_dump", mod_dump, METH_NOARGS, "write the trace now"},
    {"_child_config", mod_child_config, METH_NOARGS, "how to start traced children"},
    {NULL, NULL, 0, NULL},
};

int ct_children_install(void) {
  PyObject *m = ct__embed_load_helper("_ctrace_procs");
  if (!m) return -1;
  PyObject *r = PyObject_CallMethod(m, "install", "O", C.cfg->log_async ? Py_True : Py_False);
  Py_DECREF(m);
  if (!r) return -1;
  Py_DECREF(r);
  return 0;
}

/* The tracer: the C profile function, the per-thread shadow stacks, the
 * names of code objects and C functions, and the dump at exit. */
#define _GNU_SOURCE
#include "embed/tracer.h"
#include "embed/children.h"

#include "core/clock.h"
#include "core/dump.h"
#include "core/error.h"
#include "core/ring.h"
#include "core/strtab.h"

/* The hot path reads the code object of a frame and its extra slot directly
 * (3.11's internal layout) instead of through PyFrame_GetCode and
 * _PyCode_GetExtra, which cost a call and a reference count each. */
#define Py_BUILD_CORE 1
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One open call on a thread's shadow stack. */
typedef struct frame_entry {
  uint64_t start;
  uint32_t name;
  uint32_t is_c;
} frame_entry;

/* Per-thread state, passed to the profile function as its object. */
typedef struct {
  PyObject_HEAD
  uint32_t track;
  uint32_t home;    /* the thread's own track (track differs in a task) */
  uint32_t depth;
  uint32_t cap;
  uint32_t lost; /* pushes that found no room; their pops are ignored */
  frame_entry *stack;
  int64_t tid;
  bool armed;       /* false on the main thread until the program starts */
  PyObject *thread; /* the threading.Thread, or NULL */
  char *name;       /* last known thread name */
} ThreadObject;

static void thread_dealloc(PyObject *self) {
  ThreadObject *t = (ThreadObject *)self;
  Py_XDECREF(t->thread);
  free(t->stack);
  free(t->name);
  Py_TYPE(self)->tp_free(self);
}

static PyTypeObject ThreadType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_ctrace.ThreadState",
    .tp_basicsize = sizeof(ThreadObject),
    .tp_dealloc = thread_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ctrace's state for one traced thread",
};

/* A C function's name, keyed by its method definition and, for methods,
 * the type it is bound to (held by a strong reference so that the address
 * is never reused for another type while the entry exists). */
struct cfunc_slot {
  const PyMethodDef *ml;
  PyObject *owner;
  uint32_t name;
};

struct func_info {
  uint32_t name;
  uint32_t file; /* id in T.files */
  int line;
};

static struct tracer {
  const ct_run_config *cfg;
  ct_ring ring;
  ct_strtab *names;
  ct_strtab *files;
  bool enabled;
  bool dumped;
  bool failed;
  ThreadObject **threads;
  uint32_t nthreads, cap_threads;
  struct func_info *funcs;
  size_t nfuncs, cap_funcs;
  struct cfunc_slot *cslots;
  uint32_t ncslots, ncused;
  Py_ssize_t extra_index;
  uint32_t hidden; /* the name of ctrace's own helpers: never written */
  uint64_t profile_events;
  uint64_t start_tick, main_end_tick;
  uint64_t origin_ns;
  int64_t pid;
  ThreadObject *main;
} T;

static int64_t current_tid(void) { return (int64_t)syscall(SYS_gettid); }

/* ---- names ---------------------------------------------------------- */

static uint32_t intern_or_unknown(const char *s, size_t n) {
  int64_t id = ct_strtab_intern(T.names, s, n);
  if (id < 0) id = ct_strtab_intern(T.names, "?", 1);
  return id < 0 ? 0 : (uint32_t)id;
}

static void note_function(uint32_t name, const char *file, int line) {
  if (file[0] != '/') return;
  int64_t fid = ct_strtab_intern(T.files, file, strlen(file));
  if (fid < 0) return;
  if (T.nfuncs == T.cap_funcs) {
    size_t cap = T.cap_funcs ? T.cap_funcs * 2 : 1024;
    struct func_info *f = realloc(T.funcs, cap * sizeof *f);
    if (!f) return;
    T.funcs = f;
    T.cap_funcs = cap;
  }
  T.funcs[T.nfuncs++] = (struct func_info){name, (uint32_t)fid, line};
}

/* Slow path, once per code object: builds "qualname (/abs/file.py:line)"
 * and caches the id in the code object's extra slot. */
static uint32_t resolve_code(PyCodeObject *co) {
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb); /* keep an exception in flight intact */
  const char *qual = PyUnicode_AsUTF8(co->co_qualname);
  if (!qual) {
    PyErr_Clear();
    qual = "?";
  }
  const char *file = PyUnicode_AsUTF8(co->co_filename);
  if (!file) {
    PyErr_Clear();
    file = "?";
  }
  if (strncmp(file, "<ctrace>/", 9) == 0) { /* embed/python/: not the program's */
    _PyCode_SetExtra((PyObject *)co, T.extra_index, (void *)(uintptr_t)(T.hidden + 1));
    PyErr_Clear();
    PyErr_Restore(et, ev, tb);
    return T.hidden;
  }
  char cwd[PATH_MAX];
  const char *dir = "";
  if (file[0] != '/' && file[0] != '<' && getcwd(cwd, sizeof cwd)) dir = cwd;
  size_t n = strlen(qual) + strlen(dir) + strlen(file) + 32;
  char *buf = malloc(n);
  uint32_t id;
  if (buf) {
    int len;
    if (*dir)
      len = snprintf(buf, n, "%s (%s/%s:%d)", qual, dir, file, co->co_firstlineno);
    else
      len = snprintf(buf, n, "%s (%s:%d)", qual, file, co->co_firstlineno);
    uint32_t before = ct_strtab_count(T.names);
    id = intern_or_unknown(buf, (size_t)len);
    if (ct_strtab_count(T.names) != before) {
      /* the absolute file name sits between "(" and ":line)" */
      char *open = buf + strlen(qual) + 2;
      char *colon = strrchr(open, ':');
      if (colon) *colon = 0;
      note_function(id, open, co->co_firstlineno);
    }
    free(buf);
  } else {
    id = intern_or_unknown("?", 1);
  }
  _PyCode_SetExtra((PyObject *)co, T.extra_index, (void *)(uintptr_t)(id + 1));
  PyErr_Clear();
  PyErr_Restore(et, ev, tb);
  return id;
}

/* The layout of co_extra in 3.11 (Objects/codeobject.c keeps the struct
 * private); only ever read here, and written through _PyCode_SetExtra. */
typedef struct {
  Py_ssize_t ce_size;
  void *ce_extras[1];
} code_extra;

static inline uint32_t code_name(PyCodeObject *co, bool *slow) {
  code_extra *x = co->co_extra;
  if (x && x->ce_size > T.extra_index) {
    void *extra = x->ce_extras[T.extra_index];
    if (extra) return (uint32_t)((uintptr_t)extra - 1);
  }
  *slow = true;
  return resolve_code(co);
}

static inline PyCodeObject *frame_code(PyFrameObject *frame) {
  return frame->f_frame->f_code;
}

static inline uint32_t cslot_hash(const void *ml, const void *owner) {
  uint64_t h = ((uintptr_t)ml ^ ((uintptr_t)owner * 31)) * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(h >> 32);
}

static void cslots_grow(void) {
  uint32_t n = T.ncslots ? T.ncslots * 2 : 1024;
  struct cfunc_slot *s = calloc(n, sizeof *s);
  if (!s) return;
  for (uint32_t i = 0; i < T.ncslots; i++) {
    struct cfunc_slot *o = &T.cslots[i];
    if (!o->ml) continue;
    uint32_t j = cslot_hash(o->ml, o->owner) & (n - 1);
    while (s[j].ml) j = (j + 1) & (n - 1);
    s[j] = *o;
  }
  free(T.cslots);
  T.cslots = s;
  T.ncslots = n;
}

static uint32_t resolve_cfunc(PyCFunctionObject *fn, PyObject *owner) {
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb);
  const char *mname = fn->m_ml->ml_name ? fn->m_ml->ml_name : "?";
  char buf[512];
  int len;
  if (owner) {
    PyTypeObject *tp = (PyTypeObject *)owner;
    const char *tname = NULL;
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE)
      tname = PyUnicode_AsUTF8(((PyHeapTypeObject *)tp)->ht_qualname);
    if (!tname) {
      PyErr_Clear();
      tname = _PyType_Name(tp);
    }
    len = snprintf(buf, sizeof buf, "%s.%s", tname, mname);
  } else {
    const char *mod = NULL;
    if (fn->m_module && PyUnicode_Check(fn->m_module)) mod = PyUnicode_AsUTF8(fn->m_module);
    else if (fn->m_self && PyModule_Check(fn->m_self)) mod = PyModule_GetName(fn->m_self);
    if (!mod) PyErr_Clear();
    len = mod ? snprintf(buf, sizeof buf, "%s.%s", mod, mname)
              : snprintf(buf, sizeof buf, "%s", mname);
  }
  if (len >= (int)sizeof buf) len = sizeof buf - 1;
  uint32_t id = intern_or_unknown(buf, (size_t)len);
  if (!owner && strncmp(buf, "_ctrace.", 8) == 0) id = T.hidden;
  PyErr_Clear();
  PyErr_Restore(et, ev, tb);

  if (T.ncused * 2 >= T.ncslots) cslots_grow();
  if (T.ncused * 2 < T.ncslots) {
    uint32_t j = cslot_hash(fn->m_ml, owner) & (T.ncslots - 1);
    while (T.cslots[j].ml) j = (j + 1) & (T.ncslots - 1);
    Py_XINCREF(owner);
    T.cslots[j] = (struct cfunc_slot){fn->m_ml, owner, id};
    T.ncused++;
  }
  return id;
}

static inline uint32_t cfunc_name(PyObject *arg, bool *slow) {
  if (!PyCFunction_Check(arg)) {
    *slow = true;
    const char *tn = _PyType_Name(Py_TYPE(arg));
    return intern_or_unknown(tn, strlen(tn));
  }
  PyCFunctionObject *fn = (PyCFunctionObject *)arg;
  PyObject *self = fn->m_self;
  PyObject *owner = NULL;
  if (self && !PyModule_Check(self))
    owner = PyType_Check(self) ? self : (PyObject *)Py_TYPE(self);
  if (T.ncslots) {
    uint32_t j = cslot_hash(fn->m_ml, owner) & (T.ncslots - 1);
    while (T.cslots[j].ml) {
      if (T.cslots[j].ml == fn->m_ml && T.cslots[j].owner == owner) return T.cslots[j].name;
      j = (j + 1) & (T.ncslots - 1);
    }
  }
  *slow = true;
  return resolve_cfunc(fn, owner);
}

/* ---- the hot path ----------------------------------------------------- */

static bool grow_stack(ThreadObject *t) {
  uint32_t cap = t->cap ? t->cap * 2 : 256;
  frame_entry *s = realloc(t->stack, cap * sizeof *s);
  if (!s) return false;
  t->stack = s;
  t->cap = cap;
  return true;
}

static inline void push(ThreadObject *t, uint64_t now, uint32_t name, uint32_t is_c) {
  if (t->depth == t->cap && (t->lost || !grow_stack(t))) {
    t->lost++;
    return;
  }
  frame_entry *f = &t->stack[t->depth++];
  f->start = now;
  f->name = name;
  f->is_c = is_c;
}

static inline void emit(ThreadObject *t, const frame_entry *f, uint64_t now) {
  if (__builtin_expect(f->name == T.hidden, 0)) return;
  ct_event *e = ct_ring_next(&T.ring);
  e->ts = f->start;
  e->dur = now - f->start;
  e->name = f->name;
  e->track = t->track;
  e->arg = 0;
  e->kind = CT_EV_SLICE;
  e->flags = 0;
  e->reserved = 0;
}

/* Closes the innermost call. A Python return also closes C calls left
 * open above it (their return was not seen); a C return never closes a
 * Python call. */
static inline void pop(ThreadObject *t, uint64_t now, uint32_t is_c) {
  if (t->lost) {
    t->lost--;
    return;
  }
  while (t->depth) {
    frame_entry *f = &t->stack[t->depth - 1];
    if (is_c && !f->is_c) return;
    t->depth--;
    emit(t, f, now);
    if (f->is_c == is_c) return;
  }
}

/* Whether CO is where the program itself starts: python3's runner calls a
 * little Python of its own first (the __main__ loader, runpy's import),
 * which is not the program's. */
static bool is_program_start(PyCodeObject *co) {
  const char *name = PyUnicode_AsUTF8(co->co_name);
  const char *file = PyUnicode_AsUTF8(co->co_filename);
  if (!name || !file) {
    PyErr_Clear();
    return false;
  }
  switch (T.cfg->target_kind) {
  case CT_TARGET_MODULE: return strcmp(name, "_run_module_as_main") == 0;
  case CT_TARGET_COMMAND: return strcmp(name, "<module>") == 0 && strcmp(file, "<string>") == 0;
  default:
    /* A script, or a folder whose __main__ runpy runs. */
    return (strcmp(name, "<module>") == 0 && strncmp(file, "<frozen ", 8) != 0) ||
           strcmp(name, "_run_module_as_main") == 0;
  }
}

static int profile_cb(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg) {
  if (!T.enabled) return 0;
  uint64_t now = ct_clock_ticks();
  ThreadObject *t = (ThreadObject *)obj;
  if (__builtin_expect(!t->armed, 0)) {
    if (what != PyTrace_CALL || !is_program_start(frame_code(frame))) return 0;
    t->armed = true;
    T.start_tick = now;
  }
  T.profile_events++;
  bool slow = false;
  switch (what) {
  case PyTrace_CALL: {
    uint32_t name = code_name(frame_code(frame), &slow);
    /* Do not charge the one-off name lookup to the call. */
    push(t, slow ? ct_clock_ticks() : now, name, 0);
    break;
  }
  case PyTrace_C_CALL: {
    uint32_t name = cfunc_name(arg, &slow);
    push(t, slow ? ct_clock_ticks() : now, name, 1);
    break;
  }
  case PyTrace_RETURN:
    pop(t, now, 0);
    break;
  case PyTrace_C_RETURN:
  case PyTrace_C_EXCEPTION:
    pop(t, now, 1);
    break;
  }
  return 0;
}

/* ---- threads ---------------------------------------------------------- */

static char *thread_name_of(PyObject *thread) {
  if (!thread) return NULL;
  PyObject *name = PyObject_GetAttrString(thread, "name");
  const char *s = name && PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
  char *out = s ? strdup(s) : NULL;
  Py_XDECREF(name);
  PyErr_Clear();
  return out;
}

static PyObject *current_thread(void) {
  PyObject *mod = PyImport_ImportModule("threading");
  if (!mod) {
    PyErr_Clear();
    return NULL;
  }
  PyObject *cur = PyObject_CallMethod(mod, "current_thread", NULL);
  Py_DECREF(mod);
  if (!cur) PyErr_Clear();
  return cur;
}

static ThreadObject *new_thread_state(void) {
  if (T.nthreads == T.cap_threads) {
    uint32_t cap = T.cap_threads ? T.cap_threads * 2 : 16;
    ThreadObject **a = realloc(T.threads, cap * sizeof *a);
    if (!a) {
      PyErr_NoMemory();
      return NULL;
    }
    T.threads = a;
    T.cap_threads = cap;
  }
  ThreadObject *t = PyObject_New(ThreadObject, &ThreadType);
  if (!t) return NULL;
  t->track = t->home = T.nthreads;
  t->armed = true;
  t->depth = t->cap = t->lost = 0;
  t->stack = NULL;
  t->tid = current_tid();
  t->thread = current_thread();
  t->name = thread_name_of(t->thread);
  if (!grow_stack(t)) {
    Py_DECREF(t);
    PyErr_NoMemory();
    return NULL;
  }
  T.threads[T.nthreads++] = t; /* the table keeps this reference */
  return t;
}

int ct_tracer_start_main(void) {
  ThreadObject *t = new_thread_state();
  if (!t) return -1;
  T.main = t;
  t->armed = false;
  if (!t->name) t->name = strdup("MainThread");
  T.start_tick = ct_clock_ticks();
  T.enabled = true;
  PyEval_SetProfile(profile_cb, (PyObject *)t);
  return 0;
}

int ct_tracer_start_thread(PyFrameObject *frame) {
  if (!T.enabled) {
    PyEval_SetProfile(NULL, NULL);
    return 0;
  }
  ThreadObject *t = new_thread_state();
  if (!t) return -1;
  if (frame) {
    bool slow = false;
    PyCodeObject *co = PyFrame_GetCode(frame);
    uint32_t name = code_name(co, &slow);
    Py_DECREF(co);
    push(t, ct_clock_ticks(), name, 0);
  }
  PyEval_SetProfile(profile_cb, (PyObject *)t);
  return 0;
}

void ct_tracer_main_finished(void) {
  if (!T.main) return;
  T.main_end_tick = ct_clock_ticks();
  /* Only the call to _shutdown and this function are still open. */
  T.main->depth = 0;
  T.main->lost = 0;
  PyEval_SetProfile(NULL, NULL);
}

/* ---- fork and extra tracks -------------------------------------------- */

void ct_tracer_after_fork_child(bool trace) {
  PyThreadState *ts = PyThreadState_Get();
  ThreadObject *cur = NULL;
  for (uint32_t i = 0; i < T.nthreads; i++)
    if ((PyObject *)T.threads[i] == ts->c_profileobj) cur = T.threads[i];
  T.pid = getpid();
  if (!trace) {
    T.enabled = false;
    T.dumped = true; /* the child writes nothing */
    PyEval_SetProfile(NULL, NULL);
    return;
  }
  /* Only the forking thread lives on; the events are the parent's. */
  ct_ring_clear(&T.ring);
  T.profile_events = 0;
  for (uint32_t i = 0; i < T.nthreads; i++)
    if (T.threads[i] != cur) Py_DECREF(T.threads[i]);
  T.nthreads = 0;
  T.main = cur;
  T.main_end_tick = 0;
  if (cur) {
    cur->track = cur->home = 0;
    cur->tid = current_tid();
    T.threads[T.nthreads++] = cur;
  }
}

int64_t ct_tracer_new_track(const char *name) {
  if (T.nthreads == T.cap_threads) {
    uint32_t cap = T.cap_threads ? T.cap_threads * 2 : 16;
    ThreadObject **a = realloc(T.threads, cap * sizeof *a);
    if (!a) {
      PyErr_NoMemory();
      return -1;
    }
    T.threads = a;
    T.cap_threads = cap;
  }
  ThreadObject *t = PyObject_New(ThreadObject, &ThreadType);
  if (!t) return -1;
  t->track = t->home = T.nthreads;
  t->armed = true;
  t->depth = t->cap = t->lost = 0;
  t->stack = NULL;
  /* A tid of its own, away from real thread ids (at most 2^22 on Linux). */
  t->tid = ((int64_t)1 << 30) + T.nthreads;
  t->thread = NULL;
  t->name = strdup(name ? name : "Task");
  T.threads[T.nthreads++] = t;
  return t->track;
}

void ct_tracer_switch_track(uint32_t track) {
  PyObject *obj = PyThreadState_Get()->c_profileobj;
  if (!obj || Py_TYPE(obj) != &ThreadType) return;
  ThreadObject *t = (ThreadObject *)obj;
  t->track = track == UINT32_MAX || track >= T.nthreads ? t->home : track;
}

/* ---- set-up and dump -------------------------------------------------- */

int ct_tracer_init(const ct_run_config *c) {
  T.cfg = c;
  T.pid = getpid();
  ct_clock_init();
  const char *origin = getenv("CTRACE_ORIGIN_NS");
  T.origin_ns = origin ? strtoull(origin, NULL, 10) : 0;
  if (!T.origin_ns) T.origin_ns = ct_clock_monotonic_ns();
  if (PyType_Ready(&ThreadType) < 0) return -1;
  T.extra_index = _PyEval_RequestCodeExtraIndex(NULL);
  if (T.extra_index < 0) {
    PyErr_SetString(PyExc_RuntimeError, "no free code-object extra slot");
    return -1;
  }
  T.names = ct_strtab_new();
  T.files = ct_strtab_new();
  if (!T.names || !T.files || ct_ring_init(&T.ring, c->tracer_entries) < 0) {
    PyErr_NoMemory();
    return -1;
  }
  cslots_grow();
  T.hidden = intern_or_unknown("<ctrace>", 8);
  return 0;
}

static const char *process_name(void) {
  static char buf[256];
  static char *child_name;
  if (!child_name && Py_IsInitialized()) child_name = ct_children_process_name();
  if (child_name) return child_name;
  const char *t = T.cfg->target;
  switch (T.cfg->target_kind) {
  case CT_TARGET_MODULE: return t;
  case CT_TARGET_COMMAND: return "python -c";
  default: {
    size_t n = strlen(t);
    while (n > 1 && t[n - 1] == '/') n--; /* a folder given as "app/" */
    size_t b = n;
    while (b && t[b - 1] != '/') b--;
    snprintf(buf, sizeof buf, "%.*s", (int)(n - b), t + b);
    return buf;
  }
  }
}

static void write_footer(ct_dump *d, const ct_clock_map *m) {
  ct_jw *w = &d->jw;
  uint64_t dropped = ct_ring_dropped(&T.ring) + ct_children_dropped();
  ct_jw_cstr(w, ",\"ctrace_metadata\":{\"version\":");
  ct_jw_cstr_quoted(w, CTRACE_VERSION);
  ct_jw_cstr(w, ",\"python\":");
  ct_jw_cstr_quoted(w, ct_embed_python_version());
  ct_jw_cstr(w, ",\"overflow\":");
  ct_jw_cstr(w, dropped ? "true" : "false");
  ct_jw_cstr(w, ",\"dropped_events\":");
  ct_jw_u64(w, dropped);
  ct_jw_cstr(w, ",\"tracer_entries\":");
  ct_jw_u64(w, T.ring.cap);
  ct_jw_cstr(w, ",\"origin_monotonic_ns\":");
  ct_jw_u64(w, T.origin_ns);
  ct_jw_cstr(w, ",\"clock\":");
  ct_jw_cstr(w, ct_clock_is_tsc() ? "\"tsc\"" : "\"monotonic\"");
  ct_jw_cstr(w, "},\"file_info\":{\"files\":{");
  bool comma = false;
  size_t total = 0;
  for (uint32_t i = 0; i < ct_strtab_count(T.files); i++) {
    const char *path = ct_strtab_str(T.files, i, NULL);
    /* Sources are for showing code; cap each file and the sum. */
    if (total > (256u << 20)) break;
    if (ct_dump_file_source(d, path, 8u << 20, comma)) {
      comma = true;
      ct_children_forget_file(path); /* the children's copy is the same */
    }
    total += 1;
  }
  ct_children_write_files(w, comma);
  ct_jw_cstr(w, "},\"functions\":{");
  for (size_t i = 0; i < T.nfuncs; i++) {
    size_t nl;
    const char *nj = ct_strtab_json(T.names, T.funcs[i].name, &nl);
    if (i) ct_jw_char(w, ',');
    ct_jw_raw(w, nj, nl);
    ct_jw_raw(w, ":[", 2);
    size_t fl;
    const char *fj = ct_strtab_json(T.files, T.funcs[i].file, &fl);
    ct_jw_raw(w, fj, fl);
    ct_jw_char(w, ',');
    ct_jw_i64(w, T.funcs[i].line);
    ct_jw_char(w, ']');
    ct_children_forget_function(ct_strtab_str(T.names, T.funcs[i].name, NULL));
  }
  ct_children_write_functions(w, T.nfuncs > 0);
  ct_jw_cstr(w, "}}");
  (void)m;
}

static void report(ct_report_fn fn, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fn(fmt, ap);
  va_end(ap);
}

int ct_tracer_dump(bool py_alive) {
  if (T.dumped || !T.cfg) return 0;
  T.dumped = true;
  T.enabled = false;
  uint64_t stop = ct_clock_ticks();
  ct_children_wait(py_alive);
  const char *output = ct_children_output(T.cfg->output);
  bool quiet = T.cfg->quiet || ct_children_is_child();
  uint64_t dump_start_ns = ct_clock_monotonic_ns();
  if (py_alive) {
    for (uint32_t i = 0; i < T.nthreads; i++) {
      char *n = thread_name_of(T.threads[i]->thread);
      if (n) {
        free(T.threads[i]->name);
        T.threads[i]->name = n;
      }
    }
  }
  ct_clock_map m;
  ct_clock_map_make(&m, T.origin_ns);

  ct_dump d;
  int rc = ct_dump_open(&d, output);
  if (rc) goto fail;
  ct_dump_process_name(&d, T.pid, process_name());
  ct_dump_track *tracks = malloc((T.nthreads ? T.nthreads : 1) * sizeof *tracks);
  if (!tracks) {
    ct_dump_abort(&d);
    rc = -ENOMEM;
    goto fail;
  }
  for (uint32_t i = 0; i < T.nthreads; i++) {
    ThreadObject *t = T.threads[i];
    tracks[i] = (ct_dump_track){T.pid, t->tid};
    char fallback[32];
    snprintf(fallback, sizeof fallback, "Thread-%lld", (long long)t->tid);
    ct_dump_thread_name(&d, T.pid, t->tid, t->name ? t->name : fallback);
  }
  ct_dump_ring(&d, &T.ring, T.names, tracks, T.nthreads, &m, NULL, NULL);
  /* Calls still open (threads still running, a signal mid-call) end now. */
  uint64_t open_slices = 0;
  for (uint32_t i = 0; i < T.nthreads; i++) {
    ThreadObject *t = T.threads[i];
    for (uint32_t k = 0; k < t->depth; k++) {
      int64_t ts = ct_clock_map_ns(&m, t->stack[k].start);
      int64_t end = ct_clock_map_ns(&m, stop);
      size_t nl;
      if (t->stack[k].name == T.hidden) continue;
      const char *nj = ct_strtab_json(T.names, t->stack[k].name, &nl);
      ct_dump_slice(&d, T.pid, t->tid, ts, end - ts, nj, nl, NULL, 0);
      open_slices++;
    }
  }
  free(tracks);
  uint64_t child_events = ct_children_append_events(&d);
  ct_dump_end_events(&d);
  write_footer(&d, &m);
  uint64_t nevents = ct_ring_count(&T.ring) + open_slices + child_events;
  rc = ct_dump_commit(&d);
  ct_children_finish();
  if (rc) goto fail;

  uint64_t dump_ns = ct_clock_monotonic_ns() - dump_start_ns;
  if (!quiet) {
    uint64_t dropped = ct_ring_dropped(&T.ring) + ct_children_dropped();
    if (dropped)
      report(T.cfg->note,
             "saved %llu events to %s (%llu older events dropped: the buffer holds %llu; "
             "raise --tracer-entries to keep them)",
             (unsigned long long)nevents, T.cfg->output, (unsigned long long)dropped,
             (unsigned long long)T.ring.cap);
    else
      report(T.cfg->note, "saved %llu events to %s", (unsigned long long)nevents, T.cfg->output);
  }
  if (T.cfg->report_timing && !ct_children_is_child()) {
    uint64_t end_tick = T.main_end_tick ? T.main_end_tick : stop;
    int64_t run_ns = ct_clock_map_ns(&m, end_tick) - ct_clock_map_ns(&m, T.start_tick);
    report(T.cfg->note,
           "timing {\"run_ns\":%lld,\"profile_events\":%llu,\"events\":%llu,\"dump_ns\":%llu,"
           "\"clock\":\"%s\"}",
           (long long)run_ns, (unsigned long long)T.profile_events,
           (unsigned long long)nevents, (unsigned long long)dump_ns,
           ct_clock_is_tsc() ? "tsc" : "monotonic");
  }
  return 0;

fail:
  /* A child's exit status stays the program's own whatever happens to its
   * part; the root's turns into ctrace's failure. */
  T.failed = !ct_children_is_child();
  ct_children_finish();
  if (ct_children_report_failure())
    report(T.cfg->error, "cannot write '%s': %s", output, ct_strerror(rc));
  return rc;
}

bool ct_tracer_failed(void) { return T.failed; }

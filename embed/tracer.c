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
#include <math.h>
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
  uint16_t flags;  /* E_* */
  uint16_t reserved;
  PyObject *args;  /* a dict of extra data for the slice, or NULL */
} frame_entry;

enum {
  E_C = 1,           /* a C function */
  E_SKIP = 2,        /* filtered out: not written */
  E_IGNORE_ROOT = 4, /* an @ignore_function call: nothing below is written */
  E_SPARSE_ROOT = 8, /* a @log_sparse call that opened a window */
};

#define NO_DEPTH UINT32_MAX

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
  uint32_t ignore_depth; /* depth of an open @ignore_function call, or NO_DEPTH */
  uint32_t sparse_hi;    /* deepest depth written inside @log_sparse, or NO_DEPTH */
  PyObject *thread; /* the threading.Thread, or NULL */
  PyObject *last_exc; /* --log-exception: the last exception logged */
  char *name;       /* last known thread name */
} ThreadObject;

static void thread_dealloc(PyObject *self) {
  ThreadObject *t = (ThreadObject *)self;
  for (uint32_t i = 0; i < t->depth; i++) Py_XDECREF(t->stack[i].args);
  Py_XDECREF(t->thread);
  Py_XDECREF(t->last_exc);
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
  uint64_t profile_events;
  uint64_t start_tick, main_end_tick;
  uint64_t origin_ns;
  int64_t pid;
  ThreadObject *main;

  /* Filters; any_filter says whether any is on, so the hot path checks one
   * flag when none is. */
  bool any_filter;
  bool ignore_c;
  uint32_t max_depth;   /* NO_DEPTH: no limit */
  uint64_t min_ticks;
  bool file_filter;     /* include or exclude files given */
  bool include_mode;
  /* Extra data of slices (arguments, return values, custom args) and of
   * instants and counters, as JSON object texts; events refer to them by
   * index + 1. Slots of events overwritten in the ring are reused. */
  bool want_args;       /* --log-func-args or --log-func-retval */
  bool log_retval;      /* --log-func-retval */
  bool call_slow;       /* any filter or argument logging: calls take the slow path */
  char **args;
  uint32_t nargs, cap_args;
  uint32_t *free_args;
  uint32_t nfree_args, cap_free_args;
  PyObject *json_dumps; /* a callable: obj -> JSON text */
  PyObject *entry_match;/* a callable: name -> bool, for --log-func-entry */
  uint64_t sync_marker; /* ticks of set_sync_marker(), or 0 */
  /* The last C function looked up (a one-entry cache in front of cslots;
   * OWNER is held by the cslots entry). */
  const PyMethodDef *c_last_ml;
  PyObject *c_last_owner;
  uint32_t c_last_name;
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

/* What a code object's cache slot holds: the name id + 1 in the low 32
 * bits, C_* flags above, and a @log_sparse depth above those. */
enum {
  C_EXCLUDED = 1, /* its file is filtered out (--include/--exclude-files, --ignore-frozen) */
  C_IGNORE = 2,   /* @ignore_function */
  C_SPARSE = 4,   /* @log_sparse */
  C_ENTRY = 8,    /* --log-func-entry matches */
  C_HIDE = 16,    /* a wrapper of ours: not written, what it calls is */
};
#define CODE_NAME(v) ((uint32_t)(v) - 1)
#define CODE_FLAGS(v) ((uint32_t)(((v) >> 32) & 0xff))
#define CODE_SPARSE_DEPTH(v) ((uint32_t)((v) >> 40))

static bool path_matches(const char *file, char **paths, int n) {
  for (int i = 0; i < n; i++) {
    size_t k = strlen(paths[i]);
    while (k > 1 && paths[i][k - 1] == '/') k--;
    if (strncmp(file, paths[i], k) == 0 && (file[k] == 0 || file[k] == '/')) return true;
  }
  return false;
}

/* Whether calls of code in FILE are filtered out by file. */
static bool file_excluded(const char *file) {
  if (T.cfg->ignore_frozen && strncmp(file, "<frozen ", 8) == 0) return true;
  if (!T.cfg->n_include_files && !T.cfg->n_exclude_files) return false;
  if (T.include_mode) return !path_matches(file, T.cfg->include_files, T.cfg->n_include_files);
  return path_matches(file, T.cfg->exclude_files, T.cfg->n_exclude_files);
}

/* Slow path, once per code object: builds "qualname (/abs/file.py:line)",
 * decides the filters, and caches both in the code object's extra slot. */
static uint64_t resolve_code(PyCodeObject *co) {
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
  char cwd[PATH_MAX];
  const char *dir = "";
  if (file[0] != '/' && file[0] != '<' && getcwd(cwd, sizeof cwd)) dir = cwd;
  size_t n = strlen(qual) + strlen(dir) + strlen(file) + 32;
  char *buf = malloc(n);
  uint32_t id;
  uint32_t flags = 0;
  if (buf) {
    int len;
    if (*dir)
      len = snprintf(buf, n, "%s (%s/%s:%d)", qual, dir, file, co->co_firstlineno);
    else
      len = snprintf(buf, n, "%s (%s:%d)", qual, file, co->co_firstlineno);
    uint32_t before = ct_strtab_count(T.names);
    id = intern_or_unknown(buf, (size_t)len);
    /* the absolute file name sits between "(" and ":line)" */
    char *open = buf + strlen(qual) + 2;
    char *colon = strrchr(open, ':');
    if (colon) *colon = 0;
    if (file_excluded(open)) flags |= C_EXCLUDED;
    if (ct_strtab_count(T.names) != before) note_function(id, open, co->co_firstlineno);
    free(buf);
  } else {
    id = intern_or_unknown("?", 1);
  }
  if (T.entry_match) {
    size_t nl;
    const char *name = ct_strtab_str(T.names, id, &nl);
    PyObject *r = PyObject_CallFunction(T.entry_match, "s#", name, (Py_ssize_t)nl);
    if (r && PyObject_IsTrue(r) == 1) flags |= C_ENTRY;
    Py_XDECREF(r);
  }
  uint64_t v = (uint64_t)(id + 1) | ((uint64_t)flags << 32);
  _PyCode_SetExtra((PyObject *)co, T.extra_index, (void *)(uintptr_t)v);
  PyErr_Clear();
  PyErr_Restore(et, ev, tb);
  return v;
}

/* The layout of co_extra in 3.11 (Objects/codeobject.c keeps the struct
 * private); only ever read here, and written through _PyCode_SetExtra. */
typedef struct {
  Py_ssize_t ce_size;
  void *ce_extras[1];
} code_extra;

/* The cache slot of CO (see C_*), resolving it on first sight. */
static inline uint64_t code_info(PyCodeObject *co, bool *slow) {
  code_extra *x = co->co_extra;
  if (x && x->ce_size > T.extra_index) {
    void *extra = x->ce_extras[T.extra_index];
    if (extra) return (uint64_t)(uintptr_t)extra;
  }
  *slow = true;
  return resolve_code(co);
}

static inline PyCodeObject *frame_code(PyFrameObject *frame) {
  return frame->f_frame->f_code;
}

/* Marks CO as @ignore_function or @log_sparse (with DEPTH levels below). */
static void mark_code(PyCodeObject *co, uint32_t flag, uint32_t depth) {
  bool slow = false;
  uint64_t v = code_info(co, &slow);
  v |= (uint64_t)flag << 32;
  if (flag == C_SPARSE) v = (v & 0xffffffffffull) | ((uint64_t)(depth & 0xffffff) << 40);
  _PyCode_SetExtra((PyObject *)co, T.extra_index, (void *)(uintptr_t)v);
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
  if (self) {
    /* Functions of modules are named module.name, methods Type.name. The
     * tests are ordered so that the common cases (module functions,
     * methods of built-in types) need no subtype walk. */
    PyTypeObject *tp = Py_TYPE(self);
    if (tp == &PyModule_Type) owner = NULL;
    else if (PyType_FastSubclass(tp, Py_TPFLAGS_TYPE_SUBCLASS)) owner = self;
    else if ((tp->tp_flags & Py_TPFLAGS_HEAPTYPE) && PyModule_Check(self)) owner = NULL;
    else owner = (PyObject *)tp;
  }
  /* The same C function is often called many times in a row. */
  if (fn->m_ml == T.c_last_ml && owner == T.c_last_owner && T.c_last_ml) return T.c_last_name;
  uint32_t name;
  if (T.ncslots) {
    uint32_t j = cslot_hash(fn->m_ml, owner) & (T.ncslots - 1);
    while (T.cslots[j].ml) {
      if (T.cslots[j].ml == fn->m_ml && T.cslots[j].owner == owner) {
        name = T.cslots[j].name;
        goto found;
      }
      j = (j + 1) & (T.ncslots - 1);
    }
  }
  *slow = true;
  /* Cached once the table holds it (with a reference to OWNER): next time. */
  return resolve_cfunc(fn, owner);
found:
  T.c_last_ml = fn->m_ml;
  T.c_last_owner = owner;
  T.c_last_name = name;
  return name;
}

/* ---- extra data of events -------------------------------------------- */

/* Stores a JSON object text (taking ownership of TEXT); returns its index
 * + 1 for an event's arg field, or 0 when out of memory. */
static uint32_t args_store(char *text) {
  if (!text) return 0;
  if (T.nfree_args) {
    uint32_t i = T.free_args[--T.nfree_args];
    T.args[i] = text;
    return i + 1;
  }
  if (T.nargs == T.cap_args) {
    uint32_t cap = T.cap_args ? T.cap_args * 2 : 1024;
    char **a = realloc(T.args, cap * sizeof *a);
    if (!a) {
      free(text);
      return 0;
    }
    T.args = a;
    T.cap_args = cap;
  }
  T.args[T.nargs] = text;
  return ++T.nargs;
}

static void args_release(uint32_t arg) {
  uint32_t i = arg - 1;
  free(T.args[i]);
  T.args[i] = NULL;
  if (T.nfree_args == T.cap_free_args) {
    uint32_t cap = T.cap_free_args ? T.cap_free_args * 2 : 1024;
    uint32_t *f = realloc(T.free_args, cap * sizeof *f);
    if (!f) return; /* the slot is lost, nothing worse */
    T.free_args = f;
    T.cap_free_args = cap;
  }
  T.free_args[T.nfree_args++] = i;
}

static const char *args_json(void *ctx, uint32_t arg, size_t *len) {
  const char *s = arg && arg <= T.nargs ? T.args[arg - 1] : NULL;
  if (s) *len = strlen(s);
  return s;
}

/* json.dumps(obj, default=repr, ensure_ascii=False), made on first use
 * (importing json costs start-up time that most runs never need). */
static PyObject *json_dumps(void) {
  if (T.json_dumps) return T.json_dumps;
  PyObject *json = PyImport_ImportModule("json");
  if (!json) return NULL;
  PyObject *dumps = PyObject_GetAttrString(json, "dumps");
  Py_DECREF(json);
  if (!dumps) return NULL;
  /* json.dumps(obj, default=repr, ensure_ascii=False, allow_nan=False) */
  PyObject *functools = PyImport_ImportModule("functools");
  PyObject *builtins = PyEval_GetBuiltins();
  if (!functools || !builtins) {
    Py_XDECREF(functools);
    Py_DECREF(dumps);
    return NULL;
  }
  PyObject *kw = Py_BuildValue("{sOsOsO}", "default", PyDict_GetItemString(builtins, "repr"),
                               "ensure_ascii", Py_False, "allow_nan", Py_False);
  PyObject *partial = PyObject_GetAttrString(functools, "partial");
  PyObject *pargs = PyTuple_Pack(1, dumps);
  T.json_dumps = partial && kw && pargs ? PyObject_Call(partial, pargs, kw) : NULL;
  Py_XDECREF(partial);
  Py_XDECREF(pargs);
  Py_XDECREF(kw);
  Py_DECREF(functools);
  Py_DECREF(dumps);
  return T.json_dumps;
}

/* JSON text of OBJ through json.dumps(default=repr); NULL on failure (an
 * exception is left set). */
/* A growable string for flat_json. */
struct sbuf {
  char *p;
  size_t len, cap;
};

static bool sb_need(struct sbuf *b, size_t n) {
  if (b->len + n <= b->cap) return true;
  size_t cap = (b->cap ? b->cap * 2 : 256) + n;
  char *p = realloc(b->p, cap);
  if (!p) return false;
  b->p = p;
  b->cap = cap;
  return true;
}

static bool sb_str(struct sbuf *b, PyObject *u) {
  Py_ssize_t n;
  const char *s = PyUnicode_AsUTF8AndSize(u, &n);
  if (!s || !sb_need(b, 6 * (size_t)n + 2)) return false;
  b->p[b->len++] = '"';
  b->len += ct_json_escape(b->p + b->len, s, (size_t)n, false);
  b->p[b->len++] = '"';
  return true;
}

/* JSON text of a flat dict of str keys and int, float, bool, None or str
 * values, made in C: counters and most args are such dicts, and json.dumps
 * costs microseconds a call. NULL (no exception) for anything else. */
static char *flat_json(PyObject *obj) {
  if (!PyDict_CheckExact(obj) || PyDict_GET_SIZE(obj) > 64) return NULL;
  struct sbuf b = {0};
  Py_ssize_t pos = 0;
  PyObject *k, *v;
  bool ok = sb_need(&b, 2);
  if (ok) b.p[b.len++] = '{';
  while (ok && PyDict_Next(obj, &pos, &k, &v)) {
    if (!PyUnicode_CheckExact(k)) {
      ok = false;
      break;
    }
    if (b.len > 1) b.p[b.len++] = ',';
    ok = sb_str(&b, k) && sb_need(&b, 40);
    if (!ok) break;
    b.p[b.len++] = ':';
    if (v == Py_None || v == Py_True || v == Py_False) {
      const char *t = v == Py_None ? "null" : v == Py_True ? "true" : "false";
      memcpy(b.p + b.len, t, strlen(t));
      b.len += strlen(t);
    } else if (PyLong_CheckExact(v)) {
      int overflow;
      long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
      if (overflow || (x == -1 && PyErr_Occurred())) {
        ok = false;
        break;
      }
      b.len += (size_t)snprintf(b.p + b.len, 32, "%lld", x);
    } else if (PyFloat_CheckExact(v)) {
      double x = PyFloat_AS_DOUBLE(v);
      if (!isfinite(x)) {
        memcpy(b.p + b.len, "null", 4);
        b.len += 4;
      } else {
        char *r = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (!r || !sb_need(&b, strlen(r))) {
          PyMem_Free(r);
          ok = false;
          break;
        }
        memcpy(b.p + b.len, r, strlen(r));
        b.len += strlen(r);
        PyMem_Free(r);
      }
    } else if (PyUnicode_CheckExact(v)) {
      ok = sb_str(&b, v);
    } else {
      ok = false;
    }
  }
  if (ok && sb_need(&b, 2)) {
    b.p[b.len++] = '}';
    b.p[b.len] = 0;
    return b.p;
  }
  PyErr_Clear();
  free(b.p);
  return NULL;
}

/* JSON text of OBJ: flat dicts in C, anything else through
 * json.dumps(default=repr, allow_nan=False); what json cannot write (NaN,
 * a repr that raises, lone surrogates) becomes {"repr": "..."} or an error
 * text, so this only fails (NULL, exception set) when out of memory. */
static char *to_json(PyObject *obj) {
  char *fast = flat_json(obj);
  if (fast) return fast;
  PyObject *dumps = json_dumps();
  PyObject *s = dumps ? PyObject_CallOneArg(dumps, obj) : NULL;
  const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
  char *out = u ? strdup(u) : NULL;
  Py_XDECREF(s);
  if (u) return out;
  PyErr_Clear();
  PyObject *r = PyObject_Repr(obj);
  Py_ssize_t n = 0;
  const char *rs = r ? PyUnicode_AsUTF8AndSize(r, &n) : NULL;
  if (!rs) {
    PyErr_Clear();
    rs = "<not representable>";
    n = (Py_ssize_t)strlen(rs);
  }
  out = malloc(6 * (size_t)n + 16);
  if (out) {
    size_t k = 0;
    memcpy(out, "{\"repr\":\"", 9);
    k = 9 + ct_json_escape(out + 9, rs, (size_t)n, false);
    memcpy(out + k, "\"}", 3);
  }
  Py_XDECREF(r);
  if (!out) PyErr_NoMemory();
  return out;
}

/* The next ring slot, releasing the extra data of the event it replaces. */
static inline ct_event *ring_slot(void) {
  ct_event *e = ct_ring_next(&T.ring);
  if (T.nargs && T.ring.total > T.ring.cap && e->arg) args_release(e->arg);
  return e;
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

static inline frame_entry *push(ThreadObject *t, uint64_t now, uint32_t name, uint16_t flags) {
  if (t->depth == t->cap && (t->lost || !grow_stack(t))) {
    t->lost++;
    return NULL;
  }
  frame_entry *f = &t->stack[t->depth++];
  f->start = now;
  f->name = name;
  f->flags = flags;
  f->args = NULL;
  return f;
}

/* Decides whether a call at the thread's current depth is written, from
 * the filters (only called when one is on). CODE is the code object's
 * cache slot for Python calls, 0 for C calls. Updates the thread's
 * @ignore_function and @log_sparse windows. */
static uint16_t filter_flags(ThreadObject *t, uint64_t code, bool is_c) {
  uint32_t d = t->depth;
  uint16_t fl = 0;
  uint32_t cf = CODE_FLAGS(code);
  if (d >= T.max_depth) fl |= E_SKIP;
  if (t->ignore_depth != NO_DEPTH) {
    fl |= E_SKIP;
  } else if (cf & C_IGNORE) {
    t->ignore_depth = d;
    fl |= E_SKIP | E_IGNORE_ROOT;
  }
  if (cf & C_HIDE) fl |= E_SKIP;
  if (T.cfg->log_sparse) {
    if (t->sparse_hi == NO_DEPTH && (cf & C_SPARSE)) {
      t->sparse_hi = d + CODE_SPARSE_DEPTH(code);
      fl |= E_SPARSE_ROOT;
    }
    if (t->sparse_hi == NO_DEPTH || d > t->sparse_hi) fl |= E_SKIP;
  }
  return fl;
}

static uint32_t take_args(frame_entry *f);

static inline void emit(ThreadObject *t, frame_entry *f, uint64_t now) {
  if (__builtin_expect(f->flags & (E_IGNORE_ROOT | E_SPARSE_ROOT | E_SKIP), 0)) {
    if (f->flags & E_IGNORE_ROOT) t->ignore_depth = NO_DEPTH;
    if (f->flags & E_SPARSE_ROOT) t->sparse_hi = NO_DEPTH;
    if (f->flags & E_SKIP) {
      Py_CLEAR(f->args);
      return;
    }
  }
  if (now - f->start < T.min_ticks) {
    Py_CLEAR(f->args);
    return;
  }
  /* The args are turned into JSON before a ring slot is taken: that runs
   * Python code, during which another thread may use the ring. */
  uint32_t arg = f->args ? take_args(f) : 0;
  ct_event ev = {.ts = f->start,
                 .dur = now - f->start,
                 .name = f->name,
                 .track = t->track,
                 .arg = arg,
                 .kind = CT_EV_SLICE};
  ct_ring_store(ring_slot(), &ev);
}

/* Closes the innermost call. A Python return also closes C calls left
 * open above it (their return was not seen); a C return never closes a
 * Python call. */
static inline void pop(ThreadObject *t, bool is_c) {
  if (t->lost) {
    t->lost--;
    return;
  }
  /* The clock is read only for a call that is written: a filtered-out
   * call costs no clock read at all. */
  uint64_t now = 0;
  while (t->depth) {
    frame_entry *f = &t->stack[t->depth - 1];
    bool f_c = f->flags & E_C;
    if (is_c && !f_c) return;
    t->depth--;
    if (!now && !(f->flags & E_SKIP)) now = ct_clock_ticks();
    emit(t, f, now);
    if (f_c == is_c) return;
  }
}

/* repr(V); a repr that raises must not break the program, so its error
 * becomes the text instead. NULL only when out of memory. */
static PyObject *safe_repr(PyObject *v) {
  PyObject *r = PyObject_Repr(v);
  if (r) return r;
  PyObject *xt, *xv, *xtb;
  PyErr_Fetch(&xt, &xv, &xtb);
  PyErr_NormalizeException(&xt, &xv, &xtb);
  r = PyUnicode_FromFormat("<repr failed: %s: %S>", xt ? ((PyTypeObject *)xt)->tp_name : "?",
                           xv ? xv : Py_None);
  Py_XDECREF(xt);
  Py_XDECREF(xv);
  Py_XDECREF(xtb);
  if (!r) PyErr_Clear();
  return r;
}

/* --log-func-args: the arguments of the call in FRAME, as reprs. */
static void open_args(frame_entry *f, PyFrameObject *frame) {
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb);
  PyCodeObject *co = frame_code(frame);
  PyObject *d = PyDict_New();
  PyObject *fa = PyDict_New();
  PyObject *locals = PyFrame_GetLocals(frame);
  PyObject *names = PyCode_GetVarnames(co);
  if (d && fa && locals && names) {
    int n = co->co_argcount + co->co_kwonlyargcount;
    if (co->co_flags & CO_VARARGS) n++;
    if (co->co_flags & CO_VARKEYWORDS) n++;
    for (int i = 0; i < n && i < PyTuple_GET_SIZE(names); i++) {
      PyObject *k = PyTuple_GET_ITEM(names, i);
      PyObject *v = PyMapping_Check(locals) ? PyObject_GetItem(locals, k) : NULL;
      if (!v) {
        PyErr_Clear();
        continue;
      }
      PyObject *r = safe_repr(v);
      if (r) PyDict_SetItem(fa, k, r);
      Py_XDECREF(r);
      Py_DECREF(v);
    }
    PyDict_SetItemString(d, "func_args", fa);
    f->args = d;
    d = NULL;
  }
  PyErr_Clear();
  Py_XDECREF(d);
  Py_XDECREF(fa);
  Py_XDECREF(locals);
  Py_XDECREF(names);
  PyErr_Restore(et, ev, tb);
}

/* Stores F's extra data as JSON and returns its arg index (0 if none). */
static uint32_t take_args(frame_entry *f) {
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb);
  uint32_t arg = args_store(to_json(f->args));
  PyErr_Clear();
  Py_CLEAR(f->args);
  PyErr_Restore(et, ev, tb);
  return arg;
}

/* A Python return with --log-func-retval: the value goes into the slice. */
static void pop_with_retval(ThreadObject *t, PyObject *retval) {
  if (!t->lost && t->depth && !(t->stack[t->depth - 1].flags & (E_C | E_SKIP))) {
    frame_entry *f = &t->stack[t->depth - 1];
    if (!f->args) f->args = PyDict_New();
    if (f->args) {
      PyObject *r = retval ? safe_repr(retval) : NULL;
      if (r) {
        PyDict_SetItemString(f->args, "return_value", r);
        Py_DECREF(r);
      }
    }
  }
  pop(t, false);
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

static void log_entry(ThreadObject *t, uint32_t name, uint64_t now);

/* A Python call when a filter, argument logging or a marked function is
 * involved. */
static void call_slow(ThreadObject *t, PyFrameObject *frame, uint64_t code) {
  uint16_t fl = (T.any_filter | (t->ignore_depth != NO_DEPTH) |
                 (CODE_FLAGS(code) & (C_IGNORE | C_HIDE)))
                    ? filter_flags(t, code, false)
                    : 0;
  uint64_t now = fl & E_SKIP ? 0 : ct_clock_ticks();
  frame_entry *f = push(t, now, CODE_NAME(code), fl);
  if (!f || (fl & E_SKIP)) return;
  if (CODE_FLAGS(code) & C_ENTRY) log_entry(t, CODE_NAME(code), now);
  if (T.cfg->log_func_args) open_args(f, frame);
}

/* Whether the Python function running in FRAME is filtered out by its
 * file (--include/--exclude-files, --ignore-frozen). Such calls are not
 * pushed at all: the decision is the same at call and return (and for the
 * C calls it makes), so nothing needs to be kept. */
static inline bool frame_excluded(PyFrameObject *frame) {
  bool slow = false;
  return CODE_FLAGS(code_info(frame_code(frame), &slow)) & C_EXCLUDED;
}

static int profile_cb(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg) {
  if (!T.enabled) return 0;
  ThreadObject *t = (ThreadObject *)obj;
  if (__builtin_expect(!t->armed, 0)) {
    if (what != PyTrace_CALL || !is_program_start(frame_code(frame))) return 0;
    t->armed = true;
    T.start_tick = ct_clock_ticks();
  }
  T.profile_events++;
  bool slow = false;
  switch (what) {
  case PyTrace_CALL: {
    uint64_t code = code_info(frame_code(frame), &slow);
    if (__builtin_expect(CODE_FLAGS(code) & C_EXCLUDED, 0)) break;
    /* Filters and extra logs cost one test when none is on: options, an
     * open @ignore_function call, or this code being marked. */
    if (__builtin_expect(T.call_slow | (t->ignore_depth != NO_DEPTH) |
                             (CODE_FLAGS(code) & (C_IGNORE | C_ENTRY | C_HIDE)),
                         0)) {
      call_slow(t, frame, code);
      break;
    }
    push(t, ct_clock_ticks(), CODE_NAME(code), 0);
    break;
  }
  case PyTrace_C_CALL: {
    if (T.ignore_c) break;
    if (__builtin_expect(T.file_filter, 0) && frame_excluded(frame)) break;
    uint32_t name = cfunc_name(arg, &slow);
    uint16_t fl =
        E_C | ((T.any_filter | (t->ignore_depth != NO_DEPTH)) ? filter_flags(t, 0, true) : 0);
    push(t, fl & E_SKIP ? 0 : ct_clock_ticks(), name, fl);
    break;
  }
  case PyTrace_RETURN:
    if (__builtin_expect(T.file_filter, 0) && frame_excluded(frame)) break;
    if (__builtin_expect(T.log_retval, 0)) pop_with_retval(t, arg);
    else pop(t, false);
    break;
  case PyTrace_C_RETURN:
  case PyTrace_C_EXCEPTION:
    if (T.ignore_c) break;
    if (__builtin_expect(T.file_filter, 0) && frame_excluded(frame)) break;
    pop(t, true);
    break;
  }
  return 0;
}

/* --log-exception: a C trace function that sees every raised exception
 * (PyTrace_EXCEPTION, once per frame it passes through; logged once per
 * exception object). Line events are switched off frame by frame. */
static int trace_cb(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg) {
  ThreadObject *t = (ThreadObject *)obj;
  if (what == PyTrace_CALL) {
    frame->f_trace_lines = 0;
    return 0;
  }
  if (what != PyTrace_EXCEPTION || !T.enabled || !t->armed) return 0;
  if (!PyTuple_Check(arg) || PyTuple_GET_SIZE(arg) < 2) return 0;
  PyObject *value = PyTuple_GET_ITEM(arg, 1);
  if (value == t->last_exc) return 0;
  Py_INCREF(value);
  Py_XSETREF(t->last_exc, value);
  PyObject *et, *ev, *tb;
  PyErr_Fetch(&et, &ev, &tb);
  PyObject *type = PyTuple_GET_ITEM(arg, 0);
  const char *tname = PyType_Check(type) ? _PyType_Name((PyTypeObject *)type) : "?";
  PyObject *msg = PyObject_Str(value);
  if (!msg) {
    PyErr_Clear();
    msg = PyUnicode_FromString("<str failed>");
  }
  bool slow = false;
  const char *where = ct_strtab_str(T.names, CODE_NAME(code_info(frame_code(frame), &slow)), NULL);
  PyObject *a = Py_BuildValue("{sssOss}", "type", tname, "message", msg ? msg : Py_None,
                              "function", where);
  ct_tracer_add_event(CT_EV_INSTANT, tname, (Py_ssize_t)strlen(tname), a, 't', ct_clock_ticks(), 0);
  Py_XDECREF(a);
  Py_XDECREF(msg);
  PyErr_Clear();
  PyErr_Restore(et, ev, tb);
  return 0;
}

static void install_hooks(ThreadObject *t) {
  PyEval_SetProfile(profile_cb, (PyObject *)t);
  if (T.cfg->log_exception) PyEval_SetTrace(trace_cb, (PyObject *)t);
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

/* A new track in the tracer's table (which keeps the reference): a thread
 * of this process (TID), or an asyncio task's track. NULL with an
 * exception set on failure. */
static ThreadObject *new_track(int64_t tid) {
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
  t->ignore_depth = NO_DEPTH;
  t->sparse_hi = NO_DEPTH;
  t->last_exc = NULL;
  t->depth = t->cap = t->lost = 0;
  t->stack = NULL;
  t->tid = tid;
  t->thread = NULL;
  t->name = NULL;
  T.threads[T.nthreads++] = t;
  return t;
}

static ThreadObject *new_thread_state(void) {
  ThreadObject *t = new_track(current_tid());
  if (!t) return NULL;
  t->thread = current_thread();
  t->name = thread_name_of(t->thread);
  if (!grow_stack(t)) {
    PyErr_NoMemory();
    return NULL; /* the table holds it; its track stays empty */
  }
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
  install_hooks(t);
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
    uint64_t code = code_info(frame_code(frame), &slow);
    if (!(CODE_FLAGS(code) & C_EXCLUDED)) {
      uint16_t fl = (T.any_filter | (CODE_FLAGS(code) & (C_IGNORE | C_HIDE)))
                        ? filter_flags(t, code, false)
                        : 0;
      push(t, fl & E_SKIP ? 0 : ct_clock_ticks(), CODE_NAME(code), fl);
    }
  }
  install_hooks(t);
  return 0;
}

void ct_tracer_main_finished(void) {
  if (!T.main) return;
  T.main_end_tick = ct_clock_ticks();
  /* Only the call to _shutdown and this function are still open. */
  for (uint32_t i = 0; i < T.main->depth; i++) Py_CLEAR(T.main->stack[i].args);
  T.main->depth = 0;
  T.main->ignore_depth = NO_DEPTH;
  T.main->lost = 0;
  PyEval_SetProfile(NULL, NULL);
  if (T.cfg->log_exception) PyEval_SetTrace(NULL, NULL);
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
  /* A tid of its own, away from real thread ids (at most 2^22 on Linux). */
  ThreadObject *t = new_track(((int64_t)1 << 30) + T.nthreads);
  if (!t) return -1;
  t->name = strdup(name ? name : "Task");
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

  T.ignore_c = c->ignore_c_function;
  T.max_depth = c->max_stack_depth > 0 ? (uint32_t)c->max_stack_depth : NO_DEPTH;
  T.min_ticks = c->min_duration_ns ? ct_clock_ns_to_ticks(c->min_duration_ns) : 0;
  T.include_mode = c->n_include_files > 0;
  T.file_filter = c->n_include_files > 0 || c->n_exclude_files > 0 || c->ignore_frozen;
  /* File filters need no state (see frame_excluded), so they are not
   * among the filters that send every call down the slow path. */
  T.any_filter = T.max_depth != NO_DEPTH || c->log_sparse;
  T.want_args = c->log_func_args || c->log_func_retval;
  T.log_retval = c->log_func_retval;
  T.call_slow = T.any_filter || T.want_args;
  return 0;
}

/* ---- what the Python side calls (module.c) --------------------------- */

void ct_tracer_set_entry_matcher(PyObject *fn) {
  Py_XINCREF(fn);
  Py_XSETREF(T.entry_match, fn);
}

/* The state of the calling thread, if it is traced. */
static ThreadObject *current_state(void) {
  PyThreadState *ts = PyThreadState_Get();
  if (ts->c_profileobj && Py_IS_TYPE(ts->c_profileobj, &ThreadType))
    return (ThreadObject *)ts->c_profileobj;
  if (T.main && T.main->tid == current_tid()) return T.main;
  return NULL;
}

static void log_entry(ThreadObject *t, uint32_t name, uint64_t now) {
  ct_event *e = ring_slot();
  e->ts = now;
  e->dur = 't';
  e->name = name;
  e->track = t->track;
  e->arg = args_store(strdup("{\"event\":\"function entry\"}"));
  e->kind = CT_EV_INSTANT;
  e->flags = 0;
  e->reserved = 0;
}

uint64_t ct_tracer_now(void) { return ct_clock_ticks(); }

const ct_run_config *ct_tracer_config(void) { return T.cfg; }

bool ct_tracer_is_recording(void) { return T.enabled && !T.dumped; }

int ct_tracer_add_event(int kind, const char *name, Py_ssize_t len, PyObject *args, char scope,
                        uint64_t start, uint64_t end) {
  if (!T.enabled || T.dumped) return 0;
  ThreadObject *t = current_state();
  if (!t) return 0;
  char *text = NULL;
  if (args && args != Py_None) {
    text = to_json(args);
    if (!text) return -1;
  }
  ct_event *e = ring_slot();
  e->ts = start;
  e->dur = kind == CT_EV_SLICE ? end - start : kind == CT_EV_INSTANT ? (uint64_t)scope : 0;
  e->name = intern_or_unknown(name, (size_t)len);
  e->track = t->track;
  e->arg = args_store(text);
  e->kind = (uint8_t)kind;
  e->flags = 0;
  e->reserved = 0;
  return 0;
}

int ct_tracer_add_func_args(PyObject *key, PyObject *value) {
  ThreadObject *t = current_state();
  if (!t || !T.enabled) return 0;
  /* The caller's slice: the nearest Python call below this C call. */
  for (uint32_t i = t->depth; i-- > 0;) {
    frame_entry *f = &t->stack[i];
    if (f->flags & (E_C | E_SKIP)) continue;
    if (!f->args && !(f->args = PyDict_New())) return -1;
    return PyDict_SetItem(f->args, key, value);
  }
  return 0;
}

PyObject *ct_tracer_func_args(int skip) {
  ThreadObject *t = current_state();
  if (!t || !T.enabled) Py_RETURN_NONE;
  /* The same slice as ct_tracer_add_func_args picks, or SKIP further out. */
  for (uint32_t i = t->depth; i-- > 0;) {
    frame_entry *f = &t->stack[i];
    if (f->flags & (E_C | E_SKIP)) continue;
    if (skip-- > 0) continue;
    if (!f->args && !(f->args = PyDict_New())) return NULL;
    return Py_NewRef(f->args);
  }
  Py_RETURN_NONE;
}

void ct_tracer_mark_code(PyObject *code, int kind, int depth) {
  if (!PyCode_Check(code)) return;
  uint32_t flag = kind == 0 ? C_IGNORE : kind == 2 ? C_HIDE : C_SPARSE;
  mark_code((PyCodeObject *)code, flag, depth < 0 ? 0 : (uint32_t)depth);
}

void ct_tracer_set_sync_marker(void) { T.sync_marker = ct_clock_ticks(); }

void ct_tracer_pause(bool paused) {
  if (T.dumped) return;
  T.enabled = !paused;
}

void ct_tracer_clear(void) {
  for (size_t i = 0; i < ct_ring_count(&T.ring); i++) {
    const ct_event *e = ct_ring_at(&T.ring, i);
    if (e->arg) args_release(e->arg);
  }
  ct_ring_clear(&T.ring);
}

int ct_tracer_start_current_thread(void) {
  if (current_state()) return 0;
  return ct_tracer_start_thread(NULL);
}

static const char *process_name(void) {
  static char buf[256];
  static char *child_name; /* asked again at every dump: forks rename */
  if (Py_IsInitialized()) {
    free(child_name);
    child_name = ct_children_process_name();
  }
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
  if (T.sync_marker) {
    ct_jw_cstr(w, ",\"sync_marker\":");
    ct_jw_usec(w, ct_clock_map_ns(m, T.sync_marker));
  }
  ct_jw_cstr(w, "},\"file_info\":{\"files\":{");
  bool comma = false;
  size_t total = 0;
  for (uint32_t i = 0; i < ct_strtab_count(T.files); i++) {
    const char *path = ct_strtab_str(T.files, i, NULL);
    /* Sources are for showing code; cap each file and the sum. */
    if (total > (256u << 20)) break;
    uint64_t before = d->jw.written + d->jw.len;
    if (ct_dump_file_source(d, path, 8u << 20, comma)) {
      comma = true;
      ct_children_forget_file(path); /* the children's copy is the same */
    }
    total += d->jw.written + d->jw.len - before;
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
}

static void report(ct_report_fn fn, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fn(fmt, ap);
  va_end(ap);
}

/* Writes the events recorded between ticks FROM and TO (calls still open
 * end at STOP) to PATH, with the child processes' parts when CHILDREN.
 * Returns 0 or a negative error (not reported). */
static int write_trace(const char *path, uint64_t from, uint64_t to, uint64_t stop,
                       bool py_alive, bool children, uint64_t *nevents) {
  ct_ring_fence();
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
  int rc = ct_dump_open(&d, path);
  if (rc) return rc;
  ct_dump_process_name(&d, T.pid, process_name());
  ct_dump_track *tracks = malloc((T.nthreads ? T.nthreads : 1) * sizeof *tracks);
  if (!tracks) {
    ct_dump_abort(&d);
    return -ENOMEM;
  }
  for (uint32_t i = 0; i < T.nthreads; i++) {
    ThreadObject *t = T.threads[i];
    tracks[i] = (ct_dump_track){T.pid, t->tid};
    char fallback[32];
    snprintf(fallback, sizeof fallback, "Thread-%lld", (long long)t->tid);
    ct_dump_thread_name(&d, T.pid, t->tid, t->name ? t->name : fallback);
  }
  uint64_t before = d.events;
  ct_dump_ring_range(&d, &T.ring, T.names, tracks, T.nthreads, &m, args_json, NULL, from, to);
  /* Calls still open (threads still running, a signal mid-call) end now. */
  for (uint32_t i = 0; i < T.nthreads; i++) {
    ThreadObject *t = T.threads[i];
    for (uint32_t k = 0; k < t->depth; k++) {
      frame_entry *f = &t->stack[k];
      if ((f->flags & E_SKIP) || f->start < from) continue;
      int64_t ts = ct_clock_map_ns(&m, f->start);
      int64_t end = ct_clock_map_ns(&m, stop);
      size_t nl;
      const char *nj = ct_strtab_json(T.names, f->name, &nl);
      char *a = py_alive && f->args ? to_json(f->args) : NULL;
      if (py_alive) PyErr_Clear();
      ct_dump_slice(&d, T.pid, t->tid, ts, end - ts, nj, nl, a, a ? strlen(a) : 0);
      free(a);
    }
  }
  *nevents = d.events - before;
  free(tracks);
  if (children) *nevents += ct_children_append_events(&d);
  ct_dump_end_events(&d);
  write_footer(&d, &m);
  return ct_dump_commit(&d);
}

int ct_tracer_save(const char *path, uint64_t from, uint64_t to) {
  uint64_t n;
  int rc = write_trace(path, from, to, ct_clock_ticks(), true, false, &n);
  if (rc) {
    PyErr_Format(PyExc_OSError, "cannot write '%s': %s", path, ct_strerror(rc));
    return -1;
  }
  return 0;
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
  uint64_t nevents = 0;
  int rc = write_trace(output, 0, UINT64_MAX, stop, py_alive, true, &nevents);
  ct_children_finish();
  if (rc) {
    /* A child's exit status stays the program's own whatever happens to
     * its part; the root's turns into ctrace's failure. */
    T.failed = !ct_children_is_child();
    if (ct_children_report_failure())
      report(T.cfg->error, "cannot write '%s': %s", output, ct_strerror(rc));
    return rc;
  }
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
    ct_clock_map m;
    ct_clock_map_make(&m, T.origin_ns);
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
}

bool ct_tracer_failed(void) { return T.failed; }

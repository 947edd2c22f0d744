#ifndef CTRACE_CORE_ERROR_H
#define CTRACE_CORE_ERROR_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

/* Functions that can fail return 0 or a negative code: either -errno for a
 * system error (-ENOSPC, -ENOENT, ...) or one of the CT_E* codes below. */
enum {
  CT_EPARSE = -20001,   /* not valid JSON */
  CT_ENOTTRACE = -20002,/* valid JSON, but not a Chrome trace */
  CT_ETRUNC = -20003,   /* the input ends too early */
  CT_EGZIP = -20004,    /* corrupt gzip data */
  CT_ETOOBIG = -20005,  /* a size limit was reached */
  CT_EFIELD = -20006,   /* an event lacks a required field */
};

/* Text for an error code; never NULL, never freed. */
const char *ct_strerror(int err);

#endif

#include "core/error.h"

#include <string.h>

const char *ct_strerror(int err) {
  switch (err) {
  case 0: return "success";
  case CT_EPARSE: return "not valid JSON";
  case CT_ENOTTRACE: return "not a Chrome trace (no traceEvents array)";
  case CT_ETRUNC: return "truncated";
  case CT_EGZIP: return "corrupt gzip data";
  case CT_ETOOBIG: return "too large";
  case CT_EFIELD: return "an event lacks a required field";
  }
  if (err < 0 && err > -4096) return strerror(-err);
  return "unknown error";
}

#include "cmd/traceio.h"

#include "cmd/msg.h"
#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool ct_ends_with(const char *path, const char *suffix) {
  size_t n = strlen(path), k = strlen(suffix);
  return n >= k && strcmp(path + n - k, suffix) == 0;
}

void ct_trace_describe(char *buf, size_t n, const char *path, const ct_reader *r, int rc) {
  const char *detail = r ? ct_reader_error_detail(r) : "";
  unsigned long long at = r ? (unsigned long long)ct_reader_error_at(r) : 0;
  switch (rc) {
  case CT_EPARSE:
  case CT_ETRUNC:
  case CT_ENOTTRACE:
  case CT_EFIELD:
  case CT_ETOOBIG: {
    const char *what = rc == CT_EPARSE     ? "not valid JSON"
                       : rc == CT_ETRUNC   ? "truncated JSON"
                       : rc == CT_ENOTTRACE ? "not a Chrome trace"
                       : rc == CT_EFIELD   ? "invalid event"
                                           : "too large";
    snprintf(buf, n, "cannot read '%s': %s at byte %llu%s: %s", path, what, at,
             r && ct_reader_is_gzip(r) ? " of the uncompressed data" : "", detail);
    break;
  }
  case CT_EGZIP:
    snprintf(buf, n, "cannot read '%s': corrupt gzip data at byte %llu: %s", path, at, detail);
    break;
  default:
    snprintf(buf, n, "cannot read '%s': %s", path, ct_strerror(rc));
    break;
  }
}

void ct_trace_report(const char *path, const ct_reader *r, int rc) {
  char line[1536];
  ct_trace_describe(line, sizeof line, path, r, rc);
  ct_errorf("%s", line);
}

ct_reader *ct_trace_open(const char *path) {
  ct_reader *r;
  int rc = ct_reader_open(&r, path);
  if (rc) {
    ct_trace_report(path, NULL, rc);
    return NULL;
  }
  return r;
}

int ct_check_output_path(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    ct_errorf("cannot write '%s': it is a folder; give a file name", path);
    return 1;
  }
  char *dir = strdup(path);
  if (!dir) {
    ct_errorf("cannot write '%s': %s", path, strerror(ENOMEM));
    return 1;
  }
  char *slash = strrchr(dir, '/');
  if (!slash) strcpy(dir, ".");
  else if (slash == dir) slash[1] = 0;
  else *slash = 0;
  int rc = 0;
  if (stat(dir, &st) != 0) {
    ct_errorf("cannot write '%s': folder '%s': %s", path, dir, strerror(errno));
    rc = 1;
  } else if (!S_ISDIR(st.st_mode)) {
    ct_errorf("cannot write '%s': '%s' is not a folder", path, dir);
    rc = 1;
  } else if (access(dir, W_OK | X_OK) != 0) {
    ct_errorf("cannot write '%s': %s", path, strerror(errno));
    rc = 1;
  }
  free(dir);
  return rc;
}

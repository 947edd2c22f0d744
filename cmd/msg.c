#include "cmd/msg.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void ct_verrorf(const char *fmt, va_list ap) {
  assert(!strchr(fmt, '\n'));
  char line[2048];
  vsnprintf(line, sizeof line, fmt, ap);
  fprintf(stderr, "ctrace: %s\n", line);
}

void ct_errorf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ct_verrorf(fmt, ap);
  va_end(ap);
}

void ct_notef(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ct_verrorf(fmt, ap);
  va_end(ap);
}

int ct_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ct_verrorf(fmt, ap);
  va_end(ap);
  if (cmd)
    fprintf(stderr, "Try 'ctrace %s --help' for more information.\n", cmd);
  else
    fprintf(stderr, "Try 'ctrace --help' for more information.\n");
  return 2;
}

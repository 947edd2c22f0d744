#ifndef CTRACE_CMD_MSG_H
#define CTRACE_CMD_MSG_H

#include <stdarg.h>

/* Messages to the user: one line on stderr starting "ctrace: ". Format
 * strings carry no newline; these add it. */
void ct_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ct_verrorf(const char *fmt, va_list ap);
void ct_notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error: the message, then a pointer to --help. Returns 2, the exit
 * status for usage errors. */
int ct_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

#ifndef CTRACE_CMD_RCFILE_H
#define CTRACE_CMD_RCFILE_H

#include "cmd/args.h"

#include <stdbool.h>

/* Reads the [default] section of an INI file of options (.ctracerc, also
 * VizTracer's .viztracerrc layout) into the words one would type on the
 * command line: "max_stack_depth = 10" -> "--max_stack_depth" "10", a flag
 * set to true/yes/on/1 -> "--flag" (false: nothing), a list option's value
 * split on white space. The words are appended to *WORDS (*NWORDS of them;
 * the caller frees the array, the words live until exit).
 * Returns 0, or an exit status after printing one line: 1 when PATH cannot
 * be read and REQUIRED, 2 for an unknown key or a malformed line. A missing
 * file that is not REQUIRED gives 0 and no words. */
int ct_rcfile_read(const char *path, bool required, const ct_optdef *defs, size_t ndefs,
                   char ***words, int *nwords);

#endif

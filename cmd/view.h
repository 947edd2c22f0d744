#ifndef CTRACE_CMD_VIEW_H
#define CTRACE_CMD_VIEW_H

#include "embed/embed.h"

#include <stdbool.h>

/* `ctrace run --open`: the after-run hook that shows the trace just written
 * (serves it until the browser has loaded it, or Ctrl-C). */
void ct_view_after_run(const ct_run_config *c, bool ok);

#endif

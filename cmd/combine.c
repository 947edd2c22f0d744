/* ctrace combine, convert and stats (issue #6). */
#include "cmd/cmd.h"
#include "cmd/msg.h"

int ct_cmd_combine(int argc, char **argv) {
  ct_errorf("'combine' is not available in this build yet");
  return 1;
}

int ct_cmd_convert(int argc, char **argv) {
  ct_errorf("'convert' is not available in this build yet");
  return 1;
}

int ct_cmd_stats(int argc, char **argv) {
  ct_errorf("'stats' is not available in this build yet");
  return 1;
}

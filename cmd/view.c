/* ctrace view: served by viewer/ (issue #3). */
#include "cmd/cmd.h"
#include "cmd/msg.h"

int ct_cmd_view(int argc, char **argv) {
  ct_errorf("'view' is not available in this build yet");
  return 1;
}

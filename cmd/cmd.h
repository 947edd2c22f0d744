#ifndef CTRACE_CMD_CMD_H
#define CTRACE_CMD_CMD_H

/* Subcommands. Each takes argv with argv[0] = the command's name and
 * returns the process exit status. */
int ct_cmd_run(int argc, char **argv);
int ct_cmd_view(int argc, char **argv);
int ct_cmd_combine(int argc, char **argv);
int ct_cmd_convert(int argc, char **argv);
int ct_cmd_stats(int argc, char **argv);

/* Prints "ctrace VERSION (Python X.Y.Z)" to stdout. */
void ct_print_version(void);

#endif

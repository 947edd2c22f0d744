#ifndef CTRACE_CMD_ARGS_H
#define CTRACE_CMD_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* GNU-style option parsing over a table of options sorted by long name.
 * "--opt=value", "--opt value", "-o value", "-ovalue" and clustered short
 * flags are accepted; '_' in a long name is read as '-', so VizTracer's
 * spellings (--tracer_entries) work. "--" ends the options. */

enum ct_arg_kind {
  CT_ARG_FLAG,  /* no value */
  CT_ARG_VALUE, /* exactly one value */
  CT_ARG_LIST,  /* one or more values: the following words up to the next
                   one that starts with '-' */
  CT_ARG_OPTLIST, /* like LIST, but may have no value */
};

typedef struct ct_optdef {
  const char *name;  /* long name without "--", hyphenated */
  char short_name;   /* 0 when none */
  int kind;          /* enum ct_arg_kind */
  int id;
  const char *metavar;
  const char *help;  /* NULL hides the option from --help */
} ct_optdef;

/* Called for each option found. VALUES holds NVALUES words (0 for a flag).
 * Returns 0 to go on, CT_ARGS_STOP to end the parse after this option (the
 * rest belongs to the program, as after `-m module`), or an exit status to
 * stop with. */
#define CT_ARGS_STOP (-1)

typedef int (*ct_arg_fn)(void *ctx, const ct_optdef *opt, char **values, int nvalues);

/* Parses ARGV[*POS ..] (ARGC words). With STOP_AT_POSITIONAL the parse ends
 * at the first word that is not an option (the script), which is left at
 * *POS; otherwise positionals are collected into POSITIONALS (room for
 * MAX_POS, count in *NPOS). Returns 0, or 2 after printing a usage error.
 * CMD names the subcommand in messages. */
int ct_args_parse(const char *cmd, const ct_optdef *defs, size_t ndefs, int argc,
                  char **argv, int *pos, bool stop_at_positional, char **positionals,
                  int max_pos, int *npos, ct_arg_fn fn, void *ctx);

/* Prints the options of DEFS as help lines to stdout. */
void ct_args_help(const ct_optdef *defs, size_t ndefs);

/* Checks at start-up that DEFS is sorted; aborts otherwise (a programming
 * error, caught by any test that runs the command). */
void ct_args_check_sorted(const ct_optdef *defs, size_t ndefs);

#endif

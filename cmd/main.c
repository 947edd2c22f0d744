/* ctrace: trace every function call of a Python program.
 * This file dispatches to the subcommands (cmd/<name>.c). */
#include "cmd/cmd.h"
#include "cmd/msg.h"
#include "viewer/view.h"

#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
} commands[] = {
    {"run", ct_cmd_run, "trace a Python program and write a trace file"},
    {"view", ct_cmd_view, "show a trace in the browser"},
    {"combine", ct_cmd_combine, "merge several traces into one"},
    {"convert", ct_cmd_convert, "convert a trace to .json, .json.gz, .html or .csv"},
    {"stats", ct_cmd_stats, "summarise the functions of a trace"},
};

static void usage(FILE *out) {
  fprintf(out,
          "Usage: ctrace COMMAND [options] ...\n"
          "\n"
          "Traces every function call of a Python program (threads, asyncio tasks and\n"
          "child processes included) and shows it on a timeline.\n"
          "\n"
          "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(out,
          "\n"
          "  ctrace run [options] [--] script.py [args...]   (or -m module, -c code)\n"
          "  ctrace view [options] result.json\n"
          "\n"
          "'ctrace COMMAND --help' shows the options of a command. A first argument\n"
          "that is not a command is read as 'run': 'ctrace script.py' traces script.py.\n");
}

int main(int argc, char **argv) {
  ct_viewer_register_html(); /* ct_dump_open writes .html through viewer/ */
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *c = argv[1];
  if (strcmp(c, "-h") == 0 || strcmp(c, "--help") == 0 || strcmp(c, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(c, "--version") == 0 || strcmp(c, "-V") == 0) {
    ct_print_version();
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(c, commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
  /* VizTracer habit: `viztracer script.py` runs the script. */
  return ct_cmd_run(argc, argv);
}

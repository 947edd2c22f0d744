/* ctrace view: serve a trace (or a directory of traces) to the browser. */
#include "cmd/view.h"

#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/msg.h"
#include "viewer/view.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
  OPT_FLAMEGRAPH,
  OPT_HELP,
  OPT_HOST,
  OPT_ONCE,
  OPT_PORT,
  OPT_SERVER_ONLY,
};

/* Sorted by long name (checked at start-up). */
static const ct_optdef view_opts[] = {
    {"flamegraph", 0, CT_ARG_FLAG, OPT_FLAMEGRAPH, NULL, "open the flame graph instead of the timeline"},
    {"help", 'h', CT_ARG_FLAG, OPT_HELP, NULL, "show this help and exit"},
    {"host", 0, CT_ARG_VALUE, OPT_HOST, "HOST", "address to listen on (default 127.0.0.1)"},
    {"once", 0, CT_ARG_FLAG, OPT_ONCE, NULL, "exit once the page has loaded the trace"},
    {"port", 'p', CT_ARG_VALUE, OPT_PORT, "PORT", "port to listen on (default 9001; 0: any free port)"},
    {"server-only", 's', CT_ARG_FLAG, OPT_SERVER_ONLY, NULL, "do not open a browser, only print the URL"},
};
#define NOPTS (sizeof view_opts / sizeof *view_opts)

struct view_state {
  ct_view_opts o;
  bool help, server_only;
};

static int on_opt(void *ctx, const ct_optdef *d, char **v, int n) {
  struct view_state *st = ctx;
  switch (d->id) {
  case OPT_FLAMEGRAPH: st->o.flamegraph = true; return 0;
  case OPT_HELP: st->help = true; return 0;
  case OPT_HOST: st->o.host = v[0]; return 0;
  case OPT_ONCE: st->o.once = true; return 0;
  case OPT_SERVER_ONLY: st->server_only = true; return 0;
  case OPT_PORT: {
    char *end;
    errno = 0;
    long p = strtol(v[0], &end, 10);
    if (errno || end == v[0] || *end || p < 0 || p > 65535)
      return ct_usage_error("view", "invalid value '%s' for '--port': expected a port number from 0 to 65535", v[0]);
    st->o.port = (int)p;
    return 0;
  }
  }
  return 0;
}

static void view_help(void) {
  printf("Usage: ctrace view [options] result.json | result.json.gz | result.html | DIR\n"
         "\n"
         "Serves the trace, with ctrace's web viewer, on http://127.0.0.1:9001/ and opens\n"
         "it in the default browser. A directory shows a page listing its traces.\n"
         "Ctrl-C stops the server.\n"
         "\n"
         "Options:\n");
  ct_args_help(view_opts, NOPTS);
}

static bool in_path(const char *prog) {
  const char *path = getenv("PATH");
  if (!path) return false;
  char buf[PATH_MAX];
  for (const char *p = path; *p;) {
    size_t n = strcspn(p, ":");
    if (n > 0 && snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog) < (int)sizeof buf &&
        access(buf, X_OK) == 0)
      return true;
    p += n;
    if (*p == ':') p++;
  }
  return false;
}

/* Starts xdg-open URL detached (no zombie, no output); false when there is
 * no xdg-open. */
static bool open_browser(const char *url) {
  if (!in_path("xdg-open")) return false;
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (fork() == 0) {
      setsid();
      int null = open("/dev/null", O_RDWR);
      if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
      }
      execlp("xdg-open", "xdg-open", url, (char *)NULL);
      _exit(127);
    }
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  return true;
}

int ct_cmd_view(int argc, char **argv) {
  ct_args_check_sorted(view_opts, NOPTS);
  struct view_state st = {0};
  st.o.host = "127.0.0.1";
  st.o.port = 9001;
  char *pos[2];
  int npos = 0, i = 1;
  int rc = ct_args_parse("view", view_opts, NOPTS, argc, argv, &i, false, pos, 2, &npos, on_opt, &st);
  if (rc) return rc;
  if (st.help) {
    view_help();
    return 0;
  }
  if (npos != 1) return ct_usage_error("view", npos ? "give one trace or directory" : "no trace to view: give a .json, .json.gz or .html file, or a directory");
  st.o.path = pos[0];

  ct_view *v;
  char err[512];
  if (ct_view_start(&v, &st.o, err, sizeof err) != 0) {
    ct_errorf("%s", err);
    return 1;
  }
  printf("Serving '%s' at %s  (Ctrl-C to stop)\n", st.o.path, ct_view_url(v));
  fflush(stdout);
  if (strncmp(st.o.host, "127.", 4) != 0 && strcmp(st.o.host, "::1") != 0 && strcmp(st.o.host, "localhost") != 0)
    ct_notef("listening on '%s': whoever can reach this address can read the trace", st.o.host);
  if (!st.server_only && !open_browser(ct_view_url(v)))
    ct_notef("no browser to open (xdg-open not found): open %s yourself", ct_view_url(v));
  ct_view_wait(v, 0);
  ct_view_free(v);
  return 0;
}

void ct_view_after_run(const ct_run_config *c, bool ok) {
  if (!ok) return;
  if (!in_path("xdg-open")) {
    ct_notef("no browser to open (xdg-open not found): view the trace with 'ctrace view %s'", c->output);
    return;
  }
  ct_view_opts o = {.path = c->output, .host = "127.0.0.1", .port = 9001, .once = true};
  ct_view *v;
  char err[512];
  if (ct_view_start(&v, &o, err, sizeof err) != 0) {
    o.port = 0; /* 9001 busy (another viewer): any free port */
    if (ct_view_start(&v, &o, err, sizeof err) != 0) {
      ct_errorf("%s", err);
      return;
    }
  }
  if (!c->quiet) ct_notef("showing the trace at %s (Ctrl-C to stop)", ct_view_url(v));
  open_browser(ct_view_url(v));
  if (ct_view_wait(v, 120 * 1000) == CT_VIEW_TIMEOUT)
    ct_notef("the browser did not load the trace: view it with 'ctrace view %s'", c->output);
  ct_view_free(v);
}

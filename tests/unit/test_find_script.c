/* Reading a console script's interpreter from its first lines: shebangs
 * with and without env, options, CRLF, and pip's launcher for long paths. */
#include "check.h"

#include "cmd/find_script.c"

#include <limits.h>

/* Stubs for what cmd/find_script.c takes from elsewhere. */
const char *ct_embed_python_version(void) { return "3.11.2"; }
bool ct_pyenv_name_matches(const char *name) { (void)name; return true; }
char *ct_pyenv_which(const char *name) { (void)name; return NULL; }
void ct_errorf(const char *fmt, ...) { (void)fmt; }

int main(void) {
  static const struct {
    const char *text;
    const char *interp; /* NULL: no interpreter found */
    bool via_env;
  } cases[] = {
      {"#!/usr/bin/python3\nimport sys\n", "/usr/bin/python3", false},
      {"#! /usr/bin/python3 -s\r\n", "/usr/bin/python3", false},
      {"#!/usr/bin/env python3\n", "python3", true},
      {"#!/usr/bin/env -S python3 -u\n", "python3", true},
      {"#!/usr/bin/env PYTHONX=1 python3.11\n", "python3.11", true},
      {"#!/venv/bin/python\n", "/venv/bin/python", false},
      {"#!/bin/sh\n'''exec' \"/a b/bin/python\" \"$0\" \"$@\"\n' '''\n", "/a b/bin/python", false},
      {"#!/bin/sh\n'''exec' /x/python \"$0\" \"$@\"\n", "/x/python", false},
      {"#!/bin/sh\necho hi\n", "/bin/sh", false},
      {"#!/usr/bin/env\n", NULL, false},
      {"#!\n", NULL, false},
      {"import sys\n", NULL, false},
      {"", NULL, false},
  };
  const char *tmp = getenv("CT_TEST_TMP");
  char dir[PATH_MAX], path[PATH_MAX + 16];
  snprintf(dir, sizeof dir, "%s", tmp ? tmp : "/tmp/ct_test_find_script");
  mkdir(dir, 0777);
  snprintf(path, sizeof path, "%s/script", dir);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) break;
    fputs(cases[i].text, f);
    fclose(f);
    char *interp = NULL;
    bool via_env = false;
    bool found = read_interpreter(path, &interp, &via_env);
    if (found != (cases[i].interp != NULL)) fprintf(stderr, "case %zu: %s", i, cases[i].text);
    CHECK_EQ(found, cases[i].interp != NULL);
    if (found && cases[i].interp) {
      CHECK_STREQ(interp, cases[i].interp);
      CHECK_EQ(via_env, cases[i].via_env);
    }
    free(interp);
  }
  CHECK(!read_interpreter("/nonexistent/script", &(char *){NULL}, &(bool){false}));
  CHECK(is_python_name("/usr/bin/python3.11") && is_python_name("python"));
  CHECK(!is_python_name("/bin/sh") && !is_python_name("pypy3"));
  CHECK_DONE();
}

/* Console scripts on PATH: find the file and read the interpreter its
 * shebang names, so that `ctrace run pytest` runs what `pytest` runs. */
#include "cmd/find_script.h"
#include "cmd/msg.h"
#include "embed/pyenv.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static bool is_python_name(const char *path) {
  return strncmp(base_name(path), "python", 6) == 0;
}

/* The first executable regular file NAME in a folder of PATH, malloc'd. */
static char *search_path(const char *name) {
  const char *p = getenv("PATH");
  while (p) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char *cand = malloc(n + strlen(name) + 3);
    if (!cand) return NULL;
    if (n == 0) strcpy(cand, "./");
    else {
      memcpy(cand, p, n);
      strcpy(cand + n, "/");
    }
    strcat(cand, name);
    struct stat st;
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) return cand;
    free(cand);
    p = end ? end + 1 : NULL;
  }
  return NULL;
}

/* Splits S at blanks into at most MAX words, in place; returns the count. */
static int split(char *s, char **words, int max) {
  int n = 0;
  while (n < max) {
    s += strspn(s, " \t");
    if (!*s) break;
    words[n++] = s;
    s += strcspn(s, " \t");
    if (!*s) break;
    *s++ = 0;
  }
  return n;
}

/* The interpreter of the script at PATH, from its first two lines: the
 * shebang, or pip's "#!/bin/sh" + "'''exec' PYTHON" launcher that it writes
 * when the interpreter's path is too long for a shebang. Sets *INTERP (the
 * word naming it, malloc'd) and *VIA_ENV (run through /usr/bin/env). */
static bool read_interpreter(const char *path, char **interp, bool *via_env) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  char line1[512] = "", line2[1024] = "";
  if (!fgets(line1, sizeof line1, f)) line1[0] = 0;
  if (!fgets(line2, sizeof line2, f)) line2[0] = 0;
  fclose(f);
  line1[strcspn(line1, "\r\n")] = 0;
  line2[strcspn(line2, "\r\n")] = 0;
  if (strncmp(line1, "#!", 2) != 0) return false;
  char *w[8];
  int n = split(line1 + 2, w, 8);
  if (n == 0) return false;
  *via_env = false;
  if (strcmp(base_name(w[0]), "env") == 0) {
    /* "#!/usr/bin/env [-S] [NAME=value...] python3 [options]" */
    int i = 1;
    while (i < n && (w[i][0] == '-' || strchr(w[i], '='))) i++;
    if (i == n) return false;
    *via_env = true;
    *interp = strdup(w[i]);
    return *interp != NULL;
  }
  const char *sh = base_name(w[0]);
  if ((strcmp(sh, "sh") == 0 || strcmp(sh, "bash") == 0) && strncmp(line2, "'''exec' ", 9) == 0) {
    char *s = line2 + 9;
    char quote = *s == '"' || *s == '\'' ? *s++ : 0;
    size_t len = quote ? strcspn(s, quote == '"' ? "\"" : "'") : strcspn(s, " \t");
    *interp = strndup(s, len);
    return *interp != NULL;
  }
  *interp = strdup(w[0]);
  return *interp != NULL;
}

int ct_find_console_script(const char *name, char **path, char **python) {
  *path = *python = NULL;
  struct stat st;
  if (strchr(name, '/') || !*name || stat(name, &st) == 0) return 0;
  char *found = search_path(name);
  if (!found) return 0;
  char *interp = NULL;
  bool via_env = false;
  if (!read_interpreter(found, &interp, &via_env) || !is_python_name(interp)) {
    if (interp)
      ct_errorf("cannot run '%s': '%s' is not a Python script (its interpreter is %s)", name,
                found, interp);
    else
      ct_errorf("cannot run '%s': '%s' is not a Python script", name, found);
    free(interp);
    free(found);
    return 1;
  }
  if (via_env) {
    /* "env python3" runs the python3 on PATH: that one when ctrace can be
     * it, else the environment's. */
    if (!ct_pyenv_name_matches(interp)) {
      ct_errorf("cannot run '%s': '%s' runs %s, but ctrace embeds Python %s", name, found,
                interp, ct_embed_python_version());
      free(interp);
      free(found);
      return 1;
    }
    char *which = ct_pyenv_which(interp);
    free(interp);
    interp = which;
  }
  *path = found;
  *python = interp;
  return 0;
}

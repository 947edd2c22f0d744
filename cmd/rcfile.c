#include "cmd/rcfile.h"

#include "cmd/msg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

static void push(char ***words, int *n, const char *w) {
  *words = realloc(*words, (size_t)(*n + 2) * sizeof **words);
  (*words)[(*n)++] = strdup(w);
  (*words)[*n] = NULL;
}

static const ct_optdef *find(const ct_optdef *defs, size_t ndefs, const char *key) {
  char name[128];
  size_t i = 0;
  for (; key[i] && i < sizeof name - 1; i++) name[i] = key[i] == '_' ? '-' : key[i];
  name[i] = 0;
  for (size_t k = 0; k < ndefs; k++)
    if (strcmp(defs[k].name, name) == 0) return &defs[k];
  return NULL;
}

int ct_rcfile_read(const char *path, bool required, const ct_optdef *defs, size_t ndefs,
                   char ***words, int *nwords) {
  FILE *f = fopen(path, "r");
  if (!f) {
    if (!required && errno == ENOENT) return 0;
    ct_errorf("cannot read '%s': %s", path, strerror(errno));
    return 1;
  }
  char line[8192];
  int lineno = 0;
  bool in_default = false;
  int rc = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';') continue;
    if (*s == '[') {
      char *end = strchr(s, ']');
      if (!end) {
        ct_errorf("malformed section in '%s' line %d: %s", path, lineno, s);
        rc = 2;
        break;
      }
      *end = 0;
      in_default = strcmp(trim(s + 1), "default") == 0;
      continue;
    }
    if (!in_default) continue;
    char *eq = strpbrk(s, "=:");
    if (!eq) {
      ct_errorf("malformed line in '%s' line %d: expected 'option = value'", path, lineno);
      rc = 2;
      break;
    }
    *eq = 0;
    char *key = trim(s), *value = trim(eq + 1);
    const ct_optdef *d = find(defs, ndefs, key);
    if (!d || !d->help) {
      ct_errorf("unknown option '%s' in '%s' line %d", key, path, lineno);
      rc = 2;
      break;
    }
    char opt[160];
    snprintf(opt, sizeof opt, "--%s", d->name);
    if (d->kind == CT_ARG_FLAG) {
      if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") || !strcasecmp(value, "on") ||
          !strcmp(value, "1") || !*value) {
        push(words, nwords, opt);
      } else if (strcasecmp(value, "false") && strcasecmp(value, "no") &&
                 strcasecmp(value, "off") && strcmp(value, "0")) {
        ct_errorf("invalid value '%s' for '%s' in '%s' line %d: expected true or false", value,
                  key, path, lineno);
        rc = 2;
        break;
      }
    } else if (d->kind == CT_ARG_VALUE) {
      push(words, nwords, opt);
      push(words, nwords, value);
    } else {
      push(words, nwords, opt);
      for (char *tok = strtok(value, " \t"); tok; tok = strtok(NULL, " \t"))
        push(words, nwords, tok);
    }
  }
  fclose(f);
  return rc;
}

#include "cmd/args.h"

#include "cmd/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct key {
  const char *s;
  size_t n;
};

/* Compares a user's long option (with '_' read as '-') to a table name. */
static int cmp_key(const void *k, const void *e) {
  const struct key *key = k;
  const char *name = ((const ct_optdef *)e)->name;
  for (size_t i = 0; i < key->n; i++) {
    char c = key->s[i] == '_' ? '-' : key->s[i];
    if (!name[i]) return 1;
    if (c != name[i]) return (unsigned char)c - (unsigned char)name[i];
  }
  return name[key->n] ? -1 : 0;
}

void ct_args_check_sorted(const ct_optdef *defs, size_t ndefs) {
  for (size_t i = 1; i < ndefs; i++) {
    if (strcmp(defs[i - 1].name, defs[i].name) >= 0) {
      fprintf(stderr, "ctrace: internal error: option table not sorted at '%s'\n", defs[i].name);
      abort();
    }
  }
}

static const ct_optdef *find_short(const ct_optdef *defs, size_t ndefs, char c) {
  for (size_t i = 0; i < ndefs; i++)
    if (defs[i].short_name == c) return &defs[i];
  return NULL;
}

static int take_values(const char *cmd, const ct_optdef *d, const char *inline_val, int argc,
                       char **argv, int *i, char **vals, int *nvals) {
  *nvals = 0;
  if (d->kind == CT_ARG_FLAG) {
    if (inline_val) return ct_usage_error(cmd, "option '--%s' takes no value", d->name);
    return 0;
  }
  if (inline_val) {
    vals[0] = (char *)inline_val;
    *nvals = 1;
    if (d->kind == CT_ARG_VALUE) return 0;
  }
  if (d->kind == CT_ARG_VALUE) {
    if (*i + 1 >= argc) return ct_usage_error(cmd, "option '--%s' needs a value", d->name);
    vals[0] = argv[++*i];
    *nvals = 1;
    return 0;
  }
  /* Lists: the following words that are not options. */
  int j = *i + 1;
  while (j < argc && argv[j][0] != '-' && *nvals < 4096) {
    vals[(*nvals)++] = argv[j++];
  }
  *i = j - 1;
  if (*nvals == 0 && d->kind == CT_ARG_LIST)
    return ct_usage_error(cmd, "option '--%s' needs at least one value", d->name);
  return 0;
}

int ct_args_parse(const char *cmd, const ct_optdef *defs, size_t ndefs, int argc,
                  char **argv, int *pos, bool stop_at_positional, char **positionals,
                  int max_pos, int *npos, ct_arg_fn fn, void *ctx) {
  static char *vals[4096];
  int nvals;
  if (npos) *npos = 0;
  int i = *pos;
  for (; i < argc; i++) {
    char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      if (!stop_at_positional) {
        for (; i < argc; i++) {
          if (*npos >= max_pos) return ct_usage_error(cmd, "unexpected argument '%s'", argv[i]);
          positionals[(*npos)++] = argv[i];
        }
      }
      break;
    }
    if (a[0] != '-' || a[1] == 0) {
      if (stop_at_positional) break;
      if (*npos >= max_pos) return ct_usage_error(cmd, "unexpected argument '%s'", a);
      positionals[(*npos)++] = a;
      continue;
    }
    const ct_optdef *d;
    int rc = 0;
    if (a[1] == '-') {
      const char *name = a + 2;
      const char *eq = strchr(name, '=');
      struct key k = {name, eq ? (size_t)(eq - name) : strlen(name)};
      d = bsearch(&k, defs, ndefs, sizeof *defs, cmp_key);
      if (!d) return ct_usage_error(cmd, "unknown option '--%.*s'", (int)k.n, name);
      rc = take_values(cmd, d, eq ? eq + 1 : NULL, argc, argv, &i, vals, &nvals);
      if (rc) return rc;
      rc = fn(ctx, d, vals, nvals);
      if (rc == CT_ARGS_STOP) {
        i++;
        break;
      }
      if (rc) return rc;
      continue;
    }
    /* Short options, possibly clustered (-qo out.json) or with a glued value. */
    for (const char *c = a + 1; *c; c++) {
      d = find_short(defs, ndefs, *c);
      if (!d) return ct_usage_error(cmd, "unknown option '-%c'", *c);
      if (d->kind != CT_ARG_FLAG && c[1]) {
        rc = take_values(cmd, d, c + 1, argc, argv, &i, vals, &nvals);
        if (rc) return rc;
        rc = fn(ctx, d, vals, nvals);
        break;
      }
      rc = take_values(cmd, d, NULL, argc, argv, &i, vals, &nvals);
      if (rc) return rc;
      rc = fn(ctx, d, vals, nvals);
      if (rc) break;
    }
    if (rc == CT_ARGS_STOP) {
      i++;
      break;
    }
    if (rc) return rc;
  }
  *pos = i;
  return 0;
}

void ct_args_help(const ct_optdef *defs, size_t ndefs) {
  for (size_t i = 0; i < ndefs; i++) {
    const ct_optdef *d = &defs[i];
    if (!d->help) continue;
    char left[64];
    const char *mv = d->metavar ? d->metavar : "";
    const char *suffix = d->kind == CT_ARG_LIST ? "..." : d->kind == CT_ARG_OPTLIST ? "..." : "";
    if (d->short_name)
      snprintf(left, sizeof left, "-%c, --%s%s%s%s", d->short_name, d->name, *mv ? " " : "", mv,
               suffix);
    else
      snprintf(left, sizeof left, "    --%s%s%s%s", d->name, *mv ? " " : "", mv, suffix);
    printf("  %-30s %s\n", left, d->help);
  }
}

/* The Python environment of the traced program: a virtual environment when
 * one is named or active, else the system's. Plain file and string work; the
 * interpreter itself is configured in interp.c. */
#include "embed/pyenv.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report(ct_report_fn fn, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fn(fmt, ap);
  va_end(ap);
}

/* The embedded major and minor version. */
static void embedded_version(int *major, int *minor) {
  *major = *minor = -1;
  sscanf(ct_embed_python_version(), "%d.%d", major, minor);
}

static bool is_exec_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *out = malloc(n);
  if (out) snprintf(out, n, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", name);
  return out;
}

/* PATH made absolute against the current folder, links kept: a venv's
 * python3 is a link to the base interpreter, and getpath must see the link
 * to find pyvenv.cfg. */
static char *absolute(const char *path) {
  if (path[0] == '/') return strdup(path);
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return NULL;
  while (path[0] == '.' && path[1] == '/') path += 2;
  return join(cwd, path);
}

/* The first executable NAME on PATH (an empty entry is the current folder),
 * malloc'd, or NULL. */
static char *search_path(const char *name) {
  const char *p = getenv("PATH");
  if (!p) return NULL;
  while (true) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char dir[PATH_MAX];
    if (n < sizeof dir) {
      memcpy(dir, p, n);
      dir[n] = 0;
      char *cand = join(n ? dir : ".", name);
      if (cand && is_exec_file(cand)) {
        char *abs = absolute(cand);
        free(cand);
        return abs;
      }
      free(cand);
    }
    if (!end) return NULL;
    p = end + 1;
  }
}

/* The pyvenv.cfg that makes EXE part of a virtual environment, looked for
 * where getpath looks: one folder above EXE's, then beside it. Malloc'd or
 * NULL. */
static char *find_pyvenv_cfg(const char *exe) {
  char *dir = strdup(exe);
  if (!dir) return NULL;
  char *slash = strrchr(dir, '/');
  if (!slash) {
    free(dir);
    return NULL;
  }
  *slash = 0;
  char *result = NULL;
  char *up = strrchr(dir, '/');
  if (up) {
    char saved = up[1];
    up[1] = 0;
    char *cand = join(dir, "pyvenv.cfg");
    up[1] = saved;
    if (cand && access(cand, R_OK) == 0) result = cand;
    else free(cand);
  }
  if (!result) {
    char *cand = join(dir, "pyvenv.cfg");
    if (cand && access(cand, R_OK) == 0) result = cand;
    else free(cand);
  }
  free(dir);
  return result;
}

/* The value of KEY in a pyvenv.cfg ("key = value" lines), in BUF. */
static bool cfg_value(const char *cfg, const char *key, char *buf, size_t size) {
  FILE *f = fopen(cfg, "r");
  if (!f) return false;
  char line[1024];
  bool found = false;
  size_t klen = strlen(key);
  while (!found && fgets(line, sizeof line, f)) {
    char *s = line;
    while (isspace((unsigned char)*s)) s++;
    if (strncmp(s, key, klen) != 0) continue;
    s += klen;
    while (*s == ' ' || *s == '\t') s++;
    if (*s != '=') continue;
    s++;
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strcspn(s, "\r\n");
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n >= size) n = size - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
    found = true;
  }
  fclose(f);
  return found;
}

bool ct_pyenv_name_matches(const char *name) {
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  if (strncmp(base, "python", 6) != 0) return true;
  int major = -1, minor = -1, want_major, want_minor;
  int n = sscanf(base + 6, "%d.%d", &major, &minor);
  embedded_version(&want_major, &want_minor);
  if (n >= 1 && major != want_major) return false;
  if (n == 2 && minor != want_minor) return false;
  return true;
}

/* Checks that EXE is the embedded major.minor: by the version its
 * pyvenv.cfg records, else by its name once links are resolved
 * (/usr/bin/python3 -> python3.11). */
static int check_version(const char *exe, ct_report_fn error) {
  int want_major, want_minor;
  embedded_version(&want_major, &want_minor);
  char *cfg = find_pyvenv_cfg(exe);
  if (cfg) {
    char ver[128];
    /* The venv module writes "version", virtualenv "version_info". */
    if (cfg_value(cfg, "version", ver, sizeof ver) ||
        cfg_value(cfg, "version_info", ver, sizeof ver)) {
      int major = -1, minor = -1;
      sscanf(ver, "%d.%d", &major, &minor);
      if (major != want_major || minor != want_minor) {
        char *slash = strrchr(cfg, '/');
        *slash = 0;
        report(error,
               "the virtual environment '%s' is Python %s, but ctrace embeds Python %s: "
               "use a Python %d.%d environment",
               cfg, ver, ct_embed_python_version(), want_major, want_minor);
        free(cfg);
        return -1;
      }
    }
    free(cfg);
    return 0;
  }
  char real[PATH_MAX];
  if (realpath(exe, real) && !ct_pyenv_name_matches(real)) {
    const char *base = strrchr(real, '/') + 1;
    report(error, "'%s' is Python %s, but ctrace embeds Python %s: use a Python %d.%d interpreter",
           exe, base + 6, ct_embed_python_version(), want_major, want_minor);
    return -1;
  }
  return 0;
}

char *ct_pyenv_which(const char *name) {
  char *exe = search_path(name);
  if (!exe) return NULL;
  char *cfg = find_pyvenv_cfg(exe);
  if (cfg) {
    free(cfg);
    return exe;
  }
  char real[PATH_MAX];
  int major = -1, minor = -1, want_major, want_minor;
  embedded_version(&want_major, &want_minor);
  const char *base = realpath(exe, real) ? strrchr(real, '/') + 1 : "";
  if (sscanf(base, "python%d.%d", &major, &minor) == 2 && major == want_major &&
      minor == want_minor)
    return exe;
  free(exe);
  return NULL;
}

/* The python3 of the active virtual environment, in *EXE (NULL when none
 * is active). The python3 the shell would run comes first: a venv's bin/
 * first on PATH is what activation does, and it stays right when
 * VIRTUAL_ENV is stale. Then $VIRTUAL_ENV, which tools set without
 * activating (a stale one is reported). */
static int active_venv_python(ct_report_fn error, char **exe) {
  *exe = search_path("python3");
  char *cfg = *exe ? find_pyvenv_cfg(*exe) : NULL;
  if (cfg) {
    free(cfg);
    return 0;
  }
  free(*exe);
  *exe = NULL;
  const char *venv = getenv("VIRTUAL_ENV");
  if (!venv || !*venv) return 0;
  static const char *const names[] = {"bin/python3", "bin/python"};
  for (size_t i = 0; !*exe && i < sizeof names / sizeof *names; i++) {
    char *cand = join(venv, names[i]);
    if (cand && is_exec_file(cand)) *exe = absolute(cand);
    free(cand);
  }
  if (!*exe) {
    report(error, "VIRTUAL_ENV names '%s', which has no bin/python3: deactivate it or give --python",
           venv);
    return -1;
  }
  return 0;
}

int ct_pyenv_find(const char *explicit_python, ct_report_fn error, char **out) {
  *out = NULL;
  char *exe = NULL;
  if (explicit_python && *explicit_python) {
    exe = strchr(explicit_python, '/') ? absolute(explicit_python) : search_path(explicit_python);
    if (!exe || !is_exec_file(exe)) {
      report(error, "cannot use Python '%s': %s", explicit_python,
             exe && access(exe, F_OK) == 0 ? "it is not an executable file" : strerror(ENOENT));
      free(exe);
      return -1;
    }
  } else if (active_venv_python(error, &exe) < 0) {
    return -1;
  } else if (!exe) {
    return 0; /* no virtual environment: the system's Python */
  }
  if (check_version(exe, error) < 0) {
    free(exe);
    return -1;
  }
  *out = exe;
  return 0;
}

/* Finding the Python environment: version names, pyvenv.cfg lookup and
 * parsing, the version check. embed/pyenv.c is plain C; the one function it
 * takes from the interpreter is stubbed here. */
#include "check.h"

#include "embed/pyenv.c"

#include <sys/stat.h>

const char *ct_embed_python_version(void) { return "3.11.2"; }

static char last_error[512];
static void capture(const char *fmt, va_list ap) { vsnprintf(last_error, sizeof last_error, fmt, ap); }

static void put(const char *path, const char *text, mode_t mode) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
  chmod(path, mode);
}

int main(void) {
  static const struct {
    const char *name;
    bool matches;
  } names[] = {
      {"python", true},           {"python3", true},         {"python3.11", true},
      {"/usr/bin/python3.11", true}, {"python3.11-dbg", true}, {"pytest", true},
      {"python3.12", false},      {"/opt/py/python3.9", false}, {"python2", false},
      {"python2.7", false},       {"python4", false},
  };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    if (ct_pyenv_name_matches(names[i].name) != names[i].matches)
      fprintf(stderr, "name %s\n", names[i].name);
    CHECK_EQ(ct_pyenv_name_matches(names[i].name), names[i].matches);
  }

  const char *tmp = getenv("CT_TEST_TMP");
  char dir[PATH_MAX], path[PATH_MAX + 64], value[128];
  snprintf(dir, sizeof dir, "%s", tmp ? tmp : "/tmp/ct_test_pyenv");
  mkdir(dir, 0777);

  /* Keys and values as the venv module and virtualenv write them. */
  snprintf(path, sizeof path, "%s/pyvenv.cfg", dir);
  put(path,
      "home = /usr/bin\r\n"
      "versionx = 9\n"
      "  include-system-site-packages=false  \n"
      "version_info = 3.12.0.final.0\n"
      "version =3.11.2\n",
      0644);
  CHECK(cfg_value(path, "home", value, sizeof value));
  CHECK_STREQ(value, "/usr/bin");
  CHECK(cfg_value(path, "version", value, sizeof value));
  CHECK_STREQ(value, "3.11.2");
  CHECK(cfg_value(path, "include-system-site-packages", value, sizeof value));
  CHECK_STREQ(value, "false");
  CHECK(cfg_value(path, "version_info", value, sizeof value));
  CHECK_STREQ(value, "3.12.0.final.0");
  CHECK(!cfg_value(path, "prompt", value, sizeof value));

  /* pyvenv.cfg one folder above the interpreter, as a venv has it. */
  char venv[PATH_MAX + 16], bin[PATH_MAX + 32], exe[PATH_MAX + 64];
  snprintf(venv, sizeof venv, "%s/env", dir);
  snprintf(bin, sizeof bin, "%s/bin", venv);
  snprintf(exe, sizeof exe, "%s/python3", bin);
  mkdir(venv, 0777);
  mkdir(bin, 0777);
  put(exe, "#!/bin/sh\n", 0755);
  snprintf(path, sizeof path, "%s/pyvenv.cfg", venv);
  put(path, "home = /usr/bin\nversion = 3.11.7\n", 0644);
  char *cfg = find_pyvenv_cfg(exe);
  CHECK(cfg != NULL);
  CHECK_STREQ(cfg ? cfg : "", path);
  free(cfg);
  CHECK_EQ(check_version(exe, capture), 0);

  /* Another minor version: refused, the message names both. */
  put(path, "home = /usr/bin\nversion = 3.9.7\n", 0644);
  last_error[0] = 0;
  CHECK_EQ(check_version(exe, capture), -1);
  CHECK(strstr(last_error, "3.9.7") != NULL);
  CHECK(strstr(last_error, "3.11.2") != NULL);
  CHECK(strstr(last_error, venv) != NULL);
  char *out = (char *)"unset";
  CHECK_EQ(ct_pyenv_find(exe, capture, &out), -1);
  CHECK(out == NULL);

  /* Beside the interpreter also counts; none at all is not a venv. */
  remove(path);
  snprintf(path, sizeof path, "%s/pyvenv.cfg", bin);
  put(path, "version_info = 3.11.2.final.0\n", 0644);
  cfg = find_pyvenv_cfg(exe);
  CHECK_STREQ(cfg ? cfg : "", path);
  free(cfg);
  CHECK_EQ(ct_pyenv_find(exe, capture, &out), 0);
  CHECK_STREQ(out ? out : "", exe);
  free(out);
  remove(path);
  CHECK(find_pyvenv_cfg(exe) == NULL);

  /* A missing interpreter. */
  snprintf(path, sizeof path, "%s/none/python3", dir);
  CHECK_EQ(ct_pyenv_find(path, capture, &out), -1);
  CHECK(strstr(last_error, "No such file") != NULL);
  CHECK_DONE();
}

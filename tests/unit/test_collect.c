/* Collecting children's parts: registration and liveness, parts copied
 * verbatim into a report, footers merged, broken parts skipped. */
#include "check.h"
#include "core/collect.h"
#include "core/dump.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[512];

/* Writes a part as a child's tracer would: events, then the footer. */
static void write_part(int64_t pid, int nslices, int dropped, const char *file) {
  char p[1024];
  ct_collect_part_path(dir, pid, p, sizeof p);
  ct_dump d;
  CHECK_EQ(ct_dump_open(&d, p), 0);
  ct_dump_process_name(&d, pid, "child");
  for (int i = 0; i < nslices; i++)
    ct_dump_slice(&d, pid, pid, 1000 * i, 500, "\"f\\n\"", 5, NULL, 0);
  ct_dump_end_events(&d);
  char footer[1024];
  snprintf(footer, sizeof footer,
           ",\"ctrace_metadata\":{\"overflow\":%s,\"dropped_events\":%d},"
           "\"file_info\":{\"files\":{\"%s\":[\"x = 1\\n\",1]},"
           "\"functions\":{\"f (%s:1)\":[\"%s\",1]}}",
           dropped ? "true" : "false", dropped, file, file, file);
  ct_jw_cstr(&d.jw, footer);
  CHECK_EQ(ct_dump_commit(&d), 0);
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

static void test_registration(void) {
  CHECK_EQ(ct_collect_register(dir, getpid()), 0);
  int64_t pids[4];
  CHECK_EQ(ct_collect_pending(dir, pids, 4), 1);
  CHECK_EQ(pids[0], getpid());
  /* A zombie is not waited for. */
  pid_t z = fork();
  if (z == 0) _exit(0);
  CHECK_EQ(ct_collect_register(dir, z), 0);
  usleep(50000);
  CHECK(!ct_collect_pid_alive(z));
  CHECK_EQ(ct_collect_pending(dir, pids, 4), 1);
  waitpid(z, NULL, 0);
  CHECK(!ct_collect_pid_alive(z));
  /* Done: the registration goes. */
  ct_collect_done(dir, getpid());
  CHECK_EQ(ct_collect_pending(dir, pids, 4), 0);
  /* A child that finished before its parent registered it. */
  write_part(getpid(), 1, 0, "/a.py");
  CHECK_EQ(ct_collect_register(dir, getpid()), 0);
  CHECK_EQ(ct_collect_pending(dir, pids, 4), 0);
  /* The same pid again (reused) gets a part of its own. */
  char p[1024];
  ct_collect_part_path(dir, getpid(), p, sizeof p);
  CHECK(strstr(p, "-2.json") != NULL);
  ct_collect_remove_dir(dir);
  CHECK_EQ(access(dir, F_OK), -1);
  CHECK_EQ(mkdir(dir, 0700), 0);
}

static void test_merge(void) {
  write_part(101, 3, 0, "/a.py");
  write_part(102, 0, 7, "/b.py");
  write_part(103, 2, 5, "/a.py");
  /* A part cut short (a child killed while writing) is skipped. */
  char p[1024];
  snprintf(p, sizeof p, "%s/104.json", dir);
  FILE *f = fopen(p, "w");
  fputs("{\"traceEvents\":[\n{\"ph\":\"X\"", f);
  fclose(f);

  char out[1024];
  snprintf(out, sizeof out, "%s/../collect_report.json", dir);
  ct_collect *c = ct_collect_new();
  ct_dump d;
  CHECK_EQ(ct_dump_open(&d, out), 0);
  ct_dump_process_name(&d, 100, "root");
  CHECK_EQ(ct_collect_append_events(c, &d, dir), 3);
  ct_dump_end_events(&d);
  CHECK_EQ(ct_collect_events(c), (1 + 3) + 1 + (1 + 2));
  CHECK_EQ(ct_collect_dropped(c), 12);
  CHECK_EQ(d.events, 1 + 8);
  ct_jw_cstr(&d.jw, ",\"file_info\":{\"files\":{\"/root.py\":[\"\",0]");
  ct_collect_forget_file(c, "/a.py");
  ct_collect_write_files(c, &d.jw, true);
  ct_jw_cstr(&d.jw, "},\"functions\":{");
  ct_collect_write_functions(c, &d.jw, false);
  ct_jw_cstr(&d.jw, "}}");
  CHECK_EQ(ct_dump_commit(&d), 0);
  ct_collect_free(c);

  char *text = read_all(out);
  cJSON *t = cJSON_Parse(text);
  CHECK(t != NULL);
  cJSON *evs = cJSON_GetObjectItem(t, "traceEvents");
  CHECK_EQ(cJSON_GetArraySize(evs), 9);
  int pids[200] = {0};
  cJSON *e;
  cJSON_ArrayForEach(e, evs) {
    int pid = cJSON_GetObjectItem(e, "pid")->valueint;
    if (pid >= 100 && pid < 200) pids[pid]++;
  }
  CHECK_EQ(pids[100], 1);
  CHECK_EQ(pids[101], 4);
  CHECK_EQ(pids[102], 1);
  CHECK_EQ(pids[103], 3);
  CHECK_EQ(pids[104], 0);
  cJSON *files = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "file_info"), "files");
  CHECK_EQ(cJSON_GetArraySize(files), 2); /* root.py and b.py; a.py forgotten */
  CHECK(cJSON_GetObjectItem(files, "/b.py") != NULL);
  cJSON *funcs = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "file_info"), "functions");
  CHECK_EQ(cJSON_GetArraySize(funcs), 2);
  cJSON_Delete(t);
  unlink(out);
}

int main(void) {
  const char *tmp = getenv("CT_TEST_TMP");
  char base[400];
  snprintf(base, sizeof base, "%s", tmp ? tmp : "/tmp/ct_test_collect");
  char cmd[900];
  snprintf(cmd, sizeof cmd, "rm -rf '%.390s' && mkdir -p '%.390s'", base, base);
  if (system(cmd) != 0) return 1;
  setenv("TMPDIR", base, 1);
  CHECK_EQ(ct_collect_make_dir(dir, sizeof dir), 0);
  CHECK(strncmp(dir, base, strlen(base)) == 0);
  test_registration();
  test_merge();
  ct_collect_remove_dir(dir);
  CHECK_DONE();
}

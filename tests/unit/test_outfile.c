/* Output files: written under a temporary name, renamed when complete,
 * removed on failure; gzip output reads back with zlib. */
#include "check.h"
#include "core/dump.h"
#include "core/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>
#include <zlib.h>

static char dir[512];

static int count_files(void) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.')) n++;
  closedir(d);
  return n;
}

static void path_of(char *out, const char *name) {
  snprintf(out, 600, "%.500s/%.90s", dir, name);
}

static void test_plain_and_gzip(void) {
  char p[600], g[600];
  path_of(p, "a.json");
  path_of(g, "a.json.gz");
  static char data[300000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = "{\"ph\":\"X\"},\n"[i % 12];

  ct_outfile *f;
  CHECK_EQ(ct_outfile_open(&f, p, 0), 0);
  CHECK_EQ(access(p, F_OK), -1); /* not under its final name yet */
  CHECK_EQ(ct_outfile_write(f, data, sizeof data), 0);
  CHECK_EQ(ct_outfile_commit(f), 0);
  struct stat st;
  CHECK_EQ(stat(p, &st), 0);
  CHECK_EQ(st.st_size, sizeof data);

  CHECK(ct_path_is_gzip(g));
  CHECK(!ct_path_is_gzip(p));
  CHECK_EQ(ct_outfile_open(&f, g, CT_OUT_GZIP), 0);
  for (int i = 0; i < 3; i++) CHECK_EQ(ct_outfile_write(f, data, sizeof data), 0);
  /* Enough to span several chunks compressed by several workers. */
  for (int i = 0; i < 20; i++) CHECK_EQ(ct_outfile_write(f, data, sizeof data), 0);
  CHECK_EQ(ct_outfile_commit(f), 0);
  gzFile z = gzopen(g, "rb");
  CHECK(z != NULL);
  static char back[24 * sizeof data];
  int got = gzread(z, back, sizeof back);
  CHECK(gzeof(z));
  gzclose(z);
  CHECK_EQ(got, 23 * sizeof data);
  for (int i = 0; i < 23; i++) CHECK(memcmp(back + i * sizeof data, data, sizeof data) == 0);
  CHECK_EQ(count_files(), 2);
}

static void test_failures(void) {
  char p[600];
  ct_outfile *f;
  /* A folder as the output. */
  CHECK_EQ(ct_outfile_open(&f, dir, 0), -EISDIR);
  /* A missing folder. */
  path_of(p, "missing/x.json");
  CHECK_EQ(ct_outfile_open(&f, p, 0), -ENOENT);
  /* Abort leaves nothing behind. */
  path_of(p, "aborted.json");
  CHECK_EQ(ct_outfile_open(&f, p, 0), 0);
  ct_outfile_write(f, "abc", 3);
  ct_outfile_abort(f);
  CHECK_EQ(access(p, F_OK), -1);
  /* A write past the file size limit (like a full disk) fails, and the
   * commit removes the temporary file. */
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit old, lim = {4096, 4096};
  getrlimit(RLIMIT_FSIZE, &old);
  lim.rlim_max = old.rlim_max;
  setrlimit(RLIMIT_FSIZE, &lim);
  path_of(p, "toobig.json");
  CHECK_EQ(ct_outfile_open(&f, p, 0), 0);
  static char data[10000];
  /* Writing is asynchronous: the error may surface at the write or only
   * at the commit, but it surfaces. */
  int wr = ct_outfile_write(f, data, sizeof data);
  CHECK(wr == 0 || wr == -EFBIG);
  CHECK_EQ(ct_outfile_commit(f), -EFBIG);
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK_EQ(access(p, F_OK), -1);
  CHECK_EQ(count_files(), 2); /* only the two files of the first test */
}

static void test_dump(void) {
  /* A minimal trace through ct_dump parses as JSON with the events. */
  char p[600];
  path_of(p, "dump.json");
  ct_dump d;
  CHECK_EQ(ct_dump_open(&d, p), 0);
  ct_dump_process_name(&d, 7, "proc \"x\"");
  ct_dump_thread_name(&d, 7, 8, "main");
  ct_dump_slice(&d, 7, 8, 1500, 2250, "\"f\"", 3, "{\"a\":1}", 7);
  ct_dump_end_events(&d);
  CHECK_EQ(ct_dump_commit(&d), 0);
  FILE *fp = fopen(p, "r");
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = 0;
  CHECK(strstr(buf, "\"ts\":1.500,\"dur\":2.250,\"name\":\"f\"") != NULL);
  CHECK(strstr(buf, "\"proc \\\"x\\\"\"") != NULL);
  CHECK(!ct_dump_can_write("x.txt"));
  CHECK(ct_dump_can_write("x.json"));
  CHECK(ct_dump_can_write("x.json.gz"));
  unlink(p);
}

static void test_dump_failure(void) {
  /* The zero-copy path: a trace bigger than the size limit fails as a
   * whole, and nothing is left. */
  char p[600];
  path_of(p, "limited.json");
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit old, lim = {100000, 100000};
  getrlimit(RLIMIT_FSIZE, &old);
  lim.rlim_max = old.rlim_max;
  setrlimit(RLIMIT_FSIZE, &lim);
  ct_dump d;
  CHECK_EQ(ct_dump_open(&d, p), 0);
  for (int i = 0; i < 200000; i++)
    ct_dump_slice(&d, 1, 2, i * 1000, 500, "\"some function name\"", 20, NULL, 0);
  ct_dump_end_events(&d);
  CHECK_EQ(ct_dump_commit(&d), -EFBIG);
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK_EQ(access(p, F_OK), -1);
  CHECK_EQ(count_files(), 2);

  /* And a big one that succeeds spans many chunks in order. */
  path_of(p, "big.json.gz");
  CHECK_EQ(ct_dump_open(&d, p), 0);
  for (int i = 0; i < 200000; i++)
    ct_dump_slice(&d, 1, 2, i * 1000, 500, "\"some function name\"", 20, NULL, 0);
  ct_dump_end_events(&d);
  CHECK_EQ(ct_dump_commit(&d), 0);
  gzFile z = gzopen(p, "rb");
  static char buf[1 << 16];
  long total = 0, lines = 0;
  int got;
  while ((got = gzread(z, buf, sizeof buf)) > 0) {
    total += got;
    for (int i = 0; i < got; i++) lines += buf[i] == '\n';
  }
  gzclose(z);
  CHECK_EQ(lines, 1 + 199999 + 2); /* header, separators, the end */
  CHECK(total > 200000 * 60);
  unlink(p);
}

int main(void) {
  const char *tmp = getenv("CT_TEST_TMP");
  snprintf(dir, sizeof dir, "%s", tmp ? tmp : "/tmp/ct_test_outfile");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%.250s' && mkdir -p '%.250s'", dir, dir);
  if (system(cmd) != 0) return 1;
  test_plain_and_gzip();
  test_failures();
  test_dump();
  test_dump_failure();
  CHECK_DONE();
}

#define _GNU_SOURCE
#include "core/collect.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char HEADER[] = "{\"traceEvents\":[\n";
static const char MARKER[] = "\n],\"displayTimeUnit\"";

struct ct_collect {
  cJSON *files;     /* path -> [source, lines], first part wins */
  cJSON *functions; /* name -> [file, line] */
  uint64_t events, dropped;
  size_t parts;
};

int ct_collect_make_dir(char *out, size_t n) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = "/tmp";
  int k = snprintf(out, n, "%s/ctrace-%lld-XXXXXX", tmp, (long long)getpid());
  if (k < 0 || (size_t)k >= n) return -ENAMETOOLONG;
  if (!mkdtemp(out)) return -errno;
  return 0;
}

static void entry_path(const char *dir, int64_t pid, const char *suffix, char *out, size_t n) {
  snprintf(out, n, "%s/%lld%s", dir, (long long)pid, suffix);
}

int ct_collect_register(const char *dir, int64_t pid) {
  char path[4096];
  entry_path(dir, pid, ".json", path, sizeof path);
  if (access(path, F_OK) == 0) return 0; /* already finished */
  entry_path(dir, pid, ".running", path, sizeof path);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  close(fd);
  return 0;
}

void ct_collect_part_path(const char *dir, int64_t pid, char *out, size_t n) {
  entry_path(dir, pid, ".json", out, n);
  for (int k = 2; access(out, F_OK) == 0 && k < 1000; k++) {
    char suffix[32];
    snprintf(suffix, sizeof suffix, "-%d.json", k);
    entry_path(dir, pid, suffix, out, n);
  }
}

void ct_collect_done(const char *dir, int64_t pid) {
  char path[4096];
  entry_path(dir, pid, ".running", path, sizeof path);
  unlink(path);
}

bool ct_collect_pid_alive(int64_t pid) {
  if (pid <= 0) return false;
  if (kill((pid_t)pid, 0) != 0 && errno != EPERM) return false;
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true; /* no /proc: trust kill() */
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  /* "pid (comm) S ...": the state follows the last ')'. */
  char *p = strrchr(buf, ')');
  return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

size_t ct_collect_pending(const char *dir, int64_t *pids, size_t max) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  size_t count = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!ends_with(e->d_name, ".running")) continue;
    char *end;
    long long pid = strtoll(e->d_name, &end, 10);
    if (strcmp(end, ".running") != 0) continue;
    char path[4096];
    entry_path(dir, pid, ".json", path, sizeof path);
    if (access(path, F_OK) == 0 || !ct_collect_pid_alive(pid)) continue;
    if (count < max) pids[count] = pid;
    count++;
  }
  closedir(d);
  return count;
}

ct_collect *ct_collect_new(void) {
  ct_collect *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->files = cJSON_CreateObject();
  c->functions = cJSON_CreateObject();
  if (!c->files || !c->functions) {
    ct_collect_free(c);
    return NULL;
  }
  return c;
}

void ct_collect_free(ct_collect *c) {
  if (!c) return;
  cJSON_Delete(c->files);
  cJSON_Delete(c->functions);
  free(c);
}

/* Adds the members of FROM that TO lacks (moving them). */
static void merge_members(cJSON *to, cJSON *from) {
  if (!cJSON_IsObject(from)) return;
  while (from->child) {
    cJSON *item = cJSON_DetachItemViaPointer(from, from->child);
    if (item->string && !cJSON_GetObjectItemCaseSensitive(to, item->string))
      cJSON_AddItemToObject(to, item->string, item);
    else
      cJSON_Delete(item);
  }
}

/* The position of MARKER in the part (searching back from its end: only
 * the footer follows it, and that has no raw newline). */
static const char *find_marker(const char *p, size_t n) {
  size_t k = sizeof MARKER - 1;
  const char *end = p + n;
  while (end > p) {
    const char *nl = memrchr(p, '\n', (size_t)(end - p));
    if (!nl) return NULL;
    if ((size_t)(p + n - nl) >= k && memcmp(nl, MARKER, k) == 0) return nl;
    end = nl;
  }
  return NULL;
}

static void append_part(ct_collect *c, ct_dump *d, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof HEADER) {
    close(fd);
    return;
  }
  size_t n = (size_t)st.st_size;
  char *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return;
  size_t h = sizeof HEADER - 1;
  const char *m = memcmp(p, HEADER, h) == 0 ? find_marker(p + h, n - h) : NULL;
  /* The footer: '{' + what follows "\n]," is a JSON object. */
  size_t tail = m ? (size_t)(p + n - (m + 3)) : 0;
  char *footer = m ? malloc(tail + 2) : NULL;
  cJSON *f = NULL;
  if (footer) {
    footer[0] = '{';
    memcpy(footer + 1, m + 3, tail);
    footer[tail + 1] = 0;
    f = cJSON_Parse(footer);
    free(footer);
  }
  if (f) {
    size_t len = (size_t)(m - (p + h));
    if (len) {
      madvise(p, n, MADV_SEQUENTIAL);
      ct_dump_raw_event(d, p + h, len);
      uint64_t events = 1;
      for (const char *q = p + h; (q = memchr(q, '\n', (size_t)(m - q))); q++) events++;
      d->events += events - 1;
      c->events += events;
    }
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(f, "ctrace_metadata");
    cJSON *dropped = cJSON_GetObjectItemCaseSensitive(meta, "dropped_events");
    if (cJSON_IsNumber(dropped) && dropped->valuedouble > 0)
      c->dropped += (uint64_t)dropped->valuedouble;
    cJSON *info = cJSON_GetObjectItemCaseSensitive(f, "file_info");
    merge_members(c->files, cJSON_GetObjectItemCaseSensitive(info, "files"));
    merge_members(c->functions, cJSON_GetObjectItemCaseSensitive(info, "functions"));
    cJSON_Delete(f);
    c->parts++;
  }
  munmap(p, n);
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t ct_collect_append_events(ct_collect *c, ct_dump *d, const char *dir) {
  DIR *dd = opendir(dir);
  if (!dd) return 0;
  char **names = NULL;
  size_t count = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(dd))) {
    if (e->d_name[0] == '.' || !ends_with(e->d_name, ".json")) continue;
    if (count == cap) {
      cap = cap ? cap * 2 : 16;
      char **a = realloc(names, cap * sizeof *a);
      if (!a) break;
      names = a;
    }
    names[count] = strdup(e->d_name);
    if (names[count]) count++;
  }
  closedir(dd);
  if (count) qsort(names, count, sizeof *names, cmp_names);
  size_t before = c->parts;
  for (size_t i = 0; i < count; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    append_part(c, d, path);
    free(names[i]);
  }
  free(names);
  return c->parts - before;
}

uint64_t ct_collect_events(const ct_collect *c) { return c ? c->events : 0; }
uint64_t ct_collect_dropped(const ct_collect *c) { return c ? c->dropped : 0; }
size_t ct_collect_parts(const ct_collect *c) { return c ? c->parts : 0; }

void ct_collect_forget_file(ct_collect *c, const char *path) {
  if (c) cJSON_DeleteItemFromObjectCaseSensitive(c->files, path);
}

void ct_collect_forget_function(ct_collect *c, const char *name) {
  if (c) cJSON_DeleteItemFromObjectCaseSensitive(c->functions, name);
}

static bool write_members(cJSON *obj, ct_jw *w, bool comma) {
  for (cJSON *it = obj ? obj->child : NULL; it; it = it->next) {
    char *v = cJSON_PrintUnformatted(it);
    if (!v) continue;
    if (comma) ct_jw_char(w, ',');
    ct_jw_cstr_quoted(w, it->string);
    ct_jw_char(w, ':');
    ct_jw_cstr(w, v);
    free(v);
    comma = true;
  }
  return comma;
}

bool ct_collect_write_files(ct_collect *c, ct_jw *w, bool comma) {
  return c ? write_members(c->files, w, comma) : comma;
}

bool ct_collect_write_functions(ct_collect *c, ct_jw *w, bool comma) {
  return c ? write_members(c->functions, w, comma) : comma;
}

void ct_collect_remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
    closedir(d);
  }
  rmdir(dir);
}

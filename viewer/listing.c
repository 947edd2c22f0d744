/* The page that lists the traces of a directory (ctrace view DIR). */
#include "viewer/view.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct buf {
  char *p;
  size_t len, cap;
  int err;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->err) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (b->len + n + 1 > cap) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->err = -ENOMEM;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void printf_(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(struct buf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Text for HTML content and attribute values. */
static void put_html(struct buf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': puts_(b, "&amp;"); break;
    case '<': puts_(b, "&lt;"); break;
    case '>': puts_(b, "&gt;"); break;
    case '"': puts_(b, "&quot;"); break;
    case '\'': puts_(b, "&#39;"); break;
    default: put(b, s, 1);
    }
  }
}

/* Percent-encodes everything but unreserved characters (RFC 3986). */
static void put_url(struct buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
        *p == '-' || *p == '_' || *p == '.' || *p == '~') {
      put(b, (const char *)p, 1);
    } else {
      char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
      put(b, e, 3);
    }
  }
}

bool ct_view_name_ok(const char *name) {
  return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < NAME_MAX &&
         ct_trace_kind_of(name) != CT_TRACE_NONE;
}

struct entry {
  char *name;
  off_t size;
  time_t mtime;
};

static int newest_first(const void *a, const void *b) {
  const struct entry *x = a, *y = b;
  if (x->mtime != y->mtime) return x->mtime < y->mtime ? 1 : -1;
  return strcmp(x->name, y->name);
}

static void human_size(char *out, size_t n, off_t size) {
  if (size < 1024) snprintf(out, n, "%lld B", (long long)size);
  else if (size < 1024 * 1024) snprintf(out, n, "%.1f KB", size / 1024.0);
  else if (size < 1024LL * 1024 * 1024) snprintf(out, n, "%.1f MB", size / 1048576.0);
  else snprintf(out, n, "%.2f GB", size / 1073741824.0);
}

int ct_view_listing(const char *dir, bool flamegraph, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  DIR *d = opendir(dir);
  if (!d) return -errno;
  char real_dir[PATH_MAX];
  if (!realpath(dir, real_dir)) {
    closedir(d);
    return -errno;
  }
  size_t rlen = strlen(real_dir);
  struct entry *list = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!ct_view_name_ok(de->d_name)) continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
    /* A symlink is listed only when it stays inside the directory. */
    char full[PATH_MAX], real[PATH_MAX];
    if (snprintf(full, sizeof full, "%s/%s", real_dir, de->d_name) >= (int)sizeof full) continue;
    if (!realpath(full, real) || strncmp(real, real_dir, rlen) != 0 || real[rlen] != '/') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      struct entry *l = realloc(list, cap * sizeof *l);
      if (!l) {
        rc = -ENOMEM;
        break;
      }
      list = l;
    }
    list[n].name = strdup(de->d_name);
    list[n].size = st.st_size;
    list[n].mtime = st.st_mtime;
    if (!list[n].name) {
      rc = -ENOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  struct buf b = {0};
  if (rc == 0) {
    qsort(list, n, sizeof *list, newest_first);
    puts_(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<link rel=\"icon\" href=\"data:,\"><title>ctrace: ");
    put_html(&b, dir);
    puts_(&b, "</title><link rel=\"stylesheet\" href=\"style.css\"><style>"
              "body{overflow:auto;display:block}main{padding:16px 24px}"
              "table{border-collapse:collapse}td,th{padding:4px 14px 4px 0;text-align:left}"
              "td.num{text-align:right}tr:hover td{background:#f0f4f8}</style></head>\n"
              "<body><header id=\"bar\"><span class=\"brand\">ctrace</span><span>traces in ");
    put_html(&b, dir);
    puts_(&b, "</span></header><main>\n");
    if (n == 0) {
      puts_(&b, "<p id=\"empty\">No traces here yet (.json, .json.gz or .html). Reload when there are.</p>\n");
    } else {
      puts_(&b, "<table id=\"traces\"><tr><th>Trace</th><th>Size</th><th>Modified</th></tr>\n");
      for (size_t i = 0; i < n; i++) {
        char size[32], date[64];
        human_size(size, sizeof size, list[i].size);
        struct tm tm;
        localtime_r(&list[i].mtime, &tm);
        strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
        puts_(&b, "<tr><td><a href=\"");
        if (ct_trace_kind_of(list[i].name) == CT_TRACE_HTML) {
          puts_(&b, "files/");
          put_url(&b, list[i].name);
          if (flamegraph) puts_(&b, "#flame");
        } else {
          puts_(&b, "index.html?trace=files%2F");
          /* encoded twice: once for the path, once for the query */
          struct buf inner = {0};
          put_url(&inner, list[i].name);
          if (inner.p) put_url(&b, inner.p);
          free(inner.p);
          if (flamegraph) puts_(&b, "&amp;view=flame");
        }
        puts_(&b, "\">");
        put_html(&b, list[i].name);
        printf_(&b, "</a></td><td class=\"num\">%s</td><td>%s</td></tr>\n", size, date);
      }
      puts_(&b, "</table>\n");
    }
    puts_(&b, "</main></body></html>\n");
    rc = b.err;
  }
  for (size_t i = 0; i < n; i++) free(list[i].name);
  free(list);
  if (rc) {
    free(b.p);
    return rc;
  }
  *out = b.p;
  *len = b.len;
  return 0;
}

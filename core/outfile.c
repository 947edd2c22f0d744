#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ZOUT_SIZE (256 * 1024)

struct ct_outfile {
  int fd;
  int err;
  bool gzip;
  z_stream zs;
  unsigned char *zout;
  char *path;
  char *tmp;
};

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int ct_outfile_open(ct_outfile **out, const char *path, int flags) {
  *out = NULL;
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return -EISDIR;

  ct_outfile *f = calloc(1, sizeof *f);
  if (!f) return -ENOMEM;
  f->fd = -1;
  f->path = strdup(path);
  size_t n = strlen(path);
  f->tmp = malloc(n + 32);
  if (!f->path || !f->tmp) {
    ct_outfile_abort(f);
    return -ENOMEM;
  }
  /* ".<name>.XXXXXX" in the same folder, so rename() stays atomic. */
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
  snprintf(f->tmp, n + 32, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
  f->fd = mkstemp(f->tmp);
  if (f->fd < 0) {
    int rc = -errno;
    free(f->tmp);
    f->tmp = NULL;
    ct_outfile_abort(f);
    return rc;
  }
  mode_t um = umask(0);
  umask(um);
  fchmod(f->fd, 0666 & ~um);

  if (flags & CT_OUT_GZIP) {
    f->gzip = true;
    f->zout = malloc(ZOUT_SIZE);
    /* Level 1: traces are very repetitive, so the fastest level already
     * shrinks them ~10x. windowBits 31 asks for a gzip wrapper. */
    if (!f->zout || deflateInit2(&f->zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      f->gzip = false; /* nothing to end */
      ct_outfile_abort(f);
      return -ENOMEM;
    }
  }
  *out = f;
  return 0;
}

static int deflate_out(ct_outfile *f, int flush) {
  int zr;
  do {
    f->zs.next_out = f->zout;
    f->zs.avail_out = ZOUT_SIZE;
    zr = deflate(&f->zs, flush);
    if (zr == Z_STREAM_ERROR) return -EIO;
    size_t have = ZOUT_SIZE - f->zs.avail_out;
    int rc = write_all(f->fd, f->zout, have);
    if (rc < 0) return rc;
  } while (f->zs.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
  return 0;
}

int ct_outfile_write(void *ctx, const char *data, size_t len) {
  ct_outfile *f = ctx;
  if (f->err) return f->err;
  if (!f->gzip) {
    f->err = write_all(f->fd, data, len);
    return f->err;
  }
  while (len) {
    /* avail_in is 32-bit */
    uInt k = len > (1u << 30) ? (1u << 30) : (uInt)len;
    f->zs.next_in = (unsigned char *)data;
    f->zs.avail_in = k;
    f->err = deflate_out(f, Z_NO_FLUSH);
    if (f->err) return f->err;
    data += k;
    len -= k;
  }
  return 0;
}

int ct_outfile_commit(ct_outfile *f) {
  int rc = f->err;
  if (!rc && f->gzip) {
    f->zs.next_in = NULL;
    f->zs.avail_in = 0;
    rc = deflate_out(f, Z_FINISH);
  }
  if (f->gzip) {
    deflateEnd(&f->zs);
    f->gzip = false;
  }
  if (!rc && close(f->fd) != 0) rc = -errno;
  else if (rc) close(f->fd);
  f->fd = -1;
  if (!rc && rename(f->tmp, f->path) != 0) rc = -errno;
  if (rc) {
    f->err = rc;
    ct_outfile_abort(f);
    return rc;
  }
  free(f->tmp);
  free(f->path);
  free(f->zout);
  free(f);
  return 0;
}

void ct_outfile_abort(ct_outfile *f) {
  if (!f) return;
  if (f->gzip) deflateEnd(&f->zs);
  if (f->fd >= 0) close(f->fd);
  if (f->tmp) unlink(f->tmp);
  free(f->tmp);
  free(f->path);
  free(f->zout);
  free(f);
}

int ct_path_is_gzip(const char *path) {
  size_t n = strlen(path);
  return n >= 3 && strcmp(path + n - 3, ".gz") == 0;
}

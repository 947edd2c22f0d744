#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Output goes through a small pipeline so that producing the data (the
 * trace formatter, on the caller's thread) overlaps with compressing and
 * writing it:
 *
 *   caller --copy--> chunk --worker: deflate (gzip) / nothing (plain)--> write, in order
 *
 * For gzip, every chunk is deflated on its own as raw deflate data ending
 * in a sync flush (byte-aligned, not final), so several workers can
 * compress at once; the pieces are written in order between one gzip
 * header and trailer (CRC-32 combined across chunks), which makes one
 * ordinary gzip member. */

#define CHUNK_SIZE (1u << 20)
#define MAX_WORKERS 4

struct chunk {
  char *data;
  size_t len;
  unsigned char *z; /* deflated data (gzip only) */
  size_t zlen, zcap;
  uLong crc;
  uint64_t seq;
  enum { C_FREE, C_QUEUED, C_BUSY, C_DONE } state;
};

struct ct_outfile {
  int fd;
  bool gzip;
  char *path;
  char *tmp;

  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t workers[MAX_WORKERS];
  int nworkers;
  bool stop;
  int err;            /* first error, sticky (under mu) */
  struct chunk *chunks;
  int nchunks;
  struct chunk *cur;  /* the chunk the caller is filling */
  uint64_t next_seq;  /* given to the next submitted chunk */
  uint64_t next_write;/* the chunk whose turn it is to be written */
  uLong crc;          /* gzip: CRC-32 of everything written so far */
  uint64_t total;     /* bytes of input */
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

static int deflate_chunk(struct chunk *c) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  /* Level 1: traces are very repetitive, so the fastest level already
   * shrinks them about tenfold. windowBits -15: raw deflate. */
  if (deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -ENOMEM;
  size_t need = deflateBound(&zs, c->len) + 16;
  if (c->zcap < need) {
    unsigned char *z = realloc(c->z, need);
    if (!z) {
      deflateEnd(&zs);
      return -ENOMEM;
    }
    c->z = z;
    c->zcap = need;
  }
  zs.next_in = (unsigned char *)c->data;
  zs.avail_in = (uInt)c->len;
  zs.next_out = c->z;
  zs.avail_out = (uInt)c->zcap;
  int zr = deflate(&zs, Z_SYNC_FLUSH);
  c->zlen = c->zcap - zs.avail_out;
  deflateEnd(&zs);
  if (zr != Z_OK || zs.avail_in) return -EIO;
  c->crc = crc32(0, (const unsigned char *)c->data, (uInt)c->len);
  return 0;
}

static void *worker_main(void *arg) {
  ct_outfile *f = arg;
  pthread_mutex_lock(&f->mu);
  for (;;) {
    /* Take the oldest queued chunk. */
    struct chunk *c = NULL;
    for (int i = 0; i < f->nchunks; i++) {
      struct chunk *k = &f->chunks[i];
      if (k->state == C_QUEUED && (!c || k->seq < c->seq)) c = k;
    }
    if (!c) {
      if (f->stop) break;
      pthread_cond_wait(&f->cv, &f->mu);
      continue;
    }
    c->state = C_BUSY;
    pthread_mutex_unlock(&f->mu);
    int rc = f->gzip ? deflate_chunk(c) : 0;
    pthread_mutex_lock(&f->mu);
    /* Write in order: wait for this chunk's turn. */
    while (f->next_write != c->seq) pthread_cond_wait(&f->cv, &f->mu);
    if (!rc && !f->err) {
      pthread_mutex_unlock(&f->mu);
      if (f->gzip) rc = write_all(f->fd, c->z, c->zlen);
      else rc = write_all(f->fd, c->data, c->len);
      pthread_mutex_lock(&f->mu);
      if (f->gzip && !rc) f->crc = crc32_combine(f->crc, c->crc, (z_off_t)c->len);
    }
    if (rc && !f->err) f->err = rc;
    f->next_write++;
    c->state = C_FREE;
    pthread_cond_broadcast(&f->cv);
  }
  pthread_mutex_unlock(&f->mu);
  return NULL;
}

/* Hands the current chunk to the workers and waits for a free one. */
static int submit(ct_outfile *f) {
  pthread_mutex_lock(&f->mu);
  if (f->cur && f->cur->len) {
    f->cur->seq = f->next_seq++;
    f->cur->state = C_QUEUED;
    pthread_cond_broadcast(&f->cv);
  } else if (f->cur) {
    f->cur->state = C_FREE;
  }
  f->cur = NULL;
  while (!f->cur && !f->err) {
    for (int i = 0; i < f->nchunks; i++) {
      if (f->chunks[i].state == C_FREE) {
        f->cur = &f->chunks[i];
        f->cur->state = C_BUSY;
        f->cur->len = 0;
        break;
      }
    }
    if (!f->cur) pthread_cond_wait(&f->cv, &f->mu);
  }
  int rc = f->err;
  pthread_mutex_unlock(&f->mu);
  return rc;
}

static int worker_count(bool gzip) {
  if (!gzip) return 1;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

static void free_file(ct_outfile *f) {
  if (f->chunks) {
    for (int i = 0; i < f->nchunks; i++) {
      free(f->chunks[i].data);
      free(f->chunks[i].z);
    }
  }
  free(f->chunks);
  free(f->tmp);
  free(f->path);
  free(f);
}

static void stop_workers(ct_outfile *f) {
  pthread_mutex_lock(&f->mu);
  f->stop = true;
  pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->mu);
  for (int i = 0; i < f->nworkers; i++) pthread_join(f->workers[i], NULL);
  f->nworkers = 0;
  pthread_cond_destroy(&f->cv);
  pthread_mutex_destroy(&f->mu);
}

int ct_outfile_open(ct_outfile **out, const char *path, int flags) {
  *out = NULL;
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return -EISDIR;

  ct_outfile *f = calloc(1, sizeof *f);
  if (!f) return -ENOMEM;
  f->fd = -1;
  f->gzip = flags & CT_OUT_GZIP;
  f->path = strdup(path);
  size_t n = strlen(path);
  f->tmp = malloc(n + 32);
  f->nchunks = worker_count(f->gzip) + 2;
  f->chunks = calloc((size_t)f->nchunks, sizeof *f->chunks);
  if (!f->path || !f->tmp || !f->chunks) {
    free_file(f);
    return -ENOMEM;
  }
  for (int i = 0; i < f->nchunks; i++) {
    f->chunks[i].data = malloc(CHUNK_SIZE);
    if (!f->chunks[i].data) {
      free_file(f);
      return -ENOMEM;
    }
  }
  /* ".<name>.XXXXXX" in the same folder, so rename() stays atomic. */
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
  snprintf(f->tmp, n + 32, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
  f->fd = mkstemp(f->tmp);
  if (f->fd < 0) {
    int rc = -errno;
    free_file(f);
    return rc;
  }
  mode_t um = umask(0);
  umask(um);
  fchmod(f->fd, 0666 & ~um);

  int rc = 0;
  if (f->gzip) {
    /* A gzip header: deflate, no name, mtime 0, OS unix. */
    static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    rc = write_all(f->fd, hdr, sizeof hdr);
    f->crc = crc32(0, NULL, 0);
  }
  pthread_mutex_init(&f->mu, NULL);
  pthread_cond_init(&f->cv, NULL);
  int want = worker_count(f->gzip);
  for (int i = 0; i < want && !rc; i++) {
    if (pthread_create(&f->workers[i], NULL, worker_main, f) != 0) rc = -EAGAIN;
    else f->nworkers++;
  }
  if (!rc) rc = submit(f);
  if (rc) {
    stop_workers(f);
    close(f->fd);
    unlink(f->tmp);
    free_file(f);
    return rc;
  }
  *out = f;
  return 0;
}

char *ct_outfile_swap(void *ctx, char *full, size_t len, bool last, size_t *cap, int *err) {
  ct_outfile *f = ctx;
  /* FULL is the current chunk's buffer, filled in place. */
  if (full && f->cur && full == f->cur->data) {
    f->cur->len = len;
    f->total += len;
    int rc = last ? 0 : submit(f);
    if (rc) {
      *err = rc;
      return NULL;
    }
  }
  if (last || !f->cur) {
    if (!last && f->err) *err = f->err;
    return NULL;
  }
  *cap = CHUNK_SIZE;
  return f->cur->data;
}

int ct_outfile_write(void *ctx, const char *data, size_t len) {
  ct_outfile *f = ctx;
  f->total += len;
  while (len) {
    if (!f->cur) return f->err ? f->err : -EIO;
    size_t k = CHUNK_SIZE - f->cur->len;
    if (k > len) k = len;
    memcpy(f->cur->data + f->cur->len, data, k);
    f->cur->len += k;
    data += k;
    len -= k;
    if (f->cur->len == CHUNK_SIZE) {
      int rc = submit(f);
      if (rc) return rc;
    }
  }
  return 0;
}

/* Drains the pipeline: every chunk written (or an error). */
static int drain(ct_outfile *f) {
  if (f->cur && f->cur->len) submit(f);
  pthread_mutex_lock(&f->mu);
  if (f->cur) f->cur->state = C_FREE;
  f->cur = NULL;
  while (f->next_write != f->next_seq && !f->err) pthread_cond_wait(&f->cv, &f->mu);
  int rc = f->err;
  pthread_mutex_unlock(&f->mu);
  stop_workers(f);
  return rc;
}

int ct_outfile_commit(ct_outfile *f) {
  int rc = drain(f);
  if (!rc && f->gzip) {
    /* An empty final block ends the deflate data; then CRC and size. */
    unsigned char tail[10] = {0x03, 0x00};
    uLong crc = f->crc;
    uint32_t size = (uint32_t)f->total;
    for (int i = 0; i < 4; i++) tail[2 + i] = (unsigned char)(crc >> (8 * i));
    for (int i = 0; i < 4; i++) tail[6 + i] = (unsigned char)(size >> (8 * i));
    rc = write_all(f->fd, tail, sizeof tail);
  }
  if (close(f->fd) != 0 && !rc) rc = -errno;
  f->fd = -1;
  if (!rc && rename(f->tmp, f->path) != 0) rc = -errno;
  if (rc) unlink(f->tmp);
  free_file(f);
  return rc;
}

void ct_outfile_abort(ct_outfile *f) {
  if (!f) return;
  pthread_mutex_lock(&f->mu);
  if (!f->err) f->err = -ECANCELED;
  pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->mu);
  drain(f);
  if (f->fd >= 0) close(f->fd);
  unlink(f->tmp);
  free_file(f);
}

int ct_path_is_gzip(const char *path) {
  size_t n = strlen(path);
  return n >= 3 && strcmp(path + n - 3, ".gz") == 0;
}

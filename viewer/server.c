/* The HTTP server of `ctrace view`, on libmicrohttpd: one thread per
 * connection, so a large trace streaming to the page never holds up the
 * assets. Routes:
 *
 *   /, /index.html        the viewer (a directory: the listing page;
 *                         a .html trace: that file)
 *   /style.css, ...       the other assets (compiled in, gzipped)
 *   /trace.json           the trace given on the command line
 *   /files/NAME           a trace of the directory given on the command line
 *
 * Nothing else is served: no path from the URL ever reaches the file system
 * except a single NAME checked by ct_view_name_ok and resolved inside the
 * directory. */
#include "core/error.h"
#include "viewer/view.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define STREAM_BLOCK (64 * 1024)

struct ct_view {
  struct MHD_Daemon *daemon;
  int listen_fd;
  bool is_dir;
  int kind;         /* the file's enum ct_trace_kind */
  char *path;       /* the file, or the directory (resolved) */
  bool once;
  bool flamegraph;
  atomic_int served;
  char url[300];
  sigset_t old_mask;
};

/* Marks a connection that carries a trace (for --once). */
static char TRACE_MARK;

/* ---- streaming a trace with (de)compression on the way ---- */

enum { ZS_DEFLATE, ZS_INFLATE };

struct zstream {
  int fd;
  int mode;
  bool eof;  /* no more input from the file */
  bool done; /* no more output */
  bool in_member; /* inflating: inside a gzip member (not between two) */
  z_stream zs;
  unsigned char in[STREAM_BLOCK];
};

static ssize_t zstream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  struct zstream *s = cls;
  (void)pos;
  if (s->done) return MHD_CONTENT_READER_END_OF_STREAM;
  s->zs.next_out = (unsigned char *)buf;
  s->zs.avail_out = (uInt)(max > (1u << 30) ? (1u << 30) : max);
  uInt start = s->zs.avail_out;
  while (s->zs.avail_out == start && !s->done) {
    if (s->zs.avail_in == 0 && !s->eof) {
      ssize_t r = read(s->fd, s->in, sizeof s->in);
      if (r < 0) {
        if (errno == EINTR) continue;
        return MHD_CONTENT_READER_END_WITH_ERROR;
      }
      if (r == 0) s->eof = true;
      s->zs.next_in = s->in;
      s->zs.avail_in = (uInt)r;
    }
    int z;
    if (s->mode == ZS_DEFLATE) {
      z = deflate(&s->zs, s->eof ? Z_FINISH : Z_NO_FLUSH);
      if (z == Z_STREAM_END) s->done = true;
      else if (z != Z_OK && z != Z_BUF_ERROR) return MHD_CONTENT_READER_END_WITH_ERROR;
    } else {
      if (s->eof && s->zs.avail_in == 0 && !s->in_member) {
        s->done = true; /* the end of the last member */
        break;
      }
      if (s->zs.avail_in > 0) s->in_member = true;
      z = inflate(&s->zs, Z_NO_FLUSH);
      if (z == Z_STREAM_END) {
        /* Concatenated gzip members continue the same text. */
        inflateReset(&s->zs);
        s->in_member = false;
      } else if (z == Z_BUF_ERROR && s->eof && s->zs.avail_in == 0) {
        return MHD_CONTENT_READER_END_WITH_ERROR; /* truncated */
      } else if (z != Z_OK && z != Z_BUF_ERROR) {
        return MHD_CONTENT_READER_END_WITH_ERROR;
      }
    }
  }
  size_t n = start - s->zs.avail_out;
  if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  return (ssize_t)n;
}

static void zstream_free(void *cls) {
  struct zstream *s = cls;
  if (s->mode == ZS_DEFLATE) deflateEnd(&s->zs);
  else inflateEnd(&s->zs);
  close(s->fd);
  free(s);
}

/* Takes FD; returns NULL (and closes FD) on failure. */
static struct MHD_Response *zstream_response(int fd, int mode) {
  struct zstream *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return NULL;
  }
  s->fd = fd;
  s->mode = mode;
  int z = mode == ZS_DEFLATE
              ? deflateInit2(&s->zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY)
              : inflateInit2(&s->zs, 31);
  if (z != Z_OK) {
    close(fd);
    free(s);
    return NULL;
  }
  struct MHD_Response *r =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, zstream_read, s, zstream_free);
  if (!r) zstream_free(s);
  return r;
}

/* ---- responses ---- */

static bool accepts_gzip(struct MHD_Connection *c) {
  const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
  if (!ae) return false;
  const char *g = strstr(ae, "gzip");
  if (!g) return false;
  /* "gzip;q=0" (or q=0.0...) refuses it */
  const char *q = g + 4;
  if (strncmp(q, ";q=0", 4) != 0) return true;
  q += 4;
  if (*q == '.') q += 1 + strspn(q + 1, "0");
  return *q >= '1' && *q <= '9';
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, struct MHD_Response *r,
                            const char *type, bool gzip, const char *cache) {
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
  MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
  if (gzip) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
  enum MHD_Result ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, const char *text) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
  return respond(c, code, r, "text/plain; charset=utf-8", false, "no-store");
}

static enum MHD_Result not_found(struct MHD_Connection *c) {
  return send_text(c, MHD_HTTP_NOT_FOUND, "404 not found\n");
}

static const char *mime_of(const char *path) {
  const char *dot = strrchr(path, '.');
  if (!dot) return "application/octet-stream";
  if (strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
  if (strcmp(dot, ".js") == 0) return "text/javascript; charset=utf-8";
  if (strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
  if (strcmp(dot, ".json") == 0) return "application/json";
  return "application/octet-stream";
}

static enum MHD_Result send_asset(struct MHD_Connection *c, const ct_asset *a) {
  const char *type = mime_of(a->path);
  if (!a->gzipped || accepts_gzip(c)) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    return respond(c, MHD_HTTP_OK, r, type, a->gzipped, "no-cache");
  }
  char *text;
  size_t len;
  if (ct_viewer_asset_text(a->path, &text, &len) != 0)
    return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 cannot inflate asset\n");
  struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  if (!r) free(text);
  return respond(c, MHD_HTTP_OK, r, type, false, "no-cache");
}

/* Whether the client is this machine: compressing a plain .json on the
 * fly would then cost more time than it saves (deflate runs at about the
 * speed of the loopback link's reader, and the page waits for both). */
static bool client_is_local(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!ci || !ci->client_addr) return false;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6) {
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a)) return true;
    if (IN6_IS_ADDR_V4MAPPED(a)) return a->s6_addr[12] == 127;
  }
  return false;
}

/* Streams the trace open at FD (taken) of KIND: a .json.gz as it is to
 * clients that accept gzip (inflated on the way for others), a .json
 * deflated on the way for remote clients that accept gzip. */
static enum MHD_Result send_trace(struct MHD_Connection *c, int fd, int kind, void **con_cls) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return not_found(c);
  }
  bool gz = accepts_gzip(c);
  struct MHD_Response *r;
  const char *type = kind == CT_TRACE_HTML ? "text/html; charset=utf-8" : "application/json";
  bool encoded;
  if (kind == CT_TRACE_HTML || (kind == CT_TRACE_GZ && gz)) {
    r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    if (!r) close(fd);
    encoded = kind == CT_TRACE_GZ;
  } else if (kind == CT_TRACE_GZ) {
    r = zstream_response(fd, ZS_INFLATE);
    encoded = false;
  } else if (gz && !client_is_local(c)) {
    r = zstream_response(fd, ZS_DEFLATE);
    encoded = true;
  } else {
    r = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    if (!r) close(fd);
    encoded = false;
  }
  *con_cls = &TRACE_MARK;
  return respond(c, MHD_HTTP_OK, r, type, encoded, "no-store");
}

/* Opens NAME inside the directory V->path, refusing anything that would
 * leave it (through a symlink). Returns an fd or -1. */
static int open_in_dir(const ct_view *v, const char *name) {
  if (!ct_view_name_ok(name)) return -1;
  char full[PATH_MAX], real[PATH_MAX];
  if (snprintf(full, sizeof full, "%s/%s", v->path, name) >= (int)sizeof full) return -1;
  if (!realpath(full, real)) return -1;
  size_t n = strlen(v->path);
  if (strncmp(real, v->path, n) != 0 || real[n] != '/') return -1;
  return open(real, O_RDONLY | O_CLOEXEC);
}

/* Decodes %XX in the request's path in place, as MHD would, except that
 * an encoded '/', '\\' or NUL makes the whole path unroutable (404): a
 * name in /files/NAME is one path component, however it is spelled. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *uri) {
  char *r = uri, *w = uri;
  bool bad = false;
  while (*r) {
    if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
      char hex[3] = {r[1], r[2], 0};
      char ch = (char)strtol(hex, NULL, 16);
      if (ch == '/' || ch == '\\' || ch == 0) bad = true;
      *w++ = ch;
      r += 3;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
  if (bad) {
    strcpy(uri, "/\x01");
    return 2;
  }
  return (size_t)(w - uri);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
  ct_view *v = cls;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed\n");
  if (url[0] != '/') return not_found(c);
  const char *p = url + 1;

  if (v->is_dir && strcmp(p, "") == 0) {
    char *page;
    size_t len;
    if (ct_view_listing(v->path, v->flamegraph, &page, &len) != 0)
      return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 cannot list the directory\n");
    struct MHD_Response *r = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
    if (!r) free(page);
    return respond(c, MHD_HTTP_OK, r, "text/html; charset=utf-8", false, "no-store");
  }
  if (v->is_dir && strncmp(p, "files/", 6) == 0) {
    int fd = open_in_dir(v, p + 6);
    if (fd < 0) return not_found(c);
    return send_trace(c, fd, ct_trace_kind_of(p + 6), con_cls);
  }
  if (!v->is_dir && v->kind == CT_TRACE_HTML && (strcmp(p, "") == 0 || strcmp(p, "index.html") == 0)) {
    int fd = open(v->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return not_found(c);
    return send_trace(c, fd, CT_TRACE_HTML, con_cls);
  }
  if (!v->is_dir && v->kind != CT_TRACE_HTML && strcmp(p, "trace.json") == 0) {
    int fd = open(v->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return not_found(c);
    return send_trace(c, fd, v->kind, con_cls);
  }
  if (strcmp(p, "") == 0) p = "index.html";
  const ct_asset *a = ct_viewer_asset(p);
  if (!a) return not_found(c);
  return send_asset(c, a);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  ct_view *v = cls;
  if (*con_cls == &TRACE_MARK && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
    atomic_store(&v->served, 1);
}

/* ---- listening ---- */

static int listen_on(const char *host, int port, int *out_port, char *err, size_t errlen) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  int g = getaddrinfo(host, service, &hints, &res);
  if (g != 0) {
    snprintf(err, errlen, "cannot listen on '%s': %s", host, gai_strerror(g));
    return -1;
  }
  int fd = -1, e = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      e = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0) break;
    e = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    if (e == EADDRINUSE)
      snprintf(err, errlen, "port %d on %s is already in use: try another with --port", port, host);
    else
      snprintf(err, errlen, "cannot listen on %s port %d: %s", host, port, strerror(e));
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  *out_port = port;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
    if (ss.ss_family == AF_INET) *out_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6) *out_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  return fd;
}

int ct_view_start(ct_view **out, const ct_view_opts *o, char *err, size_t errlen) {
  *out = NULL;
  struct stat st;
  if (stat(o->path, &st) != 0) {
    snprintf(err, errlen, "cannot open '%s': %s", o->path, strerror(errno));
    return -errno;
  }
  ct_view *v = calloc(1, sizeof *v);
  if (!v) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  v->listen_fd = -1;
  v->once = o->once;
  v->flamegraph = o->flamegraph;
  v->is_dir = S_ISDIR(st.st_mode);
  int rc = 0;
  char real[PATH_MAX];
  if (!realpath(o->path, real)) {
    rc = -errno;
    snprintf(err, errlen, "cannot open '%s': %s", o->path, strerror(errno));
    goto fail;
  }
  v->path = strdup(real);
  if (!v->path) {
    rc = -ENOMEM;
    snprintf(err, errlen, "out of memory");
    goto fail;
  }
  if (v->is_dir) {
    if (access(v->path, R_OK | X_OK) != 0) {
      rc = -errno;
      snprintf(err, errlen, "cannot list '%s': %s", o->path, strerror(errno));
      goto fail;
    }
  } else {
    v->kind = ct_trace_kind_of(o->path);
    if (!S_ISREG(st.st_mode) || v->kind == CT_TRACE_NONE) {
      rc = CT_ENOTTRACE;
      snprintf(err, errlen, "cannot view '%s': not a trace file (expected .json, .json.gz, .html or a directory)", o->path);
      goto fail;
    }
    int fd = open(v->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      rc = -errno;
      snprintf(err, errlen, "cannot open '%s': %s", o->path, strerror(errno));
      goto fail;
    }
    rc = ct_trace_check(fd, v->kind);
    close(fd);
    if (rc) {
      snprintf(err, errlen, "cannot view '%s': %s", o->path,
               rc == CT_ENOTTRACE ? (v->kind == CT_TRACE_HTML ? "not an HTML page" : "not a trace (no traceEvents)")
                                  : ct_strerror(rc));
      goto fail;
    }
  }

  int port;
  v->listen_fd = listen_on(o->host, o->port, &port, err, errlen);
  if (v->listen_fd < 0) {
    rc = -EADDRINUSE;
    goto fail;
  }
  bool v6 = strchr(o->host, ':') != NULL;
  const char *frag = "";
  if (o->flamegraph && !v->is_dir) frag = v->kind == CT_TRACE_HTML ? "#flame" : "?view=flame";
  snprintf(v->url, sizeof v->url, "http://%s%s%s:%d/%s", v6 ? "[" : "", o->host, v6 ? "]" : "", port, frag);

  /* Signals go to ct_view_wait, not to the server's threads, which inherit
   * this mask; a client that goes away must not kill us with SIGPIPE. */
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &v->old_mask);
  signal(SIGPIPE, SIG_IGN);

  v->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                   MHD_USE_POLL,
                               0, NULL, NULL, on_request, v, MHD_OPTION_LISTEN_SOCKET,
                               (MHD_socket)v->listen_fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, v,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                               MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
  if (!v->daemon) {
    pthread_sigmask(SIG_SETMASK, &v->old_mask, NULL);
    rc = -EIO;
    snprintf(err, errlen, "cannot start the HTTP server on %s port %d", o->host, port);
    goto fail;
  }
  v->listen_fd = -1; /* the daemon owns it now */
  *out = v;
  return 0;

fail:
  if (v->listen_fd >= 0) close(v->listen_fd);
  free(v->path);
  free(v);
  return rc ? rc : -EIO;
}

const char *ct_view_url(const ct_view *v) { return v->url; }

int ct_view_wait(ct_view *v, long timeout_ms) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  struct timespec tick = {0, 100 * 1000 * 1000};
  long waited = 0;
  for (;;) {
    if (v->once && atomic_load(&v->served)) return CT_VIEW_SERVED;
    if (timeout_ms > 0 && waited >= timeout_ms) return CT_VIEW_TIMEOUT;
    int s = sigtimedwait(&set, NULL, &tick);
    if (s == SIGINT || s == SIGTERM) return CT_VIEW_SIGNALLED;
    waited += 100;
  }
}

void ct_view_free(ct_view *v) {
  if (!v) return;
  if (v->daemon) MHD_stop_daemon(v->daemon);
  if (v->listen_fd >= 0) close(v->listen_fd);
  pthread_sigmask(SIG_SETMASK, &v->old_mask, NULL);
  free(v->path);
  free(v);
}

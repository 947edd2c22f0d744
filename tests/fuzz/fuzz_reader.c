/* libFuzzer target for the trace reader (core/reader.c): any bytes, plain
 * or gzip, read to the end in both modes; the reader must never crash,
 * read out of bounds or leak, and what it hands out must hold together. */
#include "core/reader.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Reads to the end; returns the status (1 when the reader did not open)
 * and the number of top-level members. */
static int count_member(void *ctx, const char *k, size_t kl, const char *v, size_t vl) {
  if (!kl || !vl || k[0] != '"') abort();
  ++*(size_t *)ctx;
  return 0;
}

static int drain(const uint8_t *data, size_t size, int skip, size_t *members) {
  ct_reader *r;
  *members = 0;
  if (ct_reader_open_mem(&r, data, size)) return 1;
  if (skip) ct_reader_skip_events(r);
  ct_rd_event ev;
  int rc;
  while ((rc = ct_reader_next(r, &ev)) == 1) {
    if (ev.len < 2 || ev.json[0] != '{' || ev.json[ev.len - 1] != '}') abort();
    if (ev.ts_len && ev.ts_at + ev.ts_len > ev.len) abort();
    if (ev.pid_len && ev.pid_at + ev.pid_len > ev.len) abort();
    if (ev.name) {
      if (ev.name < ev.json || ev.name + ev.name_len > ev.json + ev.len) abort();
      char *buf = malloc(ev.name_len + 1);
      size_t n = ct_json_unescape(buf, ev.name, ev.name_len);
      if (n > ev.name_len) abort();
      free(buf);
    }
  }
  if (rc == 0) {
    *members = ct_reader_member_count(r);
    for (size_t i = 0; i < ct_reader_member_count(r); i++) {
      const char *k, *v;
      size_t kl, vl;
      ct_reader_member(r, i, &k, &kl, &v, &vl);
      if (strlen(v) != vl) abort();
      size_t count = 0;
      ct_json_object_members(v, vl, count_member, &count);
    }
  } else if (!ct_reader_error_detail(r)) {
    abort();
  }
  ct_reader_free(r);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t m_full, m_skip;
  int full = drain(data, size, 0, &m_full);
  int skip = drain(data, size, 1, &m_skip);
  /* Skipping checks less, so it may accept a file the full read rejects,
   * but never the other way round, and it finds the same members. */
  if (full == 0 && (skip != 0 || m_skip != m_full)) abort();
  return 0;
}

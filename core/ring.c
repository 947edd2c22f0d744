#include "core/ring.h"

#include <errno.h>
#include <stdlib.h>

int ct_ring_init(ct_ring *r, size_t cap) {
  r->ev = NULL;
  r->cap = r->pos = 0;
  r->total = 0;
  if (cap == 0 || cap > SIZE_MAX / sizeof(ct_event)) return -EINVAL;
  /* malloc, not calloc: the kernel hands out pages as they are first
   * touched, so a large ring that is never filled costs little memory. */
  r->ev = malloc(cap * sizeof(ct_event));
  if (!r->ev) return -ENOMEM;
  r->cap = cap;
  return 0;
}

void ct_ring_destroy(ct_ring *r) {
  free(r->ev);
  r->ev = NULL;
  r->cap = r->pos = 0;
  r->total = 0;
}

size_t ct_ring_count(const ct_ring *r) {
  return r->total < r->cap ? (size_t)r->total : r->cap;
}

uint64_t ct_ring_dropped(const ct_ring *r) {
  return r->total > r->cap ? r->total - r->cap : 0;
}

bool ct_ring_is_overflowed(const ct_ring *r) { return r->total > r->cap; }

const ct_event *ct_ring_at(const ct_ring *r, size_t i) {
  size_t start = r->total > r->cap ? r->pos : 0;
  size_t j = start + i;
  if (j >= r->cap) j -= r->cap;
  return &r->ev[j];
}

void ct_ring_clear(ct_ring *r) {
  r->pos = 0;
  r->total = 0;
}

#ifndef CTRACE_CORE_RING_H
#define CTRACE_CORE_RING_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a stored event is. */
enum ct_event_kind {
  CT_EV_SLICE = 0,   /* a finished call: "ph":"X" */
  CT_EV_INSTANT = 1, /* "ph":"i"; dur holds the scope ('t', 'p' or 'g') */
  CT_EV_COUNTER = 2, /* "ph":"C"; values live in the side table (arg) */
};

/* One stored event: 32 bytes, plain C data. Times are clock ticks
 * (core/clock.h); names are ids in a ct_strtab; track is an index into the
 * owner's table of threads; arg is 0 or 1 + an index into the owner's table
 * of extra data (arguments, return values, counter values). */
typedef struct ct_event {
  uint64_t ts;
  uint64_t dur;
  uint32_t name;
  uint32_t track;
  uint32_t arg;
  uint8_t kind;
  uint8_t flags;
  uint16_t reserved;
} ct_event;

/* A fixed-size ring of events allocated once. When it is full, a new event
 * overwrites the oldest one, so the newest events are the ones kept.
 * The fields are visible only so that ct_ring_next can be inlined into the
 * profile callback: use the functions. */
typedef struct ct_ring {
  ct_event *ev;
  size_t cap;
  size_t pos;     /* where the next event goes */
  uint64_t total; /* events ever pushed */
} ct_ring;

/* Allocates room for CAP (> 0) events. Returns 0 or -ENOMEM. The caller owns
 * R and releases it with ct_ring_destroy. */
int ct_ring_init(ct_ring *r, size_t cap);
void ct_ring_destroy(ct_ring *r);

/* The slot for a new event, overwriting the oldest when full. Never fails,
 * never allocates. The caller fills every field. */
static inline ct_event *ct_ring_next(ct_ring *r) {
  ct_event *e = &r->ev[r->pos];
  if (++r->pos == r->cap) r->pos = 0;
  r->total++;
  return e;
}

/* Stores EV in the slot DST. On x86-64 with non-temporal stores: the ring
 * is written once and read only at the dump, so its 32 MB (for a million
 * events) need not push the traced program's own data out of the caches. */
#if defined(__x86_64__)
#include <emmintrin.h>
static inline void ct_ring_store(ct_event *dst, const ct_event *ev) {
  const __m128i *s = (const __m128i *)ev;
  __m128i a = _mm_loadu_si128(s), b = _mm_loadu_si128(s + 1);
  if (((uintptr_t)dst & 15) == 0) {
    _mm_stream_si128((__m128i *)dst, a);
    _mm_stream_si128((__m128i *)dst + 1, b);
  } else {
    _mm_storeu_si128((__m128i *)dst, a);
    _mm_storeu_si128((__m128i *)dst + 1, b);
  }
}
/* Makes the stores above visible in order before the ring is read. */
static inline void ct_ring_fence(void) { _mm_sfence(); }
#else
static inline void ct_ring_store(ct_event *dst, const ct_event *ev) { *dst = *ev; }
static inline void ct_ring_fence(void) {}
#endif

/* Events currently held (at most the capacity). */
size_t ct_ring_count(const ct_ring *r);

/* Events overwritten because the ring was full. */
uint64_t ct_ring_dropped(const ct_ring *r);

/* Whether events have been dropped. */
bool ct_ring_is_overflowed(const ct_ring *r);

/* The I-th held event, 0 = oldest. I must be < ct_ring_count. */
const ct_event *ct_ring_at(const ct_ring *r, size_t i);

/* Forgets every event (the capacity stays). */
void ct_ring_clear(ct_ring *r);

#endif

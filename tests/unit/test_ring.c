/* The ring keeps the newest events and counts the ones it drops. */
#include "check.h"
#include "core/ring.h"

static void push_n(ct_ring *r, uint64_t from, uint64_t n) {
  for (uint64_t i = from; i < from + n; i++) {
    ct_event *e = ct_ring_next(r);
    *e = (ct_event){.ts = i, .dur = 1, .name = (uint32_t)i};
  }
}

int main(void) {
  CHECK_EQ(sizeof(ct_event), 32);

  ct_ring r;
  CHECK_EQ(ct_ring_init(&r, 0), -22); /* -EINVAL */
  CHECK_EQ(ct_ring_init(&r, 5), 0);
  CHECK_EQ(ct_ring_count(&r), 0);
  CHECK(!ct_ring_is_overflowed(&r));

  push_n(&r, 0, 3);
  CHECK_EQ(ct_ring_count(&r), 3);
  CHECK_EQ(ct_ring_dropped(&r), 0);
  for (size_t i = 0; i < 3; i++) CHECK_EQ(ct_ring_at(&r, i)->ts, i);

  /* Exactly full: nothing dropped yet. */
  push_n(&r, 3, 2);
  CHECK_EQ(ct_ring_count(&r), 5);
  CHECK_EQ(ct_ring_dropped(&r), 0);
  CHECK(!ct_ring_is_overflowed(&r));

  /* Wrap around twice: the newest 5 of 17 remain, oldest first. */
  push_n(&r, 5, 12);
  CHECK_EQ(ct_ring_count(&r), 5);
  CHECK_EQ(ct_ring_dropped(&r), 12);
  CHECK(ct_ring_is_overflowed(&r));
  for (size_t i = 0; i < 5; i++) CHECK_EQ(ct_ring_at(&r, i)->ts, 12 + i);

  ct_ring_clear(&r);
  CHECK_EQ(ct_ring_count(&r), 0);
  push_n(&r, 100, 1);
  CHECK_EQ(ct_ring_at(&r, 0)->ts, 100);
  ct_ring_destroy(&r);

  /* A ring of one keeps only the last event. */
  CHECK_EQ(ct_ring_init(&r, 1), 0);
  push_n(&r, 0, 10);
  CHECK_EQ(ct_ring_count(&r), 1);
  CHECK_EQ(ct_ring_at(&r, 0)->ts, 9);
  CHECK_EQ(ct_ring_dropped(&r), 9);
  ct_ring_destroy(&r);
  CHECK_DONE();
}

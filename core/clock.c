#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ct__clock_use_tsc;
static uint64_t start_tick, start_ns;

/* The kernel only keeps "tsc" as its clocksource when it has checked that
 * the counter is invariant and synchronised; we trust the same judgement. */
static bool kernel_trusts_tsc(void) {
  FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
  if (!f) return false;
  char buf[32] = {0};
  bool ok = fgets(buf, sizeof buf, f) && strncmp(buf, "tsc", 3) == 0;
  fclose(f);
  return ok;
}

/* Reads a (tick, ns) pair as close together as possible: the ns reading is
 * bracketed by two tick readings and paired with their midpoint; the
 * tightest of a few tries wins. */
static void read_pair(uint64_t *tick, uint64_t *ns) {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 5; i++) {
    uint64_t a = ct__clock_tsc();
    uint64_t n = ct_clock_monotonic_ns();
    uint64_t b = ct__clock_tsc();
    if (b - a < best) {
      best = b - a;
      *tick = a + (b - a) / 2;
      *ns = n;
    }
  }
}

void ct_clock_init(void) {
  const char *env = getenv("CTRACE_CLOCK");
  bool want_tsc = CT_CLOCK_HAVE_TSC && !(env && strcmp(env, "monotonic") == 0);
  ct__clock_use_tsc = want_tsc && kernel_trusts_tsc();
  if (ct__clock_use_tsc)
    read_pair(&start_tick, &start_ns);
  else
    start_tick = start_ns = ct_clock_monotonic_ns();
}

bool ct_clock_is_tsc(void) { return ct__clock_use_tsc; }

void ct_clock_map_make(ct_clock_map *m, uint64_t origin_ns) {
  if (!ct__clock_use_tsc) {
    m->tick0 = origin_ns;
    m->ns0 = 0;
    m->ns_per_tick = 1.0;
    m->mult = 0;
    return;
  }
  uint64_t tick, ns;
  read_pair(&tick, &ns);
  /* A short run gives a poor slope; spin until the pairs are 2 ms apart. */
  while (ns - start_ns < 2000000) read_pair(&tick, &ns);
  m->ns_per_tick = (double)(ns - start_ns) / (double)(tick - start_tick);
  m->mult = (uint64_t)(m->ns_per_tick * 4294967296.0 + 0.5);
  m->tick0 = start_tick;
  m->ns0 = (int64_t)(start_ns - origin_ns);
}

uint64_t ct_clock_ns_to_ticks(uint64_t ns) {
  static double ticks_per_ns;
  if (!ct__clock_use_tsc) return ns;
  if (ticks_per_ns == 0) {
    uint64_t t0, n0, t1, n1;
    read_pair(&t0, &n0);
    do read_pair(&t1, &n1);
    while (n1 - n0 < 3000000);
    ticks_per_ns = (double)(t1 - t0) / (double)(n1 - n0);
  }
  return (uint64_t)((double)ns * ticks_per_ns + 0.5);
}

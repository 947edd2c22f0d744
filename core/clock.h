#ifndef CTRACE_CORE_CLOCK_H
#define CTRACE_CORE_CLOCK_H
#if defined(CTRACE_CORE_BUILD) && defined(Py_PYTHON_H)
#error "core/ must not depend on CPython"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The trace clock. Timestamps are taken as "ticks": the CPU's time-stamp
 * counter when the kernel itself trusts it as its clocksource (it is then
 * invariant and synchronised across cores), CLOCK_MONOTONIC nanoseconds
 * otherwise. Ticks are mapped to CLOCK_MONOTONIC nanoseconds when the trace
 * is written, so every process on the machine shares one time base. */

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define CT_CLOCK_HAVE_TSC 1
static inline uint64_t ct__clock_tsc(void) { return __rdtsc(); }
#else
#define CT_CLOCK_HAVE_TSC 0
static inline uint64_t ct__clock_tsc(void) { return 0; }
#endif

extern bool ct__clock_use_tsc;

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t ct_clock_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The current time in ticks: the hot path's clock read. */
static inline uint64_t ct_clock_ticks(void) {
  return ct__clock_use_tsc ? ct__clock_tsc() : ct_clock_monotonic_ns();
}

/* Chooses the tick source and records a first (ticks, monotonic) pair.
 * CTRACE_CLOCK=monotonic in the environment forces CLOCK_MONOTONIC.
 * Call once per process before any ticks are taken (again after fork is
 * harmless: the counter is shared). */
void ct_clock_init(void);

/* Whether ticks are TSC cycles (true) or nanoseconds (false). */
bool ct_clock_is_tsc(void);

/* About how many ticks make NS nanoseconds (for thresholds such as
 * --min-duration). Calibrates for a few milliseconds on first use. */
uint64_t ct_clock_ns_to_ticks(uint64_t ns);

/* A linear map from ticks to nanoseconds relative to an origin on the
 * CLOCK_MONOTONIC time line. */
typedef struct ct_clock_map {
  uint64_t tick0;     /* a tick value ... */
  int64_t ns0;        /* ... and its time in ns relative to the origin */
  double ns_per_tick;
  uint64_t mult;      /* ns_per_tick in 32.32 fixed point; 0 = ticks are ns */
} ct_clock_map;

/* Builds the map from the pair taken by ct_clock_init and a pair taken now
 * (calibrating for at least a millisecond when too little time has passed).
 * ORIGIN_NS is the CLOCK_MONOTONIC time that becomes 0. */
void ct_clock_map_make(ct_clock_map *m, uint64_t origin_ns);

/* Nanoseconds since the origin for a tick value. Monotonic in T. */
static inline int64_t ct_clock_map_ns(const ct_clock_map *m, uint64_t t) {
  int64_t d = (int64_t)(t - m->tick0);
  if (!m->mult) return m->ns0 + d;
  /* Integer fixed point: exact enough (2^-32 ns per tick) and, unlike a
   * double, cheap in the dump's inner loop. Monotonic in T. */
  return m->ns0 + (int64_t)(((__int128)d * (__int128)m->mult) >> 32);
}

#endif

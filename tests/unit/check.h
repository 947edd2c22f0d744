/* Assertions for the C unit tests: each failure prints both operands and
 * where it happened, then the test exits 1. */
#ifndef CTRACE_TESTS_CHECK_H
#define CTRACE_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ct_check_failures;

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      ct_check_failures++;                                                  \
    }                                                                       \
  } while (0)

#define CHECK_EQ(a, b)                                                      \
  do {                                                                      \
    long long va_ = (long long)(a), vb_ = (long long)(b);                   \
    if (va_ != vb_) {                                                       \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,   \
              __LINE__, #a, #b, va_, vb_);                                  \
      ct_check_failures++;                                                  \
    }                                                                       \
  } while (0)

#define CHECK_STREQ(a, b)                                                   \
  do {                                                                      \
    const char *sa_ = (a), *sb_ = (b);                                      \
    if (strcmp(sa_, sb_) != 0) {                                            \
      fprintf(stderr, "%s:%d: %s == %s failed:\n  \"%s\"\n  \"%s\"\n",      \
              __FILE__, __LINE__, #a, #b, sa_, sb_);                        \
      ct_check_failures++;                                                  \
    }                                                                       \
  } while (0)

#define CHECK_DONE()                                                        \
  do {                                                                      \
    if (ct_check_failures) {                                                \
      fprintf(stderr, "%d check(s) failed\n", ct_check_failures);           \
      return 1;                                                             \
    }                                                                       \
    return 0;                                                               \
  } while (0)

#endif

/* The string table interns, keeps ids stable, and precomputes JSON. */
#include "check.h"
#include "core/strtab.h"

int main(void) {
  ct_strtab *t = ct_strtab_new();
  CHECK(t != NULL);
  CHECK_EQ(ct_strtab_intern(t, "fib", 3), 0);
  CHECK_EQ(ct_strtab_intern(t, "len", 3), 1);
  CHECK_EQ(ct_strtab_intern(t, "fib", 3), 0);
  CHECK_EQ(ct_strtab_intern(t, "fi", 2), 2);
  CHECK_EQ(ct_strtab_intern(t, "", 0), 3);
  size_t n;
  CHECK_STREQ(ct_strtab_str(t, 1, &n), "len");
  CHECK_EQ(n, 3);
  CHECK_STREQ(ct_strtab_json(t, 0, &n), "\"fib\"");
  CHECK_EQ(ct_strtab_intern(t, "a\"b\n", 4), 4);
  CHECK_STREQ(ct_strtab_json(t, 4, NULL), "\"a\\\"b\\n\"");
  /* Many strings: the table grows and every id still resolves. */
  char buf[32];
  for (int i = 0; i < 100000; i++) {
    int k = snprintf(buf, sizeof buf, "name-%d", i);
    CHECK_EQ(ct_strtab_intern(t, buf, (size_t)k), 5 + i);
  }
  for (int i = 0; i < 100000; i += 997) {
    int k = snprintf(buf, sizeof buf, "name-%d", i);
    CHECK_EQ(ct_strtab_intern(t, buf, (size_t)k), 5 + i);
    CHECK_STREQ(ct_strtab_str(t, (uint32_t)(5 + i), NULL), buf);
  }
  CHECK_EQ(ct_strtab_count(t), 100005);
  ct_strtab_free(t);
  CHECK_DONE();
}
